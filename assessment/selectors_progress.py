"""A learner's record of progress and achievement (policy 000-3.1.8: "ensure we have access
to our learner progress and achievement records").

For each programme (cohort) of the learner the reader may see: the qualification, the
registration's status, each unit with its current criterion decisions (achieved or not
yet, attempt, date, assessor, version), whether each decision counts as internally
verified (`verification.selectors_iv.internally_verified_ids`, the definition a claim
uses), the unit grade (`selectors_decisions.grade_from_decisions`, the grading of
`best_unit_grade`), the authorised resubmissions and retake, and any unit grade imported
from a tracking sheet (no criteria behind it).

Which programmes: those the permission layer reaches for the reader, through the
learner's teaching-group places and registrations (`scope()` on each). The learner's home
centre reaches all of them; a delivering centre only those whose groups it teaches the
learner in. A fixed number of queries whatever the number of programmes, units and
decisions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from accounts.permissions import scope
from learners.models import Cohort, TeachingGroup
from qualifications.grading import GradingError
from qualifications.models import Unit
from registrations.models import Registration
from verification.selectors_iv import internally_verified_ids

from .models import Attempt, CriterionDecision, ImportedUnitResult, Resubmission, Retake
from .selectors_decisions import grade_from_decisions

ATTEMPT_LABELS = dict(Attempt.choices)
Membership = TeachingGroup.learners.through


@dataclass
class DecisionLine:
    """One current decision on one criterion, in one attempt."""

    criterion: str
    achieved: bool
    attempt: str  # the label: "First submission", "Resubmission", "Retake"
    decided_on: object
    assessor: str
    assignment: str
    version: int
    internally_verified: bool

    @property
    def outcome(self) -> str:
        return "Achieved" if self.achieved else "Not yet"


@dataclass
class UnitProgress:
    unit: Unit
    criteria: list[str]
    decisions: list[DecisionLine] = field(default_factory=list)
    grade: str | None = None  # from the decisions; None when there are none
    grade_attempt: str = ""
    capped: bool = False
    grade_problem: str = ""
    imported: ImportedUnitResult | None = None
    resubmissions: list[Resubmission] = field(default_factory=list)
    retake: Retake | None = None

    @property
    def verified_count(self) -> int:
        return sum(1 for d in self.decisions if d.internally_verified)

    @property
    def iv_status(self) -> str:
        """Whether the unit's decisions count as internally verified for a claim."""
        if not self.decisions:
            if self.imported is not None:
                return "Imported grade: no decisions behind it to verify"
            return "No decisions yet"
        if self.verified_count == len(self.decisions):
            return "All decisions internally verified"
        if self.verified_count == 0:
            return "Not yet internally verified"
        return f"{self.verified_count} of {len(self.decisions)} decisions internally verified"

    @property
    def grade_shown(self) -> str:
        """The grade as the page and the export give it, with where it came from."""
        if self.grade_problem:
            return f"Cannot be graded: {self.grade_problem}"
        if self.grade is not None and self.decisions:
            note = {"resubmission": " (with the resubmission)", "retake": " (retake)"}.get(
                self.grade_attempt, ""
            )
            return f"{self.grade}{note}{', capped' if self.capped else ''}"
        if self.imported is not None:
            return f"{self.imported.grade} (imported from a tracking sheet)"
        return "—"


@dataclass
class CohortProgress:
    cohort: Cohort
    registration: Registration | None
    groups: list[str]
    units: list[UnitProgress]

    @property
    def registration_status(self) -> str:
        if self.registration is None:
            return "Not registered"
        return self.registration.get_status_display()


@dataclass
class Progress:
    learner: object
    cohorts: list[CohortProgress]


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _chosen_registrations(rows) -> dict[int, Registration]:
    """One registration per cohort: the live one, else the latest."""
    chosen: dict[int, Registration] = {}
    for reg in rows:
        held = chosen.get(reg.cohort_id)
        if held is None or reg.is_live or not held.is_live:
            chosen[reg.cohort_id] = reg
    return chosen


