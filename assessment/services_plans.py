"""The Lead IV's assessment plan: its checks, and its journey to the Quality Nominee and
back (000-3.3, 000-3.2.3). Every change is audited; submit and approval are signed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from signatures import services as signing
from workflow.steps import Close, Open, step

from . import events_plans as events
from . import selectors_plans as selectors
from .models import AssessmentPlan, PlannedAssignment
from .permissions import REVIEW_PLANS, WRITE_PLANS

EDITABLE = (AssessmentPlan.Status.DRAFT, AssessmentPlan.Status.RETURNED)


# --- the checks -------------------------------------------------------------------------


def plan_problems(plan: AssessmentPlan, rows=None, units=None) -> list[str]:
    """What stops the plan being submitted, each naming its unit, assignment or criterion.

    A cohort runs over several years with a plan for each; units are planned in one year
    or another. So each criterion is assessed exactly once across the cohort's plans, at
    each delivering site (a consortium plan has an assignment per site); a unit planned in
    no year yet is a problem only on the final year's plan (an earlier year leaves it to a
    later one). Retake assignments (domain 3.7) re-assess criteria already covered, so
    they are left out of the count.
    """
    rows = selectors.plan_rows(plan) if rows is None else rows
    units = selectors.internal_units(plan) if units is None else units
    cohort = plan.cohort
    home = cohort.centre_id
    sites = selectors.delivering_sites(plan)
    many_sites = len(sites) > 1
    site_names = {site.pk: site.name for site in sites}
    earlier_or_later = selectors.other_years_rows(plan)
    final_year = plan.academic_year == cohort.final_year
    problems: list[str] = []
    by_unit: dict[int, list] = {}
    for row in [*rows, *earlier_or_later]:
        if not row.for_retakes:
            by_unit.setdefault(row.unit_id, []).append(row)
    for unit in units:
        label = f"Unit {unit.number} ({unit.title})"
        planned = by_unit.get(unit.pk, [])
        if not planned:
            if final_year:
                problems.append(
                    f"{label} has no assignment in this or an earlier year's plan: every "
                    "internal unit must be planned."
                )
            continue
        count: dict[tuple[int, int], list[str]] = {}
        for row in planned:
            where = row.delivering_centre_id or home
            year = "" if row.plan_id == plan.pk else f" ({row.plan.academic_year})"
            for criterion in row.criteria.all():
                count.setdefault((where, criterion.pk), []).append(row.title + year)
        at_sites = sorted({row.delivering_centre_id or home for row in planned})
        for site in at_sites:
            at = f" at {site_names.get(site, 'the home centre')}" if many_sites else ""
            for criterion in unit.criteria.all():
                titles = count.get((site, criterion.pk), [])
                if not titles:
                    problems.append(
                        f"{label}: criterion {criterion.code} is not covered by any assignment{at}."
                    )
                elif len(titles) > 1:
                    problems.append(
                        f"{label}: criterion {criterion.code} is covered more than once{at} "
                        f"({'; '.join(titles)}); each criterion is assessed by one assignment."
                    )
    for row in rows:
        where = f"Unit {row.unit.number}, “{row.title}”"
        if not row.brief_iv_by <= row.hand_out:
            problems.append(f"{where}: the brief must be internally verified by the hand-out date.")
        if not row.hand_out < row.hand_in:
            problems.append(f"{where}: the hand-in date must be after the hand-out date.")
        if not row.hand_in <= row.resubmission_by:
            problems.append(f"{where}: the resubmission window cannot end before the hand-in date.")
        if not row.decisions_iv_by >= row.hand_in:
            problems.append(
                f"{where}: decisions cannot be internally verified before the hand-in date."
            )
        if row.assessor_id == row.internal_verifier_id:
            problems.append(
                f"{where}: the assessor and the internal verifier must be different people."
            )
    if many_sites:
        for unit in units:
            if unit.pk not in by_unit:
                continue  # not planned in any year yet: said above, or left to a later year
            at = {(r.delivering_centre_id or home) for r in by_unit[unit.pk]}
            for site in sites:
                if site.pk not in at:
                    problems.append(
                        f"Unit {unit.number} ({unit.title}) has no assignment for the delivering "
                        f"site {site.name}: a consortium plan covers every site."
                    )
    return problems


def plan_warnings(plan: AssessmentPlan, rows=None) -> list[str]:
    """Assessors not standardised this year on the units they assess (000-3.1.5): from the
    standardisation records at the cohort's centre, a warning, never a refusal."""
    from verification.selectors import is_standardised, standardised_units

    rows = selectors.plan_rows(plan) if rows is None else rows
    units = standardised_units(
        centre_id=plan.cohort.centre_id,
        qualification_id=plan.cohort.qualification_id,
        academic_year=plan.academic_year,
    )
    missing: dict[int, list] = {}
    people = {}
    for row in rows:
        people[row.assessor_id] = row.assessor
        if not is_standardised(units, row.assessor_id, row.unit_id):
            numbers = missing.setdefault(row.assessor_id, [])
            if row.unit.number not in numbers:
                numbers.append(row.unit.number)
    return [
        f"{people[pk].get_full_name() or people[pk]} has no standardisation record for "
        f"{plan.academic_year} on unit {', '.join(numbers)}: standardise them before they assess."
        for pk, numbers in missing.items()
    ]


