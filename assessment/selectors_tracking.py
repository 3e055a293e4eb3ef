"""Reads of the tracking sheet: one cohort's class × unit grid in a fixed number of queries.

A unit's status for a learner, from the current CriterionDecision rows on the cohort's
plan (and, where there are none, an ImportedUnitResult):

- **Not started**: no current decision on any of the unit's criteria, nothing imported.
- **In progress**: some decisions, but not every Pass criterion achieved yet (the grade
  from the criteria so far would be U).
- **Graded**: every Pass criterion achieved, so the unit grade (P, M or D) is reached
  (``qualifications.grading.unit_grade`` of the achieved criteria). As on the learner's
  record (``selectors_decisions.best_unit_grade``): the first submission and the
  resubmission count together; a retake adds its criteria but its grade is capped at the
  qualification family's retake cap (Pass by default); the better of the two is shown.
- **Internally verified**: graded, and every current decision on the unit has been
  internally verified (``verified_at`` set).
- **Imported**: no decisions, but a unit grade imported from a school's spreadsheet
  (``ImportedUnitResult``; an external unit's grade comes only this way).

The qualification grade is only ever an estimate (``Estimate.label`` says so).

Queries: the units, their criteria, the learners, their decisions, their imported
results, the four grading tables and the qualification's family (none when the cohort came
with it; and the access layer's own), whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.permissions import scope
from learners.models import Learner
from qualifications.grading import (
    LEVELS,
    Estimate,
    GradingError,
    GradingTablesMissing,
    criterion_level,
    estimated_grade,
)
from qualifications.models import UNIT_GRADE_RANK, AssessmentCriterion, Unit
from qualifications.selectors import grading_tables

from .models import Attempt, CriterionDecision, ImportedUnitResult

NOT_STARTED, IN_PROGRESS, GRADED, VERIFIED, IMPORTED = (
    "not_started",
    "in_progress",
    "graded",
    "verified",
    "imported",
)
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    GRADED: "Graded",
    VERIFIED: "Internally verified",
    IMPORTED: "Imported",
}


@dataclass(frozen=True)
class UnitCell:
    unit: Unit
    status: str = NOT_STARTED
    grade: str = ""  # "" until graded
    points: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class LearnerRow:
    learner: Learner
    cells: list[UnitCell]
    points: int
    estimate: Estimate

    @property
    def name(self) -> str:
        return f"{self.learner.last_name}, {self.learner.first_name}"


@dataclass
class Sheet:
    cohort: object
    group: object
    units: list[Unit]
    criteria: dict[int, dict[int, str]]  # unit pk -> {criterion pk: code}
    rows: list[LearnerRow] = field(default_factory=list)

    def headings(self) -> list[str]:
        units = [f"Unit {u.number}" for u in self.units]
        return ["ULN", "Candidate number", "Learner", *units, "Points", "Estimated grade"]

    def table(self) -> list[list]:
        """The rows of the export, in the order of headings()."""
        return [
            [
                r.learner.uln,
                r.learner.candidate_number,
                r.name,
                *(c.grade for c in r.cells),
                r.points,
                r.estimate.label,
            ]
            for r in self.rows
        ]

    def snapshot(self) -> dict:
        """What a sign-off vouches for: the programme, the group and every learner's row."""
        c = self.cohort
        return {
            "cohort": {
                "centre": c.centre.number,
                "qualification": c.qualification.number,
                "start_year": c.start_year,
            },
            "group": self.group.name if self.group else "",
            "units": [u.number for u in self.units],
            "rows": [
                {
                    "key": r.learner.uln or f"learner {r.learner.pk}",
                    "learner": r.name,
                    "units": {c.unit.number: [c.status, c.grade] for c in r.cells},
                    "points": r.points,
                    "estimate": r.estimate.label,
                }
                for r in self.rows
            ],
        }


def cohort_units(cohort) -> list[Unit]:
    """The cohort's units: the mandatory ones and the optional units it chose (one query)."""
    return list(
        Unit.objects.filter(qualification_id=cohort.qualification_id)
        .filter(Q(mandatory=True) | Q(chosen_by_cohorts=cohort))
        .distinct()
        .order_by("sort_key", "number")
    )


def cohort_learners(cohort, *, group=None, user=None, perm: str | None = None):
    """The learners on the cohort (a live registration), optionally one group's; scoped by
    `perm` for `user` when given."""
    from registrations.models import Registration

    qs = Learner.objects.filter(
        registrations__cohort=cohort, registrations__status__in=Registration.ACTIVE
    )
    if group is not None:
        qs = qs.filter(teaching_groups=group)
    if user is not None and perm:
        qs = scope(user, perm, qs)
    return qs.distinct().order_by("last_name", "first_name", "pk")


