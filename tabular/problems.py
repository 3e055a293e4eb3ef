"""The one problem type of every import: where (sheet, row, column), the value, and why."""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) in a file, printed ``row N, column C: reason``.

    A workbook of several sheets names the sheet first (``Units row 3, column A: …``); a
    problem with the file as a whole has no row and prints as its reason.
    """

    reason: str
    row: int | None = None
    column: str = ""
    value: str = ""
    sheet: str = ""

    def __str__(self) -> str:
        where = " ".join(
            p for p in (self.sheet, f"row {self.row}" if self.row is not None else "") if p
        )
        if self.column:
            where = f"{where}, column {self.column}" if where else f"column {self.column}"
        return f"{where}: {self.reason}" if where else self.reason

    def as_dict(self) -> dict:
        d = {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}
        if self.sheet:
            d["sheet"] = self.sheet
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        return cls(
            reason=d.get("reason", ""),
            row=d.get("row"),
            column=d.get("column", ""),
            value=d.get("value", ""),
            sheet=d.get("sheet", ""),
        )


class FileRefused(Exception):
    """The file failed a check before or while it was read (size, type, damage, too long)."""

    def __init__(self, reason: str, row: int | None = None):
        super().__init__(reason)
        self.problem = Problem(reason, row)


class ImportRefused(Exception):
    """An import that cannot go ahead (a commit, an apply); nothing was written."""

    def __init__(self, problems):
        # A sequence that streams its problems (a preview's) is kept as it is, not copied.
        self.problems = problems if hasattr(problems, "__len__") else list(problems)
        super().__init__("; ".join(str(p) for p in itertools.islice(self.problems, 5)))
