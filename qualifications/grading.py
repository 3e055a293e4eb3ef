"""BTEC grading: a unit's grade from its criteria, points from the tables, an estimated grade.

The figures are data (GradingTable and its rows, shipped in catalogue_data/), never
constants here. Where a table is missing the answer is a refusal that names it, not a
guess. The qualification grade is only ever an *estimate*: Pearson awards external units
points on a sliding scale by raw mark and calculates the official grade (domain.md §2.1),
so every result says "Estimated" or "Estimate not possible", with the reason.

Everything below works on a `Tables` read once by `selectors.grading_tables()`, so a page
grading a whole class makes the same few queries for one learner or three hundred.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import (
    UNIT_GRADE_RANK,
    EligibilityRule,
    GradingTable,
    Qualification,
    Unit,
    UnitGrade,
)

LEVELS = ("P", "M", "D")  # the letter after the dot in A.P1, B.M3, C.D2

NO_CRITERIA = (
    "This unit has no Pass, Merit or Distinction criteria, so its grade cannot come from "
    "criteria (an external unit is graded by Pearson)."
)
NEAR_PASS_INTERNAL = "Near Pass (N) is a grade for external units only; unit {unit} is internal."


class GradingError(ValueError):
    """The grades given cannot be graded: an unknown grade, a criterion of another unit …"""


class GradingTablesMissing(LookupError):
    """A grading table (or a row of one) the answer needs is not configured."""

    def __init__(self, message: str, missing: Iterable[str] = ()):
        super().__init__(message)
        self.missing = tuple(missing)


# ---------------------------------------------------------------- unit grade from criteria


def criterion_level(code: str) -> str:
    """P, M or D: the letter after the dot ("B.M3" → "M"; an undotted "D1" → "D")."""
    letter = str(code).strip().upper().rpartition(".")[2][:1]
    if letter not in LEVELS:
        raise GradingError(f"'{code}' is not a criterion code like A.P1, B.M3 or C.D2.")
    return letter


def _code(criterion) -> str:
    return str(getattr(criterion, "code", criterion)).strip().upper()


def unit_grade(criteria_achieved_codes: Iterable, unit_criteria: Iterable) -> str:
    """The BTEC unit grade: P when every Pass criterion is achieved, M when every Pass and
    Merit one is, D when every Pass, Merit and Distinction one is; otherwise U.

    Criteria are codes or AssessmentCriterion rows. A level with no criteria in the unit
    cannot be reached (a unit with no Merit criteria is never graded M by default).
    """
    codes = {_code(c) for c in unit_criteria}
    if not codes:
        raise GradingError(NO_CRITERIA)
    achieved = {_code(c) for c in criteria_achieved_codes}
    if unknown := sorted(achieved - codes):
        raise GradingError(f"Not criteria of this unit: {', '.join(unknown)}.")
    by_level = {level: set() for level in LEVELS}
    for code in codes:
        by_level[criterion_level(code)].add(code)
    grade = UnitGrade.U.value
    for level in LEVELS:
        if not by_level[level] or not by_level[level] <= achieved:
            break
        grade = level
    return grade


# ---------------------------------------------------------------- the tables


TABLE_NAMES = {
    GradingTable.Kind.UNIT_POINTS: "unit points",
    GradingTable.Kind.THRESHOLDS: "qualification grade thresholds",
    GradingTable.Kind.ELIGIBILITY: "eligibility rules",
}


@dataclass(frozen=True)
class Tables:
    """The grading tables that apply to one qualification and cohort (None where missing)."""

    qualification: Qualification
    cohort: str | None
    unit_points: GradingTable | None
    thresholds: GradingTable | None
    eligibility: GradingTable | None

    @property
    def missing(self) -> list[str]:
        return [name for kind, name in TABLE_NAMES.items() if getattr(self, kind) is None]

    @property
    def used(self) -> list[GradingTable]:
        return [t for t in (self.unit_points, self.thresholds, self.eligibility) if t]

    def whose(self) -> str:
        q = self.qualification
        cohort = f" for the cohort starting {self.cohort}" if self.cohort else ""
        return f"{q.title} ({q.number}){cohort}"

    def points_for(self, glh: int, grade: str) -> int:
        if self.unit_points is None:
            raise GradingTablesMissing(
                f"No unit points table for {self.whose()}.", [TABLE_NAMES["unit_points"]]
            )
        for row in self.unit_points.unit_points.all():  # prefetched
            if row.glh == glh and row.grade == grade:
                return row.points
        raise GradingTablesMissing(
            f"The unit points table for {self.whose()} has no points for a {glh}-GLH unit "
            f"at {grade}.",
            [f"unit points for {glh} GLH at {grade}"],
        )


def _tables(qualification, cohort_start_year, tables: Tables | None) -> Tables:
    if tables is not None:
        return tables
    from .selectors import grading_tables

    return grading_tables(qualification, cohort_start_year)


def _grade(value) -> str:
    grade = str(value or "").strip().upper()
    if grade not in UNIT_GRADE_RANK:
        raise GradingError(f"'{value}' is not a unit grade (U, N, P, M or D).")
    return grade


def unit_points(
    qualification: Qualification,
    unit: Unit,
    grade: str,
    *,
    cohort_start_year: str | None = None,
    tables: Tables | None = None,
) -> int:
    """The unit's points at this grade from the qualification's table for the cohort.

    Internal units earn these fixed points; for an external unit they are the table value
    Pearson's sliding scale starts from, so totals made from them are estimates.
    """
    grade = _grade(grade)
    if unit.qualification_id != qualification.pk:
        raise GradingError(f"Unit {unit.number} is not a unit of {qualification.number}.")
    if grade == UnitGrade.N and unit.assessment != Unit.Assessment.EXTERNAL:
        raise GradingError(NEAR_PASS_INTERNAL.format(unit=unit.number))
    return _tables(qualification, cohort_start_year, tables).points_for(unit.glh, grade)


# ---------------------------------------------------------------- the estimate


@dataclass(frozen=True)
class Estimate:
    """An estimated qualification grade, or why there is none. Never the official grade."""

    grade: str | None = None
    points: int | None = None
    reasons: tuple[str, ...] = ()  # why no estimate: each unmet rule or missing table
    missing_tables: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()  # the UNCONFIRMED notes of the tables used
    sources: tuple[str, ...] = ()

    @property
    def possible(self) -> bool:
        return self.grade is not None

    @property
    def label(self) -> str:
        if self.possible:
            return f"Estimated: {self.grade}"
        return "Estimate not possible: " + "; ".join(self.reasons)

    @property
    def is_unconfirmed(self) -> bool:
        return bool(self.unconfirmed)

    def __str__(self) -> str:
        return self.label


def _provenance(tables: Tables) -> dict:
    return {
        "unconfirmed": tuple(f"{t}: {t.unconfirmed}" for t in tables.used if t.is_unconfirmed),
        "sources": tuple(f"{t}: {t.source}" for t in tables.used),
    }


def _refused(tables: Tables, reasons, missing=()) -> Estimate:
    return Estimate(reasons=tuple(reasons), missing_tables=tuple(missing), **_provenance(tables))


def estimated_grade(
    qualification: Qualification,
    unit_grades: Mapping,
    cohort_start_year: str | None,
    *,
    units: Iterable[Unit] | None = None,
    tables: Tables | None = None,
) -> Estimate:
    """The estimated qualification grade from unit grades, with every caveat attached.

    unit_grades: {Unit or unit number: "U"/"N"/"P"/"M"/"D"}. units: the learner's
    combination (the cohort's mandatory and chosen optional units); by default the
    mandatory units and the optional units that have a grade. Grades for units outside
    the combination are left out (Pearson uses the best optional units; choosing them is
    not done here).
    """
    tables = _tables(qualification, cohort_start_year, tables)
    if missing := tables.missing:
        return _refused(
            tables,
            [f"no {', '.join(missing)} for {tables.whose()}; add them from the specification"],
            missing,
        )
    by_number = {u.number: u for u in (units or qualification.units.all())}
    grades: dict[str, str] = {}
    for key, value in unit_grades.items():
        number = str(getattr(key, "number", key)).strip()
        if units is None and number not in by_number:
            return _refused(tables, [f"unit {number} is not a unit of {qualification.number}"])
        if number not in by_number:
            continue
        if value in (None, ""):
            continue  # not graded yet
        try:
            grades[number] = _grade(value)
        except GradingError as exc:
            return _refused(tables, [f"unit {number}: {exc}"])
    if units is None:
        combination = [u for u in by_number.values() if u.mandatory or u.number in grades]
    else:
        combination = list(by_number.values())

    reasons = []
    for unit in combination:
        grade = grades.get(unit.number)
        if grade == UnitGrade.N and unit.assessment != Unit.Assessment.EXTERNAL:
            reasons.append(NEAR_PASS_INTERNAL.format(unit=unit.number))
    ungraded = [u.number for u in combination if u.number not in grades]
    if ungraded:
        reasons.append(f"no grade yet for unit {', '.join(ungraded)}")
    if reasons:
        return _refused(tables, reasons)

    try:
        points = sum(tables.points_for(u.glh, grades[u.number]) for u in combination)
    except GradingTablesMissing as exc:
        return _refused(tables, [str(exc)], exc.missing)

    unmet = [
        f"eligibility rule not met: {rule.describe()} ({why})"
        for rule in tables.eligibility.rules.all()
        if (why := rule_unmet(rule, combination, grades, qualification))
    ]
    if unmet:
        return Estimate(points=points, reasons=tuple(unmet), **_provenance(tables))

    reached = [t for t in tables.thresholds.thresholds.all() if t.min_points <= points]
    if not reached:
        return _refused(
            tables, [f"the grade thresholds for {tables.whose()} have no grade for {points} points"]
        )
    return Estimate(grade=reached[-1].grade, points=points, **_provenance(tables))


def rule_unmet(rule: EligibilityRule, combination, grades, qualification) -> str | None:
    """Why the learner's grades break the rule, or None when they meet it: the
    estimate's check, and claim readiness's, which reads the same rules once per cohort."""
    Kind = EligibilityRule.Kind
    if rule.kind == Kind.COMPLETE:
        glh = sum(u.glh for u in combination)
        if glh != qualification.glh:
            return f"the units come to {glh} GLH; the qualification is {qualification.glh}"
        return None
    named = rule.unit_numbers
    covered = [u for u in combination if not named or u.number in named]
    if named and (absent := [n for n in named if n not in {u.number for u in covered}]):
        return f"no grade for unit {', '.join(absent)}"
    floor = UNIT_GRADE_RANK[rule.minimum_grade]
    at_least = [u for u in covered if UNIT_GRADE_RANK[grades[u.number]] >= floor]
    if rule.kind == Kind.UNITS_AT_LEAST:
        below = [f"unit {u.number} is {grades[u.number]}" for u in covered if u not in at_least]
        return ", ".join(below) or None
    if rule.kind == Kind.GLH_AT_LEAST:
        glh = sum(u.glh for u in at_least)
        return None if glh >= rule.minimum else f"{glh} GLH are"
    count = len(at_least)
    return None if count >= rule.minimum else f"{count} {'is' if count == 1 else 'are'}"
