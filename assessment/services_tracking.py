"""What the office does with tracking sheets: sign them off, export them, import them.

Sign-off (policy 004, certification): "tracking sheets will be checked by the class teacher
and the programme lead to ensure final assessment decisions are accurate". Each signs the
sheet's snapshot (signatures.services.sign: password re-entered, content unchanged since
the page was opened); both signatures are kept and shown, each against its version.

Import: a school's own spreadsheet (XLSX or CSV, one row per learner, found by ULN or
candidate number) in one of two layouts: one column per unit headed ``Unit N`` holding
U/P/M/D (N, Near Pass, for an externally assessed unit only), or one column per criterion
headed ``Unit N <code>`` holding Y. A unit grade is refused for a unit the learner has
assessment decisions on, unless it is the grade the sheet works out from them (so the
sheet's own export imports back unchanged); criteria are refused for a unit the learner
has an imported unit grade for (they would hide it). Read through the
tabular framework (file checks, header detection, typed cells, problems naming row, column
and reason). A file with any problem writes nothing; a clean one is written in one
transaction: unit grades as ImportedUnitResult rows (who imported them, when, from which
file), criteria as CriterionDecision rows on the plan's assignment covering the criterion,
with an audit event for every learner whose records change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

import audit
from documents.xlsx import Column, Sheet, xlsx_bytes
from learners import cells as learner_cells
from learners.models import Learner
from qualifications.models import Unit
from signatures import services as signing
from tabular.cells import Choice, Text
from tabular.columns import Field, Layout
from tabular.pipeline import RowsPreview, RowsSink, read_into, sha256
from tabular.problems import ImportRefused, Problem
from tabular.rowlog import Row
from tabular.services import confirm_kept, keep_preview

from . import events_tracking as events
from .models import (
    CriterionDecision,
    ImportedUnitResult,
    PlannedAssignment,
    TrackingImport,
    TrackingSheet,
)
from .selectors_tracking import cohort_units, tracking_sheet

# --------------------------------------------------------------------------- sign-off


class SignedAs(TextChoices):
    CLASS_TEACHER = "class_teacher", "Class teacher"
    PROGRAMME_LEADER = "programme_leader", "Programme leader"


def sheet_for(cohort, group=None) -> TrackingSheet:
    sheet, _ = TrackingSheet.objects.get_or_create(cohort=cohort, teaching_group=group)
    return sheet


def sign_off(sheet: TrackingSheet, *, user, password: str, seen_sha256: str, signed_as):
    """One of the two sign-offs: the class teacher's or the programme leader's."""
    return signing.sign(
        sheet, user=user, password=password, role=SignedAs(signed_as), seen_sha256=seen_sha256
    )


@dataclass
class SignOff:
    role: str
    label: str
    signature: object = None  # the latest Signature in this role, or None
    current: bool = False  # it signed what the sheet shows now


def sign_offs(sheet: TrackingSheet | None, current_sha256: str) -> list[SignOff]:
    """Both sign-offs, each the latest in its role, and whether it still holds (2 queries)."""
    latest = {}
    if sheet is not None and sheet.pk:
        for s in signing.signatures(sheet).order_by("signed_at", "pk"):
            latest[s.role] = s
    out = []
    for role in SignedAs:
        s = latest.get(role.value)
        out.append(SignOff(role.value, role.label, s, bool(s) and s.sha256 == current_sha256))
    return out


# --------------------------------------------------------------------------- export


def export_rows(cohort, *, group=None, user=None, perm=None) -> tuple[list[str], list[list]]:
    sheet = tracking_sheet(cohort, group=group, user=user, perm=perm)
    return sheet.headings(), sheet.table()


def export_xlsx(cohort, *, group=None, user=None, perm=None) -> bytes:
    """The tracking sheet as XLSX: ULN, Candidate number, Learner, Unit N…, Points,
    Estimated grade (every estimate says it is one)."""
    headings, rows = export_rows(cohort, group=group, user=user, perm=perm)
    columns = [Column(h, 14) if h.startswith("Unit ") else h for h in headings]
    return xlsx_bytes([Sheet("Tracking sheet", columns, rows)])


# --------------------------------------------------------------------------- import

GRADE = Choice(
    {g: g for g in ("U", "N", "P", "M", "D")},
    "bad grade: {text} is not a unit grade (U, P, M or D, or N for an externally assessed "
    "unit; leave it blank if not yet assessed)",
)
ACHIEVED = Choice(
    {"y": True, "yes": True},
    "bad value: {text} is not Y (Y for an achieved criterion; leave it blank if not)",
)
_UNIT_HEADING = re.compile(r"^\s*unit\s*([0-9]+[a-z]?)\s*(.*?)\s*$", re.IGNORECASE)
CHANGE, UNCHANGED, ERROR = "change", "unchanged", "error"


class TrackingRow(Row):
    __slots__ = ("learner", "results", "decisions")

    def __init__(self, row, effect=ERROR, vals=()):
        super().__init__(row, effect, vals)
        self.learner = None
        self.results = []  # (unit, grade) to import
        self.decisions = []  # (assignment, criterion) achieved


def _layout(units, criteria_by_unit) -> Layout:
    fields = [
        Field("uln", "ULN", ("ULN", "Unique Learner Number"), learner_cells.ULN),
        Field(
            "candidate_number",
            "candidate number",
            ("Candidate number", "Candidate No", "Cand No", "Exam Number"),
            learner_cells.CANDIDATE_NUMBER,
        ),
        Field("learner", "learner", ("Learner", "Name", "Student"), Text(), stored=False),
        Field("points", "points", ("Points",), Text(), stored=False),
        Field("estimate", "estimated grade", ("Estimated grade",), Text(), stored=False),
    ]
    for unit in units:
        fields.append(
            Field(f"unit:{unit.pk}", f"Unit {unit.number}", (f"Unit {unit.number}",), GRADE)
        )
        for criterion in criteria_by_unit.get(unit.pk, ()):
            heading = f"Unit {unit.number} {criterion.code}"
            fields.append(Field(f"crit:{criterion.pk}", heading, (heading,), ACHIEVED))
    return Layout(
        fields,
        examples="ULN, Candidate number, Unit 1",
        any_of={"learner identifier": ("uln", "candidate_number")},
        no_header=(
            "no header row: none of the first {rows} rows has a learner column and a unit "
            "column (such as {examples}); row {row} has: {found}"
        ),
    )


class TrackingPreview(RowsPreview):
    """A tabular RowsPreview; `changes` counts the learners whose records change."""


_Sink = RowsSink


class _Planner:
    """Finds each row's learner and what its cells would change (a few queries in all)."""

    def __init__(self, cohort, header, layout, units, criteria_by_unit):
        from registrations.models import Registration

        self.cohort, self.header, self.layout = cohort, header, layout
        self.units = {u.pk: u for u in units}
        self.criteria = {c.pk: c for cs in criteria_by_unit.values() for c in cs}
        centre_learners = Learner.objects.filter(centre_id=cohort.centre_id)
        self.by_uln, self.by_candidate = {}, defaultdict(list)
        for learner in centre_learners.only(
            "pk", "uln", "candidate_number", "first_name", "last_name", "centre_id"
        ):
            if learner.uln:
                self.by_uln[learner.uln] = learner
            if learner.candidate_number:
                self.by_candidate[learner.candidate_number].append(learner)
        self.on_cohort = set(
            Registration.objects.filter(cohort=cohort, status__in=Registration.ACTIVE).values_list(
                "learner_id", flat=True
            )
        )
        self.assignment_for = {}
        for assignment in (
            PlannedAssignment.objects.filter(plan__cohort=cohort)
            .prefetch_related("criteria")
            .order_by("plan__academic_year", "position", "pk")
        ):
            for criterion in assignment.criteria.all():
                self.assignment_for.setdefault(criterion.pk, assignment)
        self.decisions = {}
        self.decided_units = set()
        for d in CriterionDecision.objects.filter(
            current=True, assignment__plan__cohort=cohort
        ).select_related("criterion"):
            self.decided_units.add((d.learner_id, d.criterion.unit_id))
            if d.attempt == "first":
                self.decisions[(d.learner_id, d.assignment_id, d.criterion_id)] = d
        self.results = {
            (r.learner_id, r.unit_id): r
            for r in ImportedUnitResult.objects.filter(cohort=cohort, current=True)
        }
        # The grade the sheet shows for each unit with decisions: a unit-grade cell equal to
        # it is the sheet's own export coming back, unchanged. Read only when the file has
        # unit-grade columns and some learner has decisions (the sheet's fixed queries).
        self.computed = {}
        if self.decided_units and any(n.startswith("unit:") for n in header.used):
            sheet = tracking_sheet(cohort)
            for row in sheet.rows:
                for c in row.cells:
                    if (row.learner.pk, c.unit.pk) in self.decided_units:
                        self.computed[(row.learner.pk, c.unit.pk)] = c.grade
        self.seen = {}

    def plan(self, chunk):
        for r in chunk:
            self._plan(r)

    def _column(self, name):
        return self.header.names.get(name, name)

    def _plan(self, r: TrackingRow):
        values = self.layout.as_dict(r.vals)
        learner = None
        if values.get("uln"):
            learner = self.by_uln.get(values["uln"])
            if learner is None:
                r.add_error(
                    Problem(
                        f"unknown learner: no learner at centre {self.cohort.centre.number} "
                        f"has ULN {values['uln']}",
                        r.row,
                        self._column("uln"),
                        values["uln"],
                    )
                )
                return
        elif values.get("candidate_number"):
            found = self.by_candidate.get(values["candidate_number"], [])
            if len(found) != 1:
                why = "no learner" if not found else f"{len(found)} learners"
                r.add_error(
                    Problem(
                        f"unknown learner: {why} at centre {self.cohort.centre.number} "
                        f"with candidate number {values['candidate_number']}",
                        r.row,
                        self._column("candidate_number"),
                        values["candidate_number"],
                    )
                )
                return
            learner = found[0]
        else:
            r.add_error(Problem("unknown learner: no ULN or candidate number", r.row))
            return
        which = self._column("uln" if values.get("uln") else "candidate_number")
        if learner.pk not in self.on_cohort:
            r.add_error(
                Problem(
                    f"learner not on the cohort: {learner.last_name}, {learner.first_name} is "
                    f"not registered on {self.cohort}",
                    r.row,
                    which,
                )
            )
            return
        if learner.pk in self.seen:
            r.add_error(
                Problem(
                    f"duplicate learner row: {learner.last_name}, {learner.first_name} is "
                    f"also on row {self.seen[learner.pk]}",
                    r.row,
                    which,
                )
            )
            return
        self.seen[learner.pk] = r.row
        r.learner = learner
        for name, value in values.items():
            kind, _, pk = name.partition(":")
            if kind == "unit":
                unit = self.units[int(pk)]
                if value == "N" and unit.assessment != Unit.Assessment.EXTERNAL:
                    r.add_error(
                        Problem(
                            f"Near Pass (N) is only for an externally assessed unit: unit "
                            f"{unit.number} is internally assessed (use U, P, M or D)",
                            r.row,
                            self._column(name),
                            value,
                        )
                    )
                    continue
                if (learner.pk, unit.pk) in self.decided_units:
                    if self.computed.get((learner.pk, unit.pk)) == value:
                        continue  # the grade the sheet shows: unchanged
                    r.add_error(
                        Problem(
                            f"unit {unit.number} already has assessment decisions for this "
                            "learner: a unit grade cannot stand in for them",
                            r.row,
                            self._column(name),
                            value,
                        )
                    )
                    continue
                old = self.results.get((learner.pk, unit.pk))
                if old is None or old.grade != value:
                    r.results.append((unit, value, old.pk if old else None))
            elif kind == "crit" and value:
                criterion = self.criteria[int(pk)]
                unit = self.units[criterion.unit_id]
                if (imported := self.results.get((learner.pk, unit.pk))) is not None:
                    r.add_error(
                        Problem(
                            f"unit {unit.number} already has an imported unit grade "
                            f"({imported.grade}) for this learner: criteria would hide it. "
                            f"Leave the criteria blank, or change the grade in a "
                            f"'Unit {unit.number}' column instead",
                            r.row,
                            self._column(name),
                            "Y",
                        )
                    )
                    continue
                assignment = self.assignment_for.get(criterion.pk)
                if assignment is None:
                    r.add_error(
                        Problem(
                            f"no assignment on the cohort's assessment plan covers "
                            f"{criterion.code} of unit {self.units[criterion.unit_id].number}",
                            r.row,
                            self._column(name),
                            "Y",
                        )
                    )
                    continue
                old = self.decisions.get((learner.pk, assignment.pk, criterion.pk))
                if old is not None and old.verified_at and not old.achieved:
                    r.add_error(
                        Problem(
                            f"{criterion.code} of unit {unit.number} was internally verified "
                            f"as not yet achieved on {old.verified_at:%d/%m/%Y}: a verified "
                            "decision is changed on the class grid, with a reason, not by "
                            "an import",
                            r.row,
                            self._column(name),
                            "Y",
                        )
                    )
                    continue
                if old is None or not old.achieved:
                    r.decisions.append((assignment, criterion))
        if not r.errors:
            r.effect = CHANGE if (r.results or r.decisions) else UNCHANGED


