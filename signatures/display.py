"""What changed between two versions, in words: for pages and printed amendments.

`diff_rows()` compares stored snapshots, so it speaks in field names and stored values
(`optional_units ['8'] -> ['9']`). `describe_changes()` turns its result into lines a reader
follows: each field by its label, each value as the record's app shows it, the rows in the
order a reader looks for them.

    describe_changes(diff, who=lambda row: row["name"], labels={"pathway": "pathway"},
                     show={"units": lambda units: ", ".join(units) or "none"})
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from documents.formats import uk_date

BLANK = "blank"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.label} was {self.before}, now {self.after}"


@dataclass(frozen=True)
class RowChange:
    kind: str  # "added", "removed" or "changed"
    who: str
    fields: tuple[FieldChange, ...] = ()

    @property
    def verb(self) -> str:
        return self.kind.capitalize()

    @property
    def fields_text(self) -> str:
        return "; ".join(map(str, self.fields))

    def __str__(self) -> str:
        return f"{self.verb}: {self.who}" + (f": {self.fields_text}" if self.fields else "")


def shown_value(value) -> str:
    """A stored value as a reader sees it: yes/no, dd/mm/yyyy, a list joined, "blank"."""
    if value is None or value == "" or value == []:
        return BLANK
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(shown_value(v) for v in value)
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return uk_date(value)
    return str(value)


def describe_changes(
    diff: Mapping | None,
    *,
    who: Callable[[dict], str],
    labels: Mapping[str, str],
    show: Mapping[str, Callable[[object], str]] | None = None,
    hidden: frozenset[str] | set[str] = frozenset(),
) -> list[RowChange]:
    """diff_rows() output as RowChanges: added, then removed, then changed, each by `who`.

    labels: field -> label, in the order fields are listed (unlabelled fields follow, named
    by their field name in words). show: field -> how to show one of its values (the
    default is shown_value). hidden: fields never listed.
    """
    if not diff:
        return []
    show = show or {}
    order = {f: i for i, f in enumerate(labels)}

    def fields(changed: Mapping) -> tuple[FieldChange, ...]:
        out = []
        for name in sorted(changed, key=lambda f: (order.get(f, len(order)), f)):
            if name in hidden:
                continue
            before, after = changed[name]
            shown = show.get(name, shown_value)
            label = labels.get(name) or name.replace("_", " ")
            out.append(FieldChange(label, shown(before), shown(after)))
        return tuple(out)

    lines = [RowChange("added", who(r)) for r in sorted(diff.get("added", ()), key=who)]
    lines += [RowChange("removed", who(r)) for r in sorted(diff.get("removed", ()), key=who)]
    changed = sorted(diff.get("changed", ()), key=lambda c: who(c["row"]))
    for change in changed:
        listed = fields(change["fields"])
        if listed:
            lines.append(RowChange("changed", who(change["row"]), listed))
    return lines
