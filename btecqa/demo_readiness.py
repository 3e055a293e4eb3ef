"""The demo's second-year class, close to its claim, told before the claims.

The lead school's second-year Business class (last year's intake) sat its two external
units in last summer's series, and the exams officer imported Pearson's results file in
August; one learner was absent from one exam, so the file has no result for them. This
autumn the class handed in this year's two internal assignments on the plan's hand-in
dates; the assessors marked them a few working days later, except one criterion of one
learner's last assignment, still to mark; the internal verifiers sampled two learners'
work on each and agreed. So the class is partly ready: for an interim claim (where the
year's Standards Verification report, not released until the summer, only warns) every
learner is ready but those two, whose blockers the readiness page names. Each step is told
only once its day has passed; a second load finds the results import and stops.
"""

import datetime as dt

from .demo_decisions import MARKED_AFTER, _level, add_working_days

SERIES = "May/June {year}"
RESULTS_ON = (8, 13)  # results day in August: the file is imported the same day
IV_AFTER = 2  # working days from the marking to the IV's sample


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessment import selectors_decisions as grids
    from assessment import services_decisions as decisions
    from assessment.models import AssessmentPlan, Submission
    from assessment.models_briefs import AssignmentBrief
    from claims import services_results
    from claims.models import ResultsImport
    from learners.models import _shift
    from qualifications.models import Unit
    from registrations.models import Registration
    from verification import services_iv as iv
    from verification import services_sampling as sampling

    from .demo import DEMO_QUALIFICATIONS

    last = _shift(year, -1)
    cohort = cohorts.get(("lead", DEMO_QUALIFICATIONS[0], last))
    file_name = f"Results {SERIES.format(year=year[:4]).replace('/', '-')}.csv"
    if (
        cohort is None
        or ResultsImport.objects.filter(centre=cohort.centre, file_name=file_name).exists()
    ):
        return 0
    learners = [
        r.learner
        for r in Registration.objects.filter(
            cohort=cohort, status=Registration.Status.REGISTERED
        ).select_related("learner")
    ]
    learners.sort(key=lambda x: (x.last_name, x.first_name, x.pk))
    if len(learners) < 4:
        return 0
    absent, unmarked = learners[1], learners[2]
    eo, created = users["eo"], 0

    # August: Pearson's results for last summer's external units, imported on the day.
    results_day = dt.date(int(year[:4]), *RESULTS_ON)
    external = list(
        Unit.objects.filter(
            qualification=cohort.qualification, assessment=Unit.Assessment.EXTERNAL
        ).order_by("sort_key", "number")
    )
    lines = ["ULN,Surname,Forenames,Qualification number,Unit number,Series,Unit grade"]
    for k, learner in enumerate(learners):
        for u, unit in enumerate(external):
            if learner == absent and u == len(external) - 1:
                continue  # absent from the exam: no result in Pearson's file
            grade = ("Pass", "Merit", "Distinction", "Merit")[(k + u) % 4]
            lines.append(
                f"{learner.uln},{learner.last_name},{learner.first_name},"
                f"{cohort.qualification.number},{unit.number},"
                f"{SERIES.format(year=year[:4])},{grade}"
            )
    with clock.at(results_day, 10):
        record, preview = services_results.preview_upload(
            SimpleUploadedFile(
                file_name,
                ("\n".join(lines) + "\n").encode(),
                content_type="text/csv",
            ),
            cohort.centre,
            by=eo,
        )
    if preview.problems:  # the demo's own file: a problem is a fault in the demo
        raise RuntimeError(f"demo results file refused: {preview.problems[:3]}")
    with clock.at(results_day, 10):
        created += services_results.confirm_import(record, by=eo)

    # This autumn's internal assignments: handed in, marked, sampled and agreed.
    plan = AssessmentPlan.objects.filter(
        cohort=cohort, academic_year=year, status=AssessmentPlan.Status.APPROVED
    ).first()
    if plan is None:
        return created
    assignments = list(
        plan.assignments.filter(brief__status=AssignmentBrief.Status.ISSUED)
        .select_related("assessor", "internal_verifier", "plan__cohort__qualification")
        .order_by("hand_in", "pk")
    )
    for n, assignment in enumerate(assignments):
        handed_in, decided_on = (
            assignment.hand_in,
            add_working_days(assignment.hand_in, MARKED_AFTER),
        )
        if today <= decided_on or Submission.objects.filter(assignment=assignment).exists():
            continue
        shown = grids.grid_learners(assignment.assessor, assignment)
        criteria = grids.assignment_criteria(assignment)
        last_one = n == len(assignments) - 1

        def cells(k, learner, criteria=criteria, last_one=last_one):
            out = {}
            for c in criteria:
                level = _level(c)
                if last_one and learner == unmarked and c == criteria[-1]:
                    continue  # still to mark
                met = level == "P" or (level == "M" and k % 2 == 0) or (level == "D" and k % 3 == 0)
                out[c.pk] = decisions.ACHIEVED if met else decisions.NOT_YET
            return out

        with clock.at(decided_on, 16):
            result = decisions.save_grid(
                assignment,
                by=assignment.assessor,
                learners=shown,
                criteria=criteria,
                rows={
                    learner.pk: decisions.RowInput(
                        cells=cells(k, learner),
                        learner_declared=True,
                        assessor_declared=True,
                        submitted_on=handed_in,
                        feedback="A clear report; evaluate further for the higher grades.",
                    )
                    for k, learner in enumerate(shown)
                },
                decided_on=decided_on,
            )
        created += result.created
        sampled_on = add_working_days(decided_on, IV_AFTER)
        if today <= sampled_on:
            continue
        with clock.at(sampled_on, 9):
            iv_plan = sampling.start_plan(cohort, year, by=users["liv"])
            picked = [x for x in shown if x not in (absent, unmarked)][:2]
            items = [
                sampling.add_item(iv_plan, x, assignment, by=users["liv"], reason="top grade")
                for x in picked
            ]
        with clock.at(sampled_on, 14):
            for item in items:
                iv.record_iv(
                    item,
                    by=assignment.internal_verifier,
                    outcome="agree",
                    comments="Decisions match the evidence; feedback is clear.",
                )
        created += 2 * len(items)
    return created
