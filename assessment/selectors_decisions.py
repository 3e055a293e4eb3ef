"""Reads for the decisions pages: the class grid, a learner's record, unit grades.

Each read is a fixed number of queries whatever the class size.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.permissions import scope
from learners.models import Learner, TeachingGroup
from qualifications.grading import unit_grade
from qualifications.models import UNIT_GRADE_RANK, AssessmentCriterion

from .models import Attempt, CriterionDecision, Resubmission, Retake, Submission
from .permissions import VIEW_DECISIONS


@dataclass
class GridRow:
    learner: Learner
    cells: list  # [(criterion, decision or None)], in the criteria's order
    submission: Submission | None
    feedback: str = ""  # what was typed, when a refused grid is shown again
    reason: str = ""


@dataclass
class Grid:
    assignment: object
    attempt: str
    criteria: list
    rows: list[GridRow]
    groups: list
    group: object | None


def show_posted(grid: Grid, rows: dict, *, today) -> None:
    """A refused grid, shown again without JavaScript, as the assessor left it: the posted
    cells, declarations, hand-in dates, feedback and reasons in place of the stored ones
    (unsaved stand-ins), so nothing they typed is lost while they correct it."""
    for row in grid.rows:
        posted = rows.get(row.learner.pk)
        if posted is None:
            continue
        was = row.submission
        row.submission = Submission(
            learner=row.learner,
            submitted_on=posted.submitted_on,
            extension_to=was.extension_to if was else None,
            learner_declared_on=today if posted.learner_declared else None,
            assessor_declared_on=today if posted.assessor_declared else None,
        )
        cells = []
        for criterion, decision in row.cells:
            value = posted.cells.get(criterion.pk)
            if value is not None:
                shown = None
                if value:
                    shown = CriterionDecision(
                        criterion=criterion,
                        achieved=value == "achieved",
                        verified_at=decision.verified_at if decision else None,
                        version=decision.version if decision else 1,
                    )
                decision = shown
            cells.append((criterion, decision))
        row.cells = cells
        row.feedback, row.reason = posted.feedback, posted.reason


def assignment_criteria(assignment) -> list:
    return list(
        AssessmentCriterion.objects.filter(planned_assignments=assignment).order_by(
            "learning_aim__code", "code"
        )
    )


def grid_learners(user, assignment, *, attempt=Attempt.FIRST, group=None):
    """The learners of the assignment's cohort (or one of its teaching groups) the user may
    see; for a resubmission or retake, only those with one authorised."""
    learners = Learner.objects.filter(teaching_groups__cohort_id=assignment.plan.cohort_id)
    if group is not None:
        learners = Learner.objects.filter(teaching_groups=group)
    if attempt == Attempt.RESUBMISSION:
        learners = learners.filter(resubmissions__assignment=assignment)
    elif attempt == Attempt.RETAKE:
        learners = learners.filter(retakes__assignment=assignment)
    return list(
        scope(
            user, VIEW_DECISIONS, learners.model.objects.filter(pk__in=learners.values("pk"))
        ).order_by("last_name", "first_name", "pk")
    )


def class_grid(user, assignment, *, attempt=Attempt.FIRST, group=None) -> Grid:
    criteria = assignment_criteria(assignment)
    learners = grid_learners(user, assignment, attempt=attempt, group=group)
    ids = [learner.pk for learner in learners]
    decisions = {
        (d.learner_id, d.criterion_id): d
        for d in CriterionDecision.objects.filter(
            assignment=assignment, attempt=attempt, current=True, learner_id__in=ids
        )
    }
    subs = {
        s.learner_id: s
        for s in Submission.objects.filter(
            assignment=assignment, attempt=attempt, learner_id__in=ids
        )
    }
    rows = [
        GridRow(
            learner,
            [(c, decisions.get((learner.pk, c.pk))) for c in criteria],
            subs.get(learner.pk),
        )
        for learner in learners
    ]
    groups = list(
        TeachingGroup.objects.filter(cohort_id=assignment.plan.cohort_id).order_by(
            "academic_year", "name"
        )
    )
    return Grid(assignment, attempt, criteria, rows, groups, group)


def learner_record(assignment, learner) -> dict:
    """Every decision (all versions and attempts), submissions and re-attempts of a learner
    on an assignment, for the learner's assessment record."""
    return {
        "decisions": list(
            CriterionDecision.objects.filter(assignment=assignment, learner=learner)
            .select_related("criterion", "assessor", "replaces")
            .order_by("attempt", "criterion__code", "-version")
        ),
        "submissions": list(Submission.objects.filter(assignment=assignment, learner=learner)),
        "resubmission": Resubmission.objects.filter(assignment=assignment, learner=learner)
        .select_related("authorised_by")
        .first(),
        "retake": Retake.objects.filter(unit=assignment.unit, learner=learner)
        .select_related("assignment", "authorised_by")
        .first(),
    }


