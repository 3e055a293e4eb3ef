"""The registration round's pages. Thin: rules live in services.py, reads in selectors.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import audit
from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.forms import FORM_REFUSED, show_again
from btecqa.params import id_list_param, int_param
from btecqa.validators import text_problem
from centres.models import Centre
from learners.models import Learner
from signatures import services as signing
from signatures.forms import SignForm

from . import calendar, documents, selectors, services
from .access import entry_list_for, round_for, visible_rounds
from .forms import (
    AmendForm,
    AnswerForm,
    CalendarForm,
    OptionsForm,
    QueryForm,
    ReasonForm,
    RequestEntriesForm,
    RoundOpenForm,
    SubmitForm,
)
from .models import CentreCalendar, EntryRequest, RowQuery
from .permissions import (
    CONFIGURE_CALENDAR,
    PROPOSE_ENTRIES,
    RUN_REGISTRATIONS,
    VIEW_REGISTRATIONS,
)


def _centres(user, perm):
    return scope(user, perm, Centre.objects.filter(is_active=True)).order_by("name")


def _fail(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


# --- rounds -------------------------------------------------------------------------------


@requires(VIEW_REGISTRATIONS)
def round_list(request):
    return render(
        request,
        "registrations/round_list.html",
        {
            "rounds": visible_rounds(request.user),
            "can_open": has_perm(request.user, RUN_REGISTRATIONS),
            "can_configure": has_perm(request.user, CONFIGURE_CALENDAR),
        },
    )


@requires(RUN_REGISTRATIONS)
def round_open(request):
    form = RoundOpenForm(
        request.POST or None,
        centres=_centres(request.user, RUN_REGISTRATIONS),
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            rnd = services.open_round(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{rnd} opened. Now request entries from each programme.")
            return redirect(rnd)
    return render(request, "registrations/round_open.html", {"form": form})


@requires(CONFIGURE_CALENDAR)
def calendar_edit(request):
    centres = _centres(request.user, CONFIGURE_CALENDAR)
    form = CalendarForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():  # the dates and their audit event, or neither
            cal, created = CentreCalendar.objects.update_or_create(
                centre=data["centre"],
                academic_year=data["academic_year"],
                defaults={
                    k: data[k]
                    for k in ("term_starts", "october_half_term_starts", "entry_check_deadline")
                },
            )
            audit.record(
                request.user,
                "registrations.calendar.saved",
                cal,
                centre=cal.centre_id,
                after={k: data[k] for k in data if k != "centre"},
            )
        messages.success(
            request,
            f"Dates saved. The entry check closes on "
            f"{calendar.entry_check_deadline(cal):%d/%m/%Y}.",
        )
        return redirect("registrations:calendar_edit")
    calendars = scope(request.user, CONFIGURE_CALENDAR, CentreCalendar).select_related("centre")
    return render(
        request,
        "registrations/calendar_form.html",
        {"form": form, "calendars": selectors.calendar_rows(calendars)},
    )


@requires(VIEW_REGISTRATIONS)
def round_detail(request, pk: int):
    return _round_page(request, round_for(request.user, pk))


def _round_page(request, rnd, refused: RequestEntriesForm | None = None):
    """The round's page; a refused request for entries goes back on it with its errors."""
    context = selectors.round_overview(rnd, request.user, timezone.localdate())
    if context["can_run"]:
        context["request_form"] = RequestEntriesForm(cohorts=context["unrequested"])
        context["new_cohorts"] = list(services.cohorts_to_start(rnd))
    if refused is not None:
        show_again(request, refused)
        context["request_form"] = refused
    return render(request, "registrations/round_detail.html", context)


@requires(RUN_REGISTRATIONS)
@require_POST
def round_close(request, pk: int):
    rnd = round_for(request.user, pk, RUN_REGISTRATIONS)
    try:
        services.close_round(rnd, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"The {rnd.academic_year} round is closed.")
    return redirect(rnd)