def _check_header(header, units, criteria_by_unit) -> list[Problem]:
    """Columns the layout did not know that look like units or criteria are refused."""
    numbers = {u.number.casefold(): u for u in units}
    problems = []
    for column in header.columns:
        match = _UNIT_HEADING.match(column.heading or "")
        if column.field is not None or not match:
            continue
        number, rest = match.group(1).casefold(), match.group(2)
        unit = numbers.get(number)
        if unit is None:
            reason = f"unknown unit: the cohort has no unit {match.group(1)}"
        else:
            reason = f"unknown criterion: unit {unit.number} has no criterion {rest}"
        problems.append(Problem(reason, header.row, column.heading))
    grade_units = {int(n.split(":")[1]) for n in header.used if n.startswith("unit:")}
    crit_units = set()
    for name in header.used:
        if name.startswith("crit:"):
            pk = int(name.split(":")[1])
            for unit_id, cs in criteria_by_unit.items():
                if any(c.pk == pk for c in cs):
                    crit_units.add(unit_id)
    for unit in units:
        if unit.pk in grade_units and unit.pk in crit_units:
            problems.append(
                Problem(
                    f"unit {unit.number} has both a unit grade column and criterion columns: "
                    "use one layout for a unit",
                    header.row,
                    f"Unit {unit.number}",
                )
            )
    return problems


