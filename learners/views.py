"""Learner and programme pages. Access is decided by learners.access, through the one layer."""

from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.paging import window_page
from documents.xlsx import xlsx_bytes

from .forms import LearnerForm, LearnerSearchForm
from .models import Learner
from .permissions import CHANGE_LEARNERS, EXPORT_LEARNERS, MANAGE_COHORTS, VIEW_LEARNERS
from .selectors import (
    browsing_own_centres,
    centre_options,
    cohort_options,
    group_names,
    identifier_of,
    learner_search,
    learner_timeline,
    own_learner_count,
    own_learner_page,
    own_learners_identified,
    possible_duplicates,
    visible_cohorts,
    with_groups,
)
from .services import update_learner

PAGE_SIZE = 50
# What a row of the list shows (the rest of a learner is not read), in the order the
# template unpacks it: the list is the office's most used page, so its 50 rows are plain
# tuples rather than model instances.
LIST_FIELDS = (
    "pk",
    "last_name",
    "first_name",
    "preferred_name",
    "centre__number",
    "candidate_number",
    "uln",
    "on_roll",
    "left_on",
)


class ListRow(NamedTuple):
    """One row of the list as the template unpacks it."""

    url: str
    name: str
    first_name: str
    preferred_name: str
    centre_number: str
    candidate_number: str
    uln: str
    group_names: str
    on_roll: bool
    left_on: object
    pk: int


ROW_ID = 987654321  # stands for a row's id in the one reversed detail link


def _search_form(request, perm: str = VIEW_LEARNERS):
    """The search form, checked, and the filters it gives learner_search()."""
    form = LearnerSearchForm(
        request.GET or None,
        centre_options=centre_options(request.user, perm),
        cohort_options=cohort_options(request.user, perm),
    )
    filters = {}
    if form.is_bound:
        form.is_valid()  # a bad filter is shown as an error; the good ones still apply
        d = form.cleaned_data
        filters = {
            "q": d.get("q", ""),
            "centre_id": d.get("centre"),
            "cohort_id": d.get("cohort"),
            "year": d.get("year", ""),
            "on_roll": {"yes": True, "no": False}.get(d.get("on_roll")),
        }
    return form, filters


def _search(request, perm: str = VIEW_LEARNERS):
    form, filters = _search_form(request, perm)
    return form, learner_search(request.user, perm=perm, **filters)


def _browsing(request, form, *, searching: bool = False):
    """The user's own centres when the list is browsed whole (no filter chosen, and no
    search unless `searching`) and the permission reaches only them; else None."""
    ignored = {"q"} if searching else set()
    if form.is_bound and any(
        form.cleaned_data.get(name) for name in form.fields if name not in ignored
    ):
        return None
    return browsing_own_centres(request.user)


@requires(VIEW_LEARNERS)
def learner_list(request):
    form, filters = _search_form(request)
    number = request.GET.get("page")

    def matching():  # built only where no compiled query serves the page
        return learner_search(request.user, perm=VIEW_LEARNERS, **filters)

    if form.is_bound and form.cleaned_data.get("q"):
        # A name search is paged without counting it (btecqa/paging.py). A ULN or UCI
        # alone, over the user's own centres, is read by a query compiled once.
        identifier = identifier_of(form.cleaned_data["q"])
        own = _browsing(request, form, searching=True) if identifier else None
        if own is not None:
            learners = own_learners_identified(own, identifier, LIST_FIELDS)
        else:
            learners = matching().values_list(*LIST_FIELDS)
        page = window_page(learners, number, PAGE_SIZE)
        total = page.total
    elif (own := _browsing(request, form)) is not None:
        # The whole list, browsed: its count and page from queries compiled once.
        paginator = Paginator([], PAGE_SIZE)
        paginator.count = own_learner_count(own)
        page = paginator.get_page(number)
        page.object_list = own_learner_page(
            own, LIST_FIELDS, (page.number - 1) * PAGE_SIZE, PAGE_SIZE
        )
        total = paginator.count
    else:
        everyone = matching()
        learners = everyone.values_list(*LIST_FIELDS)
        paginator = Paginator(learners, PAGE_SIZE)
        first = None
        if number in (None, "", "1"):
            # The first page's rows first: a page not full is every match, so no COUNT(*).
            first = list(learners[:PAGE_SIZE])
            if len(first) < PAGE_SIZE:
                paginator.count = len(first)
        if "count" not in vars(paginator):
            # Counted without the listed columns: their join to the centres only slows it.
            paginator.count = everyone.count()
        page = paginator.get_page(number)
        page.object_list = first if first is not None else list(page.object_list)
        total = paginator.count
    names = group_names([row[0] for row in page.object_list], request.user)
    # One reverse() for the page, not one a row: the links differ only by the learner's id.
    head, tail = reverse("learners:learner_detail", args=[ROW_ID]).split(str(ROW_ID))
    page.object_list = [
        ListRow(
            f"{head}{pk}{tail}",
            last.upper(),
            first,
            preferred,
            centre,
            cand,
            uln,
            names.get(pk, ""),
            on_roll,
            left_on,
            pk,
        )
        for pk, last, first, preferred, centre, cand, uln, on_roll, left_on in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "learners/learner_list.html",
        {
            "form": form,
            "page": page,
            "total": total,
            "query": query.urlencode(),
            "can_export": has_perm(request.user, EXPORT_LEARNERS),
        },
    )


