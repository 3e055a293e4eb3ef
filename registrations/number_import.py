"""Registration numbers from Edexcel Online's export: read, match, preview, then apply.

After submitting a programme's entries the exams officer registers the learners on
Edexcel Online, exports them with their registration numbers (CSV or XLSX) and uploads
the export here. Two phases on the import framework (``tabular``), as the MIS import:

* ``preview_registration_numbers()`` checks the file (size, type sniffed from the content,
  encoding, XLSX archive, formulas), finds the header row among the first ten, reads every
  row through its typed cells and matches it to a registration of the chosen centre: by
  ULN, then candidate number, then surname, forename and date of birth (names through the
  one name normaliser), against the centre's learners and registrations loaded in a few
  queries up front (dicts, never a query per row). Each row is *matched* (will be
  registered), *unchanged* (already registered with this number), *unmatched* (no such
  learner, or no registration submitted to Pearson), a *conflict* (the file and btecqa
  disagree: nothing is guessed) or in *error* (a bad value, another centre's row, a
  duplicate). Rows are planned a chunk at a time into the rows log kept beside the file;
  the ``RegistrationNumberImport`` keeps the counts and the first errors.
* ``apply_registration_numbers()`` plans every row again from the rows log, under lock, and
  refuses if any outcome differs from the preview (the preview is then brought up to
  date); otherwise it registers every matched row in one transaction: bulk updates, a
  "Registered" RegistrationStep and an audit event per registration, and one to-do
  listing the rows left over (unmatched and conflicts). An applied import is never
  applied again; importing the same file again finds every row unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from accounts.permissions import require
from accounts.roles import Role
from learners import cells
from learners.models import Learner
from tabular import rowlog
from tabular.cells import Check, Date, Text, not_in_future
from tabular.columns import Field, Layout
from tabular.files import read_upload
from tabular.names import normalise_name
from tabular.pipeline import Preview, plan, read_into, sha256
from tabular.problems import FileRefused, ImportRefused, Problem
from tabular.rowlog import LogRows, Repeats, Row, RowLog, batches
from tabular.selectors import remembered_mapping
from todos.models import ToDo
from todos.services import close_todos, open_todo

from .models import Registration, RegistrationNumberImport, RegistrationStep
from .permissions import RUN_REGISTRATIONS
from .services import _name

__all__ = [
    "ImportRefused",
    "Problem",
    "apply_registration_numbers",
    "preview_registration_numbers",
]

KIND = "registration_numbers"  # its column mappings, remembered per centre
NUMBERS_TODO = "registrations.registration_numbers_left"
TODO_DAYS = 7

MATCHED, UNCHANGED, UNMATCHED, CONFLICT, ERROR = (
    "matched",
    "unchanged",
    "unmatched",
    "conflict",
    "error",
)
OUTCOMES = {
    MATCHED: "Matched",
    UNMATCHED: "Unmatched (left on a to-do)",
    CONFLICT: "Conflicts (not applied)",
    ERROR: "Errors (not applied)",
    UNCHANGED: "Already registered with this number",
}
LEFT_OVER = (UNMATCHED, CONFLICT)  # the rows the to-do lists

MAX_NUMBER_LENGTH = Registration._meta.get_field("registration_number").max_length
MAX_TEXT = 100
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]*$")
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def _registration_number(text, ctx):
    value = text.replace(" ", "").upper()
    if len(value) > MAX_NUMBER_LENGTH:
        return None, (
            f"{text} is not a registration number: longer than {MAX_NUMBER_LENGTH} characters"
        )
    if not _NUMBER.match(value):
        return None, f"{text} is not a registration number: letters, digits, / and - only"
    return value, None


def _centre_number(text, ctx):
    value = text.replace(" ", "")
    if value.isdigit() and len(value) < 5:
        value = value.zfill(5)  # Excel drops leading zeros
    if len(value) != 5 or not value.isdigit():
        return None, f"{text} is not a centre number (five digits)"
    if value != ctx.centre.number:
        return None, (
            f"another centre's number: this row is for centre {value}, but this import is for "
            f"centre {ctx.centre.number}; upload each centre's export at its own centre"
        )
    return value, None


# Edexcel Online's headings and their usual variants, most specific first.
LAYOUT = Layout(
    [
        Field(
            "registration_number",
            "registration number",
            (
                "Learner Registration Number",
                "Registration Number",
                "Learner Registration No",
                "Registration No",
                "Learner Reg No",
                "Reg No",
                "Reg Number",
            ),
            Check(_registration_number),
            required=True,
            column_required=False,  # its absence is worded below, with the other layout needs
            missing="missing: the registration number is empty",
        ),
        Field(
            "centre_number",
            "centre number",
            ("Centre Number", "Centre No", "Centre"),
            Check(_centre_number),
        ),
        Field("uln", "ULN", ("ULN", "Unique Learner Number"), cells.ULN),
        Field(
            "candidate_number",
            "candidate number",
            ("Candidate Number", "Candidate No", "Cand No"),
            cells.CANDIDATE_NUMBER,
        ),
        Field(
            "last_name",
            "surname",
            ("Surname", "Last Name", "Last Names", "Family Name", "Legal Surname"),
            Text(MAX_TEXT),
        ),
        Field(
            "first_name",
            "forename",
            ("Forename", "Forenames", "First Name", "First Names", "Given Name", "Legal Forename"),
            Text(MAX_TEXT),
        ),
        Field(
            "date_of_birth",
            "date of birth",
            ("Date of Birth", "DOB", "Birth Date"),
            cells.DATE_OF_BIRTH,
        ),
        Field(
            "qualification",
            "qualification",
            (
                "Qualification",
                "Qualification Number",
                "Qualification Code",
                "Qualification Title",
                "QN",
            ),
            Text(MAX_TEXT),
        ),
        Field("programme_code", "programme code", ("Programme Code",), Text(MAX_TEXT)),
        Field(
            "registered_on",
            "registration date",
            ("Registration Date", "Date Registered", "Registered On"),
            Date(check=not_in_future),
        ),
    ],
    examples="Registration Number, ULN, Candidate Number, Surname, Forename, Date of Birth",
    no_header=(
        "wrong layout: none of the first {rows} rows has the headings of an Edexcel Online "
        "export (such as {examples}); row {row} has: {found}"
    ),
)
FIELD_LABELS = {name: f.label for name, f in LAYOUT.fields.items()}
PERSON = ("last_name", "first_name", "date_of_birth")
IDENTIFIERS = ("uln", "candidate_number", *PERSON)


# --------------------------------------------------------------------------- rows


class NumberRow(Row):
    """One row of the export: its values, what they match and what applying it would do."""

    __slots__ = ("problem", "learner", "registration", "matched_by")
    FIELDS = tuple(f.name for f in LAYOUT.stored)

    def __init__(self, row, effect=ERROR, vals=()):
        super().__init__(row, effect, vals)
        self.problem: Problem | None = None  # why it is unmatched or a conflict
        self.learner: Learner | None = None
        self.registration: Registration | None = None
        self.matched_by = ""

    @property
    def values(self) -> dict:
        return LAYOUT.as_dict(self.vals)

    @property
    def number(self) -> str:
        return self.vals[0] or ""


def _record(r: NumberRow) -> dict:
    """A row's line in the rows log."""
    reg, values = r.registration, r.values
    rec = {
        "e": r.effect,
        "p": 1 if r.errors or r.problem else 0,
        "row": r.row,
        "number": r.number,
        "learner_id": r.learner.pk if r.learner else None,
        "learner": str(r.learner) if r.learner else _row_name(values),
        "ids": _identifiers(values),
        "by": r.matched_by,
        "reg": reg.pk if reg else None,
        "cohort": _on(reg) if reg else "",
        "values": values,
    }
    rec.update(rowlog.problem_lists(r))
    if r.problem is not None:
        p = r.problem
        rec["why"] = [p.column, p.value, p.reason]
    return rec