def learner_progress(user, perm: str, learner) -> Progress:
    """The learner's record on every programme `perm` lets `user` see (about 12 queries)."""
    places = list(
        scope(user, perm, Membership.objects.filter(learner_id=learner.pk)).values_list(
            "teachinggroup__cohort_id", "teachinggroup__name", "teachinggroup__academic_year"
        )
    )
    registrations = list(
        scope(user, perm, Registration.objects.filter(learner_id=learner.pk))
        .prefetch_related("optional_units")
        .order_by("pk")
    )
    cohort_ids = {c for c, _, _ in places} | {r.cohort_id for r in registrations}
    if not cohort_ids:
        return Progress(learner, [])
    cohorts = list(
        Cohort.objects.filter(pk__in=cohort_ids)
        .select_related("qualification__family", "centre")
        .prefetch_related("optional_units")
        .order_by("-start_year", "qualification__title", "pk")
    )
    # A delivering centre reads the registration of the programmes it teaches the learner
    # on (its status is part of the record); the home centre has them all from scope().
    by_cohort = _chosen_registrations(registrations)
    if missing := cohort_ids - set(by_cohort):
        by_cohort.update(
            _chosen_registrations(
                Registration.objects.filter(learner_id=learner.pk, cohort_id__in=missing)
                .prefetch_related("optional_units")
                .order_by("pk")
            )
        )
    groups = defaultdict(list)
    for cohort_id, name, year in sorted(places, key=lambda p: (p[2], p[1])):
        groups[cohort_id].append(f"{name} ({year})")

    units_of = defaultdict(list)
    for unit in (
        Unit.objects.filter(qualification_id__in={c.qualification_id for c in cohorts})
        .prefetch_related("criteria")
        .order_by("sort_key", "number", "pk")
    ):
        units_of[unit.qualification_id].append(unit)

    current = CriterionDecision.objects.filter(
        learner_id=learner.pk, current=True, assignment__plan__cohort_id__in=sorted(cohort_ids)
    )
    decisions = list(
        current.select_related("criterion", "assessor", "assignment__plan").order_by(
            "assignment__unit__sort_key", "criterion__code", "attempt", "pk"
        )
    )
    verified = internally_verified_ids(current) if decisions else set()
    resubmissions = list(
        Resubmission.objects.filter(
            learner_id=learner.pk, assignment__plan__cohort_id__in=cohort_ids
        )
        .select_related("assignment__plan", "authorised_by")
        .order_by("authorised_on", "pk")
    )
    retakes = list(
        Retake.objects.filter(learner_id=learner.pk, assignment__plan__cohort_id__in=cohort_ids)
        .select_related("assignment__plan", "authorised_by")
        .order_by("authorised_on", "pk")
    )
    imported = {
        (r.cohort_id, r.unit_id): r
        for r in ImportedUnitResult.objects.filter(
            learner_id=learner.pk, cohort_id__in=cohort_ids, current=True
        ).select_related("imported_by")
    }

    by_key = defaultdict(list)
    for d in decisions:
        by_key[(d.assignment.plan.cohort_id, d.assignment.unit_id)].append(d)
    resubs = defaultdict(list)
    for r in resubmissions:
        resubs[(r.assignment.plan.cohort_id, r.assignment.unit_id)].append(r)
    retake_of = {(r.assignment.plan.cohort_id, r.unit_id): r for r in retakes}

    out = []
    for cohort in cohorts:
        reg = by_cohort.get(cohort.pk)
        chosen = {u.pk for u in (reg.optional_units.all() if reg else [])} or {
            u.pk for u in cohort.optional_units.all()
        }
        family = cohort.qualification.family
        cap = family.retake_cap if family else "P"
        units = []
        for unit in units_of[cohort.qualification_id]:
            key = (cohort.pk, unit.pk)
            rows = by_key.get(key, [])
            if not (
                unit.mandatory
                or unit.pk in chosen
                or rows
                or key in imported
                or key in resubs
                or key in retake_of
            ):
                continue
            item = UnitProgress(
                unit=unit,
                criteria=sorted(c.code for c in unit.criteria.all()),
                imported=imported.get(key),
                resubmissions=resubs.get(key, []),
                retake=retake_of.get(key),
            )
            item.decisions = [
                DecisionLine(
                    criterion=d.criterion.code,
                    achieved=d.achieved,
                    attempt=ATTEMPT_LABELS.get(d.attempt, d.attempt),
                    decided_on=d.decided_on,
                    assessor=_name(d.assessor),
                    assignment=d.assignment.title,
                    version=d.version,
                    internally_verified=d.pk in verified,
                )
                for d in rows
            ]
            if rows and item.criteria:
                try:
                    best = grade_from_decisions(
                        [(d.criterion.code, d.attempt, d.achieved, d.assignment_id) for d in rows],
                        item.criteria,
                        resubmitted={r.assignment_id for r in item.resubmissions},
                        retake_assignment_id=item.retake.assignment_id if item.retake else None,
                        cap=cap,
                    )
                except GradingError as exc:
                    item.grade_problem = str(exc)
                else:
                    item.grade = best["grade"]
                    item.grade_attempt = best["attempt"] or ""
                    item.capped = best["capped"]
            units.append(item)
        out.append(CohortProgress(cohort, reg, groups.get(cohort.pk, []), units))
    return Progress(learner, out)


