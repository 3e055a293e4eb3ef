"""Importing learners and class lists from the MIS (SIMS, Arbor, Bromcom …): CSV or XLSX.

Two phases, as pretix imports orders: everything is read and checked first, against the
centre's learners loaded in a few queries up front; only a file with no error at all is
written, in one transaction, with bulk inserts and updates. Both phases stream: rows are
planned CHUNK_ROWS at a time, and memory is flat in the file's rows (a compact hash per
identifier finds values repeated in the file).

* The preview writes each row's result as a JSON line to a gzipped rows log kept next to
  the file (LOG_SUFFIX); it keeps the counts and the first MAX_STORED_ERRORS errors on the
  LearnerImport. The preview page pages through the log; ``preview.errors`` streams
  every error from it.
* The commit reads the kept file again (from storage, not loaded) and writes each chunk
  as soon as it is planned, with its audit events; at the first error it rolls all of it
  back and records the refusal with a fresh rows log.

* The file is checked before use (``check_file``): size, type sniffed from its content,
  an XLSX that expands too far (zip bomb) refused, text decoded as UTF-8 (with or without
  a BOM) or else Windows-1252. Formulas are never evaluated: a formula cell is an error.
* Rows are streamed (openpyxl read_only; csv over a text stream). The header row is the
  first of the first ten rows with two recognised headings, so title rows above it are fine.
* Columns are recognised by the headings SIMS, Arbor and Bromcom use (``ALIASES``); a
  centre's remembered mapping (``ColumnMapping``) and a mapping given now come on top.
* Every problem names the spreadsheet row, the file's heading and the reason
  (``Problem``, printed ``row N, column C: reason``).

``preview_import()`` records a ``LearnerImport`` (previewed, or refused when anything is in
error) and keeps the file; ``commit_import()`` reads the kept file again and applies it,
all or nothing. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import gzip
import hashlib
import io
import itertools
import json
import re
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from btecqa.spreadsheets import (
    XLSX_BOMB,
    XLSX_DAMAGED,
    XLSX_MACROS,
    XLSX_NOT_WORKBOOK,
    inspect_xlsx_archive,
)
from btecqa.validators import text_problem

from .models import Cohort, ColumnMapping, Learner, LearnerImport, TeachingGroup
from .services import EDITABLE_FIELDS
from .validators import date_of_birth_problem, uci_problem, uln_problem

MB = 1024 * 1024
MAX_IMPORT_BYTES = 10 * MB
MAX_XLSX_EXPANDED_BYTES = 100 * MB
MAX_XLSX_RATIO = 100  # uncompressed / compressed, for any member over a megabyte
MAX_XLSX_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000
MAX_STORED_ERRORS = 1_000  # kept on the LearnerImport (and in memory); every one is in the rows log
CHUNK_ROWS = 500  # rows planned (and, at commit, written) at a time
LOG_SUFFIX = ".rows.jsonl.gz"  # each row's result, one JSON line a row, next to the kept file

LEARNERS = ColumnMapping.Kind.LEARNERS.value
CLASS_LIST = ColumnMapping.Kind.CLASS_LIST.value
KINDS = (LEARNERS, CLASS_LIST)
IGNORE = "ignore"  # a mapping value: this heading is deliberately not used

NOT_A_SPREADSHEET = "this is not a CSV or XLSX file"
FORMULA_REASON = "formulas are not accepted; paste values"

FIELD_LABELS = {
    "last_name": "legal last name",
    "first_name": "legal first name",
    "preferred_name": "preferred name",
    "date_of_birth": "date of birth",
    "sex": "sex",
    "admission_number": "admission number",
    "upn": "UPN",
    "uln": "ULN",
    "uci": "UCI",
    "candidate_number": "candidate number",
    "email": "e-mail",
    "group": "teaching group",
}

# The headings MIS exports use, per field, most specific first: when a file has both
# "Legal Surname" and "Surname", the legal one is used.
ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("Legal Surname", "Legal Last Name", "Surname", "Last Name", "Family Name"),
    "first_name": (
        "Legal Forename",
        "Legal First Name",
        "Forename",
        "First Name",
        "Given Name",
        "Forenames",
    ),
    "preferred_name": ("Preferred Forename", "Preferred First Name", "Preferred Name", "Known As"),
    "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "Birthdate"),
    "sex": ("Sex", "Gender", "Legal Sex"),
    "admission_number": ("Adno", "Admission No", "Admission Number", "Adm No", "MIS ID"),
    "upn": ("UPN", "Unique Pupil Number"),
    "uln": ("ULN", "Unique Learner Number"),
    "uci": ("UCI", "Unique Candidate Identifier"),
    "candidate_number": (
        "Candidate No",
        "Candidate Number",
        "Cand No",
        "Exam Number",
        "Exam Candidate Number",
        "Candidate",
    ),
    "email": ("Email", "E-mail", "Email Address", "E-mail Address"),
    "group": ("Teaching Group", "Class", "Class Name", "Group", "Reg Group", "Registration Group"),
}

KIND_FIELDS = {
    LEARNERS: (
        "last_name",
        "first_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "admission_number",
        "uln",
        "uci",
        "candidate_number",
        "email",
    ),
    CLASS_LIST: ("admission_number", "uln", "candidate_number", "uci", "group"),
}
REQUIRED = {LEARNERS: ("first_name", "last_name", "date_of_birth"), CLASS_LIST: ("group",)}
CLASS_LIST_IDS = ("admission_number", "uln", "candidate_number", "uci")
MATCH_KEYS = ("admission_number", "uln", "uci")  # in this order
UNIQUE_IN_FILE = ("admission_number", "uln", "uci", "candidate_number")
MAX_LENGTH = {
    "first_name": 100,
    "last_name": 100,
    "preferred_name": 100,
    "admission_number": 20,
    "email": 254,
    "group": 50,
}
# The same fields a correction by hand may change (learners.services), audited the same way.
AUDITED_FIELDS = tuple(EDITABLE_FIELDS)

CREATE, UPDATE, UNCHANGED, LEAVER, ERROR, ADD = (
    "create",
    "update",
    "unchanged",
    "leaver",
    "error",
    "add",
)

_NON_ALNUM = re.compile(r"[^0-9a-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_heading(heading) -> str:
    """'Legal  Surname', 'legal_surname' and 'LEGAL-SURNAME' are the same heading."""
    return _NON_ALNUM.sub("", str(heading).casefold())


ALIAS_INDEX: dict[str, tuple[str, int]] = {}
for _field, _names in ALIASES.items():
    for _rank, _name in enumerate(_names):
        ALIAS_INDEX.setdefault(normalise_heading(_name), (_field, _rank))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning): which row, which column, the value, and why."""

    reason: str
    row: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        return cls(
            reason=d.get("reason", ""),
            row=d.get("row"),
            column=d.get("column", ""),
            value=d.get("value", ""),
        )


class FileRefused(Exception):
    """The file failed a check before it was read (size, type, zip bomb, encoding, empty)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.problem = Problem(reason)


class ImportRefused(Exception):
    """A commit that cannot go ahead; nothing was written."""

    def __init__(self, problems):
        # A preview's ProblemList is kept as it is: it reads the errors from the rows log.
        self.problems = problems if isinstance(problems, ProblemList) else list(problems)
        super().__init__("; ".join(str(p) for p in itertools.islice(self.problems, 5)))


class _Unclean(Exception):
    """Raised by the commit's writer at the first error: roll back, then report them all."""


@dataclass
class Column:
    index: int
    heading: str
    field: str | None  # the field this column fills, None if not used
    status: str  # "used", "recognised, not stored", "not recognised", "ignored", "not used: …"

    @property
    def label(self) -> str:
        """What the column is read as, in words."""
        return FIELD_LABELS[self.field] if self.field else self.status


_NO_PROBLEMS: tuple = ()  # a row's errors and warnings until it has one: no list per row