class LoggedNumber:
    """A row of the rows log, as the preview page and the tests read it."""

    __slots__ = (
        "row",
        "outcome",
        "registration_number",
        "learner_id",
        "learner",
        "identifiers",
        "matched_by",
        "registration_id",
        "cohort",
        "_rec",
    )

    def __init__(self, rec: dict):
        self._rec = rec
        self.row, self.outcome = rec.get("row"), rec["e"]
        self.registration_number = rec.get("number", "")
        self.learner_id, self.learner = rec.get("learner_id"), rec.get("learner", "")
        self.identifiers, self.matched_by = rec.get("ids", ""), rec.get("by", "")
        self.registration_id, self.cohort = rec.get("reg"), rec.get("cohort", "")

    def __repr__(self) -> str:
        return f"<LoggedNumber row {self.row}: {self.outcome}>"

    @property
    def errors(self) -> list[Problem]:
        return rowlog.problems_of(self._rec)

    @property
    def problems(self) -> list[Problem]:
        """The errors, then why it is unmatched or a conflict."""
        why = self._rec.get("why")
        return self.errors + ([Problem(why[2], self.row, why[0], why[1])] if why else [])

    @property
    def values(self) -> dict:
        return LAYOUT.as_dict(LAYOUT.from_dict(self._rec.get("values", {})))


