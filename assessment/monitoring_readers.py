"""What assessment reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): each internal unit taught in the year under a plan the Quality
Nominee reviewed (approved), policy 000-3.3; and the centre's learners' records of progress
and achievement (000-3.1.8), read by `selectors_progress.centre_progress` for all of them at
once, each grade imported from a tracking sheet with no decisions behind it named."""

from __future__ import annotations

from learners.models import Cohort
from policies.monitoring import Reading, register_reader

from .models import AssessmentPlan, PlannedAssignment
from .selectors_progress import centre_progress


def _cohort(cohort) -> str:
    return f"{cohort.qualification.title} ({cohort.start_year} cohort)"


def reviewed_plans(ctx) -> Reading:
    """000-3.3: units without a reviewed plan (no plan for the year, or not approved)."""
    cohorts = list(
        Cohort.objects.filter(centre=ctx.centre)
        .covering(ctx.academic_year)
        .select_related("qualification")
        .order_by("qualification__title", "start_year", "pk")
    )
    if not cohorts:
        return Reading(evidenced=False)
    plans = {
        p.cohort_id: p
        for p in AssessmentPlan.objects.filter(
            cohort__in=[c.pk for c in cohorts], academic_year=ctx.academic_year
        )
    }
    units: dict[int, list[str]] = {}
    for plan_id, number in (
        PlannedAssignment.objects.filter(plan_id__in=[p.pk for p in plans.values()])
        .order_by("plan_id", "unit__sort_key", "unit__number")
        .values_list("plan_id", "unit__number")
        .distinct()
    ):
        seen = units.setdefault(plan_id, [])
        if number not in seen:
            seen.append(number)
    approved = planned = 0
    exceptions = []
    for cohort in cohorts:
        plan = plans.get(cohort.pk)
        if plan is None:
            exceptions.append(
                f"{_cohort(cohort)}: no assessment plan for {ctx.academic_year}, so no unit "
                "taught this year has a plan the Quality Nominee reviewed"
            )
            continue
        numbers = units.get(plan.pk, [])
        planned += len(numbers)
        if plan.status == AssessmentPlan.Status.APPROVED:
            approved += len(numbers)
        else:
            listed = ", ".join(numbers) or "none yet"
            exceptions.append(
                f"{_cohort(cohort)}: units {listed} planned, but the plan is "
                f"{plan.get_status_display().lower()}: not reviewed by the Quality Nominee"
            )
    return Reading(
        counts=[
            ("cohorts taught", len(cohorts)),
            ("units planned", planned),
            ("under an approved plan", approved),
        ],
        exceptions=exceptions,
    )


def progress_records(ctx) -> Reading:
    """000-3.1.8: each unit grade of our learners' records backed by the assessment
    decisions behind it; a grade imported from a tracking sheet alone is an exception."""
    progress = centre_progress(ctx.centre, ctx.academic_year)
    if not progress.learners and not progress.imported:
        return Reading(evidenced=False)
    exceptions = []
    for item in progress.bare:
        r = item.imported
        source = f" ({r.source})" if r.source else ""
        exceptions.append(
            f"{r.learner.last_name.upper()}, {r.learner.first_name} "
            f"({r.cohort.qualification.title}, {r.cohort.start_year} cohort), unit "
            f"{r.unit.number}: grade {r.grade} imported from a tracking sheet{source}, with "
            "no decisions behind it to verify"
        )
    return Reading(
        counts=[
            ("learners on a programme", progress.learners),
            ("units with decisions", progress.units_decided),
            ("grades imported from a tracking sheet", progress.imported),
            ("with no decisions behind them", len(progress.bare)),
        ],
        exceptions=exceptions,
    )


register_reader("000-3.3", "assessment.plans", "Assessment plans reviewed", reviewed_plans)
register_reader(
    "000-3.1.8", "assessment.progress", "Learners' progress and achievement", progress_records
)
