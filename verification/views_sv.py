"""Standards verification pages (000-3.1.11, 000-3.1.13). Thin: rules in services_sv.py,
reads in selectors_sv.py, the ZIP in evidence_pack.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import audit
from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.forms import add_refusal, show_again
from btecqa.params import int_param
from learners.models import Cohort

from . import events, selectors_sv, services_sv
from .evidence_pack import pack_name, stream_pack
from .forms_sv import (
    ActionForm,
    AllocationForm,
    CloseActionForm,
    LearnersForm,
    RouteForm,
    SampleForm,
    StatusForm,
    WorkSubmittedForm,
)
from .models_sv import SVAction, SVSample, SVVisit
from .permissions import MANAGE_SV, VIEW_SV
from .views import _centres, _people, _year

VISIT = SVVisit.objects.select_related("cohort__qualification__family", "cohort__centre")


@requires(VIEW_SV)
def sv_list(request):
    centres = _centres(request.user, VIEW_SV)
    wanted = int_param(request.GET, "centre")
    centre = centres.filter(pk=wanted).first() if wanted else centres.first()
    year = _year(request)
    can_manage = centre is not None and has_perm(request.user, MANAGE_SV, centre.pk)
    visits = (
        selectors_sv.sv_visits(request.user, VIEW_SV, centre=centre, academic_year=year)
        if centre
        else []
    )
    today = timezone.localdate()
    return render(
        request,
        "verification/sv_list.html",
        {
            "centres": centres,
            "centre": centre,
            "year": year,
            "visits": visits,
            "without": selectors_sv.cohorts_without_visit(centre, year) if centre else [],
            "can_manage": can_manage,
            "today": today,
        },
    )


def _manageable_cohorts(user):
    return scope(
        user,
        MANAGE_SV,
        Cohort.objects.filter(centre__is_active=True).select_related("qualification"),
    ).order_by("qualification__title", "-start_year")


@requires(MANAGE_SV)
def sv_add(request):
    cohorts = _manageable_cohorts(request.user)
    initial = {"academic_year": _year(request)}
    if (pk := int_param(request.GET, "cohort")) and cohorts.filter(pk=pk).exists():
        initial["cohort"] = pk
    form = AllocationForm(request.POST or None, cohorts=cohorts, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                visit = services_sv.record_allocation(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request, f"Recorded: {visit.verifier_name} verifies {visit.cohort}."
                )
                return redirect(visit)
        show_again(request, form)
    return render(request, "verification/sv_form.html", {"form": form, "visit": None})


def _page(request, visit, status=200, **bound):
    detail = selectors_sv.visit_detail(visit)
    today = timezone.localdate()
    for sample in detail["samples"]:
        sample.deadline_words = services_sv.deadline_in_words(sample.deadline, today)
    for action in detail["actions"]:
        action.due_words = services_sv.deadline_in_words(action.due_on, today)
    manage = can(request.user, MANAGE_SV, visit)
    config = visit.config
    context = {
        "visit": visit,
        "samples": detail["samples"],
        "actions": detail["actions"],
        "can_manage": manage,
        # The pack built as a job: for those who may follow a job at the visit's centre.
        "can_follow_jobs": has_perm(request.user, "jobs.view_jobs", visit.cohort.centre_id),
        "gate": selectors_sv.sv_claims_gate(visit.cohort, visit.academic_year),
    }
    if manage:
        people = _people([visit.cohort.centre])
        context.update(
            route_form=bound.get("route_form")
            or RouteForm(config=config, initial={"route": visit.route}),
            status_form=bound.get("status_form")
            or StatusForm(
                config=config,
                initial={"status": visit.status, "report_received_on": visit.report_received_on},
            ),
            sample_form=bound.get("sample_form")
            or SampleForm(initial={"number": visit.sample_number}),
            action_form=bound.get("action_form") or ActionForm(people=people),
            submitted_form=WorkSubmittedForm(initial={"submitted_on": today}),
        )
    return render(request, "verification/sv_detail.html", context, status=status)


@requires(VIEW_SV)
def sv_detail(request, pk: int):
    visit = get_object(request.user, VIEW_SV, VISIT, pk=pk)
    return _page(request, visit)


@requires(MANAGE_SV)
def sv_allocation(request, pk: int):
    visit = get_object(request.user, MANAGE_SV, VISIT, pk=pk)
    form = AllocationForm(
        request.POST or None,
        visit=visit,
        initial={
            "verifier_name": visit.verifier_name,
            "verifier_email": visit.verifier_email,
            "verifier_phone": visit.verifier_phone,
            "allocated_on": visit.allocated_on,
            "notes": visit.notes,
        },
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services_sv.record_allocation(
                    cohort=visit.cohort,
                    academic_year=visit.academic_year,
                    by=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, "Allocation saved.")
                return redirect(visit)
        show_again(request, form)
    return render(request, "verification/sv_form.html", {"form": form, "visit": visit})


def _post(request, pk, form_class, key, apply, done, *, model=SVVisit, qs=None, **form_kwargs):
    """A form posted from the visit page: apply it, or show the page again with its errors."""
    obj = get_object(request.user, MANAGE_SV, qs if qs is not None else VISIT, pk=pk)
    visit = obj if model is SVVisit else obj.visit
    if callable(form_kwargs.get("config")):
        form_kwargs["config"] = form_kwargs["config"](visit)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            result = apply(obj, form.cleaned_data)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, done(result))
            return redirect(visit)
    if key is None:
        # The form is not on the page it goes back to (the visit's, where the form is drawn
        # afresh): the banner gives each reason, or it would point at a form without them.
        reasons = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, f"Nothing was saved: {' '.join(reasons)}")
        return redirect(visit)
    show_again(request, form)
    return _page(request, visit, status=400, **{key: form})


@requires(MANAGE_SV)
@require_POST
def sv_route(request, pk: int):
    return _post(
        request,
        pk,
        RouteForm,
        "route_form",
        lambda v, d: services_sv.set_route(v, route=d["route"], by=request.user),
        lambda v: f"Route: {v.route_label}.",
        config=lambda v: v.config,
    )


@requires(MANAGE_SV)
@require_POST
def sv_status(request, pk: int):
    return _post(
        request,
        pk,
        StatusForm,
        "status_form",
        lambda v, d: services_sv.set_report_status(v, by=request.user, **d),
        lambda v: (
            f"Report status: {v.status_label}."
            + (" The second sample is open." if v.sample_number == 2 else "")
        ),
        config=lambda v: v.config,
    )


@requires(MANAGE_SV)
@require_POST
def sv_sample(request, pk: int):
    return _post(
        request,
        pk,
        SampleForm,
        "sample_form",
        lambda v, d: services_sv.request_sample(v, by=request.user, **d),
        lambda s: f"Sample {s.number}: {services_sv.deadline_in_words(s.deadline)}.",
    )


@requires(MANAGE_SV)
@require_POST
def sv_action_add(request, pk: int):
    visit = get_object(request.user, MANAGE_SV, VISIT, pk=pk)
    return _post(
        request,
        pk,
        ActionForm,
        "action_form",
        lambda v, d: services_sv.add_action(v, by=request.user, **d),
        lambda a: (
            f"Action added for {a.owner.get_full_name() or a.owner}, "
            f"{services_sv.deadline_in_words(a.due_on)}."
        ),
        people=_people([visit.cohort.centre]),
    )


SAMPLE = SVSample.objects.select_related(
    "visit__cohort__qualification__family", "visit__cohort__centre"
)


@requires(MANAGE_SV)
@require_POST
def sv_submitted(request, pk: int):
    return _post(
        request,
        pk,
        WorkSubmittedForm,
        None,
        lambda s, d: services_sv.record_work_submitted(s, by=request.user, **d),
        lambda s: f"Sample {s.number}: work sent on {s.work_submitted_on:%d/%m/%Y}.",
        model=SVSample,
        qs=SAMPLE,
    )


@requires(MANAGE_SV)
def sv_learners(request, pk: int):
    sample = get_object(request.user, MANAGE_SV, SAMPLE, pk=pk)
    visit = sample.visit
    form = LearnersForm(
        request.POST or None,
        learners=selectors_sv.cohort_learners(visit.cohort),
        initial={"learners": list(sample.learners.values_list("pk", flat=True))},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services_sv.name_learners(sample, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                n = sample.learners.count()
                messages.success(
                    request, f"Sample {sample.number}: {n} learner{'' if n == 1 else 's'} named."
                )
                return redirect(visit)
        show_again(request, form)
    return render(
        request, "verification/sv_learners.html", {"form": form, "sample": sample, "visit": visit}
    )


@requires(MANAGE_SV)
def sv_action_close(request, pk: int):
    action = get_object(
        request.user,
        MANAGE_SV,
        SVAction.objects.select_related(
            "visit__cohort__centre", "visit__cohort__qualification", "owner"
        ),
        pk=pk,
    )
    form = CloseActionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services_sv.close_action(action, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, "Action closed.")
                return redirect(action.visit)
        show_again(request, form)
    return render(request, "verification/sv_action_close.html", {"form": form, "action": action})


@requires(VIEW_SV)
@require_POST
def sv_pack_job(request, pk: int):
    """The evidence pack built in the background (a large pack): start or join the job."""
    from jobs.services import request_job

    from .jobs_kinds import SV_PACK

    visit = get_object(request.user, VIEW_SV, VISIT, pk=pk)
    job, created = request_job(
        SV_PACK, by=request.user, centre=visit.cohort.centre, cohort=visit.cohort,
        params={"visit": visit.pk},
    )  # fmt: skip
    if created:
        audit.record(request.user, events.SV_PACK_BUILT, visit)
    return redirect("jobs:job_detail", pk=job.pk)


@requires(VIEW_SV)
def sv_pack(request, pk: int):
    """The evidence pack, streamed: one ZIP for the cohort and year."""
    visit = get_object(request.user, VIEW_SV, VISIT, pk=pk)
    audit.record(request.user, events.SV_PACK_DOWNLOADED, visit)
    response = StreamingHttpResponse(
        stream_pack(visit.cohort, visit.academic_year), content_type="application/zip"
    )
    name = pack_name(visit.cohort, visit.academic_year)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
