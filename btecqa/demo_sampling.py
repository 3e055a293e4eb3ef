"""The demo's internal verification sampling, told after the assessor's decisions.

Two working days after the first assignment was marked, the Lead IV starts the cohort's IV
sampling plan for the year and builds the summative sample from the centre's default
strategy. The assessor is new to the centre, so every marked learner is sampled; nothing
has been internally verified yet, so the coverage matrix shows each assessor × unit ×
assignment × site cell with decisions, and its grades, as gaps. Told once: a second load
finds the plan and stops.
"""

SAMPLED_AFTER = 2  # working days after the decisions


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from assessment.models import CriterionDecision
    from audit.models import AuditEvent
    from verification import services_sampling as sampling
    from verification.models_sampling import IVPlan

    from .demo import DEMO_QUALIFICATIONS
    from .demo_decisions import add_working_days

    cohort = cohorts.get(("lead", DEMO_QUALIFICATIONS[0], year))
    if cohort is None:
        return 0
    plan = IVPlan.objects.filter(cohort=cohort, academic_year=year).first()
    if (
        plan is not None
        and AuditEvent.objects.filter(
            action="verification.sampling.sample_built", object_id=str(plan.pk)
        ).exists()
    ):
        return 0  # told already (the Lead IV's hand-picked items may come first: demo_iv)
    last = (
        CriterionDecision.objects.filter(
            assignment__plan__cohort=cohort, assignment__plan__academic_year=year, current=True
        )
        .order_by("-decided_on")
        .values_list("decided_on", flat=True)
        .first()
    )
    if last is None:
        return 0
    day = add_working_days(last, SAMPLED_AFTER)
    if day >= today:
        return 0
    lead_iv = users["liv"]
    with clock.at(day, 13):
        plan = sampling.start_plan(cohort, year, by=lead_iv)
        items = sampling.build_sample(plan, by=lead_iv, stage="summative")
    return 1 + len(items)
