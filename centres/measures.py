"""The governors' annual report: a registry of measures, counted per centre and year.

Each app that keeps the records says what it counts, from its own `report_measures.py`:

    register_measure("registrations.on_time", "Registered on time", "Registrations", fn)

`fn(centre_ids, years)` returns `{(centre_id, academic_year): number}` for every year at
once, in a fixed number of aggregate queries (never one per centre or per year). A pair it
leaves out counts 0. Measures only count: no function here or in an app returns a learner.
The report (`centres.selectors.annual_report`) knows no app: it runs what is registered, so
an app added later (certificate exceptions) registers its measure and appears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Case, Value, When

SECTIONS = (
    "Registrations",
    "Entry check",
    "Internal verification",
    "Standards verification",
    "Claims and certificates",
    "Policies and declaration",
)


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    section: str
    function: Callable[[Sequence[int], Sequence[str]], dict]
    order: int = 100
    help: str = ""
    part: str = ""


_MEASURES: dict[str, Measure] = {}


def register_measure(
    code: str,
    label: str,
    section: str,
    function: Callable,
    *,
    order: int = 100,
    help: str = "",
    part: str = "",
    replace: bool = False,
) -> str:
    """Add a measure to the annual report (or, with replace=True, a better one for its code).

    With `part`, `function` counts several measures in one query and returns
    `{part: {(centre_id, year): n}}`; the report calls it once for all of them."""
    if section not in SECTIONS:
        raise ImproperlyConfigured(f"{code}: section {section!r} is not one of {SECTIONS}.")
    measure = Measure(code, label, section, function, order, help, part)
    existing = _MEASURES.get(code)
    if existing and existing != measure and not replace:
        raise ImproperlyConfigured(f"Report measure {code} declared twice: pass replace=True.")
    _MEASURES[code] = measure
    return code


def all_measures() -> list[Measure]:
    return sorted(_MEASURES.values(), key=lambda m: (SECTIONS.index(m.section), m.order, m.code))


# --- helpers the apps' measures share ----------------------------------------------------


def year_start(academic_year: str) -> dt.date:
    return dt.date(int(academic_year[:4]), 9, 1)


def year_end(academic_year: str) -> dt.date:
    return dt.date(int(academic_year[:4]) + 1, 8, 31)


def year_of(field: str, years: Iterable[str]) -> Case:
    """The academic year a date field falls in, as an annotation (September to August)."""
    return Case(
        *(When(**{f"{field}__range": (year_start(y), year_end(y))}, then=Value(y)) for y in years),
        default=Value(""),
        output_field=models.CharField(),
    )


def tally(rows: Iterable[dict], centre: str, year: str, names: Iterable[str]) -> dict:
    """`values(centre, year).annotate(...)` rows as `{name: {(centre_id, year): n}}`."""
    names = list(names)
    out: dict[str, dict] = {name: {} for name in names}
    for row in rows:
        key = (row[centre], row[year])
        for name in names:
            out[name][key] = row[name] or 0
    return out


def run_measures(centre_ids: Sequence[int], years: Sequence[str]) -> dict[str, dict]:
    """Every registered measure's counts, `{code: {(centre_id, year): n}}`.

    A function shared by several measures (each with its `part`) runs once per report."""
    results: dict[int, dict] = {}
    out = {}
    for m in all_measures():
        key = id(m.function)
        if key not in results:
            results[key] = m.function(list(centre_ids), list(years)) if centre_ids else {}
        value = results[key]
        out[m.code] = value.get(m.part, {}) if m.part else value
    return out
