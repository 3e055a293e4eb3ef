"""Registration numbers from Edexcel Online's export: read, match, preview, then apply.

After submitting a programme's entries the exams officer registers the learners on
Edexcel Online, exports them with their registration numbers (CSV or XLSX) and uploads
the export here. Two phases, as the MIS import (learners/imports.py), whose file checks
and readers this module reuses:

* ``preview_registration_numbers()`` checks the file (size, type sniffed from the content,
  encoding, XLSX archive, formulas), finds the header row among the first ten, reads every
  row and matches it to a registration of the chosen centre: by ULN, then candidate
  number, then surname, forename and date of birth, against the centre's learners and
  registrations loaded in a few queries up front (dicts, never a query per row). Each
  row is *matched* (will be registered), *unchanged* (already registered with this
  number), *unmatched* (no such learner, or no registration submitted to Pearson),
  a *conflict* (the file and btecqa disagree: nothing is guessed) or in *error* (a bad
  value, another centre's row, a duplicate). The plan is kept on a
  ``RegistrationNumberImport``; nothing else is written.
* ``apply_registration_numbers()`` works the plan out again from the kept rows and refuses
  if it no longer agrees with what was previewed (the preview is then brought up to
  date); otherwise it registers every matched row in one transaction inside
  ``audit.batch()``: bulk updates, a "Registered" RegistrationStep and an audit event per
  registration, and one to-do listing the rows left over (unmatched and conflicts).
  An applied import is never applied again; importing the same file again finds every
  row unchanged and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone

import audit
from accounts.permissions import require
from accounts.roles import Role
from btecqa.validators import text_problem
from learners.imports import (
    FORMULA_REASON,
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    FileRefused,
    ImportRefused,
    Problem,
    _clean,
    _column_letter,
    _in_chunks,
    _is_formula,
    _open_rows,
    _text,
    check_file,
    normalise_heading,
    parse_date,
    read_upload,
)
from learners.models import Learner
from learners.validators import date_of_birth_problem
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

FIELD_LABELS = {
    "registration_number": "registration number",
    "centre_number": "centre number",
    "uln": "ULN",
    "candidate_number": "candidate number",
    "last_name": "surname",
    "first_name": "forename",
    "date_of_birth": "date of birth",
    "qualification": "qualification",
    "programme_code": "programme code",
    "registered_on": "registration date",
}
# Edexcel Online's headings and their usual variants, most specific first.
ALIASES: dict[str, tuple[str, ...]] = {
    "registration_number": (
        "Learner Registration Number",
        "Registration Number",
        "Learner Registration No",
        "Registration No",
        "Learner Reg No",
        "Reg No",
        "Reg Number",
    ),
    "centre_number": ("Centre Number", "Centre No", "Centre"),
    "uln": ("ULN", "Unique Learner Number"),
    "candidate_number": ("Candidate Number", "Candidate No", "Cand No"),
    "last_name": ("Surname", "Last Name", "Last Names", "Family Name", "Legal Surname"),
    "first_name": (
        "Forename",
        "Forenames",
        "First Name",
        "First Names",
        "Given Name",
        "Legal Forename",
    ),
    "date_of_birth": ("Date of Birth", "DOB", "Birth Date"),
    "qualification": (
        "Qualification",
        "Qualification Number",
        "Qualification Code",
        "Qualification Title",
        "QN",
    ),
    "programme_code": ("Programme Code",),
    "registered_on": ("Registration Date", "Date Registered", "Registered On"),
}
ALIAS_INDEX: dict[str, tuple[str, int]] = {}
for _field, _names in ALIASES.items():
    for _rank, _heading in enumerate(_names):
        ALIAS_INDEX.setdefault(normalise_heading(_heading), (_field, _rank))

PERSON = ("last_name", "first_name", "date_of_birth")
DATES = ("date_of_birth", "registered_on")
MAX_NUMBER_LENGTH = Registration._meta.get_field("registration_number").max_length
MAX_TEXT = 100
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]*$")
_NON_ALNUM = re.compile(r"[^0-9a-z]")


# --------------------------------------------------------------------------- reading


@dataclass
class RowPlan:
    """One row of the file: its values, what they match and what applying it would do."""

    row: int
    values: dict = field(default_factory=dict)  # field -> cleaned value (text or date)
    value_errors: list[Problem] = field(default_factory=list)  # found while reading
    errors: list[Problem] = field(default_factory=list)  # value errors + duplicates
    outcome: str = ""
    problem: Problem | None = None  # why it is unmatched or a conflict
    learner: Learner | None = None
    registration: Registration | None = None
    matched_by: str = ""

    @property
    def number(self) -> str:
        return self.values.get("registration_number", "")


@dataclass
class Layout:
    file_type: str = ""
    sheet: str = ""
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> heading in the file
    ignored: list[str] = field(default_factory=list)


def _columns(headings: list[str]) -> dict[str, int]:
    """{field: column index} for the recognised headings (the most specific one wins)."""
    best: dict[str, tuple[int, int]] = {}
    for index, heading in enumerate(headings):
        hit = ALIAS_INDEX.get(normalise_heading(heading)) if heading else None
        if hit:
            f, rank = hit
            if f not in best or rank < best[f][0]:
                best[f] = (rank, index)
    return {f: index for f, (_rank, index) in best.items()}


def _can_match(used) -> bool:
    return "uln" in used or "candidate_number" in used or all(f in used for f in PERSON)


def read_file(data: bytes, centre, today: dt.date) -> tuple[list[Problem], list[RowPlan], Layout]:
    """(problems with the file as a whole, one plan per data row, the layout found)."""
    layout = Layout()
    try:
        file_type, encoding = check_file(data)
        source = _open_rows(data, file_type, encoding)
    except FileRefused as exc:
        return [exc.problem], [], layout
    layout.file_type, layout.sheet = file_type, source.sheet
    try:
        return *_read_rows(source, centre, layout, today), layout
    except FileRefused as exc:
        return [exc.problem], [], layout
    finally:
        if source.close:
            source.close()


def _found(headings) -> str:
    text = ", ".join(h for h in headings if h) or "none"
    return text if len(text) <= 300 else text[:300] + "\u2026"


def _read_rows(source, centre, layout: Layout, today: dt.date):
    rows = iter(source.rows)
    buffered = []
    for n, cells in rows:
        if any(_text(c) for c in cells):
            buffered.append((n, cells))
            if len(buffered) >= HEADER_SEARCH_ROWS:
                break
    if not buffered:
        return [Problem("the file is empty: it has no rows at all")], []
    header_at = None
    for i, (_n, cells) in enumerate(buffered):
        if len(_columns([_text(c) if isinstance(c, str) else "" for c in cells])) >= 2:
            header_at = i
            break
    if header_at is None:
        n, cells = buffered[0]
        found = _found(_text(c) for c in cells)
        return [
            Problem(
                f"wrong layout: none of the first {HEADER_SEARCH_ROWS} rows has the headings of "
                "an Edexcel Online export (such as Registration Number, ULN, Candidate Number, "
                f"Surname, Forename, Date of Birth); row {n} has: {found}",
                row=n,
            )
        ], []
    header_n, header_cells = buffered[header_at]
    headings = [_text(c) for c in header_cells]
    used = _columns(headings)
    layout.header_row = header_n
    layout.columns = {f: headings[i] for f, i in used.items()}
    layout.ignored = [h for i, h in enumerate(headings) if h and i not in used.values()]
    problems = [
        Problem(FORMULA_REASON, header_n, _column_letter(i), str(c)[:60])
        for i, c in enumerate(header_cells)
        if _is_formula(c)
    ]
    if "registration_number" not in used:
        problems.append(
            Problem(
                "wrong layout: there is no registration number column (a heading such as "
                "\u201cRegistration Number\u201d, \u201cLearner Registration Number\u201d or "
                f"\u201cReg No\u201d); headings found: {_found(headings)}",
                row=header_n,
            )
        )
    if not _can_match(used):
        problems.append(
            Problem(
                "wrong layout: there is no way to match a learner: the file needs a ULN "
                "column, a Candidate Number column, or Surname, Forename and Date of Birth "
                f"columns; headings found: {_found(headings)}",
                row=header_n,
            )
        )
    if problems:
        return problems, []
    heading_of = {f: headings[i] or _column_letter(i) for f, i in used.items()}
    plans: list[RowPlan] = []
    for n, cells in itertools.chain(buffered[header_at + 1 :], rows):
        if not any(_text(c) for c in cells):
            continue
        if len(plans) >= MAX_ROWS:
            raise FileRefused(
                f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
            )
        plans.append(
            _read_row(n, cells, headings, used, heading_of, source.date_base, centre, today)
        )
    if not plans:
        return [
            Problem(
                f"the file is empty: there are no rows below the headings (row {header_n})",
                row=header_n,
            )
        ], []
    return [], plans


def _read_row(n, cells, headings, used, heading_of, date_base, centre, today) -> RowPlan:
    plan = RowPlan(row=n)
    for i, c in enumerate(cells):
        if _is_formula(c):
            heading = headings[i] if i < len(headings) and headings[i] else _column_letter(i)
            plan.value_errors.append(Problem(FORMULA_REASON, n, heading, str(c)[:60]))
    for f, i in used.items():
        cell = cells[i] if i < len(cells) else None
        if _is_formula(cell):
            continue
        text = _text(cell)
        value, reason = _clean_value(f, cell, text, date_base, centre, today)
        if reason:
            plan.value_errors.append(Problem(reason, n, heading_of[f], text))
        elif value not in (None, ""):
            plan.values[f] = value
    bad = {p.column for p in plan.value_errors}
    heading = heading_of["registration_number"]
    if "registration_number" not in plan.values and heading not in bad:
        plan.value_errors.append(Problem("missing: the registration number is empty", n, heading))
    ids = [f for f in ("uln", "candidate_number", *PERSON) if f in used]
    if not _identifiable(plan.values) and not any(heading_of[f] in bad for f in ids):
        plan.value_errors.append(
            Problem(
                "missing: nothing to match the learner by: give the ULN, the candidate number, "
                "or the surname, forename and date of birth",
                n,
                heading_of[ids[0]],
            )
        )
    return plan


def _identifiable(values: dict) -> bool:
    return bool(values.get("uln") or values.get("candidate_number")) or all(
        values.get(f) for f in PERSON
    )


def _clean_value(f, cell, text, date_base, centre, today):
    """(value, None) or (None, why not); (None, None) for an empty cell."""
    if not text:
        return None, None
    if problem := text_problem(text):
        return None, problem
    if f == "registration_number":
        value = text.replace(" ", "").upper()
        if len(value) > MAX_NUMBER_LENGTH:
            return None, (
                f"{text} is not a registration number: longer than {MAX_NUMBER_LENGTH} characters"
            )
        if not _NUMBER.match(value):
            return None, f"{text} is not a registration number: letters, digits, / and - only"
        return value, None
    if f == "centre_number":
        value = text.replace(" ", "")
        if value.isdigit() and len(value) < 5:
            value = value.zfill(5)  # Excel drops leading zeros
        if len(value) != 5 or not value.isdigit():
            return None, f"{text} is not a centre number (five digits)"
        if value != centre.number:
            return None, (
                f"another centre's number: this row is for centre {value}, but this import is "
                f"for centre {centre.number}; upload each centre's export at its own centre"
            )
        return value, None
    if f in ("uln", "candidate_number"):
        return _clean(f, cell, text, date_base, today)
    if f in DATES:
        day, reason = parse_date(cell, date_base)
        if reason:
            return None, reason
        if f == "date_of_birth" and (problem := date_of_birth_problem(day, today)):
            return None, problem
        if day > today:
            return None, f"{day:%d/%m/%Y} is in the future"
        return day, None
    if len(text) > MAX_TEXT:
        return None, f"longer than {MAX_TEXT} characters"
    return text, None


# --------------------------------------------------------------------------- matching


def _fold(text: str) -> str:
    """Names as Pearson prints them: case, accents and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def _person_key(last: str, first: str, born: dt.date) -> tuple:
    return (_fold(last), _fold(first), born)


