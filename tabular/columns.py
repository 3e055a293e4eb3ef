"""Which row holds the headings, and which field each heading gives.

An importer declares a ``Layout``: its ``Field``s, each with the headings files use for it
(most specific first: "Legal Surname" before "Surname"), its typed cell, and whether the
column and the value are required. Headings are compared normalised ("Legal  Surname",
"legal_surname" and "LEGAL-SURNAME" are one heading). A centre's remembered mapping
(``tabular.models.ColumnMapping``, per import kind) and a mapping given now come on top
of the built-in headings: {heading: field name, or IGNORE}.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .cells import TEXT, Cell, Date
from .problems import Problem
from .reading import HEADER_SEARCH_ROWS, cell_text, column_letter, is_formula

IGNORE = "ignore"  # a mapping value: this heading is deliberately not used
FORMULA_REASON = "formulas are not accepted; paste values"
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def normalise_heading(heading) -> str:
    """'Legal  Surname', 'legal_surname' and 'LEGAL-SURNAME' are the same heading."""
    return _NON_ALNUM.sub("", str(heading or "").casefold())


@dataclass(frozen=True)
class Field:
    """One thing an import reads from a column."""

    name: str
    label: str
    headings: tuple[str, ...] = ()
    cell: Cell = TEXT
    required: bool = False  # a row must give a value
    column_required: bool | None = None  # the file must have the column (default: required)
    missing: str = ""  # the reason for a required cell left empty
    stored: bool = True  # False: recognised, but this import keeps nothing from it

    @property
    def needs_column(self) -> bool:
        return self.required if self.column_required is None else self.column_required

    @property
    def missing_reason(self) -> str:
        return self.missing or f"missing: a {self.label} is required"


@dataclass
class Column:
    index: int
    heading: str
    field: str | None  # the field this column fills, None if not used
    status: str  # "used", "recognised, not stored", "not recognised", "ignored", "not used: …"
    label: str = ""  # what the column is read as, in words

    def __post_init__(self):
        self.label = self.label or self.status


@dataclass
class Header:
    """The header row as the layout read it."""

    row: int
    headings: list[str]
    columns: list[Column] = field(default_factory=list)
    used: dict[str, int] = field(default_factory=dict)  # field -> column index
    names: dict[str, str] = field(default_factory=dict)  # field -> its column, in problems
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields with no column

    @property
    def width(self) -> int:
        """One past the last heading: a value in a column beyond it has no heading."""
        last = max((i for i, h in enumerate(self.headings) if h), default=-1)
        return last + 1

    def column_name(self, index: int) -> str:
        if index < len(self.headings) and self.headings[index]:
            return self.headings[index]
        return column_letter(index)


def found_headings(headings) -> str:
    """The headings of a row, for a message: at most 300 characters."""
    text = ", ".join(h for h in headings if h) or "none"
    return text if len(text) <= 300 else text[:300] + "\u2026"


class Layout:
    """The fields an import reads, in the order its rows hold their values.

    Stored fields come first, in order (a row's values are a tuple in that order); the
    others are recognised so that the preview can say so, and nothing is kept from them.
    no_header words the refusal when no row has two recognised headings; letters names
    each column by its letter and the layout's own heading (a workbook of btecqa's own
    making, "C (GLH)") instead of the file's heading.
    """

    def __init__(
        self,
        fields: list[Field],
        *,
        examples: str = "",
        no_header: str = (
            "no header row: none of the first {rows} rows has two recognised headings "
            "(such as {examples}); headings found in row {row}: {found}"
        ),
        letters: bool = False,
        what: str = "file",
        any_of: dict[str, tuple[str, ...]] | None = None,
    ):
        self.stored = [f for f in fields if f.stored]
        # {what the file needs: fields of which one column will do}, e.g. a learner identifier
        self.any_of = any_of or {}
        self.fields = {f.name: f for f in fields}
        self.position = {f.name: i for i, f in enumerate(self.stored)}
        self.examples = examples or ", ".join(f.headings[0] for f in self.stored[:3] if f.headings)
        self.no_header, self.letters, self.what = no_header, letters, what
        self.index: dict[str, tuple[str, int]] = {}
        for f in fields:
            for rank, heading in enumerate(f.headings):
                self.index.setdefault(normalise_heading(heading), (f.name, rank))

    # ----------------------------------------------------------------- values in a log

    def as_dict(self, vals) -> dict:
        """A row's values by field name, as its log line keeps them (dates ISO)."""
        return {f.name: v for f, v in zip(self.stored, vals, strict=False) if v is not None}

    def from_dict(self, values: dict) -> tuple:
        """A row's values, in order, from its log line: dates back to dates."""
        out = []
        for f in self.stored:
            value = values.get(f.name)
            if value is not None and isinstance(f.cell, Date):
                value = dt.date.fromisoformat(value)
            out.append(value)
        return tuple(out)

    # ----------------------------------------------------------------- mappings

    def mapping_index(self, mapping: dict | None) -> dict[str, str]:
        """A mapping given by heading, normalised; fields this layout does not know dropped."""
        return {
            normalise_heading(k): (v or IGNORE)
            for k, v in (mapping or {}).items()
            if v in self.fields or v in (IGNORE, "", None)
        }

    def recognise(self, heading: str, mapping: dict) -> tuple[str | None, int, bool]:
        """(field or None, rank, explicitly mapped?) for one heading; mapping normalised."""
        key = normalise_heading(heading)
        if not key:
            return None, 0, False
        if key in mapping:
            value = mapping[key]
            return (None if value == IGNORE else value), -1, True
        if key in self.index:
            name, rank = self.index[key]
            return name, rank, False
        return None, 0, False

    def score(self, cells, mapping: dict | None = None) -> int:
        """How many fields the text cells of a row give: 2 or more makes it the header row."""
        mapping = mapping or {}
        found = {self.recognise(cell_text(c), mapping)[0] for c in cells if isinstance(c, str)}
        found.discard(None)
        return len(found)

    # ----------------------------------------------------------------- the header row

    def find_header(self, rows, mapping: dict) -> tuple[list, int | None]:
        """(the first non-blank rows, the index among them of the header row, or None)."""
        buffered = []
        for n, cells in rows:
            if any(cell_text(c) for c in cells):
                buffered.append((n, cells))
                if len(buffered) >= HEADER_SEARCH_ROWS:
                    break
        for i, (_n, cells) in enumerate(buffered):
            if self.score(cells, mapping) >= 2:
                return buffered, i
        return buffered, None

    def no_header_problem(self, buffered) -> tuple[int, list[str], Problem]:
        """For a file with no header row: the likeliest headings (the row with the most
        text), and the refusal."""
        best = max(
            range(len(buffered)), key=lambda i: (sum(1 for c in buffered[i][1] if cell_text(c)), -i)
        )
        n, cells = buffered[best]
        headings = [cell_text(c) for c in cells]
        reason = self.no_header.format(
            rows=HEADER_SEARCH_ROWS, examples=self.examples, row=n, found=found_headings(headings)
        )
        return n, headings, Problem(reason, row=n)

    def read_header(self, n: int, cells, mapping: dict) -> Header:
        """Which column gives which field, and what is wrong with the header row."""
        headings = [cell_text(c) for c in cells]
        header = Header(n, headings)
        for i, c in enumerate(cells):
            if is_formula(c):
                header.problems.append(Problem(FORMULA_REASON, n, column_letter(i), str(c)[:60]))
        candidates: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        by_index: dict[int, Column] = {}
        for index, heading in enumerate(headings):
            if not heading:
                continue
            name, rank, mapped = self.recognise(heading, mapping)
            if name is None:
                ignored = normalise_heading(heading) in mapping
                column = Column(index, heading, None, "ignored" if ignored else "not recognised")
            else:
                column = Column(index, heading, name, "used", self.fields[name].label)
                candidates[name].append((0 if mapped else 1, rank, index))
            header.columns.append(column)
            by_index[index] = column
        for name, options in candidates.items():
            f = self.fields[name]
            options.sort()
            best = options[0]
            alike = [o for o in options if o[:2] == best[:2]]
            if len(alike) > 1:
                names = " and ".join(self._name(headings, o[2]) for o in alike)
                if best[0] == 0:
                    reason = f"columns {names} are both mapped to {f.label}; map only one"
                else:
                    reason = (
                        f"columns {names} are both headed \u201c{headings[best[2]]}\u201d: keep one"
                    )
                header.problems.append(Problem(reason, n))
            for o in options[1:]:
                c = by_index[o[2]]
                c.field, c.status = None, f"not used: {headings[best[2]]} gives the {f.label}"
                c.label = c.status
            if f.stored:
                header.used[name] = best[2]
            else:
                c = by_index[best[2]]
                c.field, c.status = None, "recognised, not stored"
                c.label = c.status
        header.used = dict(sorted(header.used.items(), key=lambda item: item[1]))  # by column
        header.names = {name: self._name(headings, i, name) for name, i in header.used.items()}
        header.missing = self.missing_columns(header.used)
        return header

    def missing_columns(self, used) -> list[str]:
        """The required fields (and any_of needs) that no column gives."""
        missing = [f.name for f in self.stored if f.needs_column and f.name not in used]
        missing += [
            need for need, names in self.any_of.items() if not any(n in used for n in names)
        ]
        return missing

    def label_of(self, name: str) -> str:
        return self.fields[name].label if name in self.fields else f"a {name}"

    def _name(self, headings, index: int, name: str | None = None) -> str:
        if self.letters:
            label = self.fields[name].headings[0] if name else headings[index]
            return f"{column_letter(index)} ({label})"
        return (
            headings[index] if index < len(headings) and headings[index] else column_letter(index)
        )

    def missing_problem(self, header: Header, missing: list[str] | None = None) -> Problem:
        """The refusal of a header row without the required columns."""
        missing = header.missing if missing is None else missing
        need = "; ".join(self.example(name) for name in missing)
        return Problem(
            f"missing required columns: {need}. Headings found: {found_headings(header.headings)}",
            row=header.row,
        )

    def example(self, name: str) -> str:
        if name in self.any_of:
            names = [self.fields[n].headings[0] for n in self.any_of[name]]
            listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
            return f"a {name} ({listed})"
        f = self.fields[name]
        return f"{f.label} (e.g. \u201c{f.headings[0]}\u201d)" if f.headings else f.label