@requires(VIEW_LEARNERS)
def learner_detail(request, pk: int):
    learner = get_object(
        request.user,
        VIEW_LEARNERS,
        with_groups(Learner.objects.select_related("centre"), request.user),
        pk=pk,
    )
    events = Paginator(learner_timeline(learner, request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "learners/learner_detail.html",
        {
            "learner": learner,
            "events": events,
            "duplicates": possible_duplicates(learner, request.user).select_related("centre"),
            "can_change": can(request.user, CHANGE_LEARNERS, learner),
            "registrations": _registration_history(request.user, learner),
            "can_reinstate": _may_reinstate(request.user, learner),
            "can_see_progress": _may_see_progress(request.user, learner),
            "can_see_dossier": _may_see_dossier(request.user, learner),
        },
    )


def _may_see_progress(user, learner) -> bool:
    """The link to the learner's record of progress and achievement (policy 000-3.1.8)."""
    from assessment.permissions import VIEW_PROGRESS

    return can(user, VIEW_PROGRESS, learner)


def _may_see_dossier(user, learner) -> bool:
    """The link to the learner's dossier (policy 004 aim 3: the audit trail to the certificate)."""
    from dossier.permissions import VIEW_DOSSIER

    return can(user, VIEW_DOSSIER, learner)


def _registration_history(user, learner):
    """The learner's registrations with every step, for staff of the registering centre."""
    from registrations.selectors import learner_registrations

    return learner_registrations(user, learner)


def _may_reinstate(user, learner) -> bool:
    """The exams officer may reinstate the learner's withdrawn registrations."""
    from registrations.selectors import may_reinstate

    return may_reinstate(user, learner)


@requires(CHANGE_LEARNERS)
def learner_edit(request, pk: int):
    # Partners may see a learner; only the home centre corrects one (403 for them).
    learner = get_object(request.user, CHANGE_LEARNERS, Learner, pk=pk)
    form = LearnerForm(request.POST or None, instance=Learner.objects.get(pk=learner.pk))
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in LearnerForm.Meta.fields}
        try:
            changed = update_learner(
                learner, by=request.user, changes=changes, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
            )
            return redirect("learners:learner_detail", pk=learner.pk)
    return render(request, "learners/learner_form.html", {"form": form, "learner": learner})


@requires(EXPORT_LEARNERS)
@require_GET
def learners_export(request):
    _, learners = _search(request, EXPORT_LEARNERS)
    rows = (
        [
            learner.centre.number,
            learner.last_name,
            learner.first_name,
            learner.preferred_name,
            learner.date_of_birth,
            learner.sex,
            learner.uln or "",
            learner.uci or "",
            learner.candidate_number,
            learner.admission_number,
            learner.email,
            "yes" if learner.on_roll else "no",
            learner.left_on,
        ]
        for learner in learners.iterator(chunk_size=2000)
    )
    data = xlsx_bytes(
        [
            (
                "Learners",
                [
                    "Centre",
                    "Legal surname",
                    "Legal forename",
                    "Preferred forename",
                    "Date of birth",
                    "Sex",
                    "ULN",
                    "UCI",
                    "Candidate number",
                    "Admission number",
                    "Email",
                    "On roll",
                    "Left on",
                ],
                rows,
            )
        ]
    )
    return _xlsx_response(data, f"learners-{timezone.localdate():%Y%m%d}.xlsx")