def _alnum(text: str) -> str:
    return _NON_ALNUM.sub("", _fold(text or ""))


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
    held: dict  # registration number -> [registrations holding it, any centre]


def _index(plans: list[RowPlan], centre, *, lock: bool) -> _Index:
    """The centre's learners and registrations, and who holds the file's numbers: 3+ queries."""
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
    registrations = defaultdict(list)
    for reg in regs.order_by("pk"):
        registrations[reg.learner_id].append(reg)
    held = defaultdict(list)
    numbers = sorted({p.number for p in plans if p.number})
    for chunk in _in_chunks(numbers):
        for reg in (
            Registration.objects.filter(registration_number__in=chunk)
            .select_related("learner", "cohort__qualification")
            .order_by("pk")
        ):
            held[reg.registration_number].append(reg)
    return _Index(by_uln, by_candidate, by_person, registrations, held)


def plan_rows(plans: list[RowPlan], centre, heading_of: dict, *, lock: bool = False) -> None:
    """Work out each row's outcome against the database as it is now (writes nothing)."""
    index = _index(plans, centre, lock=lock)
    for p in plans:
        p.errors = list(p.value_errors)
        p.outcome, p.problem, p.learner, p.registration, p.matched_by = "", None, None, None, ""
        if p.errors:
            p.outcome = ERROR
            continue
        _match(p, index, centre, heading_of)
    _duplicates(plans, heading_of)
    for p in plans:
        if p.errors:
            p.outcome = ERROR