# --- writing the plan -------------------------------------------------------------------


def _refuse_unless_lead_iv(plan: AssessmentPlan, user) -> None:
    require_object(user, WRITE_PLANS, plan)
    if user.pk not in selectors.lead_ivs(plan):
        raise PermissionDenied(
            f"Only the Lead IV appointed for {plan.cohort.qualification.title} in "
            f"{plan.academic_year} writes this plan."
        )


def _refuse_unless_editable(plan: AssessmentPlan) -> None:
    if plan.status not in EDITABLE:
        if plan.status == AssessmentPlan.Status.APPROVED:
            raise ValidationError(
                "This plan is approved and cannot change: start a new version, with the reason."
            )
        raise ValidationError("This plan is with the Quality Nominee: it cannot change now.")


def start_plan(cohort, *, academic_year: str, by) -> AssessmentPlan:
    if not cohort.covers(academic_year):
        raise ValidationError(f"The cohort {cohort} is not taught in {academic_year}.")
    plan = AssessmentPlan(cohort=cohort, academic_year=academic_year, written_by=by)
    with transaction.atomic():
        if AssessmentPlan.objects.filter(cohort=cohort, academic_year=academic_year).exists():
            raise ValidationError(f"There is already a plan for {cohort} in {academic_year}.")
        plan.save()
        try:
            _refuse_unless_lead_iv(plan, by)
        except PermissionDenied:
            transaction.set_rollback(True)
            raise
        audit.record(by, events.PLAN_STARTED, plan, after={"academic_year": academic_year})
    return plan


def save_assignment(
    plan: AssessmentPlan, *, by, data: dict, criteria, assignment: PlannedAssignment | None = None
) -> PlannedAssignment:
    """Add or change one row: criteria only from its unit; assessor and IV two people."""
    _refuse_unless_lead_iv(plan, by)
    unit = data["unit"]
    if unit.qualification_id != plan.cohort.qualification_id:
        raise ValidationError({"unit": "That unit is not in the cohort's qualification."})
    strangers = [c.code for c in criteria if c.unit_id != unit.pk]
    if strangers:
        raise ValidationError(
            {"criteria": f"Criteria {', '.join(strangers)} are not in Unit {unit.number}."}
        )
    if data["assessor"] == data["internal_verifier"]:
        raise ValidationError(
            {"internal_verifier": "The internal verifier must be someone other than the assessor."}
        )
    with transaction.atomic():
        locked = AssessmentPlan.objects.select_for_update().get(pk=plan.pk)
        _refuse_unless_editable(locked)
        before = None
        if assignment is None:
            assignment = PlannedAssignment(plan=locked)
        else:
            before = {"title": assignment.title}
        for field, value in data.items():
            setattr(assignment, field, value)
        assignment.save()
        assignment.criteria.set(criteria)
        locked.lock_version += 1
        locked.save(update_fields=["lock_version"])
        audit.record(
            by,
            events.ASSIGNMENT_SAVED,
            locked,
            before=before,
            after={
                "title": assignment.title,
                "unit": unit.number,
                "criteria": ", ".join(sorted(c.code for c in criteria)),
                "method": assignment.method,
                "assessor": str(assignment.assessor),
                "internal_verifier": str(assignment.internal_verifier),
            },
        )
    return assignment


def remove_assignment(plan: AssessmentPlan, assignment: PlannedAssignment, *, by) -> None:
    _refuse_unless_lead_iv(plan, by)
    with transaction.atomic():
        locked = AssessmentPlan.objects.select_for_update().get(pk=plan.pk)
        _refuse_unless_editable(locked)
        title = assignment.title
        if hasattr(assignment, "brief") or assignment.decisions.exists():
            raise ValidationError(
                f"“{title}” has a brief or assessment decisions, so it stays on the plan: "
                "change its row instead."
            )
        if assignment.iv_samples.exists() or assignment.iv_flags.exists():
            raise ValidationError(
                f"“{title}” has learners' work sampled for internal verification, so it stays "
                "on the plan: change its row instead."
            )
        assignment.delete()
        locked.lock_version += 1
        locked.save(update_fields=["lock_version"])
        audit.record(by, events.ASSIGNMENT_REMOVED, locked, after={"title": title})


