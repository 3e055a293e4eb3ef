"""Pearson's results file for external units, imported through the tabular framework.

One row per learner and external unit: the learner found at the centre by ULN, else by
candidate number and name (never a learner of another centre), the unit by its number
among the external units of a qualification the learner is registered on (the file's
qualification number narrows it when given), the series ("January 2027", "May/June 2027"),
the grade exactly as the file gives it and the points and mark when given.

Grades are kept as written: a Near Pass stays "N" or "Near Pass" (domain.md 2.1: N exists
only for external units; Pearson's EDI files show an N as U, and btecqa never "corrects" a
U against an N seen elsewhere). A code that is no unit grade is refused.

Every refusal is a tabular Problem naming the row, the column and the reason: unknown
learner, unit not on their qualification, unit not external, unknown grade code, duplicate
row. A file with any problem writes nothing; a clean one is written in one transaction: a
new current ExternalResult for each result that is new or differs from the current one
(the old kept, no longer current), each with an audit event on the learner's trail.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

import audit
from learners import cells as learner_cells
from learners.models import Learner
from qualifications.models import Qualification, Unit
from registrations.models import Registration
from tabular.cells import Check, Integer, Text
from tabular.columns import Field, Layout
from tabular.names import normalise_name
from tabular.pipeline import RowsPreview, RowsSink, read_into, sha256
from tabular.problems import ImportRefused, Problem
from tabular.rowlog import Row
from tabular.services import confirm_kept, discard_kept, keep_preview

from . import events
from .config import external_series
from .models import ExternalResult, ResultsImport

CHANGE, UNCHANGED, ERROR = "change", "unchanged", "error"

# Unit grades as Pearson's results files write them (domain.md 2.1-2.4), compared without
# case or spaces; the cell keeps the text as the file gives it.
GRADE_CODES = frozenset(
    re.sub(r"\s+", "", g).casefold()
    for g in (
        "U",
        "N",
        "P",
        "M",
        "D",
        "D*",
        "P1",
        "M1",
        "L1",
        "L1P",
        "L1M",
        "L1D",
        "L2P",
        "L2M",
        "L2D",
        "L2D*",
        "Unclassified",
        "Near Pass",
        "Pass",
        "Merit",
        "Distinction",
        "Distinction*",
        "Level 1 Pass",
        "Level 1 Merit",
        "Level 1 Distinction",
        "Level 2 Pass",
        "Level 2 Merit",
        "Level 2 Distinction",
        "Level 2 Distinction*",
    )
)


# The unit grades each grading scheme gives (domain.md 2.1-2.4), compared as GRADE_CODES
# are: a Nationals unit has no Level 1/2 grade and no D*, a Tech Award component no N, P,
# M or D alone. A qualification of another scheme takes any code above.
def _codes(*grades):
    return frozenset(re.sub(r"\s+", "", g).casefold() for g in grades)


_NATIONALS = _codes(
    "U", "N", "P", "M", "D", "Unclassified", "Near Pass", "Pass", "Merit", "Distinction"
)
_LEVEL_1_2 = _codes(
    "U", "Unclassified", "P1", "M1", "L1", "L1P", "L1M", "L1D", "L2P", "L2M", "L2D",
    "Level 1 Pass", "Level 1 Merit", "Level 1 Distinction",
    "Level 2 Pass", "Level 2 Merit", "Level 2 Distinction",
)  # fmt: skip
SCHEME_GRADES = {
    Qualification.GradingScheme.NATIONALS: (_NATIONALS, "U, N or Near Pass, P, M, D"),
    Qualification.GradingScheme.TECH_AWARD: (_LEVEL_1_2, "U, L1P to L2D"),
    Qualification.GradingScheme.FIRSTS: (_LEVEL_1_2, "U, L1, L2P to L2D"),
}


def _grade(text, ctx):
    value = re.sub(r"\s+", " ", text).strip()
    if re.sub(r"\s+", "", value).casefold() not in GRADE_CODES:
        return None, (
            f"unknown grade code: {value} is not a unit grade Pearson gives (U, N or Near Pass, "
            "P, M, D; L1P to L2D* for a Tech Award or First)"
        )
    return value, None


def _unit(text, ctx):
    value = re.sub(r"^\s*unit\s*", "", text, flags=re.IGNORECASE).strip()
    if not value or len(value) > 10:
        return None, f"{text} is not a unit number (e.g. 1, 2, 19)"
    return value, None


def _qualification(text, ctx):
    digits = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if len(digits) != 8:
        return None, f"{text} is not a qualification number (e.g. 601/7159/5)"
    return f"{digits[:3]}/{digits[3:7]}/{digits[7]}", None


GRADE = Check(_grade)
UNIT = Check(_unit)
QUALIFICATION = Check(_qualification)


def _series(text, ctx):
    value = re.sub(r"\s+", " ", text).strip()
    if len(value) > 40 or not re.search(r"[A-Za-z]", value) or not re.search(r"\b20\d\d\b", value):
        return None, (
            f"{value} is not an exam series: give the month and the year, e.g. January 2027 "
            "or May/June 2027"
        )
    return value, None


SERIES = Check(_series)
_MONTHS = {
    m[:3]: m
    for m in (
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december",
    )
}  # fmt: skip


def series_key(text: str) -> str:
    """A series compared as the office reads it: "Jan 2027", "january 2027" and
    "January 2027" are one series, "May/Jun 2027" is "May/June 2027"."""
    words = re.split(r"(\W+)", " ".join(text.split()).casefold())
    return "".join(
        _MONTHS[w[:3]] if len(w) >= 3 and _MONTHS.get(w[:3], "").startswith(w) else w for w in words
    )


def _configured_series(key: str) -> str:
    """The series' name as the year's configuration writes it (the name the external
    entries carry), if the key is one of the academic years' series around its year."""
    found = re.search(r"\b(20\d\d)\b", key)
    if not found:
        return ""
    year = int(found.group(1))
    for first in (year - 1, year):
        for known in external_series(f"{first}/{(first + 1) % 100:02d}"):
            if series_key(known.name) == key:
                return known.name
    return ""