def _conflict(p: RowPlan, reason: str, column: str) -> None:
    p.outcome = CONFLICT
    p.problem = Problem(reason, p.row, column, p.number)


def _unmatched(p: RowPlan, reason: str, column: str) -> None:
    p.outcome = UNMATCHED
    p.problem = Problem(reason, p.row, column, p.number)


def _match(p: RowPlan, index: _Index, centre, heading_of: dict) -> None:
    v, number = p.values, p.number
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
            p,
            f"the row's identifiers name different learners: {named}",
            heading_of[found[0][2]],
        )
        return
    if not found:
        if len(people) > 1:
            _conflict(
                p,
                f"{len(people)} learners at this centre are called {_row_name(v)} and were born "
                f"on {v['date_of_birth']:%d/%m/%Y}: add the ULN or candidate number to say which",
                heading_of["last_name"],
            )
        else:
            first = next(f for f in ("uln", "candidate_number", *PERSON) if v.get(f))
            _unmatched(
                p,
                f"unknown learner: no learner at centre {centre.number} has {_identifiers(v)}",
                heading_of[first],
            )
        return
    how, learner, f = found[0]
    if v.get("uln") and learner.uln and learner.uln != v["uln"]:
        _conflict(
            p,
            f"matched by {how} to {learner}, whose ULN is {learner.uln}, not {v['uln']}",
            heading_of["uln"],
        )
        return
    p.learner, p.matched_by = learner, how
    regs = index.registrations.get(learner.pk, [])
    same = [r for r in regs if r.status == Registration.Status.REGISTERED]
    same = [r for r in same if r.registration_number == number]
    if same:
        p.registration, p.outcome = same[0], UNCHANGED
        return
    chosen = [r for r in regs if _is_for(r, v)]
    submitted = [r for r in chosen if r.status == Registration.Status.SUBMITTED]
    registered = [r for r in chosen if r.status == Registration.Status.REGISTERED]
    which = heading_of.get("qualification") or heading_of.get("programme_code")
    if not submitted:
        if registered:
            listed = "; ".join(f"{_on(r)} with number {r.registration_number}" for r in registered)
            _conflict(
                p,
                f"{learner} is already registered on {listed}; the file gives {number}",
                heading_of["registration_number"],
            )
        elif regs and which:
            listed = "; ".join(_on(r) for r in regs)
            wanted = v.get("qualification") or v.get("programme_code")
            _conflict(
                p,
                f"{learner}'s registrations with Pearson are for {listed}; none is {wanted}",
                which,
            )
        else:
            _unmatched(
                p,
                f"{learner} (found by {how}) has no registration submitted to Pearson at "
                f"centre {centre.number}",
                heading_of[f],
            )
        return
    if len(submitted) > 1:
        listed = "; ".join(_on(r) for r in submitted)
        _conflict(
            p,
            f"{learner} has {len(submitted)} registrations submitted to Pearson ({listed}): "
            "add a Qualification column to say which this number is for",
            which or heading_of["registration_number"],
        )
        return
    reg = p.registration = submitted[0]
    others = [r for r in index.held.get(number, []) if r.pk != reg.pk]
    if others:
        other = others[0]
        who = (
            f"{other.learner}'s registration on {_on(other)}"
            if other.centre_id == centre.pk
            else "a registration at another centre"
        )
        _conflict(
            p,
            f"registration number {number} is already held by {who}",
            heading_of["registration_number"],
        )
        return
    on = v.get("registered_on")
    if on and reg.submitted_on and on < reg.submitted_on:
        _conflict(
            p,
            f"registered on {on:%d/%m/%Y}, before the entries were submitted to Pearson "
            f"on {reg.submitted_on:%d/%m/%Y}",
            heading_of["registered_on"],
        )
        return
    p.outcome = MATCHED