def _show(outcome):
    return lambda effect, problem: effect == outcome


SHOW_FILTERS = {"all": rowlog.all_rows, **{k: _show(k) for k in OUTCOMES}}


def logged_rows(imp: RegistrationNumberImport, show: str = "all") -> LogRows:
    """The rows of an import's rows log that show picks (every row, or one outcome)."""
    return imp.logged_rows(SHOW_FILTERS[show], LoggedNumber)


# --------------------------------------------------------------------------- reading


def _layout_problems(header) -> list[Problem]:
    used, found = header.used, ", ".join(h for h in header.headings if h) or "none"
    found = found if len(found) <= 300 else found[:300] + "\u2026"
    problems = []
    if "registration_number" not in used:
        problems.append(
            Problem(
                "wrong layout: there is no registration number column (a heading such as "
                "\u201cRegistration Number\u201d, \u201cLearner Registration Number\u201d or "
                f"\u201cReg No\u201d); headings found: {found}",
                row=header.row,
            )
        )
    if not ("uln" in used or "candidate_number" in used or all(f in used for f in PERSON)):
        problems.append(
            Problem(
                "wrong layout: there is no way to match a learner: the file needs a ULN "
                "column, a Candidate Number column, or Surname, Forename and Date of Birth "
                f"columns; headings found: {found}",
                row=header.row,
            )
        )
    return problems


def _identifiable(parsed, header):
    """Each row, told when it gives nothing a learner could be matched by."""
    heading_of = header.names
    ids = [f for f in IDENTIFIERS if f in heading_of]
    id_columns = {heading_of[f] for f in ids}
    for r in parsed:
        v = r.values
        if not (
            v.get("uln") or v.get("candidate_number") or all(v.get(f) for f in PERSON)
        ) and not any(p.column in id_columns for p in r.errors):
            r.add_error(
                Problem(
                    "missing: nothing to match the learner by: give the ULN, the candidate "
                    "number, or the surname, forename and date of birth",
                    r.row,
                    heading_of[ids[0]],
                )
            )
        yield r


# --------------------------------------------------------------------------- matching


def _fold(text: str) -> str:
    return normalise_name(text or "")


def _person_key(last: str, first: str, born: dt.date) -> tuple:
    """Names as Pearson prints them: case, accents and spacing do not matter."""
    return (_fold(last), _fold(first), born)


def _alnum(text: str) -> str:
    return _NON_ALNUM.sub("", _fold(text))


def _qualification_key(values: dict) -> str:
    return f"{_alnum(values.get('qualification', ''))}|{_alnum(values.get('programme_code', ''))}"


def _is_for(reg: Registration, values: dict) -> bool:
    """Does the row's qualification / programme code column (if any) name this registration?"""
    code = values.get("programme_code")
    if code and _alnum(code) != _alnum(reg.programme_code):
        return False
    wanted = values.get("qualification")
    if wanted:
        qualification = reg.cohort.qualification
        title = _alnum(qualification.title)
        names = {_alnum(qualification.number), title, title.removeprefix("pearson")}
        if reg.programme_code:
            names.add(_alnum(reg.programme_code))
        return _alnum(wanted) in names
    return True


def _on(reg: Registration) -> str:
    return str(reg.cohort)


def _row_name(values: dict) -> str:
    last, first = values.get("last_name", ""), values.get("first_name", "")
    return f"{last.upper()}, {first}" if (last or first) else ""


def _identifiers(values: dict) -> str:
    parts = []
    if values.get("uln"):
        parts.append(f"ULN {values['uln']}")
    if values.get("candidate_number"):
        parts.append(f"candidate number {values['candidate_number']}")
    if all(values.get(f) for f in PERSON):
        parts.append(f"{_row_name(values)} born {values['date_of_birth']:%d/%m/%Y}")
    return ", ".join(parts)


@dataclass
class _Index:
    by_uln: dict
    by_candidate: dict
    by_person: dict
    registrations: dict  # learner id -> [submitted or registered registrations]
    by_id: dict  # registration id -> registration


