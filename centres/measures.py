"""The governors' annual report: a registry of measures, counted per centre and year.

Each app that keeps the records says what it counts, from its own `report_measures.py`:

    register_measure("registrations.on_time", "Registered on time", "Registrations", fn)

`fn(centre_ids, years)` returns `{(centre_id, academic_year): number}` for every year at
once, in a fixed number of aggregate queries (never one per centre or per year). A pair it
leaves out counts 0. Measures only count: no function here or in an app returns a learner.
The report (`centres.selectors.annual_report`) knows no app: it runs what is registered, so
an app added later (certificate exceptions) registers its measure and appears.

Each app also says which academic years it holds records for, so the report can offer
those years to choose from (`years_with_data`):

    register_years("registrations.rounds", fn)

`fn(centre_ids)` returns a queryset of one integer column, the first calendar year of each
academic year it has records in (`years_in(qs, "academic_year")` for an "2026/27" field,
`date_years_in(qs, "received_on")` for a date); the report asks them all in one UNION query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import Cast, ExtractYear, Substr

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


_YEAR_SOURCES: dict[str, Callable[[Sequence[int]], models.QuerySet]] = {}


def register_years(code: str, function: Callable[[Sequence[int]], models.QuerySet]) -> str:
    """Add a source of the academic years the report may be chosen for (see above)."""
    _YEAR_SOURCES[code] = function
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


ACADEMIC_YEAR_PATTERN = r"^[0-9]{4}/[0-9]{2}$"


def years_in(queryset: models.QuerySet, field: str) -> models.QuerySet:
    """The academic years an "2026/27" field holds, as their first calendar year (2026),
    for `register_years`. A value not written like a year is left out."""
    return (
        queryset.filter(**{f"{field}__regex": ACADEMIC_YEAR_PATTERN})
        .annotate(year_start=Cast(Substr(field, 1, 4), output_field=IntegerField()))
        .values_list("year_start", flat=True)
        .distinct()
    )


def date_years_in(queryset: models.QuerySet, field: str) -> models.QuerySet:
    """The academic years (September to August) a date field falls in, as their first
    calendar year, for `register_years`."""
    before_september = Case(
        When(**{f"{field}__month__lt": 9}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        queryset.filter(**{f"{field}__isnull": False})
        .annotate(year_start=ExtractYear(field) - before_september)
        .values_list("year_start", flat=True)
        .distinct()
    )


def years_with_data(centre_ids: Sequence[int]) -> list[str]:
    """The academic years any registered source holds records for at these centres, newest
    first. One query (a UNION of every source), whatever the number of centres or records."""
    if not centre_ids or not _YEAR_SOURCES:
        return []
    first, *rest = (fn(list(centre_ids)).order_by() for _, fn in sorted(_YEAR_SOURCES.items()))
    starts = {int(y) for y in first.union(*rest) if y is not None}
    return [f"{y}/{(y + 1) % 100:02d}" for y in sorted(starts, reverse=True)]


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