POINTS = Integer(0, 1000, "{text} is not a number of points (a whole number, 0 to 1000)")
MARK = Integer(0, 1000, "{text} is not a raw mark (a whole number, 0 to 1000)")

LAYOUT = Layout(
    [
        Field("uln", "ULN", ("ULN", "Unique Learner Number"), learner_cells.ULN),
        Field(
            "candidate_number",
            "candidate number",
            ("Candidate number", "Candidate No", "Cand No", "Candidate"),
            learner_cells.CANDIDATE_NUMBER,
        ),
        Field("surname", "surname", ("Surname", "Last name", "Family name"), Text(100)),
        Field("forenames", "forenames", ("Forenames", "Forename", "First name"), Text(100)),
        Field("name", "name", ("Candidate name", "Name", "Learner"), Text(200)),
        Field(
            "qualification",
            "qualification number",
            ("Qualification number", "QN", "Qualification"),
            QUALIFICATION,
        ),
        Field("unit", "unit", ("Unit number", "Unit", "Unit no"), UNIT, required=True),
        Field("series", "series", ("Series", "Exam series", "Session"), SERIES, required=True),
        Field("grade", "grade", ("Unit grade", "Grade", "Result"), GRADE, required=True),
        Field("points", "points", ("Points", "Unit points"), POINTS),
        Field("mark", "mark", ("Mark", "Raw mark", "Marks"), MARK),
    ],
    examples="ULN, Unit, Series, Grade",
    any_of={"learner identifier": ("uln", "candidate_number")},
    what="results file",
)


class ResultRow(Row):
    __slots__ = ("learner", "unit", "values", "old")

    def __init__(self, row, effect=ERROR, vals=()):
        super().__init__(row, effect, vals)
        self.learner = None
        self.unit = None
        self.values = {}
        self.old = None  # the current result this row replaces


class ResultsPreview(RowsPreview):
    """A tabular RowsPreview; `changes` counts the results that would be written."""


_Sink = RowsSink


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", normalise_name(text or "")) if w]