def _identity(p: RowPlan):
    """Who the row is about: the learner found, else the identifiers it gives."""
    if p.learner is not None:
        return ("learner", p.learner.pk)
    v = p.values
    if v.get("uln"):
        return ("uln", v["uln"])
    if v.get("candidate_number"):
        return ("candidate_number", v["candidate_number"])
    if all(v.get(f) for f in PERSON):
        return ("person", _person_key(*(v[f] for f in PERSON)))
    return None


def _duplicates(plans: list[RowPlan], heading_of: dict) -> None:
    """The same number, or the same learner for the same registration, twice: both rows."""
    by_number, by_learner = defaultdict(list), defaultdict(list)
    for p in plans:
        if p.number:
            by_number[p.number].append(p)
        who = _identity(p)
        if who is not None:
            target = p.registration.pk if p.registration else _qualification_key(p.values)
            by_learner[(who, target)].append(p)
    reported = set()
    for number, ps in by_number.items():
        if len(ps) < 2:
            continue
        reported.add(frozenset(p.row for p in ps))
        for p in ps:
            others = ", ".join(str(o.row) for o in ps if o is not p)
            p.errors.append(
                Problem(
                    f"duplicate rows: registration number {number} is also on row {others}",
                    p.row,
                    heading_of["registration_number"],
                    number,
                )
            )
    for ps in by_learner.values():
        if len(ps) < 2 or frozenset(p.row for p in ps) in reported:
            continue
        for p in ps:
            others = ", ".join(str(o.row) for o in ps if o is not p)
            who = str(p.learner) if p.learner else f"the learner with {_identifiers(p.values)}"
            p.errors.append(
                Problem(
                    f"duplicate rows: the same learner ({who}) is also on row {others}",
                    p.row,
                    heading_of["registration_number"],
                    p.number,
                )
            )


