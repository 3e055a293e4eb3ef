"""Importing learners and class lists from the MIS (SIMS, Arbor, Bromcom …): CSV or XLSX.

Two phases, as pretix imports orders, on the import framework (``tabular``): everything
is read and checked first, against the centre's learners loaded in a few queries up
front; only a file with no error at all is written, in one transaction, with bulk inserts
and updates. Both phases stream, CHUNK_ROWS rows at a time, memory flat in the rows.

* The preview (``preview_import``) checks the file (tabular.files), finds the header row
  and the columns (``LAYOUTS``: the headings SIMS, Arbor and Bromcom use, the centre's
  remembered mapping, a mapping given now), reads every row through its typed cells
  (learners.cells), works out each row's effect (``_LearnerPlanner``, ``_ClassListPlanner``)
  and writes it to the rows log kept beside the file. It records a ``LearnerImport``
  (previewed, or refused when anything is in error) with the counts and the first errors.
* The commit (``commit_import``) claims the import, reads the preview's checked rows back
  from the rows log (its SHA-256 recorded with it), checks each again against the
  learners as they are now, and writes each chunk as soon as it is planned, with its audit
  events; at the first error it rolls all of it back and records the refusal with a fresh
  rows log. The file is not parsed twice: the log holds every row's checked values.

A learner without a sex is imported and flagged (a warning on its row, a count on the
preview, a flag on the learner's page): Pearson's registration file needs it. Importing
the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, models, transaction
from django.utils import timezone

import audit
from tabular import rowlog
from tabular.cells import TEXT, Email, Text, parse_date
from tabular.columns import IGNORE, Column, Field, Layout, normalise_heading
from tabular.files import MAX_IMPORT_BYTES, read_upload
from tabular.names import normalise_name
from tabular.pipeline import Preview, plan, read_into, sha256
from tabular.problems import FileRefused, ImportRefused, Problem
from tabular.rowlog import LOG_SUFFIX, LogRows, Repeats, Row, RowLog, Tally, batches
from tabular.selectors import remembered_mapping
from tabular.services import remember_mapping
from todos.services import close_todos, open_todo

from . import cells, events
from .groups import refresh_visiting_learners
from .models import Cohort, Learner, LearnerImport, LearnerImportChange, TeachingGroup
from .services import EDITABLE_FIELDS

__all__ = [
    "LOG_SUFFIX",
    "FileRefused",
    "ImportRefused",
    "Problem",
    "commit_import",
    "parse_date",
    "preview_import",
]

MAX_ROWS = 50_000

LEARNERS = LearnerImport.Kind.LEARNERS.value
CLASS_LIST = LearnerImport.Kind.CLASS_LIST.value
KINDS = (LEARNERS, CLASS_LIST)

# The headings MIS exports use, per field, most specific first: when a file has both
# "Legal Surname" and "Surname", the legal one is used.
FIELDS = {
    f.name: f
    for f in (
        Field(
            "last_name",
            "legal last name",
            ("Legal Surname", "Legal Last Name", "Surname", "Last Name", "Family Name"),
            cells.NAME,
        ),
        Field(
            "first_name",
            "legal first name",
            (
                "Legal Forename",
                "Legal First Name",
                "Forename",
                "First Name",
                "Given Name",
                "Forenames",
            ),
            cells.NAME,
        ),
        Field(
            "preferred_name",
            "preferred name",
            ("Preferred Forename", "Preferred First Name", "Preferred Name", "Known As"),
            cells.NAME,
        ),
        Field(
            "date_of_birth",
            "date of birth",
            ("DOB", "Date of Birth", "Birth Date", "Birthdate"),
            cells.DATE_OF_BIRTH,
        ),
        Field("sex", "sex", ("Sex", "Gender", "Legal Sex"), cells.SEX),
        Field(
            "admission_number",
            "admission number",
            ("Adno", "Admission No", "Admission Number", "Adm No", "MIS ID"),
            Text(20),
        ),
        Field("upn", "UPN", ("UPN", "Unique Pupil Number"), TEXT),
        Field("uln", "ULN", ("ULN", "Unique Learner Number"), cells.ULN),
        Field("uci", "UCI", ("UCI", "Unique Candidate Identifier"), cells.UCI),
        Field(
            "candidate_number",
            "candidate number",
            (
                "Candidate No",
                "Candidate Number",
                "Cand No",
                "Exam Number",
                "Exam Candidate Number",
                "Candidate",
            ),
            cells.CANDIDATE_NUMBER,
        ),
        Field("email", "e-mail", ("Email", "E-mail", "Email Address", "E-mail Address"), Email()),
        Field(
            "group",
            "teaching group",
            ("Teaching Group", "Class", "Class Name", "Group", "Reg Group", "Registration Group"),
            Text(50),
        ),
    )
}
FIELD_LABELS = {name: f.label for name, f in FIELDS.items()}

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
LEARNER_IDENTIFIER = "learner identifier"


def _layout(kind: str) -> Layout:
    stored = [replace(FIELDS[f], required=f in REQUIRED[kind]) for f in KIND_FIELDS[kind]]
    known = [
        replace(f, stored=False) for name, f in FIELDS.items() if name not in KIND_FIELDS[kind]
    ]
    return Layout(
        stored + known,
        examples="Legal Surname, Legal Forename, DOB",
        any_of={LEARNER_IDENTIFIER: CLASS_LIST_IDS} if kind == CLASS_LIST else None,
    )


LAYOUTS = {kind: _layout(kind) for kind in KINDS}
MATCH_KEYS = ("admission_number", "uln", "uci")  # in this order
UNIQUE_IN_FILE = ("admission_number", "uln", "uci", "candidate_number")
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
NO_SEX = "no_sex"  # the flag of a row whose learner will have no sex recorded
SEX_NEEDED = (
    "no sex given: the learner is imported, but Pearson's registration file needs it; "
    "add it on the learner's page (or in the MIS and import again)"
)

# --------------------------------------------------------------------------- rows


class RowResult(Row):
    """One row of the file (or one leaver) and its effect, kept compact.

    Only a chunk of these (CHUNK_ROWS) is alive at a time: each is planned, then written to
    the rows log (preview) or to the database (commit), and dropped. Each holds the cleaned
    values as a tuple in FIELDS order (None where the file gives none), the learner it
    matched, and its problems.
    """

    __slots__ = ("learner", "changed_fields", "group", "flags", "_changes")
    FIELDS: tuple[str, ...] = ()

    def __init__(
        self, row, effect=ERROR, vals=(), *, learner=None, changes=None, changed_fields=(), group=""
    ):
        super().__init__(row, effect, vals)
        self.learner = learner
        self.changed_fields = changed_fields
        self.group = group
        self.flags = ()
        self._changes = changes

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


def _record(r: RowResult) -> dict:
    """A row's result as its line in the rows log."""
    rec = {
        "e": r.effect,
        "p": 1 if r.errors or r.warnings else 0,
        "row": r.row,
        "name": r.name,
    }
    ids = r.identifiers
    if ids:
        rec["ids"] = ids
    if r.group:
        rec["group"] = r.group
    changes = r.changes if r.effect != CREATE else ()  # a new learner's: from its values
    if changes:
        rec["changes"] = changes
    rec.update(rowlog.problem_lists(r))
    if r.flags:
        rec["f"] = list(r.flags)
    if r.learner is not None:
        rec["learner"] = r.learner.pk
    if r.vals:
        rec["values"] = r.values
    return rec


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
        return rowlog.problems_of(self._rec, "errors")

    @property
    def warnings(self) -> list[Problem]:
        return rowlog.problems_of(self._rec, "warnings")

    @property
    def values(self) -> dict:
        values = dict(self._rec.get("values", {}))
        if "date_of_birth" in values:
            values["date_of_birth"] = dt.date.fromisoformat(values["date_of_birth"])
        return values


