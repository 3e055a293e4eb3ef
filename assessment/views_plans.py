"""Assessment plan pages: list, detail with its checks, rows, submit, review, PDF, versions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.forms import add_refusal
from centres.models import Centre
from learners.models import Cohort
from signatures import services as signing

from . import selectors_plans as selectors
from . import services_plans as services
from .documents_plans import plan_pdf as build_plan_pdf
from .forms_plans import (
    AssignmentForm,
    PlanSignForm,
    ReopenForm,
    ReturnForm,
    StartPlanForm,
    assessors_at,
)
from .models import AssessmentPlan
from .permissions import REVIEW_PLANS, VIEW_PLANS, WRITE_PLANS

PLANS = AssessmentPlan.objects.select_related("cohort__qualification", "cohort__centre")


def _plan(request, pk, perm=VIEW_PLANS) -> AssessmentPlan:
    return get_object(request.user, perm, PLANS, pk=pk)


def _fail(request, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@requires(VIEW_PLANS)
@require_GET
def plan_list(request):
    plans = scope(request.user, VIEW_PLANS, PLANS).order_by(
        "-academic_year", "cohort__qualification__title", "pk"
    )
    return render(
        request,
        "assessment/plans/plan_list.html",
        {"plans": plans, "can_start": has_perm(request.user, WRITE_PLANS)},
    )


@requires(WRITE_PLANS)
def plan_start(request):
    cohorts = scope(request.user, WRITE_PLANS, Cohort.objects.select_related("qualification"))
    form = StartPlanForm(request.POST or None, cohorts=cohorts)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.start_plan(
                form.cleaned_data["cohort"],
                academic_year=form.cleaned_data["academic_year"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Plan started: add an assignment for each unit.")
            return redirect(plan)
    return render(request, "assessment/plans/plan_start.html", {"form": form})


def _detail_context(request, plan: AssessmentPlan, **extra) -> dict:
    rows = selectors.plan_rows(plan)
    units = selectors.internal_units(plan)
    by_unit = {u.pk: [] for u in units}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    version = plan.lock_version
    seen = signing.current_sha256(plan)
    may_write = can(request.user, WRITE_PLANS, plan)
    may_review = can(request.user, REVIEW_PLANS, plan)
    ctx = {
        "plan": plan,
        "units": [(u, by_unit.get(u.pk, [])) for u in units],
        "problems": services.plan_problems(plan, rows=rows, units=units),
        "warnings": services.plan_warnings(plan, rows=rows),
        "editable": plan.status in services.EDITABLE,
        "may_write": may_write,
        "may_review": may_review,
        "signatures": list(signing.signatures(plan).order_by("signed_at", "pk")),
        "sign_form": PlanSignForm(initial={"seen": seen, "version": version}),
        "return_form": ReturnForm(initial={"version": version}, rows=rows),
        "reopen_form": ReopenForm(initial={"version": version}),
    }
    ctx.update(extra)
    return ctx


@requires(VIEW_PLANS)
@require_GET
def plan_detail(request, pk: int):
    plan = _plan(request, pk)
    return render(request, "assessment/plans/plan_detail.html", _detail_context(request, plan))


def _assignment_form(request, plan, unit, instance=None):
    centre_ids = {plan.cohort.centre_id, *(s.pk for s in selectors.delivering_sites(plan))}
    return AssignmentForm(
        request.POST or None,
        instance=instance,
        unit=unit,
        people=assessors_at(centre_ids),
        sites=Centre.objects.filter(pk__in=centre_ids).order_by("name"),
    )


def _save_row(request, plan, unit, instance=None):
    form = _assignment_form(request, plan, unit, instance)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "criteria"}
        data["unit"] = unit
        try:
            services.save_assignment(
                plan,
                by=request.user,
                data=data,
                criteria=list(form.cleaned_data["criteria"]),
                assignment=instance,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Assignment saved.")
            return redirect(plan)
    return render(
        request,
        "assessment/plans/assignment_form.html",
        {"plan": plan, "unit": unit, "form": form, "assignment": instance},
    )


@requires(WRITE_PLANS)
def assignment_add(request, pk: int, unit: int):
    plan = _plan(request, pk, WRITE_PLANS)
    units = {u.pk: u for u in selectors.internal_units(plan)}
    if unit not in units:
        from django.http import Http404

        raise Http404("That unit is not an internal unit of the cohort.")
    return _save_row(request, plan, units[unit])


@requires(WRITE_PLANS)
def assignment_edit(request, pk: int, row: int):
    plan = _plan(request, pk, WRITE_PLANS)
    instance = get_object_or_404(plan.assignments.select_related("unit"), pk=row)
    return _save_row(request, plan, instance.unit, instance)


@requires(WRITE_PLANS)
@require_POST
def assignment_remove(request, pk: int, row: int):
    plan = _plan(request, pk, WRITE_PLANS)
    instance = get_object_or_404(plan.assignments, pk=row)
    try:
        services.remove_assignment(plan, instance, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Assignment taken off the plan.")
    return redirect(plan)


def _refused(request, plan, **forms):
    return render(
        request,
        "assessment/plans/plan_detail.html",
        _detail_context(request, plan, **forms),
        status=400,
    )


@requires(WRITE_PLANS)
@require_POST
def plan_submit(request, pk: int):
    plan = _plan(request, pk, WRITE_PLANS)
    form = PlanSignForm(request.POST)
    if not form.is_valid():
        return _refused(request, plan, sign_form=form)
    try:
        services.submit_plan(
            plan,
            by=request.user,
            password=form.cleaned_data["password"],
            seen_sha256=form.cleaned_data["seen"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _refused(request, plan, sign_form=form)
    messages.success(request, "Signed and submitted: the Quality Nominee has a to-do to review it.")
    return redirect(plan)


@requires(REVIEW_PLANS)
@require_POST
def plan_approve(request, pk: int):
    plan = _plan(request, pk, REVIEW_PLANS)
    form = PlanSignForm(request.POST)
    if not form.is_valid():
        return _refused(request, plan, sign_form=form)
    try:
        services.approve_plan(
            plan,
            by=request.user,
            password=form.cleaned_data["password"],
            seen_sha256=form.cleaned_data["seen"],
            comment=form.cleaned_data["comment"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _refused(request, plan, sign_form=form)
    messages.success(request, "Approved and signed.")
    return redirect(plan)


@requires(REVIEW_PLANS)
@require_POST
def plan_return(request, pk: int):
    plan = _plan(request, pk, REVIEW_PLANS)
    form = ReturnForm(request.POST, rows=selectors.plan_rows(plan))
    if not form.is_valid():
        return _refused(request, plan, return_form=form)
    try:
        services.return_plan(
            plan,
            by=request.user,
            comment=form.cleaned_data["comment"],
            row_comments=form.row_comments(),
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _refused(request, plan, return_form=form)
    messages.success(request, "Returned to the Lead IV with your comments.")
    return redirect(plan)


@requires(WRITE_PLANS)
@require_POST
def plan_reopen(request, pk: int):
    plan = _plan(request, pk, WRITE_PLANS)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _refused(request, plan, reopen_form=form)
    try:
        services.reopen_plan(
            plan,
            by=request.user,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _refused(request, plan, reopen_form=form)
    messages.success(request, "A new version is open: the approved one stays readable.")
    return redirect(plan)


@requires(VIEW_PLANS)
@require_GET
def plan_pdf(request, pk: int):
    plan = _plan(request, pk)
    response = HttpResponse(build_plan_pdf(plan), content_type="application/pdf")
    stem = f"assessment-plan-{plan.cohort.qualification.number or plan.pk}-{plan.academic_year}"
    response["Content-Disposition"] = f'attachment; filename="{stem.replace("/", "-")}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires(VIEW_PLANS)
@require_GET
def plan_versions(request, pk: int):
    plan = _plan(request, pk)
    versions = list(signing.versions(plan).order_by("number"))
    sigs: dict[int, list] = {}
    for s in signing.signatures(plan):
        sigs.setdefault(s.version_id, []).append(s)
    shown, previous = [], None
    for v in versions:
        diff = (
            signing.diff_rows(previous.snapshot["rows"], v.snapshot["rows"]) if previous else None
        )
        shown.append({"version": v, "signatures": sigs.get(v.pk, []), "diff": diff})
        previous = v
    return render(
        request,
        "assessment/plans/plan_versions.html",
        {"plan": plan, "versions": list(reversed(shown))},
    )