class RowResult:
    """One row of the file (or one leaver) and its effect, kept compact.

    Only a chunk of these (CHUNK_ROWS) is alive at a time: each is planned, then written to
    the rows log (preview) or to the database (commit), and dropped. Each holds the cleaned
    values as a tuple in FIELDS order (None where the file gives none), the learner it
    matched, and its problems.
    """

    __slots__ = (
        "row",
        "effect",
        "vals",
        "learner",
        "errors",
        "warnings",
        "changed_fields",
        "group",
        "mark",
        "_changes",
    )
    FIELDS: tuple[str, ...] = ()

    def __init__(
        self, row, effect, vals=(), *, learner=None, changes=None, changed_fields=(), group=""
    ):
        self.row = row
        self.effect = effect
        self.vals = vals
        self.learner = learner
        self.errors = _NO_PROBLEMS
        self.warnings = _NO_PROBLEMS
        self.changed_fields = changed_fields
        self.group = group
        self.mark = None  # errors before this place come from the row alone (log fix-ups)
        self._changes = changes

    def __repr__(self) -> str:
        return f"<{type(self).__name__} row {self.row}: {self.effect}>"

    def add_error(self, problem: Problem) -> None:
        if self.errors is _NO_PROBLEMS:
            self.errors = [problem]
        else:
            self.errors.append(problem)

    def add_warning(self, problem: Problem) -> None:
        if self.warnings is _NO_PROBLEMS:
            self.warnings = [problem]
        else:
            self.warnings.append(problem)

    @property
    def values(self) -> dict:
        """The cleaned values the file gives, by field."""
        return {f: v for f, v in zip(self.FIELDS, self.vals, strict=False) if v is not None}

    @property
    def learner_id(self) -> int | None:
        return self.learner.pk if self.learner is not None else None

    @property
    def name(self) -> str:
        return str(self.learner) if self.learner is not None else ""

    @property
    def identifiers(self) -> str:
        return _identifiers(self.values)

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for the preview page; none for a row in error."""
        if self.effect == ERROR:
            return []
        if self._changes is not None:
            return self._changes
        return self._default_changes()

    @changes.setter
    def changes(self, value) -> None:
        self._changes = value

    def _default_changes(self) -> list[tuple[str, str, str]]:
        return []


class LearnerRow(RowResult):
    __slots__ = ()
    FIELDS = KIND_FIELDS[LEARNERS]

    @property
    def name(self) -> str:
        v, learner = self.vals, self.learner
        last = v[_L["last_name"]] or (learner.last_name if learner else "")
        first = v[_L["first_name"]] or (learner.first_name if learner else "")
        return f"{last.upper()}, {first}" if (last or first) else ""

    def _default_changes(self) -> list[tuple[str, str, str]]:
        if self.effect != CREATE:
            return []
        return [
            (FIELD_LABELS[f], "", _display(v))
            for f, v in zip(self.FIELDS, self.vals, strict=True)
            if v
        ]


class ClassListRow(RowResult):
    __slots__ = ()
    FIELDS = KIND_FIELDS[CLASS_LIST]


class LeaverRow(RowResult):
    __slots__ = ()

    @property
    def identifiers(self) -> str:
        learner = self.learner
        return _identifiers(
            {f: getattr(learner, f) for f in ("admission_number", "uln", "uci", "candidate_number")}
        )


ROW_CLASS = {LEARNERS: LearnerRow, CLASS_LIST: ClassListRow}
_L = {f: i for i, f in enumerate(KIND_FIELDS[LEARNERS])}  # a field's place in LearnerRow.vals
_C = {f: i for i, f in enumerate(KIND_FIELDS[CLASS_LIST])}  # and in ClassListRow.vals


# --------------------------------------------------------------------------- the rows log
#
# A preview streams each row's result into a gzipped file of JSON lines, one a row (then
# one a leaver), and keeps in memory only the counts and the first MAX_STORED_ERRORS errors
# and warnings. The file is kept next to the upload (LOG_SUFFIX), and the preview page
# reads a page of it at a time. A line's first two keys are its effect ("e") and whether it
# has an error or a warning ("p"), so a page can be picked out without parsing every line.


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default).encode


def _record(r: RowResult) -> dict:
    """A row's result as its line in the rows log."""
    errors, warnings = r.errors, r.warnings
    rec = {"e": r.effect, "p": 1 if errors or warnings else 0, "row": r.row, "name": r.name}
    ids = r.identifiers
    if ids:
        rec["ids"] = ids
    if r.group:
        rec["group"] = r.group
    changes = r.changes if r.effect != CREATE else ()  # a new learner's: from its values
    if changes:
        rec["changes"] = changes
    if errors:
        rec["errors"] = [[p.column, p.value, p.reason] for p in errors]
        if r.mark is not None and r.mark < len(errors):
            rec["at"] = r.mark
    if warnings:
        rec["warnings"] = [[p.column, p.value, p.reason] for p in warnings]
    if r.learner is not None:
        rec["learner"] = r.learner.pk
    if r.vals:
        rec["values"] = {f: v for f, v in zip(r.FIELDS, r.vals, strict=False) if v is not None}
    return rec


def _problems(rec: dict, key: str) -> list[Problem]:
    row = rec.get("row")
    return [Problem(reason, row, column, value) for column, value, reason in rec.get(key, ())]


class LoggedRow:
    """A row of the rows log, as the preview page and the tests read it."""

    __slots__ = ("row", "effect", "name", "identifiers", "group", "changes", "learner_id", "_rec")

    def __init__(self, rec: dict):
        self._rec = rec
        self.row = rec.get("row")
        self.effect = rec["e"]
        self.name = rec.get("name", "")
        self.identifiers = rec.get("ids", "")
        self.group = rec.get("group", "")
        if self.effect == CREATE and "changes" not in rec:
            self.changes = [(FIELD_LABELS[f], "", _display(v)) for f, v in self.values.items() if v]
        else:
            self.changes = [tuple(c) for c in rec.get("changes", ())]
        self.learner_id = rec.get("learner")

    def __repr__(self) -> str:
        return f"<LoggedRow row {self.row}: {self.effect}>"

    @property
    def errors(self) -> list[Problem]:
        return _problems(self._rec, "errors")

    @property
    def warnings(self) -> list[Problem]:
        return _problems(self._rec, "warnings")

    @property
    def values(self) -> dict:
        values = dict(self._rec.get("values", {}))
        if "date_of_birth" in values:
            values["date_of_birth"] = dt.date.fromisoformat(values["date_of_birth"])
        return values


def _line_head(line: bytes) -> tuple[str, bool]:
    """(effect, has a problem) from the start of a log line, without parsing the rest."""
    end = line.index(b'"', 6)  # {"e":"create","p":0,...
    return line[6:end].decode(), line[end + 6 : end + 7] == b"1"


SHOW_FILTERS = {
    "all": lambda effect, problem: True,
    "changes": lambda effect, problem: effect not in (UNCHANGED, ERROR),
    "errors": lambda effect, problem: problem,
}


class LogRows:
    """The rows of a rows log that a filter shows, as a sequence a Paginator can page through.

    Its length is one pass over the (compressed) lines, parsing none; a slice parses only
    the lines it returns. Nothing but the page is held.
    """

    def __init__(self, opener, show: str = "all"):
        self._open = opener  # () -> a binary file of the gzipped lines, or None
        self._keep = SHOW_FILTERS[show]
        self._len = None

    def _lines(self) -> Iterator[bytes]:
        fh = self._open()
        if fh is None:
            return
        with fh, gzip.GzipFile(fileobj=fh, mode="rb") as lines:
            keep = self._keep
            for line in lines:
                if keep(*_line_head(line)):
                    yield line

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(1 for _ in self._lines())
        return self._len

    def __iter__(self) -> Iterator[LoggedRow]:
        for line in self._lines():
            yield LoggedRow(json.loads(line))

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop or 0) < 0:
                return list(self)[index]
            return list(itertools.islice(self, index.start, index.stop))
        if index < 0:
            return list(self)[index]
        try:
            return next(itertools.islice(self, index, None))
        except StopIteration:
            raise IndexError(index) from None


class _Tally:
    """Counts of the rows and their problems, with the first MAX_STORED_ERRORS of each kind."""

    def __init__(self):
        self.effects: dict[str, int] = defaultdict(int)
        self.rows = self.leavers = self.errors = self.warnings = self.problem_rows = 0
        self.first_errors: list[Problem] = []
        self.first_warnings: list[Problem] = []

    def add(self, row, effect: str, errors, warnings) -> None:
        """One row (or leaver); errors and warnings as Problems or (column, value, reason)."""
        if effect == LEAVER:
            self.leavers += 1
        else:
            self.rows += 1
            self.effects[effect] += 1
        if errors or warnings:
            self.problem_rows += 1
            self.errors += len(errors)
            self.warnings += len(warnings)
            for found, kept in ((errors, self.first_errors), (warnings, self.first_warnings)):
                for p in found[: MAX_STORED_ERRORS - len(kept)]:
                    kept.append(p if isinstance(p, Problem) else Problem(p[2], row, p[0], p[1]))


class _RowLog:
    """Where a preview puts each row's result: the rows log, in a temporary file until kept."""

    def __init__(self):
        self.tally = _Tally()
        self.planner = None
        self._leavers: list[RowResult] = []
        self._start()

    def _start(self) -> None:
        self.file = tempfile.NamedTemporaryFile(prefix="btecqa-import-", suffix=LOG_SUFFIX)
        self._out = gzip.GzipFile(fileobj=self.file, mode="wb", compresslevel=1, mtime=0)

    def _write(self, recs) -> None:
        add = self.tally.add
        lines = []
        for rec in recs:
            add(rec.get("row"), rec["e"], rec.get("errors", ()), rec.get("warnings", ()))
            lines.append(_encode(rec))
        if lines:
            self._out.write(("\n".join(lines) + "\n").encode())

    def rows(self, chunk: list[RowResult], planner) -> None:
        self.planner = planner
        self._write(_record(r) for r in chunk)

    def leavers(self, leavers: list[RowResult]) -> None:
        self._write(_record(r) for r in leavers)

    def reset(self) -> None:
        """Nothing of what was written counts (the file was refused part-way through)."""
        self._out.close()
        self.file.close()
        self.__init__()

    def finish(self, preview) -> None:
        self._out.close()
        self.file.flush()
        planner = self.planner
        if planner is not None and planner.needs_fixing:
            # Problems found on a later row that concern an earlier one: written again.
            old = self.file
            self.tally = _Tally()
            self._start()
            with gzip.open(old.name, "rb") as lines:
                for chunk in _batches(lines, CHUNK_ROWS):
                    recs = [json.loads(line) for line in chunk]
                    for rec in recs:
                        planner.fix(rec)
                    self._write(recs)
            old.close()
            self._out.close()
            self.file.flush()

    def open(self):
        return open(self.file.name, "rb")


def _batches(iterable, size: int):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class ProblemList(Sequence):
    """A preview's errors (or warnings), file errors first, read from the rows log as needed.

    len() is the count; iterating streams them all (the first MAX_STORED_ERRORS are in
    memory, the rest are read from the log), so printing every error holds none of them.
    """

    def __init__(self, preview, kind: str = "errors"):
        self._preview, self._kind = preview, kind

    def _parts(self):
        p, tally = self._preview, self._preview.tally
        if self._kind == "errors":
            return p.file_errors, tally.first_errors, tally.errors
        return [], tally.first_warnings, tally.warnings

    def __len__(self) -> int:
        first, _kept, total = self._parts()
        return len(first) + total

    def __iter__(self) -> Iterator[Problem]:
        first, kept, total = self._parts()
        yield from first
        yield from kept
        if total > len(kept) and self._preview.log is not None:
            skip = len(kept)
            for row in LogRows(self._preview.log.open, "errors"):
                for p in getattr(row, self._kind):
                    if skip:
                        skip -= 1
                    else:
                        yield p

    def __getitem__(self, index):
        if isinstance(index, slice):
            if (index.start or 0) >= 0 and (index.stop or 0) >= 0 and index.step in (None, 1):
                return list(itertools.islice(self, index.start, index.stop))
            return list(self)[index]
        if index < 0:
            return list(self)[index]
        try:
            return next(itertools.islice(self, index, None))
        except StopIteration:
            raise IndexError(index) from None

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"<ProblemList of {len(self)} {self._kind}>"