@requires(RUN_REGISTRATIONS)
@require_POST
def round_start_cohorts(request, pk: int):
    """Start this year's intake like last year's cohorts (the ticked ones)."""
    rnd = round_for(request.user, pk, RUN_REGISTRATIONS)
    ids = id_list_param(request.POST, "cohort")
    try:
        created = services.start_cohorts(
            rnd, previous=services.cohorts_to_start(rnd).filter(pk__in=ids), by=request.user
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            f"{len(created)} cohort{'s' if len(created) != 1 else ''} started for "
            f"{rnd.academic_year}: set up their teaching groups, then request entries.",
        )
    return redirect(rnd)


@requires(RUN_REGISTRATIONS)
@require_POST
def request_entries(request, pk: int):
    rnd = round_for(request.user, pk, RUN_REGISTRATIONS)
    form = RequestEntriesForm(request.POST, cohorts=selectors.unrequested_cohorts(rnd))
    if not form.is_valid():
        return _round_page(request, rnd, refused=form)
    try:
        req = services.request_entries(rnd, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _round_page(request, rnd, refused=form)
    messages.success(
        request,
        f"Entries requested from {req.cohort.leader or 'the cohort leaders'} "
        f"by {req.due_date:%d/%m/%Y}.",
    )
    if req.cohort.leader_id is None and not _has_programme_leader(rnd.centre_id):
        messages.warning(
            request,
            f"Nobody at {rnd.centre.name} holds the Programme Leader role, so nobody "
            "can propose these entries yet: ask the centre administrator to give "
            "someone the role, or set the programme's leader.",
        )
    return redirect(rnd)


def _has_programme_leader(centre_id: int) -> bool:
    from accounts.models import RoleAssignment
    from accounts.roles import Role

    return RoleAssignment.objects.filter(
        centre_id=centre_id, role=Role.PROGRAMME_LEADER, user__is_active=True
    ).exists()


# --- the programme leader's proposals -------------------------------------------------


def _entry_request(request, pk, perm=VIEW_REGISTRATIONS) -> EntryRequest:
    return get_object(
        request.user,
        perm,
        EntryRequest.objects.select_related(
            "round", "cohort__qualification", "cohort__centre", "cohort__leader"
        ),
        pk=pk,
    )


@requires(VIEW_REGISTRATIONS)
def proposals(request, pk: int):
    req = _entry_request(
        request, pk, PROPOSE_ENTRIES if request.method == "POST" else VIEW_REGISTRATIONS
    )
    cohort = req.cohort
    can_propose = (
        can(request.user, PROPOSE_ENTRIES, req) and req.status == EntryRequest.Status.REQUESTED
    )
    if request.method == "POST":
        if not can_propose:
            messages.error(request, "Only the programme leader proposes these entries, once.")
            return redirect("registrations:proposals", pk=pk)
        ids = id_list_param(request.POST, "learner")
        new_starters = set(map(str, id_list_param(request.POST, "new_starter")))
        pathway = request.POST.get("pathway", "").strip()[:100]
        errors = {}
        if problem := text_problem(pathway):
            errors["pathway"] = f"The pathway {problem}: delete it and type it again."
        if not ids:
            errors["learner"] = "Tick the learners to propose."
        if errors:  # nothing written: the page again, ticks and pathway kept
            messages.error(request, FORM_REFUSED)
            return render(
                request,
                "registrations/proposals.html",
                {
                    "req": req,
                    "can_propose": can_propose,
                    "errors": errors,
                    "ticked": set(ids),
                    "starters": {int(i) for i in new_starters},
                    "pathway": pathway,
                    **selectors.proposal_rows(req),
                },
            )
        learners = Learner.objects.filter(pk__in=ids, teaching_groups__cohort=cohort).distinct()
        done, refused = 0, []
        for learner in learners:
            try:
                services.propose_entry(
                    req,
                    learner=learner,
                    by=request.user,
                    pathway=pathway,
                    new_starter=str(learner.pk) in new_starters,
                )
                done += 1
            except ValidationError as exc:
                refused.append(" ".join(exc.messages))
        if done:
            messages.success(request, f"{done} learner{'s' if done != 1 else ''} proposed.")
        for message in refused:
            messages.error(request, message)
        return redirect("registrations:proposals", pk=pk)
    return render(
        request,
        "registrations/proposals.html",
        {"req": req, "can_propose": can_propose, **selectors.proposal_rows(req)},
    )


@requires(PROPOSE_ENTRIES)
def proposal_options(request, pk: int, reg: int):
    """One proposed learner's pathway and optional units, chosen by the programme leader."""
    req = _entry_request(request, pk, PROPOSE_ENTRIES)
    registration = get_object(
        request.user,
        PROPOSE_ENTRIES,
        req.cohort.registrations.select_related("learner"),
        pk=reg,
    )
    form = OptionsForm(
        request.POST or None,
        cohort=req.cohort,
        initial={
            "pathway": registration.pathway,
            "optional_units": list(registration.optional_units.values_list("pk", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.choose_options(
                registration,
                by=request.user,
                pathway=form.cleaned_data["pathway"],
                optional_units=form.cleaned_data["optional_units"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Options saved for {registration.learner}.")
            return redirect("registrations:proposals", pk=pk)
    return render(
        request,
        "registrations/proposal_options.html",
        {"form": form, "req": req, "registration": registration},
    )


@requires(PROPOSE_ENTRIES)
@require_POST
def proposals_send(request, pk: int):
    req = _entry_request(request, pk, PROPOSE_ENTRIES)
    try:
        services.finish_proposals(req, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Proposals sent to the exams office.")
    return redirect("registrations:proposals", pk=pk)


# --- the entry list -------------------------------------------------------------------


@requires(VIEW_REGISTRATIONS)
def entry_list_detail(request, pk: int):
    return _entry_list_page(request, entry_list_for(request.user, pk))


def _entry_list_page(request, entry_list, refused: SignForm | SubmitForm | None = None):
    """The entry list; a refused signature or submission goes back on it with its errors,
    carrying the list's version and hash as the page now shows them."""
    if refused is not None:
        entry_list.refresh_from_db()
    context = selectors.entry_list_page(entry_list, request.user)
    context["sign_form"] = SignForm(initial={"seen": context["sha256"]})
    context["submit_form"] = SubmitForm(
        initial={"lock": entry_list.lock_version, "submitted_on": timezone.localdate()}
    )
    context["query_form"] = QueryForm()
    if isinstance(refused, SignForm):
        show_again(request, refused, seen=context["sha256"])
        context["sign_form"] = refused
    elif isinstance(refused, SubmitForm):
        show_again(request, refused, lock=entry_list.lock_version)
        context["submit_form"] = refused
    return render(request, "registrations/entry_list.html", context)


def _lock_from(request) -> int | None:
    return int_param(request.POST, "lock", minimum=0)


@requires(RUN_REGISTRATIONS)
@require_POST
def entries_make(request, pk: int):
    entry_list = entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    ids = id_list_param(request.POST, "registration")
    regs = list(entry_list.cohort.registrations.filter(pk__in=ids))
    if not regs:
        messages.error(request, "Tick the proposed learners to enter.")
        return redirect(entry_list)
    try:
        count = services.make_entries(
            entry_list, registrations=regs, by=request.user, expected_lock=_lock_from(request)
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"{count} entr{'y' if count == 1 else 'ies'} made.")
    return redirect(entry_list)


@requires(RUN_REGISTRATIONS)
@require_POST
def entry_list_return(request, pk: int):
    entry_list = entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    try:
        services.return_entry_list(entry_list, by=request.user, expected_lock=_lock_from(request))
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "The list has gone to the programme leader to check and sign.")
    return redirect(entry_list)


@requires(PROPOSE_ENTRIES)
def entry_list_sign(request, pk: int):
    entry_list = entry_list_for(request.user, pk, PROPOSE_ENTRIES)
    if request.method != "POST":
        return redirect(entry_list)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _entry_list_page(request, entry_list, refused=form)
    try:
        services.sign_entry_list(
            entry_list,
            user=request.user,
            password=form.cleaned_data["password"],
            seen_sha256=form.cleaned_data["seen"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _entry_list_page(request, entry_list, refused=form)
    messages.success(request, "Signed and dated. The exams office has been told.")
    return redirect(entry_list)


@requires(PROPOSE_ENTRIES)
@require_POST
def row_query(request, pk: int, reg: int):
    entry_list = entry_list_for(request.user, pk, PROPOSE_ENTRIES)
    registration = get_object(
        request.user, PROPOSE_ENTRIES, entry_list.cohort.registrations.all(), pk=reg
    )
    form = QueryForm(request.POST)
    if form.is_valid():
        try:
            services.query_row(
                entry_list,
                registration=registration,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, f"Query on {registration.learner} sent to the exams office.")
    else:
        messages.error(request, "Say what is wrong with the row.")
    return redirect(entry_list)


@requires(RUN_REGISTRATIONS)
@require_POST
def query_answer(request, pk: int):
    query = get_object(
        request.user,
        RUN_REGISTRATIONS,
        RowQuery.objects.select_related("entry_list", "registration__learner"),
        pk=pk,
    )
    entry_list = query.entry_list
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_query(query, answer=form.cleaned_data["answer"], by=request.user)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Answer recorded.")
    else:
        messages.error(request, "Write the answer.")
    return redirect(entry_list)


@requires(RUN_REGISTRATIONS)
def row_amend(request, pk: int, reg: int):
    entry_list = entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    registration = get_object(
        request.user,
        RUN_REGISTRATIONS,
        entry_list.cohort.registrations.select_related("learner"),
        pk=reg,
    )
    initial = {
        "pathway": registration.pathway,
        "programme_code": registration.programme_code,
        "optional_units": list(registration.optional_units.values_list("pk", flat=True)),
        "lock": entry_list.lock_version,
    }
    form = AmendForm(request.POST or None, initial=initial, cohort=entry_list.cohort)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.amend_registration(
                registration,
                by=request.user,
                reason=data["reason"],
                expected_lock=data["lock"],
                pathway=data["pathway"],
                programme_code=data["programme_code"],
                optional_units=list(data["optional_units"]),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{registration.learner}'s entry amended.")
            return redirect(entry_list)
    return render(
        request,
        "registrations/row_amend.html",
        {"form": form, "entry_list": entry_list, "registration": registration},
    )


@requires(RUN_REGISTRATIONS)
def row_remove(request, pk: int, reg: int):
    entry_list = entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    registration = get_object(
        request.user,
        RUN_REGISTRATIONS,
        entry_list.cohort.registrations.select_related("learner"),
        pk=reg,
    )
    form = ReasonForm(request.POST or None, initial={"lock": entry_list.lock_version})
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_from_list(
                registration,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_lock=form.cleaned_data["lock"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{registration.learner} taken off the list.")
            return redirect(entry_list)
    return render(
        request,
        "registrations/row_remove.html",
        {"form": form, "entry_list": entry_list, "registration": registration},
    )


@requires(RUN_REGISTRATIONS)
@require_POST
def entry_list_submit(request, pk: int):
    entry_list = entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _entry_list_page(request, entry_list, refused=form)
    try:
        services.submit_entry_list(
            entry_list,
            by=request.user,
            submitted_on=form.cleaned_data["submitted_on"],
            order_number=form.cleaned_data["order_number"],
            expected_lock=form.cleaned_data["lock"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _entry_list_page(request, entry_list, refused=form)
    messages.success(request, "Submission to Pearson recorded.")
    return redirect(entry_list)


@requires(VIEW_REGISTRATIONS)
def entry_list_versions(request, pk: int):
    entry_list = entry_list_for(request.user, pk)
    versions = list(signing.versions(entry_list).order_by("number"))
    sigs = {}
    for s in signing.signatures(entry_list):
        sigs.setdefault(s.version_id, []).append(s)
    units = documents.qualification_units(entry_list.cohort.qualification)
    rows = []
    previous = None
    for v in versions:
        changes = (
            documents.describe_changes(
                signing.diff_rows(previous.snapshot["rows"], v.snapshot["rows"]), units
            )
            if previous
            else []
        )
        rows.append(
            {
                "version": v,
                "changes": changes,
                "previous": previous.number if previous else None,
                "signatures": sigs.get(v.pk, []),
            }
        )
        previous = v
    return render(
        request,
        "registrations/entry_list_versions.html",
        {"entry_list": entry_list, "versions": reversed(rows)},
    )
