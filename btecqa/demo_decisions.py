"""The demo's assessment decisions, told after this year's registration round.

The lead school's first-year Business class handed in its first assignment with an issued
brief on the plan's hand-in date, each learner declaring the work their own. A few working
days later the assessor has marked two learners in three (criterion decisions through the
class grid, with the assessor's authenticity declaration); the rest are still to be marked.
One learner, on time, has a Pass criterion not yet achieved: after half term the Lead IV
authorises their one resubmission, well inside the qualification's window of working days
after the decision. Each step is told only once the day it happened has passed; a second
load finds the hand-ins and stops.
"""

import datetime as dt

# Working days from hand-in to the assessor's decisions, and from those to the Lead IV's
# authorisation of the resubmission (kept inside the qualification's window, 15 days).
MARKED_AFTER, AUTHORISED_AFTER = 3, 6


def add_working_days(day: dt.date, n: int) -> dt.date:
    from registrations.calendar import is_working_day

    while n:
        day += dt.timedelta(days=1)
        n -= is_working_day(day)
    return day


def _level(criterion) -> str:
    """P, M or D, from a code such as 'A.P1' or 'AB.D1'."""
    return criterion.code.rsplit(".", 1)[-1][:1].upper()


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from assessment import selectors_decisions as grids
    from assessment import services_decisions as decisions
    from assessment.models import AssessmentPlan, Submission
    from assessment.models_briefs import AssignmentBrief

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
        .select_related("assessor", "plan__cohort__qualification")
        .order_by("hand_in", "pk")
        .first()
    )
    if assignment is None or today <= assignment.hand_in:
        return 0
    if Submission.objects.filter(assignment=assignment).exists():
        return 0  # told already
    assessor, lead_iv = assignment.assessor, users["liv"]
    learners = grids.grid_learners(assessor, assignment)
    criteria = grids.assignment_criteria(assignment)
    marked = [learner for k, learner in enumerate(learners) if k % 3 != 2]  # two in three
    if not marked or not criteria:
        return 0
    created = 0

    # Hand-in day: the work and each learner's own authenticity declaration.
    handed_in = assignment.hand_in
    with clock.at(handed_in, 15):
        decisions.save_grid(
            assignment,
            by=assessor,
            learners=learners,
            criteria=criteria,
            rows={
                learner.pk: decisions.RowInput(learner_declared=True, submitted_on=handed_in)
                for learner in marked
            },
            decided_on=handed_in,
        )
    created += len(marked)

    # The assessor's decisions, with their own declaration, a few working days on.
    decided_on = add_working_days(handed_in, MARKED_AFTER)
    if today <= decided_on:
        return created
    resubmitter = marked[0]
    passes = [c for c in criteria if _level(c) == "P"]
    missed = passes[-1] if passes else None  # the resubmitter's not-yet Pass criterion

    def row(k, learner):
        cells = {}
        for c in criteria:
            level = _level(c)
            if learner == resubmitter:
                met = c != missed and level != "D"
            else:
                met = level == "P" or (level == "M" and k % 2 == 0) or (level == "D" and k % 4 == 0)
            cells[c.pk] = decisions.ACHIEVED if met else decisions.NOT_YET
        feedback = (
            f"{missed.code} is not yet met: the evidence for it is missing from the report."
            if learner == resubmitter
            else [
                "A clear, well-referenced report.",
                "Good research; evaluate your findings further for the higher grades.",
            ][k % 2]
        )
        return decisions.RowInput(
            cells=cells,
            learner_declared=True,
            assessor_declared=True,
            submitted_on=handed_in,
            feedback=feedback,
        )

    with clock.at(decided_on, 16):
        result = decisions.save_grid(
            assignment,
            by=assessor,
            learners=learners,
            criteria=criteria,
            rows={learner.pk: row(k, learner) for k, learner in enumerate(marked)},
            decided_on=decided_on,
        )
    created += result.created

    # After half term, the Lead IV authorises the one resubmission, inside the window.
    window = assignment.plan.cohort.qualification.resubmission_working_days
    authorised_on = add_working_days(decided_on, min(AUTHORISED_AFTER, window))
    if missed is None or today <= authorised_on:
        return created
    with clock.at(authorised_on, 10):
        decisions.authorise_resubmission(
            assignment,
            resubmitter,
            by=lead_iv,
            on=authorised_on,
            note=f"Handed in on time and authenticated; {missed.code} not yet met.",
        )
    return created + 1