class _FirstSeen:
    """A compact set of 64-bit key hashes, each with the row it was first seen on.

    Open addressing over two arrays: 12 bytes a slot, kept under 70% full, so finding a
    value again in the file (a duplicate) costs about 17 bytes a key, not a Python object.
    """

    __slots__ = ("keys", "rows", "mask", "used")

    def __init__(self, size: int = 1024):
        self.keys = array("q", bytes(8 * size))
        self.rows = array("i", bytes(4 * size))
        self.mask = size - 1
        self.used = 0

    def add(self, h: int, row: int) -> int:
        """0 if h is new (and now recorded on row), else the row it was first seen on."""
        h = h or 1
        keys, mask = self.keys, self.mask
        i = h & mask
        while True:
            k = keys[i]
            if k == 0:
                break
            if k == h:
                return self.rows[i]
            i = (i + 1) & mask
        keys[i] = h
        self.rows[i] = row
        self.used += 1
        if self.used * 10 > 7 * (mask + 1):
            self._grow()
        return 0

    def _grow(self) -> None:
        old_keys, old_rows = self.keys, self.rows
        size = 2 * (self.mask + 1)
        self.keys = array("q", bytes(8 * size))
        self.rows = array("i", bytes(4 * size))
        self.mask = size - 1
        keys, rows, mask = self.keys, self.rows, self.mask
        for k, row in zip(old_keys, old_rows, strict=True):
            if k:
                i = k & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = k
                rows[i] = row


@dataclass
class ImportPreview:
    kind: str
    file_name: str = ""
    file_type: str = ""  # "csv" or "xlsx"
    encoding: str = ""
    sheet: str = ""
    header_row: int | None = None
    headings: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mapping_used: dict = field(default_factory=dict)
    file_sha256: str = ""
    import_obj: LearnerImport | None = None
    tally: _Tally = field(default_factory=_Tally)
    log: _RowLog | None = None  # the rows log (None for a commit: its rows went to the db)

    @property
    def errors(self) -> ProblemList:
        return ProblemList(self, "errors")

    @property
    def warnings(self) -> ProblemList:
        return ProblemList(self, "warnings")

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.tally.errors

    @property
    def needs_mapping(self) -> bool:
        """Required columns are missing but the file has headings a mapping could name."""
        return bool(self.missing_fields) and bool(self.headings)

    def iter_rows(self, show: str = "all") -> Iterator[LoggedRow]:
        """Every row's result (then every leaver's), read from the rows log as it goes."""
        if self.log is None:
            return iter(())
        return iter(LogRows(self.log.open, show))

    @property
    def rows(self) -> list[LoggedRow]:
        """The file's rows, all in memory: for small files and tests (else iter_rows)."""
        return [r for r in self.iter_rows() if r.effect != LEAVER]

    @property
    def leavers(self) -> list[LoggedRow]:
        return [r for r in self.iter_rows() if r.effect == LEAVER]

    @property
    def all_rows(self) -> list[LoggedRow]:
        return list(self.iter_rows())

    @property
    def counts(self) -> dict:
        t = self.tally
        effects = t.effects
        counts = {
            "rows": t.rows,
            "errors": len(self.file_errors) + t.errors,
            "warnings": t.warnings,
            "error_rows": effects[ERROR],
            "rows_with_problems": t.problem_rows,
        }
        if self.kind == CLASS_LIST:
            counts.update(
                add=effects[ADD], unchanged=effects[UNCHANGED], groups_created=len(self.new_groups)
            )
        else:
            counts.update(
                create=effects[CREATE],
                update=effects[UPDATE],
                unchanged=effects[UNCHANGED],
                leaver=t.leavers,
            )
        counts["columns_not_stored"] = [
            c.heading for c in self.columns if c.status == "recognised, not stored"
        ]
        counts["columns_unknown"] = [
            c.heading for c in self.columns if c.status == "not recognised"
        ]
        # What the preview page shows besides the rows, so it need not read the file again.
        counts["notes"] = list(self.notes)
        counts["columns"] = [[c.heading, c.label] for c in self.columns]
        counts["sheet"] = self.sheet
        counts["header_row"] = self.header_row
        counts["has_headings"] = bool(self.headings)
        return counts


# --------------------------------------------------------------------------- file checks

_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel .xls file or a password-protected workbook: save it as .xlsx or CSV",
    ),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text (Excel's \u201cUnicode Text\u201d): save it as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text: save it as CSV UTF-8"),
)


def _mb(n: int) -> str:
    return f"{n / MB:.1f}".removesuffix(".0")


def _too_big(size: int | None, limit: int) -> FileRefused:
    if size is None:
        return FileRefused(f"the file is over the {_mb(limit)} MB limit")
    return FileRefused(f"the file is {size / MB:.1f} MB, over the {_mb(limit)} MB limit")