class _Planner:
    """Finds each row's learner, unit and what it would change (a fixed 4 queries)."""

    def __init__(self, centre, header):
        self.centre, self.header = centre, header
        self.by_uln, self.by_candidate = {}, defaultdict(list)
        for learner in Learner.objects.filter(centre=centre).only(
            "pk", "uln", "candidate_number", "first_name", "last_name", "centre_id"
        ):
            if learner.uln:
                self.by_uln[learner.uln] = learner
            if learner.candidate_number:
                self.by_candidate[learner.candidate_number].append(learner)
        self.qualifications = defaultdict(set)  # learner -> qualification ids registered on
        for learner_id, qualification_id in Registration.objects.filter(
            learner__centre=centre, status__in=Registration.ACTIVE
        ).values_list("learner_id", "cohort__qualification_id"):
            self.qualifications[learner_id].add(qualification_id)
        wanted = {q for qs in self.qualifications.values() for q in qs}
        self.units = defaultdict(list)  # unit number -> units of those qualifications
        self.numbers = {}
        for unit in Unit.objects.filter(qualification_id__in=wanted).select_related(
            "qualification"
        ):
            self.units[unit.number.casefold()].append(unit)
            self.numbers[unit.qualification_id] = unit.qualification.number
        self.current = {
            (r.learner_id, r.unit_id, series_key(r.series)): r
            for r in ExternalResult.objects.filter(learner__centre=centre, current=True)
        }
        self.seen = {}
        self.series_names = {}  # series_key -> the name kept (the configured one if known)

    def plan(self, chunk):
        for r in chunk:
            self._plan(r)

    def _column(self, name):
        return self.header.names.get(name, name)

    def _learner(self, r, v):
        centre = self.centre.number
        if v.get("uln"):
            learner = self.by_uln.get(v["uln"])
            if learner is None:
                r.add_error(
                    Problem(
                        f"unknown learner: no learner at centre {centre} has ULN {v['uln']}",
                        r.row,
                        self._column("uln"),
                        v["uln"],
                    )
                )
            return learner
        number = v.get("candidate_number")
        if not number:
            r.add_error(Problem("unknown learner: no ULN or candidate number", r.row))
            return None
        column = self._column("candidate_number")
        found = self.by_candidate.get(number, [])
        if not found:
            r.add_error(
                Problem(
                    f"unknown learner: no learner at centre {centre} has candidate number {number}",
                    r.row,
                    column,
                    number,
                )
            )
            return None
        learner = found[0]
        given = _words(v.get("surname", "")) + _words(v.get("forenames", ""))
        given += _words(v.get("name", ""))
        if not given:
            r.add_error(
                Problem(
                    "unknown learner: a candidate number is matched with the learner's name, "
                    "and this row has no name (give a Surname or Candidate name column, or the "
                    "ULN)",
                    r.row,
                    column,
                    number,
                )
            )
            return None
        surname = _words(learner.last_name)
        first = _words(learner.first_name)[:1]
        if v.get("surname"):
            ok = _words(v["surname"]) == surname
        else:
            ok = all(w in given for w in surname)
        if ok and first and (v.get("forenames") or v.get("name")):
            ok = first[0] in given
        if not ok:
            which = "surname" if v.get("surname") else "name"
            shown = " ".join(v.get(f, "") for f in ("surname", "forenames", "name") if v.get(f))
            r.add_error(
                Problem(
                    f"unknown learner: candidate number {number} at centre {centre} is "
                    f"{learner.last_name}, {learner.first_name}, not {shown}",
                    r.row,
                    self._column(which),
                    shown,
                )
            )
            return None
        return learner

    def _plan(self, r: ResultRow):
        v = self.layout_values(r)
        if r.errors:
            return
        learner = self._learner(r, v)
        if learner is None:
            return
        registered = self.qualifications.get(learner.pk, set())
        number = v["unit"]
        column = self._column("unit")
        candidates = [
            u for u in self.units.get(number.casefold(), []) if u.qualification_id in registered
        ]
        if v.get("qualification"):
            numbers = {self.numbers.get(q) for q in registered}
            if v["qualification"] not in numbers:
                r.add_error(
                    Problem(
                        f"unit not on their qualification: {learner.last_name}, "
                        f"{learner.first_name} is not registered on {v['qualification']}",
                        r.row,
                        self._column("qualification"),
                        v["qualification"],
                    )
                )
                return
            candidates = [u for u in candidates if u.qualification.number == v["qualification"]]
        if not candidates:
            on = ", ".join(sorted(n for q in registered if (n := self.numbers.get(q)))) or (
                "none (no live registration)"
            )
            r.add_error(
                Problem(
                    f"unit not on their qualification: {learner.last_name}, "
                    f"{learner.first_name}'s qualification ({on}) has no unit {number}",
                    r.row,
                    column,
                    number,
                )
            )
            return
        external = [u for u in candidates if u.assessment == Unit.Assessment.EXTERNAL]
        if not external:
            r.add_error(
                Problem(
                    f"unit not external: unit {number} of {candidates[0].qualification.number} "
                    "is internally assessed; its grade comes from the centre's assessment "
                    "decisions, not from Pearson's results file",
                    r.row,
                    column,
                    number,
                )
            )
            return
        if len(external) > 1:
            r.add_error(
                Problem(
                    f"unit {number} is on more than one of the learner's qualifications "
                    f"({', '.join(u.qualification.number for u in external)}): give the "
                    "qualification number",
                    r.row,
                    column,
                    number,
                )
            )
            return
        unit = external[0]
        given = v["series"]
        key = series_key(given)
        if key not in self.series_names:
            self.series_names[key] = _configured_series(key) or given
        v["series"] = self.series_names[key]
        allowed, listed = SCHEME_GRADES.get(unit.qualification.grading_scheme, (None, ""))
        if allowed is not None and re.sub(r"\s+", "", v["grade"]).casefold() not in allowed:
            r.add_error(
                Problem(
                    f"wrong grade for the qualification: {v['grade']} is not a grade of unit "
                    f"{unit.number} of {unit.qualification.number} (its grades: {listed})",
                    r.row,
                    self._column("grade"),
                    v["grade"],
                )
            )
            return
        key = (learner.pk, unit.pk, series_key(v["series"]))
        if key in self.seen:
            r.add_error(
                Problem(
                    f"duplicate row: {learner.last_name}, {learner.first_name}'s unit "
                    f"{unit.number} in {v['series']} is also on row {self.seen[key]}",
                    r.row,
                    column,
                    number,
                )
            )
            return
        self.seen[key] = r.row
        r.learner, r.unit = learner, unit
        r.values = {
            "series": v["series"],
            "grade": v["grade"],
            "points": v.get("points"),
            "mark": v.get("mark"),
        }
        old = self.current.get(key)
        if old is not None and (old.grade, old.points, old.mark) == (
            v["grade"],
            v.get("points"),
            v.get("mark"),
        ):
            r.effect = UNCHANGED
            return
        r.old = old
        r.effect = CHANGE

    def layout_values(self, r):
        return {k: val for k, val in LAYOUT.as_dict(r.vals).items() if val not in (None, "")}