@dataclass
class CentreProgress:
    """The progress and achievement records of a centre's learners for one year, counted
    (policy 000-3.1.8, the yearly monitoring): what `learner_progress` shows the home
    centre, read for all its learners at once."""

    learners: int
    units_decided: int
    imported: int
    bare: list[UnitProgress]  # imported grades with no decisions behind them, with learners


def centre_progress(centre, academic_year: str) -> CentreProgress:
    """The centre's learners on a programme (a teaching-group place or a registration) in a
    cohort taught in the year, wherever it is taught; the units with current decisions; the
    grades imported from a tracking sheet and those with no decisions behind them (the
    record's "Imported grade: no decisions behind it to verify"). Three queries."""
    from django.db.models import Exists, OuterRef

    from learners.models import Learner

    taught = Cohort.objects.covering(academic_year).values("pk")
    learners = (
        Learner.objects.filter(centre=centre)
        .filter(
            Exists(
                Membership.objects.filter(learner=OuterRef("pk"), teachinggroup__cohort__in=taught)
            )
            | Exists(Registration.objects.filter(learner=OuterRef("pk"), cohort__in=taught))
        )
        .count()
    )
    current = CriterionDecision.objects.filter(
        learner__centre=centre, current=True, assignment__plan__cohort__in=taught
    )
    decided = (
        current.order_by()
        .values_list("learner_id", "assignment__plan__cohort_id", "assignment__unit_id")
        .distinct()
        .count()
    )
    behind = CriterionDecision.objects.filter(
        learner=OuterRef("learner"),
        current=True,
        assignment__plan__cohort=OuterRef("cohort"),
        assignment__unit=OuterRef("unit"),
    )
    imported = list(
        ImportedUnitResult.objects.filter(learner__centre=centre, cohort__in=taught, current=True)
        .annotate(decided=Exists(behind))
        .select_related("learner", "cohort__qualification", "unit")
        .order_by("learner__last_name", "learner__first_name", "learner_id", "unit__sort_key")
    )
    bare = [UnitProgress(unit=r.unit, criteria=[], imported=r) for r in imported if not r.decided]
    return CentreProgress(learners, decided, len(imported), bare)


def progress_sheets(progress: Progress) -> list[tuple[str, list, list]]:
    """The record as XLSX sheets (for documents.xlsx.xlsx_bytes): units, then decisions."""
    learner = progress.learner
    who = [f"{learner.last_name.upper()}, {learner.first_name}", learner.uln or ""]
    units, decisions = [], []
    for cp in progress.cohorts:
        programme = [
            cp.cohort.centre.number,
            cp.cohort.qualification.number,
            cp.cohort.qualification.title,
            cp.cohort.span,
            cp.registration_status,
            cp.registration.registration_number if cp.registration else "",
        ]
        for u in cp.units:
            units.append(
                [
                    *who,
                    *programme,
                    u.unit.number,
                    u.unit.title,
                    u.grade_shown,
                    u.iv_status,
                    "; ".join(
                        f"{r.assignment.title}, authorised {r.authorised_on:%d/%m/%Y}"
                        for r in u.resubmissions
                    ),
                    f"{u.retake.assignment.title}, authorised {u.retake.authorised_on:%d/%m/%Y}"
                    if u.retake
                    else "",
                    u.imported.grade if u.imported else "",
                ]
            )
            for d in u.decisions:
                decisions.append(
                    [
                        *who,
                        cp.cohort.qualification.number,
                        cp.cohort.span,
                        u.unit.number,
                        d.criterion,
                        d.outcome,
                        d.attempt,
                        d.decided_on,
                        d.assessor,
                        d.assignment,
                        d.version,
                        "yes" if d.internally_verified else "no",
                    ]
                )
    head = ["Learner", "ULN"]
    return [
        (
            "Units",
            [
                *head,
                "Centre",
                "Qualification number",
                "Qualification",
                "Programme",
                "Registration status",
                "Registration number",
                "Unit",
                "Unit title",
                "Unit grade",
                "Internal verification",
                "Resubmissions",
                "Retake",
                "Imported grade",
            ],
            units,
        ),
        (
            "Decisions",
            [
                *head,
                "Qualification number",
                "Programme",
                "Unit",
                "Criterion",
                "Decision",
                "Attempt",
                "Date",
                "Assessor",
                "Assignment",
                "Version",
                "Internally verified",
            ],
            decisions,
        ),
    ]