def read_upload(uploaded_file, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """The bytes of an upload (bytes, an UploadedFile or an open binary file), size-checked."""
    if isinstance(uploaded_file, (bytes, bytearray, memoryview)):
        data = bytes(uploaded_file)
    else:
        size = getattr(uploaded_file, "size", None)
        if size is not None and size > max_bytes:
            raise _too_big(size, max_bytes)
        if hasattr(uploaded_file, "seek"):
            try:
                uploaded_file.seek(0)
            except (OSError, ValueError):
                pass
        data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        whole = isinstance(uploaded_file, (bytes, bytearray, memoryview))
        raise _too_big(len(data) if whole else None, max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    return data


def check_file(
    data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES, max_expanded: int = MAX_XLSX_EXPANDED_BYTES
) -> tuple[str, str]:
    """("xlsx", "") or ("csv", encoding) from the content, whatever the file is called.

    Raises FileRefused with a clear reason otherwise.
    """
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        _check_xlsx(data, max_expanded)
        return "xlsx", ""
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise FileRefused(f"{NOT_A_SPREADSHEET} (it looks like {what})")
    encoding = _text_encoding(data)
    return "csv", encoding


def _check_xlsx(data: bytes, max_expanded: int) -> None:
    problem, total = inspect_xlsx_archive(
        data, max_expanded=max_expanded, max_members=MAX_XLSX_MEMBERS, max_ratio=MAX_XLSX_RATIO
    )
    if problem == XLSX_DAMAGED:
        raise FileRefused(f"{NOT_A_SPREADSHEET} (it is a damaged zip or XLSX file)")
    if problem == XLSX_NOT_WORKBOOK:
        raise FileRefused(f"{NOT_A_SPREADSHEET} (it is a zip archive but not an Excel workbook)")
    if problem == XLSX_MACROS:
        raise FileRefused(
            "macro-enabled workbooks are refused; save it as a plain Excel Workbook (.xlsx)"
        )
    if problem == XLSX_BOMB:
        raise FileRefused(
            f"refused: the XLSX expands to {_mb(total)} MB "
            f"(from {_mb(len(data))} MB); it looks like a zip bomb"
        )


def _looks_binary(text: str) -> bool:
    """A NUL, or more control characters than a text export ever holds (over 10, and over
    1 in 100). A stray one in a real export is not binary: the row check names its cell."""
    if "\x00" in text:
        return True
    if _CONTROL.search(text) is None:
        return False
    found = len(_CONTROL.findall(text))
    return found > 10 and found * 100 > len(text)


def _text_encoding(data: bytes) -> str:
    """utf-8-sig, utf-8 or cp1252, checked chunk by chunk (memory flat); refuse binary."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp1252")
    head = data[:2048].lstrip().lower()
    if head.startswith(b"<"):
        raise FileRefused(
            f"{NOT_A_SPREADSHEET} (it looks like a web page or XML; some MIS "
            "\u201cExcel\u201d exports are: open it in Excel and save it as .xlsx or CSV)"
        )
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            for start in range(0, len(data), MB):
                text = decoder.decode(data[start : start + MB], final=start + MB >= len(data))
                if _looks_binary(text):
                    raise FileRefused(f"{NOT_A_SPREADSHEET} (it contains binary data, not text)")
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(f"{NOT_A_SPREADSHEET} (it is neither UTF-8 nor Windows-1252 text)")


# --------------------------------------------------------------------------- reading rows


@dataclass
class _Source:
    rows: object  # iterator of (row number, list of cell values)
    sheet: str = ""
    date_base: dt.date = dt.date(1899, 12, 30)
    close: object = None


@functools.cache
def _read_only_reader():
    """openpyxl's reader for load_workbook(read_only=True), but opening no sheet to size it.

    openpyxl's read-only sheet reads its stored dimensions when it is opened, and a file
    without them (as many MIS exports and openpyxl's own write-only files are) is parsed
    from end to end just for that; the importer then drops them anyway (every row is read,
    whatever they say: reset_dimensions). This reader skips that extra pass over the sheet,
    and drops each row from the parsed tree once read (memory flat in the rows).
    """
    from openpyxl.cell.read_only import EMPTY_CELL
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    data_tag = f"{{{SHEET_MAIN_NS}}}sheetData"

    class Parser(WorkSheetParser):
        def parse(self):
            """The rows, each dropped from the parsed tree once read.

            openpyxl's parser clears each row it has read but leaves it in the tree, about
            80 bytes a row for the whole sheet; this one removes it. It reads only the rows
            (the sheet's other parts are of no use to a read-only sheet's values).
            """
            # Only start events (as many as openpyxl's end events): a row is whole once
            # the next one starts, or the sheet has ended.
            rows = pending = None
            for _event, element in iterparse(self.source, events=("start",)):
                tag = element.tag
                if tag == ROW_TAG:
                    if pending is not None:
                        yield self._take(pending, rows)
                    pending = element
                elif tag == data_tag:
                    rows = element
            if pending is not None:
                yield self._take(pending, rows)

        def _take(self, element, rows):
            row = self.parse_row(element)
            element.clear()
            if rows is not None:
                rows.remove(element)  # the first child: every row before it is gone
            return row

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):  # dimensions unknown: as after reset_dimensions()
            self._max_row = self._max_column = None

        def _cells_by_row(self, min_col, min_row, max_col, max_row, values_only=False):
            # openpyxl's own, but with the Parser above; every sheet here is read whole
            # (reset_dimensions), so no row is missing at the end.
            filler = None if values_only else EMPTY_CELL
            max_col = max_col or self.max_column
            empty_row = (filler,) * (max_col + 1 - min_col) if max_col is not None else []
            counter = min_row
            with self._get_source() as src:
                parser = Parser(
                    src,
                    self._shared_strings,
                    data_only=self.parent.data_only,
                    epoch=self.parent.epoch,
                    date_formats=self.parent._date_formats,
                    timedelta_formats=self.parent._timedelta_formats,
                )
                for idx, row in parser.parse():
                    if max_row is not None and idx > max_row:
                        break
                    for _ in range(counter, idx):  # rows the file leaves out
                        counter += 1
                        yield empty_row
                    if counter <= idx:
                        counter += 1
                        yield self._get_row(row, min_col, max_col, values_only)

    class Reader(ExcelReader):
        def read_worksheets(self):  # read-only: worksheets only, as openpyxl opens them
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader


def _binary(data):
    """A binary file of data: bytes, or already an open file (a kept file, read as needed)."""
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _load_workbook(data):
    """load_workbook(read_only=True, data_only=False, keep_links=False) of the bytes (or file)."""
    reader = _read_only_reader()(_binary(data), read_only=True, data_only=False, keep_links=False)
    reader.read()
    return reader.wb


def _open_rows(data, file_type: str, encoding: str) -> _Source:
    if file_type == "xlsx":
        try:
            wb = _load_workbook(data)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise FileRefused(
                f"the XLSX file could not be read ({type(exc).__name__}); "
                "open it in Excel and save it again"
            ) from None
        if not wb.worksheets:
            wb.close()
            raise FileRefused("the XLSX file has no worksheet")
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the stored dimensions may be wrong; read every row there is
        base = (
            dt.date(1904, 1, 1)
            if getattr(wb, "epoch", None) and wb.epoch.year == 1904
            else dt.date(1899, 12, 30)
        )

        def rows():
            try:
                yield from enumerate(ws.iter_rows(values_only=True), start=1)
            except Exception as exc:  # damaged sheet XML, found only as it is read
                raise FileRefused(
                    f"the XLSX file could not be read ({type(exc).__name__}); "
                    "open it in Excel and save it again"
                ) from None

        return _Source(rows(), sheet=ws.title, date_base=base, close=wb.close)

    stream = io.TextIOWrapper(_binary(data), encoding=encoding, newline="")
    sample = stream.read(64 * 1024)
    stream.seek(0)
    reader = csv.reader(stream, delimiter=_csv_delimiter(sample))

    def csv_rows():
        n = 0
        try:
            for n, values in enumerate(reader, start=1):  # noqa: B007
                yield n, values
        except csv.Error as exc:
            raise FileRefused(f"row {n + 1}: the CSV could not be read ({exc})") from None

    return _Source(csv_rows())


CSV_DELIMITERS = ",;\t|"


def _csv_delimiter(sample: str) -> str:
    """The delimiter of a CSV from its first 64 KB: csv.Sniffer's, checked against headings.

    The sniffer wants every line alike, so a title line and a blank line above the headings
    (as SIMS reports have) defeat it. When its choice (or its failure) gives no header row,
    the delimiter that splits one of the first rows into two recognised headings wins; with
    none, the one that splits the first rows widest (a file for the mapping step).
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None

    def score(delimiter: str) -> tuple[int, int]:
        rows = (r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r))
        recognised = widest = 0
        for cells in itertools.islice(rows, HEADER_SEARCH_ROWS):
            fields = {ALIAS_INDEX.get(normalise_heading(c), (None,))[0] for c in cells} - {None}
            recognised, widest = max(recognised, len(fields)), max(widest, len(cells))
        return recognised, widest

    if sniffed is not None and score(sniffed)[0] >= 2:
        return sniffed
    scores = {d: score(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: (scores[d], d == sniffed, d == ","))
    if scores[best][0] >= 2 or sniffed is None:
        return best
    return sniffed


def _is_formula(value) -> bool:
    if isinstance(value, str):
        return len(value) > 1 and value[0] == "="
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%d/%m/%Y")
            if value.time() == dt.time()
            else value.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --------------------------------------------------------------------------- cleaning values

_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d*)?E\+?\d+$", re.IGNORECASE)  # 1.00000E+09


def parse_date(
    value, date_base: dt.date = dt.date(1899, 12, 30)
) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, why not). UK dd/mm/yyyy, yyyy-mm-dd, Excel serials, real dates."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, date_base, _text(value))
    text = _text(value)
    if _SERIAL.match(text):
        return _serial(float(text), date_base, text)
    m = _DMY.match(text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            return None, f"{text}: write the year in full (dd/mm/yyyy)"
    else:
        m = _YMD.match(text)
        if not m:
            return None, f"{text} is not a date: use dd/mm/yyyy"
        year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day), None
    except ValueError:
        hint = " (dates are read as dd/mm/yyyy)" if month > 12 and day <= 12 else ""
        return None, f"{text} is not a real date{hint}"


def _serial(number: float, base: dt.date, text: str) -> tuple[dt.date | None, str | None]:
    if number < 1 or number > 2958465 or number != int(number):
        return None, f"{text} is not a date: use dd/mm/yyyy"
    return base + dt.timedelta(days=int(number)), None


def _check_born(born: dt.date, today: dt.date):
    """(born, None), or (None, why not) for a date of birth in the future or out of range."""
    problem = date_of_birth_problem(born, today)
    return (None, problem) if problem else (born, None)


def _clean(field_name: str, cell, text: str, date_base: dt.date, today: dt.date):
    """(value, reason): value None for an empty cell; reason None when the value is good."""
    if field_name == "date_of_birth":
        if not text:
            return None, None
        born, reason = parse_date(cell, date_base)
        if reason:
            return None, reason
        return _check_born(born, today)
    if not text:
        return None, None
    if problem := text_problem(text):
        return None, problem
    if field_name == "sex":
        sex = {"m": "M", "male": "M", "f": "F", "female": "F"}.get(text.casefold())
        if not sex:
            return None, f"{text} is not M or F (sex as the awarding body records it)"
        return sex, None
    if field_name == "uln":
        value = text.replace(" ", "")
        if _SCIENTIFIC.match(value):
            return None, (
                f"ULN {text}: Excel has shown it in scientific notation and its digits are "
                "lost; format the ULN column as text (or as a number with no decimals) in "
                "the MIS export or Excel, and export it again"
            )
        problem = uln_problem(value)
        return (None, f"ULN {text}: {problem}") if problem else (value, None)
    if field_name == "uci":
        value = text.replace(" ", "").upper()
        problem = uci_problem(value)
        return (None, f"UCI {text}: {problem}") if problem else (value, None)
    if field_name == "candidate_number":
        value = text.replace(" ", "")
        if value.isdigit() and len(value) < 4:
            value = value.zfill(4)  # Excel drops the leading zeros of 0042
        if len(value) != 4 or not value.isdigit() or value == "0000":
            return None, f"{text} is not a candidate number: four digits, 0001\u20139999"
        return value, None
    if field_name == "email":
        try:
            validate_email(text)
        except ValidationError:
            return None, f"{text} is not a valid e-mail address"
    limit = MAX_LENGTH.get(field_name)
    if limit and len(text) > limit:
        return None, f"longer than {limit} characters"
    return text, None


def _display(value) -> str:
    if value is None or value == "":
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _name(values: dict, learner: Learner | None = None) -> str:
    last = values.get("last_name") or (learner.last_name if learner else "")
    first = values.get("first_name") or (learner.first_name if learner else "")
    return f"{last.upper()}, {first}" if (last or first) else ""


def _identifiers(values: dict) -> str:
    parts = []
    for f, label in (
        ("admission_number", "Adno"),
        ("uln", "ULN"),
        ("uci", "UCI"),
        ("candidate_number", "Cand"),
    ):
        if values.get(f):
            parts.append(f"{label} {values[f]}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- columns


def centre_mapping(centre, kind: str) -> dict:
    row = ColumnMapping.objects.filter(centre=centre, kind=kind).first()
    return dict(row.mapping) if row else {}


def save_mapping(centre, kind: str, mapping: dict[str, str], *, user=None) -> ColumnMapping:
    """Remember heading -> field for the centre's files of this kind (merged with what it had)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    allowed = set(FIELD_LABELS) | {IGNORE}
    clean = {}
    for heading, field_name in mapping.items():
        field_name = field_name or IGNORE
        if field_name not in allowed:
            raise ValueError(f"{field_name!r} is not a field an import can fill")
        clean[str(heading).strip().lower()] = field_name
    with transaction.atomic():
        obj = ColumnMapping.objects.select_for_update().filter(centre=centre, kind=kind).first()
        before = dict(obj.mapping) if obj else {}
        after = before | clean
        if obj is None:
            obj = ColumnMapping.objects.create(centre=centre, kind=kind, mapping=after)
        elif after != before:
            obj.mapping = after
            obj.save(update_fields=["mapping", "updated_at"])
        if after != before:
            audit.record(
                user, "column_mapping.saved", obj, centre=centre, before=before or None, after=after
            )
    return obj


def _mapping_index(mapping: dict | None) -> dict[str, str]:
    return {
        normalise_heading(k): (v or IGNORE)
        for k, v in (mapping or {}).items()
        if v in FIELD_LABELS or v in (IGNORE, "", None)
    }


def _recognise(heading: str, explicit: dict, remembered: dict) -> tuple[str | None, int, bool]:
    """(field or None, rank, explicitly mapped?) for one heading."""
    key = normalise_heading(heading)
    if not key:
        return None, 0, False
    for source in (explicit, remembered):
        if key in source:
            value = source[key]
            return (None if value == IGNORE else value), -1, True
    if key in ALIAS_INDEX:
        f, rank = ALIAS_INDEX[key]
        return f, rank, False
    return None, 0, False


def resolve_columns(headings: list[str], kind: str, explicit: dict, remembered: dict):
    """(columns, {field: index}, problems) for a header row."""
    columns: list[Column] = []
    candidates: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    problems: list[Problem] = []
    for index, heading in enumerate(headings):
        if not heading:
            continue
        f, rank, mapped = _recognise(heading, explicit, remembered)
        key = normalise_heading(heading)
        if f is None:
            ignored = key in explicit or key in remembered
            columns.append(Column(index, heading, None, "ignored" if ignored else "not recognised"))
            continue
        columns.append(Column(index, heading, f, "used"))
        candidates[f].append((0 if mapped else 1, rank, index))
    used: dict[str, int] = {}
    by_index = {c.index: c for c in columns}
    for f, options in candidates.items():
        options.sort()
        best = options[0]
        mapped_twice = [o for o in options if o[0] == 0]
        if len(mapped_twice) > 1:
            names = " and ".join(headings[o[2]] for o in mapped_twice)
            problems.append(
                Problem(f"columns {names} are both mapped to {FIELD_LABELS[f]}; map only one")
            )
        for o in options[1:]:
            c = by_index[o[2]]
            c.field, c.status = None, f"not used: {headings[best[2]]} gives the {FIELD_LABELS[f]}"
        if f in KIND_FIELDS[kind]:
            used[f] = best[2]
        else:
            c = by_index[best[2]]
            c.field, c.status = None, "recognised, not stored"
    return columns, used, problems


def _missing(kind: str, used: dict) -> list[str]:
    missing = [f for f in REQUIRED[kind] if f not in used]
    if kind == CLASS_LIST and not any(f in used for f in CLASS_LIST_IDS):
        missing.append("admission_number")
    return missing


def _example(f: str) -> str:
    return f"{FIELD_LABELS[f]} (e.g. \u201c{ALIASES[f][0]}\u201d)"


# --------------------------------------------------------------------------- analysis


def analyse(
    data: bytes,
    *,
    centre,
    kind: str,
    mapping: dict | None = None,
    cohort: Cohort | None = None,
    mark_leavers: bool = True,
    file_name: str = "",
    max_bytes: int = MAX_IMPORT_BYTES,
    max_expanded: int = MAX_XLSX_EXPANDED_BYTES,
    use_remembered: bool = True,
    sink=None,
    kept: tuple | None = None,
) -> ImportPreview:
    """Read and check the whole file against the database, a chunk of rows at a time.

    Each planned chunk goes to sink: by default a rows log (nothing is written but a
    temporary file: preview.log), or the commit's writer. Only a chunk of rows is held.
    mapping (heading -> field or "ignore") comes on top of the centre's remembered mapping
    (unless use_remembered is False: a commit uses exactly the mapping its preview used).
    kept, (sha256, file type, encoding), says data is an open kept file that passed the
    file checks when it was previewed (its hash checked since): it is read, not loaded.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    sink = _RowLog() if sink is None else sink
    preview = ImportPreview(
        kind=kind,
        file_name=file_name,
        file_sha256=kept[0] if kept else hashlib.sha256(data).hexdigest(),
        log=sink if isinstance(sink, _RowLog) else None,
    )
    try:
        if kept:
            file_type, encoding = kept[1:]
        else:
            file_type, encoding = check_file(data, max_bytes=max_bytes, max_expanded=max_expanded)
        source = _open_rows(data, file_type, encoding)
    except FileRefused as exc:
        preview.file_errors.append(exc.problem)
    else:
        preview.file_type, preview.encoding, preview.sheet = file_type, encoding, source.sheet
        try:
            _analyse_rows(
                preview,
                source,
                sink,
                centre=centre,
                kind=kind,
                mapping=mapping,
                cohort=cohort,
                mark_leavers=mark_leavers,
                use_remembered=use_remembered,
            )
        except FileRefused as exc:
            preview.file_errors.append(exc.problem)
            sink.reset()
        finally:
            if source.close:
                source.close()
    sink.finish(preview)
    preview.tally = sink.tally
    return preview


def _analyse_rows(
    preview, source, sink, *, centre, kind, mapping, cohort, mark_leavers, use_remembered
):
    explicit = _mapping_index(mapping)
    remembered = _mapping_index(centre_mapping(centre, kind)) if use_remembered else {}
    preview.mapping_used = remembered | explicit
    rows = iter(source.rows)

    # 1. The header row: the first of the first ten with two recognised headings.
    buffered = []
    for n, cells in rows:
        if any(_text(c) for c in cells):
            buffered.append((n, cells))
            if len(buffered) >= HEADER_SEARCH_ROWS:
                break
    if not buffered:
        raise FileRefused("the file is empty")
    header_at = None
    for i, (_n, cells) in enumerate(buffered):
        found = {
            _recognise(_text(c), explicit, remembered)[0] for c in cells if isinstance(c, str)
        } - {None}
        if len(found) >= 2:
            header_at = i
            break
    if header_at is None:
        # For the mapping step: the row with the most text cells is most likely the headings.
        best = max(
            range(len(buffered)), key=lambda i: (sum(1 for c in buffered[i][1] if _text(c)), -i)
        )
        n, cells = buffered[best]
        preview.header_row = n
        preview.headings = [_text(c) for c in cells]
        preview.missing_fields = list(REQUIRED[kind])
        found = ", ".join(h for h in preview.headings if h) or "none"
        preview.file_errors.append(
            Problem(
                f"no header row: none of the first {HEADER_SEARCH_ROWS} rows has two recognised "
                f"headings (such as Legal Surname, Legal Forename, DOB); "
                f"headings found in row {n}: {found}",
                row=n,
            )
        )
        return
    header_n, header_cells = buffered[header_at]
    preview.header_row = header_n
    headings = [_text(c) for c in header_cells]
    preview.headings = headings
    for i, c in enumerate(header_cells):
        if _is_formula(c):
            preview.file_errors.append(
                Problem(FORMULA_REASON, header_n, _column_letter(i), str(c)[:60])
            )
    columns, used, problems = resolve_columns(headings, kind, explicit, remembered)
    preview.columns = columns
    preview.file_errors.extend(Problem(p.reason, header_n) for p in problems)
    missing = _missing(kind, used)
    if missing:
        preview.missing_fields = missing
        found = ", ".join(h for h in headings if h)
        need = "; ".join(_example(f) for f in missing)
        if kind == CLASS_LIST and "admission_number" in missing:
            need = need.replace(
                _example("admission_number"),
                "a learner identifier (Adno, ULN, Candidate No or UCI)",
            )
        preview.file_errors.append(
            Problem(f"missing required columns: {need}. Headings found: {found}", row=header_n)
        )
        return
    if kind == CLASS_LIST and cohort is None:
        preview.file_errors.append(Problem("choose the programme this class list is for"))
        return
    if kind == CLASS_LIST and cohort.centre_id != centre.pk:
        preview.file_errors.append(
            Problem(f"the programme {cohort} is not at centre {centre.number}")
        )
        return

    heading_of = {f: (headings[i] or _column_letter(i)) for f, i in used.items()}
    today = timezone.localdate()
    data_rows = itertools.chain(buffered[header_at + 1 :], rows)
    parsed = _parse_rows(
        data_rows, ROW_CLASS[kind], used, headings, heading_of, source.date_base, today
    )
    planner = None
    for chunk in _batches(parsed, CHUNK_ROWS):
        if planner is None:  # the centre's learners are loaded once there is a row to plan
            if kind == LEARNERS:
                planner = _LearnerPlanner(
                    preview,
                    centre=centre,
                    used=used,
                    heading_of=heading_of,
                    mark_leavers=mark_leavers,
                    today=today,
                )
            else:
                planner = _ClassListPlanner(
                    preview, centre=centre, cohort=cohort, used=used, heading_of=heading_of
                )
        planner.plan(chunk)
        sink.rows(chunk, planner)
    if planner is None:
        preview.file_errors.append(
            Problem(f"there are no rows below the header row (row {header_n})", row=header_n)
        )
        return
    sink.leavers(planner.finish())


def _parse_rows(data_rows, row_class, used, headings, heading_of, date_base, today):
    """Each non-blank row below the header, its values cleaned, as a RowResult (streamed)."""
    width = len(row_class.FIELDS)
    # (place in the row's values, column index, field, heading) for each column read
    plan = [(row_class.FIELDS.index(f), i, f, heading_of[f]) for f, i in used.items()]
    count = 0
    for n, cells in data_rows:
        # One pass over the cells: is the row blank, and does it hold a formula?
        blank, formulas = True, False
        for c in cells:
            if c is None:
                continue
            if c.__class__ is str:
                if blank and c.strip():
                    blank = False
                if c[:1] == "=" and len(c) > 1:
                    formulas = True
            else:
                if blank and _text(c):
                    blank = False
                if _is_formula(c):
                    formulas = True
        if blank:
            continue
        if count >= MAX_ROWS:
            raise FileRefused(
                f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
            )
        count += 1
        result = row_class(n, ERROR)
        if formulas:
            for i, c in enumerate(cells):
                if _is_formula(c):
                    heading = (
                        headings[i] if i < len(headings) and headings[i] else _column_letter(i)
                    )
                    result.add_error(Problem(FORMULA_REASON, n, heading, str(c)[:60]))
        values = [None] * width
        ncells = len(cells)
        for pos, i, f, heading in plan:
            cell = cells[i] if i < ncells else None
            if cell is None or (formulas and _is_formula(cell)):
                continue
            if cell.__class__ is dt.datetime and f == "date_of_birth":
                # a date cell: no text to read (only for the message, if it is wrong)
                value, reason = _check_born(cell.date(), today)
                if reason:
                    result.add_error(Problem(reason, n, heading, _text(cell)))
                else:
                    values[pos] = value
                continue
            text = _text(cell)
            value, reason = _clean(f, cell, text, date_base, today)
            if reason:
                result.add_error(Problem(reason, n, heading, text))
            elif value is not None:
                values[pos] = value
        result.vals = tuple(values)
        yield result


def _in_chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _who(learner: Learner) -> str:
    return (
        f"{learner}, admission number {learner.admission_number}"
        if learner.admission_number
        else str(learner)
    )


def _person_key(first, last, born):
    return (first.casefold().strip(), last.casefold().strip(), born)


_LAST, _FIRST, _BORN, _SEX, _ADNO = (
    _L["last_name"],
    _L["first_name"],
    _L["date_of_birth"],
    _L["sex"],
    _L["admission_number"],
)
_LEARNER_IDS = ("uln", "uci", "candidate_number", "admission_number")  # checked for clashes
SEX_MISSING = "missing: sex (M or F) is needed for a new learner"
_PERSON = len(UNIQUE_IN_FILE)  # the key tag of a (first name, last name, born) in _FirstSeen


class _LearnerPlanner:
    """Works out each row's effect, a chunk at a time, against the centre's learners.

    What it keeps between chunks is proportional to the centre's learners (their index,
    who was matched), not to the file, but for the keys that find a value repeated in the
    file: one hash each (_FirstSeen). A problem a later row finds with an earlier one (both
    rows of a duplicate, the first of two rows matching one learner, two new learners
    alike) is kept in `fixes` and applied to the rows log at the end (fix()).
    """

    def __init__(self, preview, *, centre, used, heading_of, mark_leavers, today):
        self.preview, self.centre, self.used, self.heading_of = preview, centre, used, heading_of
        self.mark_leavers, self.today = mark_leavers, today
        self.required = [(_L[f], f, heading_of[f]) for f in REQUIRED[LEARNERS]]
        self.unique = [(_L[f], f, tag) for tag, f in enumerate(UNIQUE_IN_FILE) if f in heading_of]
        # The centre's learners, in one query; identifiers held elsewhere, a chunk at a time.
        self.existing = list(Learner.objects.filter(centre=centre))
        self.index = index = {f: {} for f in ("admission_number", "uln", "uci", "candidate_number")}
        self.people = defaultdict(list)
        for learner in self.existing:
            for f, d in index.items():
                v = getattr(learner, f)
                if v:
                    d.setdefault(v, learner)
            self.people[
                _person_key(learner.first_name, learner.last_name, learner.date_of_birth)
            ].append(learner)
        self.match_keys = [(_L[f], f, index[f]) for f in MATCH_KEYS]
        self.compared = [(_L[f], f) for f in KIND_FIELDS[LEARNERS]]
        self.seen = _FirstSeen()
        self.dups: dict[int, tuple[str, list[int]]] = {}  # key hash -> (field, its rows)
        self.alike: dict[int, list[int]] = {}  # person hash -> the rows of new learners alike
        self.matched_by: dict[int, int] = {}  # learner pk -> the first row matching them
        self.appended: dict[int, list[Problem]] = defaultdict(list)  # row -> errors found later
        self.in_file_adnos: set[str] = set()  # those of the centre's learners only
        self.matched: set[int] = set()
        self._fixes = None

    @property
    def unclean(self) -> bool:
        """A row already passed on has an error found since (a commit cannot go on)."""
        return bool(self.dups or self.appended)

    @property
    def needs_fixing(self) -> bool:
        return bool(self.dups or self.appended or self.alike)

    def _elsewhere(self, chunk) -> dict[str, set]:
        found = {}
        for f in ("uln", "uci"):
            pos, known = _L[f], self.index[f]
            wanted = {r.vals[pos] for r in chunk if r.vals[pos]}
            wanted = [v for v in wanted if v not in known]
            found[f] = (
                set(
                    Learner.objects.filter(**{f"{f}__in": wanted})
                    .exclude(centre=self.centre)
                    .values_list(f, flat=True)
                )
                if wanted
                else set()
            )
        return found

    def plan(self, chunk: list[RowResult]) -> None:
        heading_of, index, seen = self.heading_of, self.index, self.seen
        elsewhere = self._elsewhere(chunk)
        clash_keys = [(_L[f], f, index[f], elsewhere.get(f, ())) for f in _LEARNER_IDS]
        adnos = index["admission_number"]
        for r in chunk:
            v = r.vals
            # Required values
            for pos, f, heading in self.required:
                if v[pos] is None and not any(p.column == heading for p in r.errors):
                    r.add_error(
                        Problem(f"missing: a {FIELD_LABELS[f]} is required", r.row, heading, "")
                    )
            r.mark = len(r.errors)  # a duplicate's errors go here (fix())
            # Values repeated in the file: every row with one is told of the others (fix())
            repeated = False
            for pos, f, tag in self.unique:
                value = v[pos]
                if value:
                    h = hash((tag, value))
                    first = seen.add(h, r.row)
                    if first:
                        repeated = True
                        rows = self.dups.get(h)
                        if rows is None:
                            self.dups[h] = (f, [first, r.row])
                        else:
                            rows[1].append(r.row)
            learner = None
            for pos, f, known in self.match_keys:
                value = v[pos]
                if value and value in known:
                    found = known[value]
                    # A row with its own admission number never takes over a learner who has
                    # another one: the ULN or UCI clash is reported below instead.
                    if f == "admission_number" or not v[_ADNO] or not found.admission_number:
                        learner = found
                    break
            r.learner = learner
            if v[_ADNO] in adnos:
                self.in_file_adnos.add(v[_ADNO])
            if learner is not None:
                self.matched.add(learner.pk)
                first = self.matched_by.get(learner.pk)
                if first is not None:
                    r.add_error(
                        Problem(f"matches the same learner ({learner}) as row {first}", r.row)
                    )
                    self.appended[first].append(
                        Problem(f"matches the same learner ({learner}) as row {r.row}", first)
                    )
                else:
                    self.matched_by[learner.pk] = r.row
            # identifiers that belong to someone else
            for pos, f, known, other_centres in clash_keys:
                value = v[pos]
                if not value:
                    continue
                other = known.get(value)
                if other is not None and other is not learner:
                    r.add_error(
                        Problem(
                            f"{FIELD_LABELS[f]} {value} already belongs to another learner at "
                            f"this centre ({_who(other)})",
                            r.row,
                            heading_of[f],
                            value,
                        )
                    )
                elif value in other_centres:
                    r.add_error(
                        Problem(
                            f"{FIELD_LABELS[f]} {value} already belongs to a learner at another "
                            "centre",
                            r.row,
                            heading_of[f],
                            value,
                        )
                    )
            # possible duplicates: same legal name and date of birth, never merged
            if v[_FIRST] is not None and v[_LAST] is not None and v[_BORN] is not None:
                key = _person_key(v[_FIRST], v[_LAST], v[_BORN])
                for other in self.people.get(key, ()):
                    if other is not learner:
                        adno = (
                            f", admission number {other.admission_number}"
                            if other.admission_number
                            else ""
                        )
                        r.add_warning(
                            Problem(
                                f"possible duplicate: {other}{adno} has the same name and date "
                                "of birth (not merged; check before committing)",
                                r.row,
                            )
                        )
                if learner is None:  # two new learners alike (an existing one: above)
                    h = hash((_PERSON, *key))
                    first = seen.add(h, r.row)
                    if first:
                        self.alike.setdefault(h, [first]).append(r.row)
            if r.errors or repeated:
                r.effect = ERROR
                continue
            if learner is None:
                if not v[_SEX]:
                    column = heading_of.get("sex", "Sex")
                    r.add_error(Problem(SEX_MISSING, r.row, column, ""))
                    r.effect = ERROR
                    continue
                r.effect = CREATE  # its changes (every value) are shown from r.vals
                continue
            changed, changes = [], []
            for pos, f in self.compared:
                value = v[pos]
                if value is not None and (getattr(learner, f) or "") != value:
                    changed.append(f)
                    changes.append(
                        (FIELD_LABELS[f], _display(getattr(learner, f)), _display(value))
                    )
            if not learner.on_roll:
                changed += ["on_roll", "left_on"]
                changes.append(("on roll", "no", "yes"))
                changes.append(("left on", _display(learner.left_on), "\u2014"))
            r.changed_fields = changed
            r.changes = changes
            r.effect = UPDATE if changed else UNCHANGED

    def finish(self) -> list[RowResult]:
        """The leavers (learners on roll missing from the file), and the notes."""
        preview = self.preview
        if "admission_number" not in self.used:
            preview.notes.append(
                "The file has no admission number column, so leavers are not worked out."
            )
            return []
        if not self.mark_leavers:
            preview.notes.append(
                "Leavers are not marked: learners missing from the file are left as they are."
            )
            return []
        left_on = _display(self.today)
        leavers = [
            LeaverRow(
                None,
                LEAVER,
                learner=learner,
                changes=[("on roll", "yes", "no"), ("left on", "\u2014", left_on)],
                changed_fields=["on_roll", "left_on"],
            )
            for learner in self.existing
            if learner.on_roll
            and learner.admission_number
            and learner.admission_number not in self.in_file_adnos
            and learner.pk not in self.matched
        ]
        leavers.sort(key=lambda r: r.name)
        return leavers

    def _by_row(self) -> dict[int, dict]:
        if self._fixes is None:
            fixes: dict[int, dict] = defaultdict(lambda: {"dups": [], "alike": []})
            order = {f: i for i, f in enumerate(UNIQUE_IN_FILE)}
            for f, rows in self.dups.values():
                for row in rows:
                    others = ", ".join(str(o) for o in rows if o != row)
                    fixes[row]["dups"].append((order[f], f, others))
            for rows in self.alike.values():
                for row in rows:
                    fixes[row]["alike"].append(", ".join(str(o) for o in rows if o != row))
            for row in self.appended:
                fixes[row]  # noqa: B018 (creates its entry)
            self._fixes = dict(fixes)
        return self._fixes

    def fix(self, rec: dict) -> None:
        """Put into a row's log line the problems later rows found with it."""
        row = rec.get("row")
        fix = self._by_row().get(row) if row is not None else None
        if fix is None:
            return
        errors = rec.get("errors", [])
        at = rec.pop("at", len(errors))
        if fix["dups"]:
            if len(errors) == 1 and errors[0][2] == SEX_MISSING:  # only asked when no error
                errors, at = [], 0
            values = rec.get("values", {})
            inserted = []
            for _order, f, others in sorted(fix["dups"]):
                value = values.get(f, "")
                inserted.append(
                    [
                        self.heading_of[f],
                        value,
                        f"{FIELD_LABELS[f]} {value} appears more than once in the file "
                        f"(also row {others})",
                    ]
                )
            errors = errors[:at] + inserted + errors[at:]
        errors += [[p.column, p.value, p.reason] for p in self.appended.get(row, ())]
        warnings = rec.get("warnings", []) + [
            [
                "",
                "",
                f"possible duplicate: row {others} has the same name and date of birth "
                "(not merged; check before committing)",
            ]
            for others in fix["alike"]
        ]
        if errors:
            rec["e"] = ERROR
            rec.pop("changes", None)
            rec["errors"] = errors
        if warnings:
            rec["warnings"] = warnings
        rec["p"] = 1 if errors or warnings else 0


class _ClassListPlanner:
    """Each class-list row's learner and group, a chunk at a time (as _LearnerPlanner)."""

    def __init__(self, preview, *, centre, cohort, used, heading_of):
        self.preview, self.cohort, self.heading_of = preview, cohort, heading_of
        self.ids = ids = [f for f in CLASS_LIST_IDS if f in used]
        self.index = {f: {} for f in ids}
        for learner in Learner.objects.filter(centre=centre).only(
            "id", "first_name", "last_name", "centre_id", *ids
        ):
            for f in ids:
                v = getattr(learner, f)
                if v:
                    self.index[f].setdefault(v, learner)
        self.groups = {g.name: g for g in TeachingGroup.objects.filter(cohort=cohort)}
        self.folded = {name.casefold(): g for name, g in self.groups.items()}
        self.members = set(
            TeachingGroup.learners.through.objects.filter(teachinggroup__cohort=cohort).values_list(
                "teachinggroup_id", "learner_id"
            )
        )
        self.new_groups: dict[str, str] = {}
        self.seen = _FirstSeen()
        self.appended: dict[int, list[tuple[str, int]]] = defaultdict(list)

    @property
    def unclean(self) -> bool:
        return bool(self.appended)

    needs_fixing = unclean

    def plan(self, chunk: list[RowResult]) -> None:
        heading_of, ids, index = self.heading_of, self.ids, self.index
        for r in chunk:
            v = r.values
            if "group" not in v and not any(p.column == heading_of["group"] for p in r.errors):
                r.add_error(
                    Problem("missing: a teaching group is required", r.row, heading_of["group"], "")
                )
            given = [f for f in ids if v.get(f)]
            if not given and not r.errors:
                r.add_error(
                    Problem(
                        "missing: no learner identifier (admission number, ULN, candidate "
                        "number or UCI)",
                        r.row,
                        heading_of[ids[0]],
                        "",
                    )
                )
            found = {}
            for f in given:
                learner = index[f].get(v[f])
                if learner is None:
                    r.add_error(
                        Problem(
                            f"no learner at this centre has {FIELD_LABELS[f]} {v[f]}",
                            r.row,
                            heading_of[f],
                            v[f],
                        )
                    )
                else:
                    found[f] = learner
            if len({learner.pk for learner in found.values()}) > 1:
                desc = "; ".join(f"{FIELD_LABELS[f]} {v[f]} is {lr}" for f, lr in found.items())
                r.add_error(Problem(f"the identifiers name different learners: {desc}", r.row))
            learner = next(iter(found.values()), None)
            r.learner = learner
            name = v.get("group", "")
            group = self.groups.get(name) or self.folded.get(name.casefold()) if name else None
            r.group = group.name if group else name
            if learner is not None and name:
                first = self.seen.add(hash((learner.pk, r.group.casefold())), r.row)
                if first:
                    r.add_error(
                        Problem(
                            f"{learner} is listed for group {r.group} again on row {first}",
                            r.row,
                            heading_of["group"],
                            r.group,
                        )
                    )
                    self.appended[first].append((str(learner), r.row))
            if r.errors:
                r.effect = ERROR
                continue
            if group is None:
                self.new_groups.setdefault(name.casefold(), name)
                r.effect = ADD
                r.changes = [("teaching group", "\u2014", f"{name} (group will be created)")]
            elif (group.pk, learner.pk) in self.members:
                r.effect = UNCHANGED
            else:
                r.effect = ADD
                r.changes = [("teaching group", "\u2014", group.name)]
            r.vals = r.vals[: _C["group"]] + (r.group,) + r.vals[_C["group"] + 1 :]

    def finish(self) -> list[RowResult]:
        preview, cohort = self.preview, self.cohort
        preview.new_groups = sorted(self.new_groups.values(), key=str.casefold)
        for name in preview.new_groups:
            preview.notes.append(
                f"group {name} will be created for {cohort} (delivered at {cohort.centre})"
            )
        return []

    def fix(self, rec: dict) -> None:
        later = self.appended.get(rec.get("row"))
        if not later:
            return
        group = rec.get("group", "")
        rec.pop("at", None)
        rec["errors"] = rec.get("errors", []) + [
            [
                self.heading_of["group"],
                group,
                f"{learner} is listed for group {group} again on row {row}",
            ]
            for learner, row in later
        ]
        rec["e"] = ERROR
        rec.pop("changes", None)
        rec["p"] = 1


# --------------------------------------------------------------------------- preview and commit


def _settings(import_obj: LearnerImport) -> dict:
    return (import_obj.counts or {}).get("settings", {})


def _stored_counts(preview: ImportPreview, settings: dict, log: str = "") -> dict:
    counts = preview.counts
    counts["settings"] = settings
    if log:
        counts["log"] = log
    return counts


def _stored_errors(preview: ImportPreview) -> list[dict]:
    errors = preview.errors
    out = [p.as_dict() for p in itertools.islice(errors, MAX_STORED_ERRORS)]
    if len(errors) > MAX_STORED_ERRORS:
        out.append(Problem(f"\u2026 and {len(errors) - MAX_STORED_ERRORS} more errors").as_dict())
    return out


_SHOWN = ("notes", "columns", "sheet", "header_row", "has_headings", "rows_with_problems")


def log_name(import_obj: LearnerImport) -> str:
    """Where the rows log of an import is kept ("" if it has none)."""
    return (import_obj.counts or {}).get("log", "")


def _keep_log(import_obj: LearnerImport, preview: ImportPreview) -> str:
    """Store the preview's rows log next to the import's kept file; its name."""
    if not import_obj.stored_file or preview.log is None:
        return ""
    storage = import_obj.stored_file.storage
    name = import_obj.stored_file.name + LOG_SUFFIX
    if storage.exists(name):  # an earlier analysis of this same kept file
        storage.delete(name)
    with preview.log.open() as fh:
        return storage.save(name, File(fh))


def logged_rows(import_obj: LearnerImport, show: str = "all") -> LogRows:
    """The rows of an import's rows log that show picks, for the preview page to page through.

    An import recorded before rows logs were kept has its log worked out (once) from its
    kept file.
    """
    name = log_name(import_obj)
    if not name and import_obj.stored_file:
        try:
            preview = analyse_import(import_obj)
        except ImportRefused:
            preview = None
        if preview is not None:
            name = _keep_log(import_obj, preview)
            shown = {k: v for k, v in preview.counts.items() if k in _SHOWN}
            import_obj.counts = shown | (import_obj.counts or {}) | {"log": name}
            LearnerImport.objects.filter(pk=import_obj.pk).update(counts=import_obj.counts)
    storage = import_obj.stored_file.storage

    def opener():
        if not name:
            return None
        try:
            return storage.open(name, "rb")
        except OSError:
            return None

    return LogRows(opener, show)


def preview_import(
    *,
    centre,
    kind: str,
    uploaded_file,
    file_name: str,
    user=None,
    mapping: dict | None = None,
    cohort: Cohort | None = None,
    mark_leavers: bool = True,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> ImportPreview:
    """Check and read the file, work out each row's effect, record the LearnerImport.

    Writes no learner. Each row's result goes to the rows log, kept next to the file (the
    preview page pages through it); the import keeps the counts and the first errors.
    """
    file_name = (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        data = read_upload(uploaded_file, max_bytes)
    except FileRefused as exc:
        preview = ImportPreview(kind=kind, file_name=file_name, file_errors=[exc.problem])
        data = b""
    else:
        preview = analyse(
            data,
            centre=centre,
            kind=kind,
            mapping=mapping,
            cohort=cohort,
            mark_leavers=mark_leavers,
            file_name=file_name,
            max_bytes=max_bytes,
        )
    sha = hashlib.sha256(data).hexdigest() if data else ""
    preview.file_sha256 = sha
    actor = user if getattr(user, "is_authenticated", False) else None
    settings = {
        "mapping": preview.mapping_used or _mapping_index(mapping),
        "cohort": cohort.pk if cohort is not None else None,
        "mark_leavers": mark_leavers,
        "header_row": preview.header_row,
        "encoding": preview.encoding,
    }
    obj = LearnerImport(
        centre=centre,
        kind=kind,
        file_name=file_name,
        file_sha256=sha,
        uploaded_by=actor,
        status=LearnerImport.Status.PREVIEWED if preview.ok else LearnerImport.Status.REFUSED,
        errors=_stored_errors(preview),
    )
    log = ""
    if preview.file_type:  # passed the file checks: keep it so commit (or mapping) can read it
        obj.stored_file.save(f"{sha[:32]}.{preview.file_type}", ContentFile(data), save=False)
        log = _keep_log(obj, preview)
    obj.counts = _stored_counts(preview, settings, log)
    obj.save()
    preview.import_obj = obj
    return preview


def read_stored_file(import_obj: LearnerImport) -> bytes:
    if not import_obj.stored_file:
        raise ImportRefused(
            [Problem("the file of this import was refused before it was kept; upload it again")]
        )
    try:
        with import_obj.stored_file.open("rb") as fh:
            data = fh.read()
    except OSError:
        raise ImportRefused(
            [Problem("the kept file of this import is missing; upload it again")]
        ) from None
    if import_obj.file_sha256 and hashlib.sha256(data).hexdigest() != import_obj.file_sha256:
        raise ImportRefused(
            [Problem("the kept file no longer matches the one previewed; upload it again")]
        )
    return data


@contextlib.contextmanager
def _open_kept(import_obj: LearnerImport):
    """(open file, file type, encoding) of an import's kept file, its hash checked as it is read.

    The file passed the file checks when it was previewed; the same bytes (same SHA-256)
    pass them again, so they are not run again and the file is never loaded whole.
    """
    if not import_obj.stored_file:
        raise ImportRefused(
            [Problem("the file of this import was refused before it was kept; upload it again")]
        )
    try:
        fh = import_obj.stored_file.storage.open(import_obj.stored_file.name, "rb")
    except OSError:
        raise ImportRefused(
            [Problem("the kept file of this import is missing; upload it again")]
        ) from None
    with fh:
        fh = getattr(fh, "file", fh)  # the underlying file, for zipfile and io's wrappers
        if import_obj.file_sha256 and (
            hashlib.file_digest(fh, "sha256").hexdigest() != import_obj.file_sha256
        ):
            raise ImportRefused(
                [Problem("the kept file no longer matches the one previewed; upload it again")]
            )
        fh.seek(0)
        file_type = "xlsx" if import_obj.stored_file.name.endswith(".xlsx") else "csv"
        encoding = _settings(import_obj).get("encoding", "")
        if file_type == "csv" and not encoding:  # an import recorded before it was kept
            try:
                encoding = _text_encoding(fh.read())
            except FileRefused:
                encoding = "cp1252"
            fh.seek(0)
        yield fh, file_type, encoding


def analyse_import(
    import_obj: LearnerImport, *, mapping: dict | None = None, sink=None
) -> ImportPreview:
    """The preview of a recorded import, worked out again from its kept file.

    Records nothing (its rows go to a temporary rows log, or to sink).
    """
    s = _settings(import_obj)
    cohort = (
        Cohort.objects.select_related("centre", "qualification").filter(pk=s.get("cohort")).first()
        if s.get("cohort")
        else None
    )
    with _open_kept(import_obj) as (fh, file_type, encoding):
        preview = analyse(
            fh,
            kept=(import_obj.file_sha256, file_type, encoding),
            centre=import_obj.centre,
            kind=import_obj.kind,
            mapping=mapping if mapping is not None else s.get("mapping"),
            cohort=cohort,
            mark_leavers=s.get("mark_leavers", True),
            file_name=import_obj.file_name,
            use_remembered="mapping" not in s,
            sink=sink,
        )
    preview.import_obj = import_obj
    return preview


CHANGED_MEANWHILE = (
    "the learners changed while this import was being applied; nothing was written: "
    "preview it again"
)


def commit_import(import_obj: LearnerImport, user=None) -> ImportPreview:
    """Apply a previewed import: read the kept file again, refuse on any error.

    Writes all of it or nothing: learners, groups, their audit events and the import
    record are one transaction. The import is claimed first with a conditional UPDATE
    (a row lock on PostgreSQL, the write lock on SQLite), so two clicks on Commit
    apply it once. The file is checked again against the database and written a chunk
    at a time (CHUNK_ROWS rows, with their audit events), holding no more than a chunk;
    at the first error the writes are rolled back and the whole file is analysed again
    for the refusal, its errors kept as a preview's are.
    """
    actor = user if getattr(user, "is_authenticated", False) else None
    refused = None
    Status = LearnerImport.Status
    with transaction.atomic():
        claimed = LearnerImport.objects.filter(pk=import_obj.pk, status=Status.PREVIEWED).update(
            status=Status.COMMITTED, committed_at=timezone.now()
        )
        locked = LearnerImport.objects.select_related("centre").get(pk=import_obj.pk)
        if not claimed:
            status = locked.get_status_display().lower()
            raise ImportRefused([Problem(f"this import is {status}; it cannot be committed")])
        writer_class = _ClassListWriter if locked.kind == CLASS_LIST else _LearnerWriter
        try:
            with transaction.atomic():
                preview = analyse_import(locked, sink=writer_class(locked, actor))
        except _Unclean:
            preview = None
        except IntegrityError:
            raise ImportRefused([Problem(CHANGED_MEANWHILE)]) from None
        if preview is None:
            # Nothing was written. The whole file again, as a preview: its rows and errors.
            preview = analyse_import(locked)
            if preview.ok:  # it was an error a moment ago: the learners are changing
                raise ImportRefused([Problem(CHANGED_MEANWHILE)])
            settings = _settings(locked)
            counts = _stored_counts(preview, settings, _keep_log(locked, preview))
            LearnerImport.objects.filter(pk=locked.pk).update(
                status=Status.REFUSED,
                committed_at=None,
                errors=_stored_errors(preview),
                counts=counts,
            )
            refused = preview.errors
        else:
            counts = _stored_counts(preview, _settings(locked), log_name(locked))
            locked.counts, locked.errors = counts, []
            locked.save(update_fields=["counts", "errors"])
    import_obj.refresh_from_db()
    if refused is not None:
        raise ImportRefused(refused)
    preview.import_obj = import_obj
    return preview


def _snapshot(learner: Learner, fields) -> dict:
    return {f: getattr(learner, f) for f in fields}


class _Writer:
    """The commit's sink: each planned chunk, if every row so far is good, written at once.

    A chunk's learners (or group memberships) are written with bulk inserts and updates,
    and its audit events in one audit.batch() (a savepoint of the commit's transaction):
    memory holds one chunk, never the file. At the first error it raises _Unclean.
    """

    def __init__(self, import_obj: LearnerImport, actor):
        self.import_obj, self.actor = import_obj, actor
        self.reason = f"MIS import #{import_obj.pk} ({import_obj.file_name})"
        self.tally = _Tally()
        self.planner = None
        self._leavers: list[RowResult] = []

    def rows(self, chunk: list[RowResult], planner) -> None:
        self.planner = planner
        if planner.unclean or any(r.effect == ERROR for r in chunk):
            raise _Unclean
        for r in chunk:
            self.tally.add(r.row, r.effect, r.errors, r.warnings)
        with audit.batch():
            self.write(chunk)

    def leavers(self, leavers: list[RowResult]) -> None:
        self._leavers = leavers

    def reset(self) -> None:
        raise _Unclean

    def finish(self, preview) -> None:
        if preview.file_errors or (self.planner is not None and self.planner.unclean):
            raise _Unclean
        for chunk in _batches(self._leavers, CHUNK_ROWS):
            self.tally.leavers += len(chunk)
            with audit.batch():
                self.write_leavers(chunk)
        self._leavers = []

    def write(self, chunk):
        raise NotImplementedError

    def write_leavers(self, chunk):
        pass


class _LearnerWriter(_Writer):
    def write(self, chunk: list[RowResult]) -> None:
        actor, reason, centre = self.actor, self.reason, self.import_obj.centre
        L = _L
        new = [
            Learner(
                centre=centre,
                first_name=v[_FIRST],
                last_name=v[_LAST],
                preferred_name=v[L["preferred_name"]] or "",
                date_of_birth=v[_BORN],
                sex=v[_SEX],
                uln=v[L["uln"]] or None,
                uci=v[L["uci"]] or None,
                candidate_number=v[L["candidate_number"]] or "",
                admission_number=v[_ADNO] or "",
                email=v[L["email"]] or "",
            )
            for r in chunk
            if r.effect == CREATE
            for v in (r.vals,)
        ]
        if new:
            Learner.objects.bulk_create(new, batch_size=500)
            if any(learner.pk is None for learner in new):  # a backend that returns no ids
                raise IntegrityError("bulk_create returned no primary keys")
        changed: list[Learner] = []
        fields: set[str] = set()
        events = []
        for r in chunk:
            if r.effect != UPDATE:
                continue
            learner = r.learner
            before = _snapshot(learner, r.changed_fields)
            for f in r.changed_fields:
                if f == "on_roll":
                    learner.on_roll = True
                elif f == "left_on":
                    learner.left_on = None
                else:
                    setattr(learner, f, r.vals[_L[f]])
            changed.append(learner)
            fields.update(r.changed_fields)
            events.append(
                ("learner.updated", learner, before, _snapshot(learner, r.changed_fields))
            )
        if changed:
            Learner.objects.bulk_update(changed, sorted(fields), batch_size=500)
        for learner in new:
            audit.record(
                actor,
                "learner.created",
                learner,
                learner=learner,
                after=_snapshot(learner, AUDITED_FIELDS) | {"reason": reason},
                object_repr=str(learner),
            )
        self._record(events)

    def write_leavers(self, chunk: list[RowResult]) -> None:
        today = timezone.localdate()
        changed, events = [], []
        for r in chunk:
            learner = r.learner
            before = _snapshot(learner, ("on_roll", "left_on"))
            learner.on_roll, learner.left_on = False, today
            changed.append(learner)
            events.append(
                ("learner.left", learner, before, _snapshot(learner, ("on_roll", "left_on")))
            )
        Learner.objects.bulk_update(changed, ["left_on", "on_roll"], batch_size=500)
        self._record(events)

    def _record(self, events) -> None:
        for action, learner, before, after in events:
            audit.record(
                self.actor,
                action,
                learner,
                learner=learner,
                before=before,
                after=after | {"reason": self.reason},
            )


class _ClassListWriter(_Writer):
    def __init__(self, import_obj: LearnerImport, actor):
        super().__init__(import_obj, actor)
        self.cohort = Cohort.objects.select_related("centre").get(
            pk=_settings(import_obj)["cohort"]
        )
        self.groups = {
            g.name.casefold(): g for g in TeachingGroup.objects.filter(cohort=self.cohort)
        }

    def write(self, chunk: list[RowResult]) -> None:
        cohort, groups = self.cohort, self.groups
        adds = [r for r in chunk if r.effect == ADD]
        names: dict[str, str] = {}
        for r in adds:
            if r.group.casefold() not in groups:
                names.setdefault(r.group.casefold(), r.group)
        created = [
            TeachingGroup(cohort=cohort, name=name, delivering_centre=cohort.centre)
            for name in sorted(names.values(), key=str.casefold)
        ]
        if created:
            TeachingGroup.objects.bulk_create(created)
            if any(g.pk is None for g in created):
                created = list(
                    TeachingGroup.objects.filter(cohort=cohort, name__in=[g.name for g in created])
                )
            for g in created:
                groups[g.name.casefold()] = g
                audit.record(
                    self.actor,
                    "teaching_group.created",
                    g,
                    centre=cohort.centre,
                    after={
                        "name": g.name,
                        "cohort": cohort.pk,
                        "delivering_centre": cohort.centre_id,
                        "reason": self.reason,
                    },
                )
        Through = TeachingGroup.learners.through
        links = [(groups[r.group.casefold()], r.learner) for r in adds]
        Through.objects.bulk_create(
            [Through(teachinggroup_id=g.pk, learner_id=lr.pk) for g, lr in links], batch_size=500
        )
        for group, learner in links:
            audit.record(
                self.actor,
                "teaching_group.learner_added",
                group,
                learner=learner,
                centre=learner.centre_id,
                before=None,
                after={"group": group.name, "cohort": cohort.pk, "reason": self.reason},
            )