def _index(centre, *, lock: bool) -> _Index:
    """The centre's learners and their registrations with Pearson: two queries."""
    by_uln, by_candidate, by_person = {}, {}, defaultdict(list)
    for learner in Learner.objects.filter(centre=centre).only(
        "id", "centre_id", "first_name", "last_name", "date_of_birth", "uln", "candidate_number"
    ):
        if learner.uln:
            by_uln[learner.uln] = learner
        if learner.candidate_number:
            by_candidate[learner.candidate_number] = learner
        by_person[_person_key(learner.last_name, learner.first_name, learner.date_of_birth)].append(
            learner
        )
    regs = Registration.objects.filter(
        centre=centre,
        status__in=(Registration.Status.SUBMITTED, Registration.Status.REGISTERED),
    ).select_related("learner", "cohort__qualification")
    if lock:
        regs = regs.select_for_update(of=("self",))
    registrations, by_id = defaultdict(list), {}
    for reg in regs.order_by("pk"):
        registrations[reg.learner_id].append(reg)
        by_id[reg.pk] = reg
    return _Index(by_uln, by_candidate, by_person, registrations, by_id)


class _Planner:
    """Each row's outcome against the database as it is now, a chunk at a time.

    The centre's learners and registrations are loaded once; who holds the chunk's numbers
    is one query a chunk. The same number, or the same learner for the same registration,
    twice in the file is an error on every such row: found in fixed memory (Repeats) as the
    rows go, confirmed at the end and put into the rows' lines then (fix()).
    """

    record = staticmethod(_record)

    def __init__(self, centre, heading_of: dict, *, lock: bool = False):
        self.centre, self.heading_of = centre, heading_of
        self.index = _index(centre, lock=lock)
        self.repeats = Repeats()
        self.by_number: list[list[int]] = []  # the rows of one number
        self.by_learner: list[list[int]] = []  # the rows of one learner and registration
        self._fixes = None

    def plan(self, chunk: list[NumberRow]) -> None:
        numbers = sorted({r.number for r in chunk if r.number})
        held = defaultdict(list)
        if numbers:
            for reg in (
                Registration.objects.filter(registration_number__in=numbers)
                .select_related("learner", "cohort__qualification")
                .order_by("pk")
            ):
                held[reg.registration_number].append(reg)
        for r in chunk:
            if not r.errors:
                _match(r, self.index, held, self.centre, self.heading_of)
            for tag, key in _keys(r):
                self.repeats.add(key, r.row, tag)  # every row of a repeat is told at the end
            if r.errors:
                r.effect = ERROR

    def prepare_fixes(self) -> bool:
        """The numbers and learners the file repeats, now every row is planned: any fix?"""
        for tag, rows in self.repeats.groups():
            (self.by_number if tag == _NUMBER_KEY else self.by_learner).append(rows)
        self.repeats.close()
        return bool(self.by_number or self.by_learner)

    def _number_dup(self, number, row, rows) -> Problem:
        others = ", ".join(str(o) for o in rows if o != row)
        return Problem(
            f"duplicate rows: registration number {number} is also on row {others}",
            row,
            self.heading_of["registration_number"],
            number,
        )

    def _by_row(self) -> dict[int, dict]:
        """For each row in a duplicate: the number groups (all rows) and the learner groups
        not already reported as the same number."""
        if self._fixes is None:
            fixes: dict[int, dict] = defaultdict(lambda: {"number": [], "learner": []})
            reported = set()
            for rows in self.by_number:
                reported.add(frozenset(rows))
                for row in rows:
                    fixes[row]["number"].append(rows)
            for rows in self.by_learner:
                if frozenset(rows) in reported:
                    continue
                for row in rows:
                    fixes[row]["learner"].append(rows)
            self._fixes = dict(fixes)
        return self._fixes

    def fix(self, rec: dict) -> None:
        fix = self._by_row().get(rec.get("row"))
        if fix is None:
            return
        row, errors = rec["row"], rec.get("errors", [])
        column = self.heading_of["registration_number"]
        for rows in fix["number"]:
            p = self._number_dup(rec.get("number", ""), row, rows)
            errors.append([p.column, p.value, p.reason])
        for rows in fix["learner"]:
            others = ", ".join(str(o) for o in rows if o != row)
            who = rec["learner"] if rec.get("learner_id") else f"the learner with {rec['ids']}"
            errors.append(
                [
                    column,
                    rec.get("number", ""),
                    f"duplicate rows: the same learner ({who}) is also on row {others}",
                ]
            )
        if errors:
            rec["e"], rec["errors"], rec["p"] = ERROR, errors, 1

    def finish(self):
        return []


def _conflict(r: NumberRow, reason: str, column: str) -> None:
    r.effect = CONFLICT
    r.problem = Problem(reason, r.row, column, r.number)