def read_results_file(data, centre, *, file_name: str = "", kept=None) -> ResultsPreview:
    """Read and plan every row; nothing is written."""
    preview = ResultsPreview(file_name=file_name)
    if kept is None:
        preview.file_sha256 = sha256(data)
    read_into(
        data,
        preview,
        _Sink(preview),
        layout=LAYOUT,
        make_planner=lambda header: _Planner(centre, header),
        today=timezone.localdate(),
        row_class=ResultRow,
        kept=kept,
    )
    preview.changes = sum(1 for r in preview.rows if r.effect == CHANGE)
    return preview


def write_results(preview: ResultsPreview, centre, *, by, source: str = "") -> int:
    """Write a clean preview in one transaction; the number of results written."""
    if not preview.ok:
        raise ImportRefused(preview.problems)
    now = timezone.now()
    rows = [r for r in preview.rows if r.effect == CHANGE]
    with transaction.atomic(), audit.batch():
        replaced = [r.old.pk for r in rows if r.old is not None]
        if replaced:
            ExternalResult.objects.filter(pk__in=replaced, current=True).update(current=False)
        made = ExternalResult.objects.bulk_create(
            [
                ExternalResult(
                    learner=r.learner,
                    unit=r.unit,
                    series=r.values["series"],
                    grade=r.values["grade"],
                    points=r.values["points"],
                    mark=r.values["mark"],
                    source=source[:255],
                    imported_by=by,
                    imported_at=now,
                    replaces=r.old,
                )
                for r in rows
            ],
            batch_size=1000,
        )
        for result, r in zip(made, rows, strict=True):
            before = None
            if r.old is not None:
                before = {"grade": r.old.grade, "points": r.old.points, "mark": r.old.mark}
            audit.record(
                by,
                events.RESULT_IMPORTED,
                result,
                learner=r.learner,
                centre=centre.pk,
                before=before,
                after={
                    "unit": r.unit.number,
                    "qualification": r.unit.qualification.number,
                    "series": result.series,
                    "grade": result.grade,
                    "points": result.points,
                    "mark": result.mark,
                    "file": source,
                },
            )
    return len(made)


# --------------------------------------------------------------------------- the page's import


def preview_upload(uploaded_file, centre, *, by) -> tuple[ResultsImport, ResultsPreview]:
    """Read an upload, keep it (to be confirmed), and say what it would do."""
    return keep_preview(
        ResultsImport(centre=centre),
        uploaded_file,
        lambda data, name: read_results_file(data, centre, file_name=name),
        by=by,
        todo=events.CONFIRM_RESULTS_IMPORT,
    )


def confirm_import(record: ResultsImport, *, by) -> int:
    """Read the kept file again and write it, once; refused if it now has problems."""

    def write(preview) -> int:
        written = write_results(preview, record.centre, by=by, source=record.file_name)
        audit.record(
            by,
            events.RESULTS_IMPORTED,
            record,
            centre=record.centre_id,
            after={"file": record.file_name, "results": written},
        )
        return written

    return confirm_kept(
        record,
        lambda fh, kind: read_results_file(
            fh, record.centre, file_name=record.file_name, kept=kind
        ),
        write,
        by=by,
        todo=events.CONFIRM_RESULTS_IMPORT,
    )


def discard_import(record: ResultsImport, *, by) -> None:
    """Let a kept preview go unconfirmed: it can no longer be written; its to-do closes."""
    discard_kept(record, by=by, event=events.RESULTS_DISCARDED, todo=events.CONFIRM_RESULTS_IMPORT)


__all__ = [
    "confirm_import",
    "discard_import",
    "preview_upload",
    "read_results_file",
    "write_results",
]
