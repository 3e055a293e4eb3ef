"""Claim readiness: is each learner of a cohort ready to be claimed, and if not, why not.

A learner is ready only when all of these hold (issue 13 part 1; domain.md 3.8, 3.11):

1. **A valid combination, every unit with an outcome.** The combination is the
   qualification's mandatory units and the learner's optional units (the registration's,
   else the cohort's), checked with `qualifications.services.combination_problems`. An
   internal unit has an outcome when every one of its criteria has a current decision in a
   permitted attempt (first submission, an authorised resubmission, a retake).
2. **Internal grades rest on internally verified decisions.** Every current decision of
   the learner on the cohort's assignments counts as internally verified by
   `verification.selectors_iv.not_yet_verified(cohort)` (its docstring is the definition);
   each that does not is a blocker with the reason the IV read gives. The decisions are
   read once for the grades and their IV state both (`selectors_iv.CohortIV`, held to
   `iv_reason` by tests/test_iv_cohort.py). A grade typed into a
   tracking sheet (assessment.ImportedUnitResult) has no decisions behind it: a blocker.
3. **External results imported from Pearson's results file.** An external unit is a
   blocker until a current `claims.ExternalResult` (imported from Pearson's results file,
   `claims.services_results`) exists for the learner and unit, in any series; a
   tracking-sheet grade for it never counts. With results in several series (a resit) the
   best grade is the one the eligibility rules read.
4. **The SV report is Released:** `verification.selectors_sv.sv_claims_gate`. For an
   interim (unit) claim this is only a warning, unless the year's SV configuration blocks.
5. **The gap since registration** (claims.config.claim_gap_weeks, 10 weeks by default)
   has passed by today: from the registration's `registered_on` (else `submitted_on`).
6. **Not withdrawn** (nor transferred or deleted), registered with Pearson, and **the
   eligibility rules** of the cohort's grading tables met by the unit grades (checked once
   every unit has a grade; no eligibility table configured is a warning).

`claim_readiness` runs a fixed number of queries whatever the size of the cohort.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Value
from django.urls import reverse
from django.utils import timezone

from assessment.models import (
    Attempt,
    CriterionDecision,
    ImportedUnitResult,
    PlannedAssignment,
    Resubmission,
    Retake,
)
from assessment.selectors_decisions import grade_from_decisions
from btecqa.aggregates import Joined, split
from learners.models import _shift
from qualifications.grading import rule_unmet
from qualifications.models import UNIT_GRADE_RANK, Qualification, Unit
from qualifications.selectors import grading_tables
from qualifications.services import combination_problems
from registrations.models import Registration
from verification.selectors_iv import VERIFIED, cohort_iv, iv_covered, reason_text
from verification.selectors_sv import sv_claims_gate

from .config import claim_deadline, claim_gap_weeks
from .models import GRADE_WORDS, ExternalResult, ResultsImport

EXTERNAL_NOT_IMPORTED = (
    "Unit {unit}: external result not yet imported from Pearson's results file{typed}"
)


UNITS = "units"


@dataclass(frozen=True)
class Blocker:
    text: str
    url: str = ""
    # "units": a unit without an outcome yet, the combination or the eligibility rules,
    # which an interim (or fallback) claim is not stopped by; "" for the others.
    about: str = ""


@dataclass
class LearnerReadiness:
    learner_id: int
    uln: str
    name: str
    status: str
    blockers: list[Blocker] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    registration_id: int | None = None
    unit_grades: dict = field(default_factory=dict)  # unit number -> grade code, as read

    @property
    def ready(self) -> bool:
        return not self.blockers

    def line(self) -> str:
        """One line for the command: ULN, name, then "ready" or the blockers."""
        what = "ready" if self.ready else "; ".join(b.text for b in self.blockers)
        return f"{self.uln or 'no ULN'}  {self.name}: {what}"


@dataclass
class Readiness:
    cohort: object
    academic_year: str
    interim: bool
    gap_weeks: int
    deadline: dt.date
    today: dt.date
    gate: object
    learners: list[LearnerReadiness]
    warnings: list[str] = field(default_factory=list)

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def days_over(self) -> int:
        return -self.days_left

    @property
    def ready_count(self) -> int:
        return sum(1 for r in self.learners if r.ready)

    @property
    def all_ready(self) -> bool:
        return all(r.ready for r in self.learners)


def final_year(cohort) -> str:
    """The academic year the cohort finishes in: the year of its full-award claim."""
    return _shift(cohort.start_year, max(cohort.years, 1) - 1)


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


@dataclass
class _Registration:
    """The few fields of a registration (and its learner) that readiness reads."""

    pk: int
    learner_id: int
    status: str
    registered_on: dt.date | None
    submitted_on: dt.date | None
    ended_on: dt.date | None
    uln: str | None
    first_name: str
    last_name: str
    optional_units: list = field(default_factory=list)

    @property
    def status_display(self) -> str:
        return _STATUS_WORDS.get(self.status, self.status)


_STATUS_WORDS = {value: str(label) for value, label in Registration.Status.choices}


def _registrations(cohort, units) -> list[_Registration]:
    """One registration per learner: the live one, else the latest ended one, with its
    optional units (2 queries: rows, not model instances; `units` by pk, the
    qualification's, are reused)."""
    rows = (
        Registration.objects.filter(cohort=cohort)
        .exclude(status__in=[Registration.Status.DROPPED, Registration.Status.DELETED])
        .order_by("learner__last_name", "learner__first_name", "learner_id", "pk")
        .values_list(
            "pk",
            "learner_id",
            "status",
            "registered_on",
            "submitted_on",
            "ended_on",
            "learner__uln",
            "learner__first_name",
            "learner__last_name",
        )
    )
    live = Registration.ACTIVE
    chosen: dict[int, _Registration] = {}
    for row in rows:
        held = chosen.get(row[1])
        if held is None or row[2] in live or held.status not in live:
            chosen[row[1]] = _Registration(*row)
    by_pk = {reg.pk: reg for reg in chosen.values()}
    for link in (
        Registration.optional_units.through.objects.filter(registration__cohort=cohort)
        .select_related("unit")
        .order_by("unit__qualification", "unit__sort_key", "unit__number")
    ):
        if reg := by_pk.get(link.registration_id):
            reg.optional_units.append(units.get(link.unit_id) or link.unit)
    return list(chosen.values())


def _grades(cohort, units, family, iv):
    """Per (learner, unit): the codes decided and the grade, from the cohort's current
    decisions, authorised resubmissions and retakes; and per learner the decisions that do
    not count as internally verified yet, grouped by assignment × attempt as
    `not_yet_verified` groups them (2 queries).

    The decisions are read once, grouped in SQL by learner × assignment × attempt ×
    assessor and the row's own IV coverage (`iv_covered()`): everything
    `verification.selectors_iv.CohortIV.reason` needs is the same for each row of such a
    group, so a group carries its criterion codes and those achieved (`Joined`), and a
    cohort of 300 learners × 10 units is 3,000 rows instead of 12,000."""
    groups = (
        CriterionDecision.objects.filter(assignment__plan__cohort=cohort, current=True)
        .order_by("learner_id", "assignment_id", "attempt")  # first, resubmission, retake
        .annotate(iv_covered=iv_covered())
        .values(
            "learner_id",
            "assignment__unit_id",
            "assignment_id",
            "attempt",
            "assessor_id",
            "assignment__assessor_id",
            "iv_covered",
        )
        .annotate(
            codes=Joined("criterion__code"),
            achieved=Joined("criterion__code", filter=Q(achieved=True)),
        )
        .values_list(
            "learner_id",
            "assignment__unit_id",
            "assignment_id",
            "attempt",
            "assessor_id",
            "assignment__assessor_id",
            "iv_covered",
            "codes",
            "achieved",
        )
    )
    # the authorised resubmissions and retakes, the two tables read as one UNION
    resubmitted, retakes = set(), {}
    for learner_id, unit_id, assignment_id, kind in (
        Retake.objects.filter(unit__qualification_id=cohort.qualification_id)
        .order_by()
        .annotate(kind=Value("retake"))
        .values_list("learner_id", "unit_id", "assignment_id", "kind")
        .union(
            Resubmission.objects.filter(assignment__plan__cohort=cohort)
            .order_by()
            .annotate(kind=Value("resubmission"))
            .values_list("learner_id", "assignment__unit_id", "assignment_id", "kind"),
            all=True,
        )
    ):
        if kind == "retake":
            retakes[(learner_id, unit_id)] = assignment_id
        else:
            resubmitted.add((learner_id, assignment_id))
    by_learner_resubmitted = defaultdict(set)
    for learner_id, assignment_id in resubmitted:
        by_learner_resubmitted[learner_id].add(assignment_id)
    decided = {}  # (learner, unit) -> the codes decided in a permitted attempt
    cells = defaultdict(list)  # (learner, unit) -> [(attempt, assignment, achieved codes)]
    # (learner, assignment, attempt) -> [reason, codes]: in learner × assignment × attempt
    # order, as the query gives the groups
    unverified = {}
    code_set = {}  # joined codes -> (a frozenset, sorted): most learners share them
    first, resubmission, retake = Attempt.FIRST, Attempt.RESUBMISSION, Attempt.RETAKE
    iv_state = iv.reason
    for learner_id, unit_id, assignment_id, attempt, by, assigned, covered, codes, ok in groups:
        key = (learner_id, unit_id)
        if ok:
            cells[key].append((attempt, assignment_id, ok))
        if (these := code_set.get(codes)) is None:
            listed = sorted(split(codes))
            these = code_set[codes] = (frozenset(listed), listed)
        if (
            attempt == first
            or (attempt == resubmission and (learner_id, assignment_id) in resubmitted)
            or (attempt == retake and retakes.get(key) == assignment_id)
        ):
            held = decided.get(key)
            decided[key] = these[0] if held is None else held | these[0]
        reason = iv_state(learner_id, assignment_id, attempt, by, assigned, covered)
        if reason != VERIFIED:
            group = (learner_id, assignment_id, attempt)
            entry = unverified.get(group)
            if entry is None:
                unverified[group] = (reason, these[1])
            else:
                # a group read in parts (two assessors, or some rows covered by their own
                # IV): the reason of the lowest criterion code, as a read in criterion
                # order meets it first
                listed = sorted(entry[1] + these[1])
                lower = these[1][0] < entry[1][0]
                unverified[group] = (reason if lower else entry[0], listed)
    cap = family.retake_cap if family else "P"
    codes_of = {u.pk: [c.code for c in u.criteria.all()] for u in units}
    resubmitted_of = {k: frozenset(v) for k, v in by_learner_resubmitted.items()}
    none = frozenset()
    grades, seen = {}, {}
    for key in decided:
        codes = codes_of.get(key[1])
        if not codes:
            continue
        # The same rule as the unit's own page (assessment's best_unit_grade), on rows read
        # once; a pure function of its arguments, so each distinct cell is graded once.
        resub = resubmitted_of.get(key[0], none)
        retake_id = retakes.get(key)
        cell = cells.get(key, ())
        memo = (key[1], frozenset(cell), resub, retake_id)
        if memo not in seen:
            rows = [
                (code, attempt, True, assignment_id)
                for attempt, assignment_id, achieved in cell
                for code in split(achieved)
            ]
            seen[memo] = grade_from_decisions(
                rows, codes, resubmitted=resub, retake_assignment_id=retake_id, cap=cap
            )["grade"]
        grades[key] = seen[memo]
    return decided, grades, unverified


def _typed_and_external(cohort, qualification):
    """(the tracking sheet's grades, the best grade Pearson's results file gave) per
    (learner, unit): one query, the two tables read as one UNION."""
    fields = ("learner_id", "unit_id", "grade", "source_kind")
    sheet = (
        ImportedUnitResult.objects.filter(cohort=cohort, current=True)
        .order_by()
        .annotate(source_kind=Value("sheet"))
        .values_list(*fields)
    )
    pearson = (
        ExternalResult.objects.filter(
            learner_id__in=Registration.objects.filter(cohort=cohort).values("learner_id"),
            unit__qualification=qualification,
            current=True,
        )
        .order_by()
        .annotate(source_kind=Value("pearson"))
        .values_list(*fields)
    )
    typed, external = {}, {}
    for learner_id, unit_id, grade, kind in sheet.union(pearson, all=True):
        key = (learner_id, unit_id)
        if kind == "sheet":
            typed[key] = grade
            continue
        code = GRADE_WORDS.get(" ".join(grade.split()).casefold(), "")
        if key not in external or UNIT_GRADE_RANK.get(code, -1) > UNIT_GRADE_RANK.get(
            external[key], -1
        ):
            external[key] = code
    return typed, external


def claim_readiness(
    cohort, academic_year: str | None = None, *, interim: bool = False, today: dt.date | None = None
) -> Readiness:
    """Each learner of the cohort with the blockers that stop a claim for `academic_year`
    (default: the cohort's final year), each with a link to fix it, and the warnings.

    interim=True: an interim (unit) claim, where an unreleased SV report only warns.
    A fixed number of queries (about 20) whatever the number of learners and units."""
    academic_year = academic_year or final_year(cohort)
    today = today or timezone.localdate()
    qualification = Qualification.objects.select_related("family").get(pk=cohort.qualification_id)
    units = list(Unit.objects.filter(qualification=qualification).prefetch_related("criteria"))
    mandatory = [u for u in units if u.mandatory]
    mandatory_glh = sum(u.glh for u in mandatory)
    code_sets = {u.pk: {c.code for c in u.criteria.all()} for u in units}
    cohort_optional = list(cohort.optional_units.all())
    registrations = _registrations(cohort, {u.pk: u for u in units})
    iv = cohort_iv(cohort)
    decided, grades, not_verified = _grades(cohort, units, qualification.family, iv)
    since = iv.open_since
    typed, external = _typed_and_external(cohort, qualification)
    tables = grading_tables(qualification, cohort.start_year)
    rules = list(tables.eligibility.rules.all()) if tables.eligibility else None
    gate = sv_claims_gate(cohort, academic_year)
    gap = claim_gap_weeks(academic_year)

    links = {
        "cohort": reverse("learners:cohort_detail", args=[cohort.pk]),
        "cohort_edit": reverse("learners:cohort_edit", args=[cohort.pk]),
        "iv": reverse("verification:iv_queue"),
        "sv": reverse("verification:sv_list"),
        "rounds": reverse("registrations:round_list"),
        "changes": reverse("registrations:change_list"),
        "results": reverse("claims:results_import"),
    }
    grid_for, assignment_names = {}, {}
    for assignment_id, unit_id, title, unit_number, unit_title in (
        PlannedAssignment.objects.filter(plan__cohort=cohort)
        .order_by("pk")
        .values_list("pk", "unit_id", "title", "unit__number", "unit__title")
    ):
        grid_for.setdefault(unit_id, reverse("assessment:decisions_grid", args=[assignment_id]))
        assignment_names[assignment_id] = (f"Unit {unit_number}: {unit_title}", title)
    # 2. the IV blockers' words, per learner in assignment order (as not_yet_verified gives them)
    unverified = defaultdict(list)
    worded = {}  # the same words for learners with the same assignment, reason and criteria
    for (learner_id, assignment_id, attempt), (reason, codes) in not_verified.items():
        when = since.get((learner_id, assignment_id, attempt))
        memo = (assignment_id, attempt, reason, when, tuple(codes))
        if (blocker := worded.get(memo)) is None:
            unit_name, title = assignment_names[assignment_id]
            why = reason_text(reason, when)
            blocker = worded[memo] = Blocker(
                f"{unit_name}, {title}"
                f"{'' if attempt == Attempt.FIRST else ' (' + attempt + ')'}: "
                f"not internally verified ({why}; {', '.join(sorted(codes))})",
                links["iv"],
            )
        unverified[learner_id].append((assignment_id, blocker))  # in assignment order

    out = []
    combinations = {}  # optional unit ids -> (combination problems, the units in order)
    for reg in registrations:
        learner_id = reg.learner_id
        status = reg.status_display
        item = LearnerReadiness(
            learner_id=learner_id,
            uln=reg.uln or "",
            name=f"{reg.first_name} {reg.last_name}",
            status=status,
            registration_id=reg.pk,
        )
        block = item.blockers.append
        # 6. withdrawn, transferred; not yet registered with Pearson
        if reg.status in (Registration.Status.WITHDRAWN, Registration.Status.TRANSFERRED):
            when = f" on {_day(reg.ended_on)}" if reg.ended_on else ""
            block(Blocker(f"{status}{when}: not to be claimed", links["changes"]))
        elif reg.status != Registration.Status.REGISTERED:
            block(Blocker(f"not registered with Pearson yet ({status})", links["rounds"]))
        # 5. the gap since registration
        registered = reg.registered_on or reg.submitted_on
        if reg.status == Registration.Status.REGISTERED:
            if registered is None:
                block(
                    Blocker(
                        "no registration date recorded, so the "
                        f"{gap}-week gap before a claim cannot be checked",
                        links["changes"],
                    )
                )
            elif today < (claim_from := registered + dt.timedelta(weeks=gap)):
                block(
                    Blocker(
                        f"registered on {_day(registered)}: {gap} weeks must pass before a claim, "
                        f"so not before {_day(claim_from)}",
                        links["changes"],
                    )
                )
        # 1. a valid combination
        optional = reg.optional_units or cohort_optional
        chosen = tuple(u.pk for u in optional)
        if chosen not in combinations:
            combinations[chosen] = (
                combination_problems(qualification, optional, mandatory_glh=mandatory_glh),
                sorted(
                    mandatory + [u for u in optional if not u.mandatory],
                    key=lambda u: (u.sort_key, u.number),
                ),
            )
        problems, combination = combinations[chosen]
        if problems:
            block(
                Blocker(
                    "rule of combination not met: " + "; ".join(problems),
                    links["cohort_edit"],
                    UNITS,
                )
            )
        unit_grades = {}
        for unit in combination:
            key = (learner_id, unit.pk)
            if unit.assessment == Unit.Assessment.EXTERNAL:
                # 3. a current result from Pearson's file; never a tracking-sheet grade
                if key in external:
                    if external[key]:
                        unit_grades[unit.number] = external[key]
                    continue
                note = ""
                if key in typed:
                    note = f" (the tracking sheet's {typed[key]} does not count)"
                block(
                    Blocker(
                        EXTERNAL_NOT_IMPORTED.format(unit=unit.number, typed=note),
                        links["results"],
                        UNITS,
                    )
                )
                continue
            codes = code_sets.get(unit.pk) or {c.code for c in unit.criteria.all()}
            got = decided.get(key)
            done = codes if got is not None and got >= codes else (got or set()) & codes
            if key in typed and not done:
                block(
                    Blocker(
                        f"Unit {unit.number}: the grade {typed[key]} comes from a tracking sheet, "
                        "with no internally verified decisions behind it",
                        grid_for.get(unit.pk, links["cohort"]),
                        UNITS,
                    )
                )
            elif not codes or done != codes:
                block(
                    Blocker(
                        f"Unit {unit.number}: no outcome yet ({len(done)} of {len(codes)} criteria "
                        "decided)",
                        grid_for.get(unit.pk, links["cohort"]),
                        UNITS,
                    )
                )
            else:
                unit_grades[unit.number] = grades[key]
        # 2. internally verified decisions
        for _assignment_id, blocker in unverified.get(learner_id, ()):
            block(blocker)
        # 4. the SV report
        if not gate.clear:
            if interim and not gate.blocks:
                item.warnings.append(gate.warning)
            else:
                block(Blocker(gate.warning, links["sv"]))
        # 6. eligibility rules, once every unit has a grade
        if rules is not None and len(unit_grades) == len(combination):
            grade_of = unit_grades
            for rule in rules:
                if why := rule_unmet(rule, combination, grade_of, qualification):
                    block(
                        Blocker(
                            f"eligibility rule not met: {rule.describe()} ({why})",
                            links["cohort"],
                            UNITS,
                        )
                    )
        item.unit_grades = unit_grades
        out.append(item)

    warnings = []
    if rules is None:
        warnings.append(
            f"No eligibility rules are configured for {qualification.number}, so they are not "
            "checked: add them from the specification"
        )
    return Readiness(
        warnings=warnings,
        cohort=cohort,
        academic_year=academic_year,
        interim=interim,
        gap_weeks=gap,
        deadline=claim_deadline(academic_year),
        today=today,
        gate=gate,
        learners=out,
    )


def waiting_previews(queryset):
    """The kept previews still waiting to be confirmed or discarded (the upload page)."""
    return (
        queryset.filter(status=ResultsImport.Status.PREVIEWED)
        .exclude(stored_file="")
        .select_related("centre", "uploaded_by")
        .order_by("-created_at")
    )