SHOW_FILTERS = {
    "all": rowlog.all_rows,
    "changes": lambda effect, problem: effect not in (UNCHANGED, ERROR),
    "errors": rowlog.has_problem,
}


@dataclass
class ImportPreview(Preview):
    kind: str = LEARNERS
    new_groups: list[str] = field(default_factory=list)

    def iter_rows(self, show: str = "all"):
        """Every row's result (then every leaver's), read from the rows log as it goes."""
        if self.log is None:
            return iter(())
        return iter(LogRows(self.log.open, SHOW_FILTERS[show], LoggedRow))

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
                leaver=effects[LEAVER],
                no_sex=t.flags[NO_SEX],
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


def _display(value) -> str:
    if value is None or value == "":
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


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


# --------------------------------------------------------------------------- mappings


def centre_mapping(centre, kind: str) -> dict:
    return remembered_mapping(centre, kind)


def save_mapping(centre, kind: str, mapping: dict[str, str], *, user=None):
    """Remember heading -> field for the centre's files of this kind (merged with what it had)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return remember_mapping(centre, kind, mapping, allowed=FIELDS, user=user)


def worth_remembering(heading: str, field_name: str, kind: str) -> bool:
    """Only what the built-in headings would not give: a new field, or a known column off."""
    layout = LAYOUTS[kind]
    alias = layout.index.get(normalise_heading(heading), (None,))[0]
    if field_name == IGNORE:
        return alias in KIND_FIELDS[kind]
    return field_name != alias


# --------------------------------------------------------------------------- analysis


class _Log(RowLog):
    """The preview's rows log: the file's rows, then the leavers (not rows of the file)."""

    def __init__(self):
        super().__init__(extra=(LEAVER,))

    def leavers(self, leavers: list[RowResult]) -> None:
        self.write(_record(r) for r in leavers)


def analyse(
    data,
    *,
    centre,
    kind: str,
    mapping: dict | None = None,
    cohort: Cohort | None = None,
    mark_leavers: bool = False,
    file_name: str = "",
    max_bytes: int = MAX_IMPORT_BYTES,
    use_remembered: bool = True,
    sink=None,
    kept=None,
) -> ImportPreview:
    """Read and check the whole file against the database, a chunk of rows at a time.

    Each planned chunk goes to sink: by default a rows log (nothing is written but a
    temporary file: preview.log). Only a chunk of rows is held. mapping (heading -> field
    or "ignore") comes on top of the centre's remembered mapping (unless use_remembered is
    False: a file analysed again uses exactly the mapping its preview used). kept, the
    FileType of an open kept file that passed the file checks when it was previewed (its
    hash checked since): it is read, not loaded.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    layout = LAYOUTS[kind]
    sink = _Log() if sink is None else sink
    preview = ImportPreview(
        kind=kind,
        file_name=file_name,
        file_sha256="" if kept else sha256(data),
        log=sink if isinstance(sink, RowLog) else None,
    )
    explicit = layout.mapping_index(mapping)
    remembered = layout.mapping_index(centre_mapping(centre, kind)) if use_remembered else {}
    preview.mapping_used = remembered | explicit
    today = timezone.localdate()
    planner = read_into(
        data,
        preview,
        sink,
        layout=layout,
        make_planner=lambda header: _planner(
            preview, header.names, centre=centre, cohort=cohort,
            mark_leavers=mark_leavers, today=today,
        ),
        today=today,
        check=lambda header: [p] if (p := _cohort_problem(kind, centre, cohort)) else [],
        row_class=ROW_CLASS[kind],
        max_rows=MAX_ROWS,
        max_bytes=max_bytes,
        kept=kept,
    )  # fmt: skip
    return _finish(preview, sink, planner)