# --------------------------------------------------------------------------- storing a plan


def _json_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def row_json(p: RowPlan) -> dict:
    reg = p.registration
    problems = [e.as_dict() for e in p.errors]
    if p.problem is not None:
        problems.append(p.problem.as_dict())
    return {
        "row": p.row,
        "outcome": p.outcome,
        "registration_number": p.number,
        "learner_id": p.learner.pk if p.learner else None,
        "learner": str(p.learner) if p.learner else _row_name(p.values),
        "identifiers": _identifiers(p.values),
        "matched_by": p.matched_by,
        "registration_id": reg.pk if reg else None,
        "cohort": _on(reg) if reg else "",
        "problems": problems,
        "values": {k: _json_value(v) for k, v in p.values.items()},
        "value_errors": [e.as_dict() for e in p.value_errors],
    }


def plan_from_json(row: dict) -> RowPlan:
    values = dict(row.get("values", {}))
    for f in DATES:
        if values.get(f):
            values[f] = dt.date.fromisoformat(values[f])
    return RowPlan(
        row=row["row"],
        values=values,
        value_errors=[Problem.from_dict(e) for e in row.get("value_errors", [])],
    )


def tally(plans: list[RowPlan]) -> dict:
    counts = dict.fromkeys(OUTCOMES, 0)
    for p in plans:
        counts[p.outcome] += 1
    counts["rows"] = len(plans)
    return counts