def _unmatched(r: NumberRow, reason: str, column: str) -> None:
    r.effect = UNMATCHED
    r.problem = Problem(reason, r.row, column, r.number)


def _match(r: NumberRow, index: _Index, held, centre, heading_of: dict) -> None:
    v, number = r.values, r.number
    found = []  # (how, learner, field), in the match order: ULN, candidate number, person
    if v.get("uln") in index.by_uln:
        found.append(("ULN", index.by_uln[v["uln"]], "uln"))
    if v.get("candidate_number") in index.by_candidate:
        found.append(
            ("candidate number", index.by_candidate[v["candidate_number"]], "candidate_number")
        )
    people = []
    if all(v.get(f) for f in PERSON):
        people = index.by_person.get(_person_key(*(v[f] for f in PERSON)), [])
        if len(people) == 1:
            found.append(("name and date of birth", people[0], "last_name"))
    if len({learner.pk for _how, learner, _f in found}) > 1:
        named = "; ".join(f"the {how} gives {learner}" for how, learner, _f in found)
        _conflict(
            r,
            f"the row's identifiers name different learners: {named}",
            heading_of[found[0][2]],
        )
        return
    if not found:
        if len(people) > 1:
            _conflict(
                r,
                f"{len(people)} learners at this centre are called {_row_name(v)} and were born "
                f"on {v['date_of_birth']:%d/%m/%Y}: add the ULN or candidate number to say which",
                heading_of["last_name"],
            )
        else:
            first = next(f for f in IDENTIFIERS if v.get(f))
            _unmatched(
                r,
                f"unknown learner: no learner at centre {centre.number} has {_identifiers(v)}",
                heading_of[first],
            )
        return
    how, learner, f = found[0]
    if v.get("uln") and learner.uln and learner.uln != v["uln"]:
        _conflict(
            r,
            f"matched by {how} to {learner}, whose ULN is {learner.uln}, not {v['uln']}",
            heading_of["uln"],
        )
        return
    r.learner, r.matched_by = learner, how
    regs = index.registrations.get(learner.pk, [])
    same = [r_ for r_ in regs if r_.status == Registration.Status.REGISTERED]
    same = [r_ for r_ in same if r_.registration_number == number]
    if same:
        r.registration, r.effect = same[0], UNCHANGED
        return
    chosen = [r_ for r_ in regs if _is_for(r_, v)]
    submitted = [r_ for r_ in chosen if r_.status == Registration.Status.SUBMITTED]
    registered = [r_ for r_ in chosen if r_.status == Registration.Status.REGISTERED]
    which = heading_of.get("qualification") or heading_of.get("programme_code")
    if not submitted:
        if registered:
            listed = "; ".join(
                f"{_on(r_)} with number {r_.registration_number}" for r_ in registered
            )
            _conflict(
                r,
                f"{learner} is already registered on {listed}; the file gives {number}",
                heading_of["registration_number"],
            )
        elif regs and which:
            listed = "; ".join(_on(r_) for r_ in regs)
            wanted = v.get("qualification") or v.get("programme_code")
            _conflict(
                r,
                f"{learner}'s registrations with Pearson are for {listed}; none is {wanted}",
                which,
            )
        else:
            _unmatched(
                r,
                f"{learner} (found by {how}) has no registration submitted to Pearson at "
                f"centre {centre.number}",
                heading_of[f],
            )
        return
    if len(submitted) > 1:
        listed = "; ".join(_on(r_) for r_ in submitted)
        _conflict(
            r,
            f"{learner} has {len(submitted)} registrations submitted to Pearson ({listed}): "
            "add a Qualification column to say which this number is for",
            which or heading_of["registration_number"],
        )
        return
    reg = r.registration = submitted[0]
    others = [o for o in held.get(number, []) if o.pk != reg.pk]
    if others:
        other = others[0]
        who = (
            f"{other.learner}'s registration on {_on(other)}"
            if other.centre_id == centre.pk
            else "a registration at another centre"
        )
        _conflict(
            r,
            f"registration number {number} is already held by {who}",
            heading_of["registration_number"],
        )
        return
    on = v.get("registered_on")
    if on and reg.submitted_on and on < reg.submitted_on:
        _conflict(
            r,
            f"registered on {on:%d/%m/%Y}, before the entries were submitted to Pearson "
            f"on {reg.submitted_on:%d/%m/%Y}",
            heading_of["registered_on"],
        )
        return
    r.effect = MATCHED


_NUMBER_KEY, _LEARNER_KEY = 0, 1