def _finish(preview: ImportPreview, sink, planner) -> ImportPreview:
    """The leavers after the rows, then the sink's fix-ups; the preview with its counts."""
    if planner is not None:
        sink.leavers(planner.finish())
    sink.finish(preview)
    preview.tally = sink.tally
    return preview


def _cohort_problem(kind, centre, cohort) -> Problem | None:
    if kind != CLASS_LIST:
        return None
    if cohort is None:
        return Problem("choose the programme this class list is for")
    if cohort.centre_id != centre.pk:
        return Problem(f"the programme {cohort} is not at centre {centre.number}")
    return None


def _planner(preview, names, *, centre, cohort, mark_leavers, today):
    """The planner of the import's kind, given which column gives each field."""
    if preview.kind == LEARNERS:
        return _LearnerPlanner(
            preview, centre=centre, heading_of=names, mark_leavers=mark_leavers, today=today
        )
    return _ClassListPlanner(preview, centre=centre, cohort=cohort, heading_of=names)


def _who(learner: Learner) -> str:
    return (
        f"{learner}, admission number {learner.admission_number}"
        if learner.admission_number
        else str(learner)
    )


def _person_key(first, last, born):
    """Two learners alike: the same legal name (as the one name normaliser folds it) and
    date of birth."""
    return (normalise_name(first), normalise_name(last), born)