def _errors(file_problems: list[Problem], plans: list[RowPlan]) -> list[dict]:
    out = [dict(p.as_dict(), file=True) for p in file_problems]
    out += [e.as_dict() for p in plans for e in p.errors]
    return out


def _stamp(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


# --------------------------------------------------------------------------- the two phases


def preview_registration_numbers(
    file, centre, by, *, file_name: str | None = None
) -> RegistrationNumberImport:
    """Read and match the export; record the plan as a RegistrationNumberImport.

    Writes no registration. The import is "refused" when the file itself is wrong (not a
    spreadsheet, empty, a wrong layout) or every row is in error; otherwise "previewed".
    """
    require(by, RUN_REGISTRATIONS, centre.pk)
    name = file_name or getattr(file, "name", "") or "upload"
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:255]
    today = timezone.localdate()
    try:
        data = read_upload(file)
    except FileRefused as exc:
        data, file_problems, plans, layout = b"", [exc.problem], [], Layout()
    else:
        file_problems, plans, layout = read_file(data, centre, today)
    if plans:
        plan_rows(plans, centre, layout.columns)
    sha = hashlib.sha256(data).hexdigest() if data else ""
    counts = tally(plans) | {
        "header_row": layout.header_row,
        "sheet": layout.sheet,
        "file_type": layout.file_type,
        "columns": layout.columns,
        "column_labels": {layout.columns[f]: FIELD_LABELS[f] for f in layout.columns},
        "ignored": layout.ignored,
    }
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
    refused = bool(file_problems) or not plans or all(p.outcome == ERROR for p in plans)
    return RegistrationNumberImport.objects.create(
        centre=centre,
        file_name=name,
        file_sha256=sha,
        uploaded_by=by,
        status=(
            RegistrationNumberImport.Status.REFUSED
            if refused
            else RegistrationNumberImport.Status.PREVIEWED
        ),
        rows=[row_json(p) for p in plans],
        errors=_errors(file_problems, plans),
        counts=counts,
    )


def can_apply(imp: RegistrationNumberImport) -> bool:
    """Anything to register or to leave on the to-do list?"""
    counts = imp.counts or {}
    return imp.status == RegistrationNumberImport.Status.PREVIEWED and any(
        counts.get(k) for k in (MATCHED, *LEFT_OVER)
    )


class _Changed(Exception):
    def __init__(self, plans, problems):
        super().__init__("changed since the preview")
        self.plans, self.problems = plans, problems


def _changes(rows: list[dict], plans: list[RowPlan]) -> list[Problem]:
    out = []
    for old, new in zip(rows, plans, strict=True):
        new_reg = new.registration.pk if new.registration else None
        if (old["outcome"], old.get("registration_id")) != (new.outcome, new_reg):
            why = new.problem.reason if new.problem else ""
            if new.errors:
                why = new.errors[0].reason
            out.append(
                Problem(
                    f"previewed as {old['outcome']}, now {new.outcome}"
                    + (f": {why}" if why else ""),
                    new.row,
                )
            )
    return out