def best_unit_grade(learner, unit) -> dict:
    """The learner's unit grade from the best permitted attempt (domain.md 3.6, 3.7).

    First submission and resubmission together are uncapped: a criterion counts when its
    current decision in either attempt is achieved (a resubmission counts only when the
    Lead IV authorised it). A retake adds its criteria and is capped at the family's
    retake cap (Pass by default). Returns {"grade", "attempt", "capped"}.
    """
    criteria = list(unit.criteria.all())
    if not criteria:
        return {"grade": None, "attempt": None, "capped": False}
    rows = list(
        CriterionDecision.objects.filter(
            learner=learner, assignment__unit=unit, current=True
        ).values_list("criterion__code", "attempt", "achieved", "assignment_id")
    )
    resubmitted = set(
        Resubmission.objects.filter(learner=learner, assignment__unit=unit).values_list(
            "assignment_id", flat=True
        )
    )
    retake = (
        Retake.objects.filter(learner=learner, unit=unit)
        .select_related("assignment__plan__cohort__qualification__family")
        .first()
    )
    family = retake.assignment.plan.cohort.qualification.family if retake is not None else None
    return grade_from_decisions(
        rows,
        criteria,
        resubmitted=resubmitted,
        retake_assignment_id=retake.assignment_id if retake is not None else None,
        cap=family.retake_cap if family else "P",
    )


def grade_from_decisions(
    rows, criteria, *, resubmitted, retake_assignment_id=None, cap: str = "P"
) -> dict:
    """The best permitted grade of one learner's current decisions on one unit, as
    `best_unit_grade` grades it, from rows already read (no query): for a page that grades
    many units at once.

    rows: (criterion code, attempt, achieved, assignment id) of the current decisions;
    criteria: the unit's criteria (rows or codes); resubmitted: the assignment ids with an
    authorised resubmission; retake_assignment_id: the retake's assignment, if any; cap:
    the family's retake cap. Returns {"grade", "attempt", "capped"}."""
    if not criteria:
        return {"grade": None, "attempt": None, "capped": False}
    normal = {
        code
        for code, attempt, achieved, assignment_id in rows
        if achieved
        and (
            attempt == Attempt.FIRST
            or (attempt == Attempt.RESUBMISSION and assignment_id in resubmitted)
        )
    }
    grade = unit_grade(normal, criteria)
    best = {"grade": grade, "attempt": "resubmission" if resubmitted else "first", "capped": False}
    if retake_assignment_id is not None:
        retaken = normal | {
            code
            for code, attempt, achieved, assignment_id in rows
            if achieved and attempt == Attempt.RETAKE and assignment_id == retake_assignment_id
        }
        raw = unit_grade(retaken, criteria)
        capped = UNIT_GRADE_RANK[raw] > UNIT_GRADE_RANK[cap]
        retake_grade = cap if capped else raw
        if UNIT_GRADE_RANK[retake_grade] > UNIT_GRADE_RANK[grade]:
            best = {"grade": retake_grade, "attempt": "retake", "capped": capped}
    return best