_LAST, _FIRST, _BORN, _SEX, _ADNO = (
    _L["last_name"],
    _L["first_name"],
    _L["date_of_birth"],
    _L["sex"],
    _L["admission_number"],
)
_LEARNER_IDS = ("uln", "uci", "candidate_number", "admission_number")  # checked for clashes
_PERSON = len(UNIQUE_IN_FILE)  # the tag of a (first name, last name, born) key in Repeats


class _LearnerPlanner:
    """Works out each row's effect, a chunk at a time, against the centre's learners.

    What it keeps between chunks is proportional to the centre's learners (their index,
    who was matched), not to the file: values repeated in the file are found in fixed
    memory (Repeats) and confirmed at the end. A problem a later row finds with an earlier
    one (both rows of a duplicate, the first of two rows matching one learner, two new
    learners alike) is put into the rows log at the end (prepare_fixes(), fix()).
    """

    record = staticmethod(_record)

    def __init__(self, preview, *, centre, heading_of, mark_leavers, today):
        self.preview, self.centre, self.heading_of = preview, centre, heading_of
        self.mark_leavers, self.today = mark_leavers, today
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
        self.repeats = Repeats()
        self.dups: list[tuple[str, list[int]]] = []  # (field, the rows giving one value)
        self.alike: list[list[int]] = []  # the rows of new learners alike
        self.matched_by: dict[int, int] = {}  # learner pk -> the first row matching them
        self.appended: dict[int, list[Problem]] = defaultdict(list)  # row -> errors found later
        self.in_file_adnos: set[str] = set()  # those of the centre's learners only
        self.matched: set[int] = set()
        self._fixes = None

    @property
    def unclean(self) -> bool:
        """A row already passed on has an error found since (a commit cannot go on)."""
        return bool(self.appended)

    def prepare_fixes(self) -> bool:
        """The values the file repeats, now all its rows are planned: any fix to make?"""
        for tag, rows in self.repeats.groups():
            if tag == _PERSON:
                self.alike.append(rows)
            else:
                self.dups.append((UNIQUE_IN_FILE[tag], rows))
        self.repeats.close()
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
        heading_of, index, repeats = self.heading_of, self.index, self.repeats
        elsewhere = self._elsewhere(chunk)
        clash_keys = [(_L[f], f, index[f], elsewhere.get(f, ())) for f in _LEARNER_IDS]
        adnos = index["admission_number"]
        for r in chunk:
            v = r.vals
            r.mark = len(r.errors)  # a duplicate's errors go here (fix())
            # Values repeated in the file: every row with one is told of the others (fix())
            for pos, f, tag in self.unique:
                value = v[pos]
                if value:
                    repeats.add((f, value), r.row, tag)
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
                    repeats.add((_PERSON, *key), r.row, _PERSON)
            if r.errors:
                r.effect = ERROR
                continue
            if not v[_SEX] and (learner is None or not learner.sex):
                r.add_warning(Problem(SEX_NEEDED, r.row, heading_of.get("sex", "Sex"), ""))
                r.flags = (NO_SEX,)
            if learner is None:
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
        if "admission_number" not in self.heading_of:
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
            for f, rows in self.dups:
                for row in rows:
                    others = ", ".join(str(o) for o in rows if o != row)
                    fixes[row]["dups"].append((order[f], f, others))
            for rows in self.alike:
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
        warnings = rec.get("warnings", [])
        if errors:  # the sex is asked for only of a learner who will be imported
            warnings = [w for w in warnings if w[2] != SEX_NEEDED]
            rec.pop("f", None)
        warnings += [
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
        else:
            rec.pop("warnings", None)
        rec["p"] = 1 if errors or warnings else 0


class _ClassListPlanner:
    """Each class-list row's learner and group, a chunk at a time (as _LearnerPlanner)."""

    record = staticmethod(_record)

    def __init__(self, preview, *, centre, cohort, heading_of):
        self.preview, self.cohort, self.heading_of = preview, cohort, heading_of
        self.ids = ids = [f for f in CLASS_LIST_IDS if f in heading_of]
        self.index = {f: {} for f in ids}
        for learner in Learner.objects.filter(centre=centre).only(
            "id", "first_name", "last_name", "centre_id", *ids
        ):
            for f in ids:
                v = getattr(learner, f)
                if v:
                    self.index[f].setdefault(v, learner)
        year = cohort.year_taught()
        this_year = TeachingGroup.objects.filter(cohort=cohort, academic_year=year)
        self.groups = {g.name: g for g in this_year}
        self.folded = {name.casefold(): g for name, g in self.groups.items()}
        self.members = set(
            TeachingGroup.learners.through.objects.filter(
                teachinggroup__cohort=cohort, teachinggroup__academic_year=year
            ).values_list("teachinggroup_id", "learner_id")
        )
        self.new_groups: dict[str, str] = {}
        self.repeats = Repeats()
        self.again: dict[int, list] = {}  # row -> the other rows of its learner and group

    unclean = False  # a row's problem with an earlier row is found at the end

    def prepare_fixes(self) -> bool:
        """The learners listed for a group twice, now all rows are planned: any fix?"""
        for _tag, rows in self.repeats.groups():
            for row in rows:
                self.again[row] = rows
        self.repeats.close()
        return bool(self.again)

    def plan(self, chunk: list[RowResult]) -> None:
        heading_of, ids, index = self.heading_of, self.ids, self.index
        for r in chunk:
            v = r.values
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
                self.repeats.add((learner.pk, r.group.casefold()), r.row)  # found at the end
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
        row = rec.get("row")
        rows = self.again.get(row)
        if not rows:
            return
        group, learner = rec.get("group", ""), rec.get("name", "")
        first = rows[0]
        later = rows[1:] if row == first else [first]  # the first row is told of each later one
        rec.pop("at", None)
        rec["errors"] = rec.get("errors", []) + [
            [
                self.heading_of["group"],
                group,
                f"{learner} is listed for group {group} again on row {other}",
            ]
            for other in later
        ]
        rec["e"] = ERROR
        rec.pop("changes", None)
        rec["p"] = 1


# --------------------------------------------------------------------------- the record


def _stored_counts(preview: ImportPreview, settings: dict, log: tuple[str, str] = ("", "")):
    counts = preview.counts
    counts["settings"] = settings
    if log[0]:
        counts["log"], counts["log_sha256"] = log
    return counts


def _stored_errors(preview: ImportPreview) -> list[dict]:
    errors = preview.errors
    limit = rowlog.MAX_STORED_ERRORS
    out = [p.as_dict() for p in itertools.islice(errors, limit)]
    if len(errors) > limit:
        out.append(Problem(f"\u2026 and {len(errors) - limit} more errors").as_dict())
    return out


_SHOWN = ("notes", "columns", "sheet", "header_row", "has_headings", "rows_with_problems")


def _relog(import_obj: LearnerImport) -> None:
    """Work out (once) the rows log of an import recorded before its log was kept with its
    hash, from its kept file."""
    try:
        preview = analyse_import(import_obj)
    except ImportRefused:
        return
    name, sha = import_obj.keep_log(preview.log)
    shown = {k: v for k, v in preview.counts.items() if k in _SHOWN}
    settings = import_obj.settings | _reading_settings(preview)
    import_obj.counts = (
        shown | (import_obj.counts or {}) | {"log": name, "log_sha256": sha, "settings": settings}
    )
    LearnerImport.objects.filter(pk=import_obj.pk).update(counts=import_obj.counts)


def logged_rows(import_obj: LearnerImport, show: str = "all") -> LogRows:
    """The rows of an import's rows log that show picks, for the preview page to page through.

    An import recorded before rows logs were kept has its log worked out (once) from its
    kept file.
    """
    if not import_obj.log_name and import_obj.stored_file:
        _relog(import_obj)
    return import_obj.logged_rows(SHOW_FILTERS[show], LoggedRow)


def _reading_settings(preview: ImportPreview) -> dict:
    """How the file was read, for a commit that works from the rows log: which column gave
    each field (its name in problems), and each column as the page shows it."""
    return {
        "names": preview.names,
        "columns": [[c.index, c.heading, c.field, c.status, c.label] for c in preview.columns],
        "sheet": preview.sheet,
    }


def preview_import(
    *,
    centre,
    kind: str,
    uploaded_file,
    file_name: str,
    user=None,
    mapping: dict | None = None,
    cohort: Cohort | None = None,
    mark_leavers: bool = False,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> ImportPreview:
    """Check and read the file, work out each row's effect, record the LearnerImport.

    Writes no learner. Each row's result goes to the rows log, kept next to the file (the
    preview page pages through it); the import keeps the counts and the first errors.
    Leavers are marked only when asked (mark_leavers), as the upload page's box says.
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
    sha = sha256(data)
    preview.file_sha256 = sha
    actor = user if getattr(user, "is_authenticated", False) else None
    settings = {
        "mapping": preview.mapping_used or LAYOUTS[kind].mapping_index(mapping),
        "cohort": cohort.pk if cohort is not None else None,
        "mark_leavers": mark_leavers,
        "header_row": preview.header_row,
        "encoding": preview.encoding,
        **_reading_settings(preview),
    }
    Status = LearnerImport.Status
    obj = LearnerImport(
        centre=centre,
        kind=kind,
        file_name=file_name,
        file_sha256=sha,
        uploaded_by=actor,
        status=Status.PREVIEWED if preview.ok else Status.REFUSED,
        errors=_stored_errors(preview),
    )
    log = ("", "")
    if preview.file_type:  # passed the file checks: keep it so commit (or mapping) can read it
        obj.keep_file(data, preview.file_type)
        log = obj.keep_log(preview.log)
    obj.counts = _stored_counts(preview, settings, log)
    obj.save()
    if obj.status == Status.PREVIEWED and actor is not None:
        open_todo(
            events.COMMIT_IMPORT,
            centre=centre,
            title=f"Commit or upload again the previewed import: {file_name}",
            assignee=actor,
            target=obj,
            actor=actor,
        )
    preview.import_obj = obj
    return preview


def _close_commit_todos(import_obj: LearnerImport, *, by, note: str) -> None:
    """The uploader's previews of this kind, up to this one, are answered: committed, or
    refused at commit (either way an earlier preview of the same file is superseded)."""
    answered = LearnerImport.objects.filter(
        centre_id=import_obj.centre_id,
        kind=import_obj.kind,
        uploaded_by_id=import_obj.uploaded_by_id,
        created_at__lte=import_obj.created_at,
    ).filter(models.Q(pk=import_obj.pk) | models.Q(status=LearnerImport.Status.PREVIEWED))
    for earlier in answered.only("pk"):
        close_todos(events.COMMIT_IMPORT, target=earlier, by=by, note=note)


def analyse_import(
    import_obj: LearnerImport, *, mapping: dict | None = None, sink=None
) -> ImportPreview:
    """The preview of a recorded import, worked out again from its kept file.

    Records nothing (its rows go to a temporary rows log, or to sink).
    """
    s = import_obj.settings
    with import_obj.open_kept() as (fh, kind):
        preview = analyse(
            fh,
            kept=kind,
            centre=import_obj.centre,
            kind=import_obj.kind,
            mapping=mapping if mapping is not None else s.get("mapping"),
            cohort=_cohort(import_obj),
            mark_leavers=s.get("mark_leavers", True),
            file_name=import_obj.file_name,
            use_remembered="mapping" not in s,
            sink=sink,
        )
    preview.file_sha256 = import_obj.file_sha256
    preview.import_obj = import_obj
    return preview


def _cohort(import_obj) -> Cohort | None:
    pk = import_obj.settings.get("cohort")
    if not pk:
        return None
    return Cohort.objects.select_related("centre", "qualification").filter(pk=pk).first()


def _logged_rows_to_plan(fh, kind: str):
    """The rows of a kept rows log as the planner takes them (the leavers are worked out
    again): the values the preview checked, with no problem of their own."""
    row_class, layout = ROW_CLASS[kind], LAYOUTS[kind]
    with fh:
        for rec in LogRows(lambda: fh, lambda effect, problem: effect != LEAVER):
            r = row_class(rec.get("row"))
            r.vals = layout.from_dict(rec.get("values", {}))
            if rec.get("errors"):  # never in a previewed import; kept if it were
                for p in rowlog.problems_of(rec):
                    r.add_error(p)
            yield r


def _replan(import_obj: LearnerImport, sink=None) -> ImportPreview:
    """Every row the preview checked, read back from the rows log and planned again against
    the learners as they are now, into sink (a fresh rows log by default)."""
    s = import_obj.settings
    kind = import_obj.kind
    sink = _Log() if sink is None else sink
    preview = ImportPreview(
        kind=kind,
        file_name=import_obj.file_name,
        file_sha256=import_obj.file_sha256,
        sheet=s.get("sheet", ""),
        header_row=s.get("header_row"),
        columns=[Column(i, h, f, status, label) for i, h, f, status, label in s.get("columns", [])],
        mapping_used=s.get("mapping", {}),
        log=sink if isinstance(sink, RowLog) else None,
        import_obj=import_obj,
    )
    preview.headings = [c.heading for c in preview.columns]
    rows = _logged_rows_to_plan(import_obj.open_log(verify=True), kind)
    today = timezone.localdate()
    planner = plan(
        rows,
        sink,
        lambda: _planner(
            preview, s.get("names", {}), centre=import_obj.centre,
            cohort=_cohort(import_obj), mark_leavers=s.get("mark_leavers", True),
            today=today,
        ),
    )  # fmt: skip
    return _finish(preview, sink, planner)


CHANGED_MEANWHILE = (
    "the learners changed while this import was being applied; nothing was written: "
    "preview it again"
)


def commit_import(import_obj: LearnerImport, user=None) -> ImportPreview:
    """Apply a previewed import: its checked rows planned again, refused on any error.

    Writes all of it or nothing: learners, groups, their audit events and the import
    record are one transaction. The import is claimed first with a conditional UPDATE,
    so two clicks on Commit apply it once. The preview's rows are read back from its rows
    log (the SHA-256 recorded with the log checked first), checked again against the
    database and written a chunk at a time (CHUNK_ROWS rows, with their audit events),
    holding no more than a chunk; at the first error the writes are rolled back and every
    row is planned again for the refusal, its errors kept as a preview's are.
    """
    actor = user if getattr(user, "is_authenticated", False) else None
    refused = None
    Status = LearnerImport.Status
    with transaction.atomic():
        claimed = import_obj.claim(Status.PREVIEWED, Status.COMMITTED, committed_at=timezone.now())
        locked = LearnerImport.objects.select_related("centre").get(pk=import_obj.pk)
        if not claimed:
            status = locked.get_status_display().lower()
            raise ImportRefused([Problem(f"this import is {status}; it cannot be committed")])
        if not (locked.counts or {}).get("log_sha256"):  # recorded before logs were hashed
            _relog(locked)
        writer_class = _ClassListWriter if locked.kind == CLASS_LIST else _LearnerWriter
        try:
            with transaction.atomic():
                preview = _replan(locked, sink=writer_class(locked, actor))
        except _Unclean:
            preview = None
        except IntegrityError:
            raise ImportRefused([Problem(CHANGED_MEANWHILE)]) from None
        if preview is None:
            # Nothing was written. Every row again, as a preview: its rows and errors.
            preview = _replan(locked)
            if preview.ok:  # it was an error a moment ago: the learners are changing
                raise ImportRefused([Problem(CHANGED_MEANWHILE)])
            counts = _stored_counts(preview, locked.settings, locked.keep_log(preview.log))
            LearnerImport.objects.filter(pk=locked.pk).update(
                status=Status.REFUSED,
                committed_at=None,
                errors=_stored_errors(preview),
                counts=counts,
            )
            refused = preview.errors
        else:
            log = (locked.counts.get("log", ""), locked.counts.get("log_sha256", ""))
            locked.counts = _stored_counts(preview, locked.settings, log)
            locked.errors = []
            locked.save(update_fields=["counts", "errors"])
    import_obj.refresh_from_db()
    if import_obj.uploaded_by_id:
        _close_commit_todos(
            import_obj, by=actor, note="refused at commit" if refused is not None else "committed"
        )
    if refused is not None:
        raise ImportRefused(refused)
    preview.import_obj = import_obj
    return preview


# --------------------------------------------------------------------------- writing


class _Unclean(Exception):
    """Raised by the commit's writer at the first error: roll back, then report them all."""


def _snapshot(learner: Learner, fields) -> dict:
    return {f: getattr(learner, f) for f in fields}


class _Writer:
    """The commit's sink: each planned chunk, if every row so far is good, written at once.

    A chunk's learners (or group memberships) are written with bulk inserts and updates,
    and its audit events in one audit.batch() (a savepoint of the commit's transaction):
    memory holds one chunk, never the file. At the first error it raises _Unclean; so
    does a value the file repeats, found once every row is planned.
    """

    def __init__(self, import_obj: LearnerImport, actor):
        self.import_obj, self.actor = import_obj, actor
        self.reason = f"MIS import #{import_obj.pk} ({import_obj.file_name})"
        self.at = import_obj.committed_at or timezone.now()
        self.tally = Tally(extra=(LEAVER,))
        self.planner = None
        self._leavers: list[RowResult] = []

    def rows(self, chunk: list[RowResult], planner) -> None:
        self.planner = planner
        if planner.unclean or any(r.effect == ERROR for r in chunk):
            raise _Unclean
        self.tally.count(chunk)
        with audit.batch():
            self.write_rows(chunk)

    def leavers(self, leavers: list[RowResult]) -> None:
        self._leavers = leavers

    def reset(self) -> None:
        raise _Unclean

    def finish(self, preview) -> None:
        planner = self.planner
        if preview.file_errors or (planner is not None and planner.prepare_fixes()):
            raise _Unclean
        for chunk in batches(self._leavers, rowlog.CHUNK_ROWS):
            self.tally.count(chunk)
            with audit.batch():
                self.write_leavers(chunk)
        self._leavers = []

    def write_rows(self, chunk):
        raise NotImplementedError

    def write_leavers(self, chunk):
        pass

    def _changes(self, changes) -> None:
        """Each learner's change as a LearnerImportChange (action, learner[, fields, group]),
        in one bulk insert with the chunk."""
        LearnerImportChange.objects.bulk_create(
            [
                LearnerImportChange(
                    learner_import=self.import_obj,
                    learner=learner,
                    action=action,
                    fields=list(fields),
                    group=group,
                    at=self.at,
                    by=self.actor,
                )
                for action, learner, fields, group in changes
            ],
            batch_size=500,
        )


class _LearnerWriter(_Writer):
    def write_rows(self, chunk: list[RowResult]) -> None:
        actor, reason, centre = self.actor, self.reason, self.import_obj.centre
        L = _L
        new = [
            Learner(
                centre=centre,
                first_name=v[_FIRST],
                last_name=v[_LAST],
                preferred_name=v[L["preferred_name"]] or "",
                date_of_birth=v[_BORN],
                sex=v[_SEX] or "",
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
        Action = LearnerImportChange.Action
        self._changes(
            [(Action.CREATED, learner, (), "") for learner in new]
            + [
                (Action.UPDATED, r.learner, r.changed_fields, "")
                for r in chunk
                if r.effect == UPDATE
            ]
        )
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
        self._changes(
            [
                (LearnerImportChange.Action.LEFT, learner, ("on_roll", "left_on"), "")
                for learner in changed
            ]
        )
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
        self.cohort = Cohort.objects.select_related("centre").get(pk=import_obj.settings["cohort"])
        self.year = self.cohort.year_taught()
        self.groups = {
            g.name.casefold(): g
            for g in TeachingGroup.objects.filter(cohort=self.cohort, academic_year=self.year)
        }

    def write_rows(self, chunk: list[RowResult]) -> None:
        cohort, groups = self.cohort, self.groups
        adds = [r for r in chunk if r.effect == ADD]
        names: dict[str, str] = {}
        for r in adds:
            if r.group.casefold() not in groups:
                names.setdefault(r.group.casefold(), r.group)
        created = [
            TeachingGroup(
                cohort=cohort,
                academic_year=self.year,
                name=name,
                delivering_centre=cohort.centre,
            )
            for name in sorted(names.values(), key=str.casefold)
        ]
        if created:
            TeachingGroup.objects.bulk_create(created)
            if any(g.pk is None for g in created):
                created = list(
                    TeachingGroup.objects.filter(
                        cohort=cohort,
                        academic_year=self.year,
                        name__in=[g.name for g in created],
                    )
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
        refresh_visiting_learners({g.pk for g, _ in links})  # a bulk write: no m2m signal
        self._changes([(LearnerImportChange.Action.GROUP_ADDED, lr, (), g.name) for g, lr in links])
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