def _keys(r: NumberRow):
    """(tag, key) of what a row must not share with another: its number, and who it is
    about for which registration."""
    if r.number:
        yield _NUMBER_KEY, ("number", r.number)
    who = _identity(r)
    if who is not None:
        target = r.registration.pk if r.registration else _qualification_key(r.values)
        yield _LEARNER_KEY, ("learner", who, target)


def _identity(r: NumberRow):
    """Who the row is about: the learner found, else the identifiers it gives."""
    if r.learner is not None:
        return ("learner", r.learner.pk)
    v = r.values
    if v.get("uln"):
        return ("uln", v["uln"])
    if v.get("candidate_number"):
        return ("candidate_number", v["candidate_number"])
    if all(v.get(f) for f in PERSON):
        return ("person", _person_key(*(v[f] for f in PERSON)))
    return None


# --------------------------------------------------------------------------- the record


def _counts(preview: Preview, extra: dict | None = None) -> dict:
    effects = preview.tally.effects
    counts = {k: effects[k] for k in OUTCOMES} | {"rows": preview.tally.rows}
    return counts | (extra or {})


def _errors(file_problems: list[Problem], preview: Preview) -> list[dict]:
    """The file's problems (marked "file") and the first MAX_STORED_ERRORS row errors."""
    out = [dict(p.as_dict(), file=True) for p in file_problems]
    return out + [p.as_dict() for p in preview.tally.first_errors]


def _stamp(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def preview_registration_numbers(
    file, centre, by, *, file_name: str | None = None
) -> RegistrationNumberImport:
    """Read and match the export; record it as a RegistrationNumberImport with its rows log.

    Writes no registration. The import is "refused" when the file itself is wrong (not a
    spreadsheet, empty, a wrong layout) or every row is in error; otherwise "previewed".
    """
    require(by, RUN_REGISTRATIONS, centre.pk)
    name = file_name or getattr(file, "name", "") or "upload"
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:255]
    today = timezone.localdate()
    sink = RowLog()
    preview = Preview(file_name=name, log=sink)
    preview.mapping_used = LAYOUT.mapping_index(remembered_mapping(centre, KIND))
    try:
        data = read_upload(file)
    except FileRefused as exc:
        data = b""
        preview.file_errors.append(exc.problem)
    else:
        read_into(
            data,
            preview,
            sink,
            layout=LAYOUT,
            make_planner=lambda header: _Planner(centre, header.names),
            today=today,
            check=_layout_problems,
            each=_identifiable,
            row_class=NumberRow,
            centre=centre,
        )
    sink.finish(preview)
    preview.tally = sink.tally
    sha = sha256(data)
    counts = _counts(
        preview,
        {
            "header_row": preview.header_row,
            "sheet": preview.sheet,
            "file_type": preview.file_type,
            "columns": preview.names,
            "column_labels": {preview.names[f]: FIELD_LABELS[f] for f in preview.names},
            "ignored": [c.heading for c in preview.columns if c.field is None],
            "settings": {"encoding": preview.encoding, "names": preview.names},
        },
    )
    earlier = (
        RegistrationNumberImport.objects.filter(
            centre=centre, file_sha256=sha, status=RegistrationNumberImport.Status.APPLIED
        )
        .order_by("-applied_at")
        .first()
        if sha
        else None
    )
    if earlier is not None:
        counts["same_file_applied"] = _stamp(earlier.applied_at)
    rows = preview.tally.rows
    refused = bool(preview.file_errors) or not rows or preview.tally.effects[ERROR] == rows
    Status = RegistrationNumberImport.Status
    imp = RegistrationNumberImport(
        centre=centre,
        file_name=name,
        file_sha256=sha,
        uploaded_by=by,
        status=Status.REFUSED if refused else Status.PREVIEWED,
        errors=_errors(preview.file_errors, preview),
        counts=counts,
    )
    if preview.file_type:
        imp.keep_file(data, preview.file_type)
        if rows:
            imp.counts["log"], imp.counts["log_sha256"] = imp.keep_log(sink)
    imp.save()
    return imp


def can_apply(imp: RegistrationNumberImport) -> bool:
    """Anything to register or to leave on the to-do list?"""
    counts = imp.counts or {}
    return imp.status == RegistrationNumberImport.Status.PREVIEWED and any(
        counts.get(k) for k in (MATCHED, *LEFT_OVER)
    )


class _Changed(Exception):
    def __init__(self, log, preview, problems):
        super().__init__("changed since the preview")
        self.log, self.preview, self.problems = log, preview, problems


