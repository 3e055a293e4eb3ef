"""The demo's internal verification of assessment decisions (000-3.2.1), told after the
assessor marked the first assignment (demo_decisions).

Two working days after the marking the Lead IV samples three marked learners by hand
(sampling.add_item; demo_sampling builds the rest of the sample later). The
assignment's internal verifier agrees with one and disagrees with another: the action
goes to the assessor and every decision by them on that assignment across the cohort is
flagged. The assessor does the action, the IV checks it again and closes it, and the
Quality Nominee clears the flag. Three weeks later the IV disagrees with the third
learner's work too: that action is open for a fortnight (early December shows it open, and
the cohort flagged again), then followed through the same way before the holidays. Each
step is told only once its day has passed; a second load finds the plan's items and stops.
"""

from .demo_decisions import MARKED_AFTER, add_working_days


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    from assessment.models import AssessmentPlan, CriterionDecision
    from assessment.models_briefs import AssignmentBrief
    from verification import services_iv as iv
    from verification import services_sampling as sampling
    from verification.models_sampling import SampleItem

    from .demo import DEMO_QUALIFICATIONS

    cohort = cohorts.get(("lead", DEMO_QUALIFICATIONS[0], year))
    plan = (
        AssessmentPlan.objects.filter(
            cohort=cohort, academic_year=year, status=AssessmentPlan.Status.APPROVED
        ).first()
        if cohort is not None
        else None
    )
    if plan is None:
        return 0
    assignment = (
        plan.assignments.filter(brief__status=AssignmentBrief.Status.ISSUED)
        .select_related("assessor", "internal_verifier", "unit", "plan__cohort")
        .order_by("hand_in", "pk")
        .first()
    )
    if assignment is None:
        return 0
    sampled_on = add_working_days(add_working_days(assignment.hand_in, MARKED_AFTER), 2)
    if today <= sampled_on:
        return 0
    if SampleItem.objects.filter(assignment=assignment).exists():
        return 0  # told already
    decisions = list(
        CriterionDecision.objects.filter(assignment=assignment, current=True, attempt="first")
        .select_related("learner", "criterion")
        .order_by("learner__last_name", "learner__first_name", "criterion__code")
    )
    by_learner: dict = {}
    for d in decisions:
        by_learner.setdefault(d.learner, []).append(d)
    # Not the learner whose resubmission the Lead IV authorised (demo_decisions): their
    # first attempt has a criterion not yet met, with a resubmission to come.
    learners = [
        x
        for x, rows in by_learner.items()
        if all(d.achieved for d in rows if ".P" in d.criterion.code)
    ]
    if len(learners) < 3:
        return 0
    agreed, disagreed, still_open = learners[0], learners[1], learners[2]
    lead_iv, qn = users["liv"], users["qn"]
    verifier, assessor = assignment.internal_verifier, assignment.assessor
    created = 0

    with clock.at(sampled_on, 9):
        # The Lead IV samples the first marked assignment's work by hand, through the
        # sampling service (so each item keeps the work as it was sampled).
        iv_plan = sampling.start_plan(assignment.plan.cohort, year, by=lead_iv)
        items = {}
        for learner, reason in (
            (agreed, "top grade"),
            (disagreed, "first assignment of the year"),
            (still_open, "first assignment of the year"),
        ):
            items[learner] = sampling.add_item(
                iv_plan, learner, assignment, by=lead_iv, reason=reason
            )
            created += 1

    def working(day, n):
        return add_working_days(day, n)

    recorded_on = working(sampled_on, 1)
    if today <= recorded_on:
        return created
    with clock.at(recorded_on, 14):
        iv.record_iv(
            items[agreed],
            by=verifier,
            outcome="agree",
            comments="Decisions match the evidence; feedback is clear.",
        )
        record = iv.record_iv(
            items[disagreed],
            by=verifier,
            outcome="disagree",
            comments="The merit criterion is awarded, but the evaluation it needs is thin.",
            action="Look again at the merit criterion against the evidence, and tell the "
            "learner what is missing.",
            action_due=working(recorded_on, 5),
        )
    created += 2

    done_on = working(recorded_on, 3)
    if today <= done_on:
        return created
    with clock.at(done_on, 16):
        iv.mark_action_done(
            record,
            by=assessor,
            note="Re-read the evaluation: the merit stands, with fuller feedback given.",
        )
    closed_on = working(done_on, 1)
    if today <= closed_on:
        return created
    with clock.at(closed_on, 11):
        iv.close_action(
            record, by=verifier, note="Agreed after the second look; feedback now explains it."
        )
    cleared_on = working(closed_on, 2)
    if today <= cleared_on:
        return created
    from verification.models_sampling import DecisionFlag

    with clock.at(cleared_on, 10):
        iv.clear_flag(
            DecisionFlag.objects.get(raised_by=record),
            by=qn,
            note="The assessor's other decisions on the assignment were checked again: sound.",
        )

    # Three weeks on, a second disagreement: its action is open for a fortnight (still open
    # early in December), then followed through the same way before the holidays.
    second_on = working(cleared_on, 15)
    if today <= second_on:
        return created
    with clock.at(second_on, 15):
        second = iv.record_iv(
            items[still_open],
            by=verifier,
            outcome="disagree",
            comments="A pass criterion is awarded without the evidence the unit asks for.",
            action="Check the pass criteria against the unit's assessment guidance.",
            action_due=working(second_on, 10),
        )
    created += 1
    done_on = working(second_on, 10)
    if today <= done_on:
        return created
    with clock.at(done_on, 16):
        iv.mark_action_done(
            second, by=assessor, note="Checked against the guidance: the evidence is there."
        )
    closed_on = working(done_on, 1)
    if today <= closed_on:
        return created
    with clock.at(closed_on, 11):
        iv.close_action(second, by=verifier, note="Seen the evidence page: agreed.")
    cleared_on = working(closed_on, 2)
    if today <= cleared_on:
        return created
    with clock.at(cleared_on, 10):
        iv.clear_flag(
            DecisionFlag.objects.get(raised_by=second),
            by=qn,
            note="Checked the assessor's decisions on the assignment again: sound.",
        )
    return created
