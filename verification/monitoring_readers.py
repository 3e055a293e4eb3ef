"""What verification reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): Lead IVs, standardisation, internal verification and Standards
Verification. Counts come from the governors' report's measures (report_measures.py);
the Lead IV rows are the Lead IV list's (selectors.lead_iv_rows, read once for the
report and shared with the declaration's checklist); the exceptions name the records."""

from __future__ import annotations

from django.db.models import Q

from policies.monitoring import Reading, person, register_reader

from .models_sampling import IVPlan, IVRecord, SampleItem
from .models_sv import SVAction, SVVisit
from .selectors_sv import cohorts_without_visit


def _cohort(cohort) -> str:
    return f"{cohort.qualification.title} ({cohort.start_year} cohort)"


def lead_ivs(ctx) -> Reading:
    """000-3.1.4: a Lead IV identified for each qualification taught in the year."""
    rows = [r for r in ctx.check_context.lead_iv_rows if r["cohorts"]]
    if not rows:
        return Reading(evidenced=False)
    exceptions = [
        f"{r['qualification'].title}: no Lead IV identified for {ctx.academic_year}"
        for r in rows
        if r["missing"]
    ]
    return Reading(
        counts=[
            ("qualifications taught", len(rows)),
            ("with a Lead IV", len(rows) - len(exceptions)),
        ],
        exceptions=exceptions,
    )


def standardisation(ctx) -> Reading:
    """000-3.1.5: each qualification taught standardised in the year; the Lead IV trained."""
    rows = [r for r in ctx.check_context.lead_iv_rows if r["cohorts"]]
    if not rows:
        return Reading(evidenced=False)
    exceptions = []
    for r in rows:
        title, appt = r["qualification"].title, r["appointment"]
        if not r["last_activity"]:
            exceptions.append(
                f"{title}: no standardisation activity recorded in {ctx.academic_year}"
            )
        if appt and not r["pearson_training"]:
            exceptions.append(
                f"{title}: no Pearson standardisation training recorded for the Lead IV, "
                f"{person(appt.lead_iv)}"
            )
    return Reading(
        counts=[
            ("activities", ctx.measure("verification.standardisation")),
            ("Lead IV trainings", ctx.measure("verification.pearson_training")),
        ],
        exceptions=exceptions,
    )


def iv_coverage(ctx) -> Reading:
    """000-3.2.1: sampled work with its IV complete, and no cohort with decisions recorded
    but nothing sampled (an IV coverage gap)."""
    from assessment.models import CriterionDecision

    sampled = ctx.measure("verification.iv_sampled")
    decided_cohorts = {
        c: None
        for c in CriterionDecision.objects.filter(
            assignment__plan__cohort__centre=ctx.centre,
            assignment__plan__academic_year=ctx.academic_year,
            current=True,
        )
        .order_by()
        .values_list("assignment__plan__cohort_id", flat=True)
        .distinct()
    }
    if not sampled and not decided_cohorts:
        return Reading(evidenced=False)
    sampled_cohorts = set(
        IVPlan.objects.filter(
            cohort__centre=ctx.centre, academic_year=ctx.academic_year, items__isnull=False
        ).values_list("cohort_id", flat=True)
    )
    exceptions = []
    gaps = [c for c in decided_cohorts if c not in sampled_cohorts]
    if gaps:
        from learners.models import Cohort

        for cohort in (
            Cohort.objects.filter(pk__in=gaps)
            .select_related("qualification")
            .order_by("qualification__title", "start_year")
        ):
            exceptions.append(
                f"{_cohort(cohort)}: assessment decisions recorded in {ctx.academic_year} but "
                "no work sampled for internal verification"
            )
    incomplete = (
        SampleItem.objects.filter(
            plan__cohort__centre=ctx.centre, plan__academic_year=ctx.academic_year
        )
        .exclude(
            Q(iv_record__outcome=IVRecord.Outcome.AGREE) | Q(iv_record__closed_at__isnull=False)
        )
        .select_related("learner", "assignment__unit", "iv_record")
        .order_by("assignment__unit__sort_key", "learner__last_name", "pk")
    )
    for item in incomplete:
        what = (
            "no IV decision yet"
            if getattr(item, "iv_record", None) is None
            else "IV disagreed and its action is not closed"
        )
        exceptions.append(
            f"{item.learner.last_name.upper()}, {item.learner.first_name}: unit "
            f"{item.assignment.unit.number} «{item.assignment.title}», {what}"
        )
    return Reading(
        counts=[
            ("items sampled", sampled),
            ("with an IV decision", ctx.measure("verification.iv_decided")),
            ("IV complete", ctx.measure("verification.iv_complete")),
        ],
        exceptions=exceptions,
    )


def sv_outcomes(ctx) -> Reading:
    """000-3.1.11: each cohort taught under Standards Verification in the year, and its
    report released."""
    visits = list(
        SVVisit.objects.filter(cohort__centre=ctx.centre, academic_year=ctx.academic_year)
        .select_related("cohort__qualification")
        .order_by("cohort__qualification__title", "pk")
    )
    missing = cohorts_without_visit(ctx.centre, ctx.academic_year)
    if not visits and not missing:
        return Reading(evidenced=False)
    exceptions = []
    for visit in visits:
        status = visit.config.status(visit.status)
        if status is None or status.claims != "clear":
            exceptions.append(f"{_cohort(visit.cohort)}: SV report {visit.status_label}")
    for cohort in missing:
        exceptions.append(
            f"{_cohort(cohort)}: no Standards Verification recorded for {ctx.academic_year}"
        )
    return Reading(
        counts=[
            ("cohorts under SV", ctx.measure("verification.sv_visits")),
            ("released", ctx.measure("verification.sv_released")),
            ("second sample", ctx.measure("verification.sv_second_sample")),
            ("certification pending", ctx.measure("verification.sv_pending")),
        ],
        exceptions=exceptions,
    )


def sv_actions(ctx) -> Reading:
    """000-3.1.13: the SV's essential actions closed."""
    actions = list(
        SVAction.objects.filter(
            visit__cohort__centre=ctx.centre, visit__academic_year=ctx.academic_year
        )
        .select_related("visit__cohort__qualification", "owner")
        .order_by("due_on", "pk")
    )
    if not actions:
        return Reading(evidenced=False)
    exceptions = [
        f"{_cohort(a.visit.cohort)}: «{a.description}» ({person(a.owner)}, due "
        f"{a.due_on:%d/%m/%Y}) is still open"
        for a in actions
        if a.closed_at is None
    ]
    return Reading(
        counts=[("actions", len(actions)), ("closed", len(actions) - len(exceptions))],
        exceptions=exceptions,
    )


register_reader("000-3.1.4", "verification.lead_ivs", "Lead IVs identified", lead_ivs)
register_reader("000-3.1.5", "verification.standardisation", "Standardisation", standardisation)
register_reader("000-3.2.1", "verification.iv", "Internal verification", iv_coverage)
register_reader("000-3.1.11", "verification.sv", "Standards Verification", sv_outcomes)
register_reader("000-3.1.13", "verification.sv_actions", "SV actions", sv_actions)