def _logged_to_plan(fh):
    """The preview's rows, read back from its log, as the planner takes them."""
    with fh:
        for rec in LogRows(lambda: fh):
            r = NumberRow(rec.get("row"))
            r.vals = LAYOUT.from_dict(rec.get("values", {}))
            # A value the file's row got wrong stays wrong (a duplicate is found again).
            for column, value, reason in rec.get("errors", ()):
                if not reason.startswith("duplicate rows: "):
                    r.add_error(Problem(reason, r.row, column, value))
            yield r


def _changes(old_log, new_log) -> list[Problem]:
    """The rows whose outcome (or registration) is not what the preview showed."""
    out = []
    with old_log, new_log:
        pairs = zip(LogRows(lambda: old_log), LogRows(lambda: new_log), strict=True)
        for old, new in pairs:
            if (old["e"], old.get("reg")) == (new["e"], new.get("reg")):
                continue
            why = new["why"][2] if new.get("why") else ""
            if new.get("errors"):
                why = new["errors"][0][2]
            out.append(
                Problem(
                    f"previewed as {old['e']}, now {new['e']}" + (f": {why}" if why else ""),
                    new.get("row"),
                )
            )
    return out


def apply_registration_numbers(imp: RegistrationNumberImport, by) -> RegistrationNumberImport:
    """Register the matched rows, all in one transaction, and list what is left on a to-do.

    The import is claimed first with a conditional UPDATE, so two clicks apply it once and
    an applied (or refused) import is never applied. Every row is planned again from the
    rows log, under lock; if the outcome of any row differs from the preview, nothing is
    written, the preview is brought up to date and ImportRefused says which rows changed.
    """
    require(by, RUN_REGISTRATIONS, imp.centre_id)
    Status = RegistrationNumberImport.Status
    today = timezone.localdate()
    try:
        with transaction.atomic():
            claimed = imp.claim(Status.PREVIEWED, Status.APPLIED, applied_at=timezone.now())
            locked = RegistrationNumberImport.objects.select_related("centre").get(pk=imp.pk)
            if not claimed:
                if locked.status == Status.APPLIED:
                    reason = (
                        f"this import was applied on {_stamp(locked.applied_at)}; "
                        "it cannot be applied again"
                    )
                else:
                    reason = "this import was refused: upload a corrected file"
                raise ImportRefused([Problem(reason)])
            names = locked.settings.get("names") or locked.counts.get("columns", {})
            sink = RowLog()
            preview = Preview(file_name=locked.file_name, log=sink)
            planner = _Planner(locked.centre, names, lock=True)
            plan(
                _logged_to_plan(locked.open_log(verify=True)),
                sink,
                lambda: planner,
            )
            sink.planner = planner
            sink.finish(preview)
            preview.tally = sink.tally
            changed = _changes(locked.open_log(), sink.open())
            if changed:
                raise _Changed(sink, preview, changed)
            applied, left = _register(sink, planner.index, locked, by, today)
            locked.counts = (locked.counts or {}) | _counts(preview) | {"applied": applied}
            locked.save(update_fields=["counts"])
            audit.record(
                by,
                "registrations.numbers_imported",
                locked,
                centre=locked.centre_id,
                after={
                    "file_name": locked.file_name,
                    "file_sha256": locked.file_sha256,
                    "registered": applied,
                    **{k: locked.counts.get(k, 0) for k in OUTCOMES},
                },
            )
            _update_todos(locked, left, by, today)
    except _Changed as exc:
        log, log_sha = imp.keep_log(exc.log)
        counts = (imp.counts or {}) | _counts(exc.preview) | {"log": log, "log_sha256": log_sha}
        RegistrationNumberImport.objects.filter(pk=imp.pk, status=Status.PREVIEWED).update(
            counts=counts,
            errors=[e for e in imp.errors if e.get("file")] + _errors([], exc.preview),
        )
        imp.refresh_from_db()
        raise ImportRefused(exc.problems) from None
    imp.refresh_from_db()
    return imp


def _register(log: RowLog, index: _Index, imp, by, today) -> tuple[int, set[str]]:
    """Register the matched rows of the (re-planned) log, a chunk at a time, with a step and
    an audit event each; (how many, the numbers left over for the to-do)."""
    applied, left = 0, set()
    with log.open() as fh:
        for chunk in batches(LogRows(lambda: fh), rowlog.CHUNK_ROWS):
            matched = []
            for rec in chunk:
                if rec["e"] == MATCHED:
                    matched.append(rec)
                elif rec["e"] in LEFT_OVER:
                    left.add(rec.get("number", ""))
            if matched:
                with audit.batch():
                    applied += _register_chunk(matched, index, imp, by, today)
    return applied, left