def tracking_sheet(cohort, *, group=None, user=None, perm: str | None = None) -> Sheet:
    """The cohort's grid: each learner's unit statuses, grades, points and estimate."""
    units = cohort_units(cohort)
    criteria: dict[int, dict[int, str]] = defaultdict(dict)
    for pk, unit_id, code in AssessmentCriterion.objects.filter(unit__in=units).values_list(
        "pk", "unit_id", "code"
    ):
        criteria[unit_id][pk] = code
    unit_of = {pk: unit_id for unit_id, codes in criteria.items() for pk in codes}
    learners = list(cohort_learners(cohort, group=group, user=user, perm=perm))
    sheet = Sheet(cohort, group, units, dict(criteria))
    if not learners:
        return sheet
    ids = [learner.pk for learner in learners]
    learner_ids = cohort_learners(cohort, group=group, user=user, perm=perm).values("pk")
    if len(ids) <= 500:
        learner_ids = ids  # a short list is cheaper than the subquery
    # {(learner, unit): {criterion: [achieved (first or resubmission)?, achieved on the
    # retake?, every decision verified?]}}, and the (learner, unit) pairs with a retake.
    decided: dict[tuple, dict[int, list[bool]]] = defaultdict(dict)
    retaken: set[tuple] = set()
    retake = Attempt.RETAKE.value  # a plain str: an enum member compares several times slower
    decisions = CriterionDecision.objects.filter(
        current=True, assignment__plan__cohort=cohort, learner_id__in=learner_ids
    ).values_list("learner_id", "criterion_id", "attempt", "achieved", "verified_at")
    for learner_id, criterion_id, attempt, achieved, verified_at in decisions:
        unit_id = unit_of.get(criterion_id)
        if unit_id is None:
            continue  # a criterion of a unit the cohort no longer takes
        state = decided[(learner_id, unit_id)].setdefault(criterion_id, [False, False, True])
        if attempt == retake:
            retaken.add((learner_id, unit_id))
            state[1] = state[1] or achieved
        else:
            state[0] = state[0] or achieved
        state[2] = state[2] and verified_at is not None
    imported = {
        (learner_id, unit_id): grade
        for learner_id, unit_id, grade in ImportedUnitResult.objects.filter(
            cohort=cohort, current=True, learner_id__in=learner_ids
        ).values_list("learner_id", "unit_id", "grade")
    }
    tables = grading_tables(cohort.qualification, cohort.start_year)

    family = cohort.qualification.family  # select_related by the pages: no query there
    cap = family.retake_cap if family else "P"
    rules = {unit.pk: _UnitRule(unit, criteria.get(unit.pk, {}), tables, cap) for unit in units}
    estimates: dict[tuple, Estimate] = {}  # learners with the same grades share an estimate
    for learner in learners:
        cells = [
            rules[unit.pk].cell(
                decided.get((learner.pk, unit.pk)),
                imported.get((learner.pk, unit.pk)),
                retaken=(learner.pk, unit.pk) in retaken,
            )
            for unit in units
        ]
        key = tuple(c.grade for c in cells)
        if (estimate := estimates.get(key)) is None:
            grades = {c.unit.number: c.grade for c in cells if c.grade}
            estimate = estimates[key] = estimated_grade(
                cohort.qualification, grades, cohort.start_year, units=units, tables=tables
            )
        points = sum(c.points for c in cells if c.points is not None)
        sheet.rows.append(LearnerRow(learner, cells, points, estimate))
    return sheet


class _UnitRule:
    """One unit's grading, worked out once per sheet: its criteria by level (the BTEC rule
    of ``qualifications.grading.unit_grade``, on criterion ids) and a cell for each outcome,
    so 300 learners x 10 units grade by set comparisons and share equal cells.

    A retake is graded as ``selectors_decisions.best_unit_grade`` grades it: the criteria
    of the first submission and resubmission with the retake's, capped at `cap`; the cell
    has the better of that and the uncapped grade without the retake."""

    def __init__(self, unit, codes: dict[int, str], tables, cap: str = "P"):
        self.unit, self.tables, self.cap = unit, tables, cap
        self.levels: list[tuple[str, frozenset]] = []
        by_level: dict[str, set] = {level: set() for level in LEVELS}
        self.gradable = bool(codes)
        for pk, code in codes.items():
            try:
                by_level[criterion_level(code)].add(pk)
            except GradingError:
                self.gradable = False  # a malformed code: no grade from criteria, as before
        for level in LEVELS:
            if not by_level[level]:
                break  # a level with no criteria cannot be reached, nor any above it
            self.levels.append((level, frozenset(by_level[level])))
        self.cells: dict[tuple, UnitCell] = {}

    def grade(self, achieved: set) -> str:
        grade = "U"
        for level, needed in self.levels:
            if not needed <= achieved:
                break
            grade = level
        return grade

    def best_grade(self, decided, *, retaken: bool = False) -> str:
        """The grade of one learner's decisions on the unit (see the class)."""
        normal = {pk for pk, state in decided.items() if state[0]}
        grade = self.grade(normal)
        if retaken:
            raw = self.grade(normal | {pk for pk, state in decided.items() if state[1]})
            capped = self.cap if UNIT_GRADE_RANK[raw] > UNIT_GRADE_RANK[self.cap] else raw
            if UNIT_GRADE_RANK[capped] > UNIT_GRADE_RANK[grade]:
                grade = capped
        return grade

    def cell(self, decided, imported_grade, *, retaken: bool = False) -> UnitCell:
        if decided and self.gradable:
            grade = self.best_grade(decided, retaken=retaken)
            if grade == "U":
                key = (IN_PROGRESS, "")
            else:
                verified = all(state[2] for state in decided.values())
                key = (VERIFIED if verified else GRADED, grade)
        elif decided:
            key = (IN_PROGRESS, "")
        elif imported_grade:
            key = (IMPORTED, imported_grade)
        else:
            key = (NOT_STARTED, "")
        if (cell := self.cells.get(key)) is None:
            status, grade = key
            points = _points(self.tables, self.unit, grade) if grade else None
            cell = self.cells[key] = UnitCell(self.unit, status, grade, points)
        return cell


def _points(tables, unit, grade) -> int | None:
    try:
        return tables.points_for(unit.glh, grade)
    except GradingTablesMissing:
        return None