def apply_registration_numbers(imp: RegistrationNumberImport, by) -> RegistrationNumberImport:
    """Register the matched rows, all in one transaction, and list what is left on a to-do.

    The import is claimed first with a conditional UPDATE, so two clicks apply it once and
    an applied (or refused) import is never applied. The rows are matched again under
    lock; if the outcome of any row differs from the preview, nothing is written, the
    preview is brought up to date and ImportRefused says which rows changed.
    """
    require(by, RUN_REGISTRATIONS, imp.centre_id)
    Status = RegistrationNumberImport.Status
    today = timezone.localdate()
    try:
        with audit.batch():
            claimed = RegistrationNumberImport.objects.filter(
                pk=imp.pk, status=Status.PREVIEWED
            ).update(status=Status.APPLIED, applied_at=timezone.now())
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
            heading_of = (locked.counts or {}).get("columns", {})
            plans = [plan_from_json(r) for r in locked.rows]
            plan_rows(plans, locked.centre, heading_of, lock=True)
            changed = _changes(locked.rows, plans)
            if changed:
                raise _Changed(plans, changed)
            applied = _register(plans, locked, by, today)
            locked.rows = [row_json(p) for p in plans]
            locked.counts = (locked.counts or {}) | tally(plans) | {"applied": applied}
            locked.save(update_fields=["rows", "counts"])
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
            _update_todos(locked, plans, by, today)
    except _Changed as exc:
        RegistrationNumberImport.objects.filter(pk=imp.pk, status=Status.PREVIEWED).update(
            rows=[row_json(p) for p in exc.plans],
            counts=(imp.counts or {}) | tally(exc.plans),
            errors=[e for e in imp.errors if e.get("file")] + _errors([], exc.plans),
        )
        imp.refresh_from_db()
        raise ImportRefused(exc.problems) from None
    imp.refresh_from_db()
    return imp


def _register(plans: list[RowPlan], imp: RegistrationNumberImport, by, today) -> int:
    regs, steps = [], []
    by_repr = _name(by)
    for p in plans:
        if p.outcome != MATCHED:
            continue
        reg, number = p.registration, p.number
        on = p.values.get("registered_on") or today
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
            f"(Edexcel Online export {imp.file_name}, row {p.row})"
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
    if regs:
        # What every row shares is one UPDATE per chunk (per date for registered_on); only
        # the numbers differ row by row. Django's bulk_update writes a CASE per field and
        # row, which is most of the cost of a 5,000-row apply.
        for chunk in _in_chunks([r.pk for r in regs]):
            Registration.objects.filter(pk__in=chunk).update(
                status=Registration.Status.REGISTERED, lock_version=F("lock_version") + 1
            )
        on_date = defaultdict(list)
        for reg in regs:
            on_date[reg.registered_on].append(reg.pk)
        for day, pks in on_date.items():
            for chunk in _in_chunks(pks):
                Registration.objects.filter(pk__in=chunk).update(registered_on=day)
        Registration.objects.bulk_update(regs, ["registration_number"], batch_size=500)
        RegistrationStep.objects.bulk_create(steps, batch_size=500)
    return len(regs)


def left_over(rows: list[dict]) -> set[str]:
    """The registration numbers an import could not apply that need the exams officer."""
    return {r["registration_number"] for r in rows if r["outcome"] in LEFT_OVER}


def _update_todos(imp: RegistrationNumberImport, plans: list[RowPlan], by, today) -> None:
    """One to-do per import for the rows left over (see the module docstring).

    An earlier import's to-do closes when every number it left over is now registered
    at the centre, or when this import leaves the same numbers over (they move to this
    import's to-do). Importing the same file again opens nothing new.
    """
    mine = {p.number for p in plans if p.outcome in LEFT_OVER}
    open_ids = ToDo.objects.filter(
        kind=NUMBERS_TODO, centre=imp.centre, closed_at__isnull=True
    ).values_list("target_id", flat=True)
    older = list(
        RegistrationNumberImport.objects.filter(
            pk__in=[int(t) for t in open_ids if t.isdigit()]
        ).exclude(pk=imp.pk)
    )
    left = {o.pk: left_over(o.rows) for o in older}
    wanted = sorted(set().union(*left.values())) if left else []
    done = set()
    for chunk in _in_chunks(wanted):
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
    count = len([p for p in plans if p.outcome in LEFT_OVER])
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