def _register_chunk(recs: list[dict], index: _Index, imp, by, today) -> int:
    regs, steps = [], []
    by_repr = _name(by)
    for rec in recs:
        reg, number = index.by_id[rec["reg"]], rec["number"]
        on = rec.get("values", {}).get("registered_on")
        on = dt.date.fromisoformat(on) if on else today
        before = {
            "status": reg.status,
            "registration_number": reg.registration_number,
            "registered_on": reg.registered_on,
        }
        reg.status = Registration.Status.REGISTERED
        reg.registration_number = number
        reg.registered_on = on
        reg.lock_version += 1
        detail = (
            f"Pearson registration number {number}, registered on {on:%d/%m/%Y} "
            f"(Edexcel Online export {imp.file_name}, row {rec['row']})"
        )[:500]
        regs.append(reg)
        steps.append(
            RegistrationStep(
                registration=reg, by=by, by_repr=by_repr, what="Registered", detail=detail
            )
        )
        audit.record(
            by,
            "registration.registered",
            reg,
            centre=reg.centre_id,
            before=before,
            after={
                "cohort": _on(reg),
                "status": reg.status,
                "registration_number": number,
                "registered_on": on,
                "detail": detail,
            },
        )
    # What every row shares is one UPDATE per chunk (per date for registered_on); only the
    # numbers differ row by row. Django's bulk_update writes a CASE per field and row,
    # which is most of the cost of a 5,000-row apply.
    Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
        status=Registration.Status.REGISTERED, lock_version=F("lock_version") + 1
    )
    on_date = defaultdict(list)
    for reg in regs:
        on_date[reg.registered_on].append(reg.pk)
    for day, pks in on_date.items():
        Registration.objects.filter(pk__in=pks).update(registered_on=day)
    Registration.objects.bulk_update(regs, ["registration_number"], batch_size=500)
    RegistrationStep.objects.bulk_create(steps, batch_size=500)
    return len(regs)


def left_over(imp: RegistrationNumberImport) -> set[str]:
    """The registration numbers an import could not apply that need the exams officer."""
    keep = lambda effect, problem: effect in LEFT_OVER  # noqa: E731
    return {rec.get("number", "") for rec in imp.logged_rows(keep)}


def _update_todos(imp: RegistrationNumberImport, mine: set[str], by, today) -> None:
    """One to-do per import for the rows left over (see the module docstring).

    An earlier import's to-do closes when every number it left over is now registered
    at the centre, or when this import leaves the same numbers over (they move to this
    import's to-do). Importing the same file again opens nothing new.
    """
    open_ids = ToDo.objects.filter(
        kind=NUMBERS_TODO, centre=imp.centre, closed_at__isnull=True
    ).values_list("target_id", flat=True)
    older = list(
        RegistrationNumberImport.objects.filter(
            pk__in=[int(t) for t in open_ids if t.isdigit()]
        ).exclude(pk=imp.pk)
    )
    left = {o.pk: left_over(o) for o in older}
    wanted = sorted(set().union(*left.values())) if left else []
    done = set()
    for chunk in batches(wanted, 500):
        done.update(
            Registration.objects.filter(
                centre=imp.centre,
                status=Registration.Status.REGISTERED,
                registration_number__in=chunk,
            ).values_list("registration_number", flat=True)
        )
    still_open = set()
    for o in older:
        remaining = left[o.pk] - done
        left[o.pk] = remaining
        if not remaining:
            close_todos(
                NUMBERS_TODO,
                target=o,
                by=by,
                note=f"every number is now registered ({imp.file_name})",
            )
        else:
            still_open |= remaining
    if not (mine - still_open):
        return
    count = sum(imp.counts.get(k, 0) for k in LEFT_OVER)
    open_todo(
        NUMBERS_TODO,
        centre=imp.centre,
        role=Role.EXAMS_OFFICER,
        title=(
            f"Registration numbers: {count} row{'s' if count != 1 else ''} of "
            f"{imp.file_name[:120]} ({_stamp(imp.created_at)}) not matched to a learner's "
            "registration: find the learners or sort out the conflicts"
        ),
        due=today + dt.timedelta(days=TODO_DAYS),
        target=imp,
        actor=by,
    )
    for o in older:
        if left[o.pk] and left[o.pk] <= mine:
            close_todos(
                NUMBERS_TODO,
                target=o,
                by=by,
                note=f"carried forward to the import of {imp.file_name}",
            )