@requires(VIEW_LEARNERS)
def cohort_list(request):
    cohorts = visible_cohorts(request.user).order_by("-start_year", "qualification__title")
    return render(
        request,
        "learners/cohort_list.html",
        {
            "cohorts": cohorts,
            "can_manage": has_perm(request.user, MANAGE_COHORTS),
            "can_export": has_perm(request.user, EXPORT_LEARNERS),
        },
    )


@requires(VIEW_LEARNERS)
def cohort_detail(request, pk: int):
    cohort = get_object(request.user, VIEW_LEARNERS, visible_cohorts(request.user), pk=pk)
    groups = [
        (g, g.visible_learners)
        for g in _groups_with_visible_learners(cohort, request.user, VIEW_LEARNERS)
    ]
    return render(
        request,
        "learners/cohort_detail.html",
        {
            "cohort": cohort,
            "groups": groups,
            "optional_units": cohort.optional_units.all(),
            "can_manage": can(request.user, MANAGE_COHORTS, cohort),
            "can_export": can(request.user, EXPORT_LEARNERS, cohort),
            # The assessment pages hang off the cohort (named by code: learners does not
            # import the assessment app, which builds on it).
            "can_track": can(request.user, "assessment.view_tracking", cohort),
            "can_claims": can(request.user, "claims.view_readiness", cohort),
            "can_audit_report": can(request.user, "audit.view_events", cohort),
            "can_letters": can(request.user, "registrations.run", cohort),
            "tech_award": cohort.qualification.grading_scheme == "tech_award",
        },
    )


def _groups_with_visible_learners(cohort, user, perm: str):
    """The programme's groups `perm` reaches, each with only the learners it reaches: two
    queries."""
    visible = scope(user, perm, Learner.objects.select_related("centre")).order_by("last_name")
    return (
        scope(user, perm, cohort.teaching_groups.all())
        .select_related("delivering_centre")
        .prefetch_related(Prefetch("learners", queryset=visible, to_attr="visible_learners"))
    )


@requires(EXPORT_LEARNERS)
@require_GET
def class_list_export(request, pk: int):
    cohort = get_object(
        request.user, EXPORT_LEARNERS, visible_cohorts(request.user, EXPORT_LEARNERS), pk=pk
    )
    rows = [
        [
            group.name,
            group.delivering_centre.number,
            learner.centre.number,
            learner.last_name,
            learner.first_name,
            learner.date_of_birth,
            learner.uln or "",
            learner.candidate_number,
        ]
        for group in _groups_with_visible_learners(cohort, request.user, EXPORT_LEARNERS)
        for learner in group.visible_learners
    ]
    data = xlsx_bytes(
        [
            (
                "Class list",
                [
                    "Group",
                    "Delivering centre",
                    "Home centre",
                    "Legal surname",
                    "Legal forename",
                    "Date of birth",
                    "ULN",
                    "Candidate number",
                ],
                rows,
            )
        ]
    )
    return _xlsx_response(data, f"class-list-{cohort.pk}.xlsx")


@requires(EXPORT_LEARNERS)
@require_GET
def cohorts_export(request):
    rows = (
        [
            p.centre.number,
            p.qualification.number,
            p.qualification.title,
            p.start_year,
            p.years,
            str(p.leader) if p.leader else "",
        ]
        for p in visible_cohorts(request.user, EXPORT_LEARNERS)
    )
    data = xlsx_bytes(
        [
            (
                "Cohorts",
                [
                    "Centre",
                    "Qualification number",
                    "Qualification",
                    "Starts in",
                    "Years",
                    "Programme leader",
                ],
                rows,
            )
        ]
    )
    return _xlsx_response(data, "cohorts.xlsx")


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