def read_tracking_file(data, cohort, *, file_name: str = "", kept=None) -> TrackingPreview:
    """Read and plan every row; nothing is written."""
    units = cohort_units(cohort)
    criteria_by_unit = defaultdict(list)
    from qualifications.models import AssessmentCriterion

    for c in AssessmentCriterion.objects.filter(unit__in=units).order_by("code"):
        criteria_by_unit[c.unit_id].append(c)
    layout = _layout(units, criteria_by_unit)
    preview = TrackingPreview(file_name=file_name)
    if kept is None:
        preview.file_sha256 = sha256(data)
    read_into(
        data,
        preview,
        _Sink(preview),
        layout=layout,
        make_planner=lambda header: _Planner(cohort, header, layout, units, criteria_by_unit),
        today=timezone.localdate(),
        check=lambda header: _check_header(header, units, criteria_by_unit),
        row_class=TrackingRow,
        kept=kept,
    )
    preview.changes = sum(1 for r in preview.rows if r.effect == CHANGE)
    return preview


def write_tracking_import(preview: TrackingPreview, cohort, *, by, source: str = "") -> int:
    """Write a clean preview in one transaction; the number of learners changed."""
    if not preview.ok:
        raise ImportRefused(preview.problems)
    now = timezone.now()
    changed = 0
    with transaction.atomic(), audit.batch():
        rows = [r for r in preview.rows if r.effect == CHANGE]
        # Unit grades: the old current rows set aside in one update, the new in one insert.
        replaced = [old for r in rows for _u, _g, old in r.results if old]
        if replaced:
            ImportedUnitResult.objects.filter(pk__in=replaced).update(current=False)
        results = ImportedUnitResult.objects.bulk_create(
            [
                ImportedUnitResult(
                    learner=r.learner,
                    cohort=cohort,
                    unit=unit,
                    grade=grade,
                    imported_by=by,
                    imported_at=now,
                    source=source[:255],
                )
                for r in rows
                for unit, grade, _old in r.results
            ],
            batch_size=1000,
        )
        for result in results:
            audit.record(
                by,
                events.UNIT_RESULT_IMPORTED,
                result,
                learner=result.learner,
                centre=cohort.centre_id,
                after={"unit": result.unit.number, "grade": result.grade, "file": source},
            )
        for r in rows:
            changed += 1
            learner = r.learner
            made = []
            for assignment, criterion in r.decisions:
                old = CriterionDecision.objects.filter(
                    learner=learner,
                    assignment=assignment,
                    criterion=criterion,
                    attempt="first",
                    current=True,
                ).first()
                if old is not None:
                    CriterionDecision.objects.filter(pk=old.pk).update(current=False)
                made.append(
                    CriterionDecision.objects.create(
                        learner=learner,
                        assignment=assignment,
                        criterion=criterion,
                        achieved=True,
                        # who entered it: the importer, not the assessor, who decided
                        # nothing here (the feedback and the audit event say it came in)
                        assessor=by,
                        decided_on=now.date(),
                        recorded_at=now,
                        feedback=f"Imported from the tracking sheet {source}".strip(),
                        version=(old.version + 1) if old else 1,
                        replaces=old,
                        reason="imported from a tracking sheet" if old else "",
                    )
                )
            if made:
                audit.record(
                    by,
                    events.DECISION_IMPORTED,
                    learner,
                    learner=learner,
                    centre=cohort.centre_id,
                    after={
                        "criteria": sorted(
                            f"Unit {d.criterion.unit.number} {d.criterion.code}" for d in made
                        ),
                        "file": source,
                    },
                )
    return changed


# --------------------------------------------------------------------------- the page's import


def preview_upload(uploaded_file, cohort, *, by) -> tuple[TrackingImport, TrackingPreview]:
    """Read an upload, keep it (to be confirmed), and say what it would do."""
    return keep_preview(
        TrackingImport(cohort=cohort),
        uploaded_file,
        lambda data, name: read_tracking_file(data, cohort, file_name=name),
        by=by,
    )


def confirm_import(record: TrackingImport, *, by) -> int:
    """Read the kept file again and write it, once; refused if it now has problems."""

    def write(preview) -> int:
        changed = write_tracking_import(preview, record.cohort, by=by, source=record.file_name)
        audit.record(
            by,
            events.TRACKING_IMPORTED,
            record,
            centre=record.cohort.centre_id,
            after={"file": record.file_name, "learners_changed": changed},
        )
        return changed

    return confirm_kept(
        record,
        lambda fh, kind: read_tracking_file(
            fh, record.cohort, file_name=record.file_name, kept=kind
        ),
        write,
    )


__all__ = [
    "confirm_import",
    "export_xlsx",
    "preview_upload",
    "read_tracking_file",
    "sign_off",
    "write_tracking_import",
]