# --- the workflow -----------------------------------------------------------------------


def submit_plan(plan: AssessmentPlan, *, by, password: str, seen_sha256: str, version=None):
    """The Lead IV signs and submits: refused while any check fails (each named)."""
    _refuse_unless_lead_iv(plan, by)
    signed = {}

    def change(locked):
        _refuse_unless_editable(locked)
        if problems := plan_problems(locked):
            raise ValidationError(
                "The plan cannot be submitted until these are put right: " + " ".join(problems)
            )
        signature = signing.sign(
            locked, user=by, password=password, role=Role.LEAD_IV, seen_sha256=seen_sha256
        )
        signed["signature"] = signature
        locked.written_by = by
        from django.utils import timezone

        locked.submitted_at = timezone.now()
        return {"version": signature.version.number}

    step(
        plan,
        by=by,
        action=events.PLAN_SUBMITTED,
        permission=WRITE_PLANS,
        allowed=EDITABLE,
        refusal="Only a draft or returned plan can be submitted",
        expected_version=version,
        status=AssessmentPlan.Status.SUBMITTED,
        change=change,
        related=["cohort__qualification"],
        close=[Close(events.REVISE_PLAN, note="submitted again")],
        open=[Open(events.REVIEW_PLAN, title=f"Review the assessment plan for {plan.cohort}")],
    )
    return signed["signature"]


def approve_plan(plan, *, by, password: str, seen_sha256: str, comment: str = "", version=None):
    """The Quality Nominee approves and signs: the plan is immutable from then."""
    signed = {}

    def change(locked):
        from django.utils import timezone

        signature = signing.sign(
            locked,
            user=by,
            password=password,
            role=Role.QUALITY_NOMINEE,
            seen_sha256=seen_sha256,
        )
        signed["signature"] = signature
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.review_comment = comment.strip()
        return {"version": signature.version.number}

    step(
        plan,
        by=by,
        action=events.PLAN_APPROVED,
        permission=REVIEW_PLANS,
        allowed=[AssessmentPlan.Status.SUBMITTED],
        refusal="Only a submitted plan can be approved",
        expected_version=version,
        status=AssessmentPlan.Status.APPROVED,
        change=change,
        related=["cohort__qualification"],
        close=[Close(events.REVIEW_PLAN, note="approved")],
    )
    return signed["signature"]


def return_plan(plan, *, by, comment: str, row_comments: dict[int, str], version=None):
    """The Quality Nominee returns the plan with an overall comment and row comments."""
    if not comment.strip():
        raise ValidationError({"comment": "Say what must change: the Lead IV sees this comment."})

    def change(locked):
        from django.utils import timezone

        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.review_comment = comment.strip()
        for row in locked.assignments.all():
            text = (row_comments.get(row.pk) or "").strip()
            if text != row.review_comment:
                row.review_comment = text
                row.save(update_fields=["review_comment"])
        return {"comment": comment.strip()}

    return step(
        plan,
        by=by,
        action=events.PLAN_RETURNED,
        permission=REVIEW_PLANS,
        allowed=[AssessmentPlan.Status.SUBMITTED],
        refusal="Only a submitted plan can be returned",
        expected_version=version,
        status=AssessmentPlan.Status.RETURNED,
        change=change,
        related=["cohort__qualification"],
        close=[Close(events.REVIEW_PLAN, note="returned")],
        open=[Open(events.REVISE_PLAN, title=f"Revise the assessment plan for {plan.cohort}")],
    )


def reopen_plan(plan, *, by, reason: str, version=None):
    """A change to an approved plan starts a new version; the signed one stays readable."""
    if not reason.strip():
        raise ValidationError(
            {"reason": "Give the reason for the change: it is kept with the version."}
        )
    _refuse_unless_lead_iv(plan, by)

    def change(locked):
        signing.freeze_version(locked, by=by, reason=f"approved version kept: {reason.strip()}")
        return {"reason": reason.strip()}

    return step(
        plan,
        by=by,
        action=events.PLAN_REOPENED,
        permission=WRITE_PLANS,
        allowed=[AssessmentPlan.Status.APPROVED],
        refusal="Only an approved plan starts a new version",
        expected_version=version,
        status=AssessmentPlan.Status.DRAFT,
        change=change,
        related=["cohort__qualification"],
    )
