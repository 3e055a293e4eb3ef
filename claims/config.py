"""The claim's yearly configuration: the gap after registration and the claim deadline.

Both are yearly configuration, never constants (issue 13; domain.md 3.11):

- **The gap** (`claim_gap_weeks`, 10 by default): the weeks that must separate a learner's
  registration and a certification claim. Read from the year's RegistrationYear row (loaded
  from registrations/year_data/<yyyy-yy>.json by `load_registration_years`), else the same
  key in that file, else `BTECQA_CLAIM_GAP_WEEKS` (default 10).
- **The claim deadline** (`claim_deadline`, 5 July by default): the last day to claim for
  the academic year. Read from `"claim_deadline": "2027-07-05"` in the year's file, else
  `BTECQA_CLAIM_DEADLINE` (a month-day, default "07-05") in the summer that ends the year.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings

DEFAULT_GAP_WEEKS = 10
DEFAULT_DEADLINE = "07-05"


def _year_file(academic_year: str) -> Path:
    return (
        Path(apps.get_app_config("registrations").path)
        / "year_data"
        / (academic_year.replace("/", "-") + ".json")
    )


@lru_cache(maxsize=32)
def _year_data(academic_year: str) -> dict:
    path = _year_file(academic_year)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def claim_gap_weeks(academic_year: str) -> int:
    """Weeks that must pass between registration and a claim (one query)."""
    from registrations.models import RegistrationYear

    weeks = (
        RegistrationYear.objects.filter(academic_year=academic_year)
        .values_list("claim_gap_weeks", flat=True)
        .first()
    )
    if weeks is None:
        weeks = _year_data(academic_year).get("claim_gap_weeks")
    if weeks is None:
        weeks = getattr(settings, "BTECQA_CLAIM_GAP_WEEKS", DEFAULT_GAP_WEEKS)
    return int(weeks)


def claim_deadline(academic_year: str) -> dt.date:
    """The last day to claim for the academic year (no query)."""
    configured = _year_data(academic_year).get("claim_deadline")
    if configured:
        return dt.date.fromisoformat(configured)
    month_day = getattr(settings, "BTECQA_CLAIM_DEADLINE", DEFAULT_DEADLINE)
    return dt.date.fromisoformat(f"{int(academic_year[:4]) + 1}-{month_day}")


# --- the yearly claims audit (004-duty-6) --------------------------------------------------

DEFAULT_AUDIT_RATE = 10  # per cent of the year's claim lines
DEFAULT_AUDIT_MINIMUM = 5  # lines, or every line when there are fewer
DEFAULT_AUDIT_DUE_DAYS = 30  # after the claim deadline


def claims_audit_sample() -> tuple[int, int]:
    """The sample's rate (per cent) and minimum (lines): `BTECQA_CLAIMS_AUDIT_SAMPLE_RATE`
    and `BTECQA_CLAIMS_AUDIT_SAMPLE_MINIMUM` (defaults 10 and 5)."""
    rate = int(getattr(settings, "BTECQA_CLAIMS_AUDIT_SAMPLE_RATE", DEFAULT_AUDIT_RATE))
    minimum = int(getattr(settings, "BTECQA_CLAIMS_AUDIT_SAMPLE_MINIMUM", DEFAULT_AUDIT_MINIMUM))
    return max(0, min(rate, 100)), max(0, minimum)


def claims_audit_due(academic_year: str) -> dt.date:
    """When the year's claims audit is due: `"claims_audit_due"` in the year's file, else
    `BTECQA_CLAIMS_AUDIT_DUE_DAYS` (default 30) after the claim deadline."""
    configured = _year_data(academic_year).get("claims_audit_due")
    if configured:
        return dt.date.fromisoformat(configured)
    days = int(getattr(settings, "BTECQA_CLAIMS_AUDIT_DUE_DAYS", DEFAULT_AUDIT_DUE_DAYS))
    return claim_deadline(academic_year) + dt.timedelta(days=days)


DEFAULT_EXTERNAL_SERIES = (
    # (name pattern, entry deadline month-day, late deadline month-day, year offset)
    ("January {next}", "10-20", "11-20", 0),
    ("May/June {next}", "02-21", "03-21", 1),
)


@dataclass(frozen=True)
class ExternalSeries:
    """One external assessment series of a year and its entry deadlines (configuration)."""

    name: str
    entry_deadline: dt.date
    late_deadline: dt.date
    late_fee: str = ""
    source: str = ""
    unconfirmed: str = ""

    def lateness(self, on: dt.date) -> str:
        """ "on_time", "late" (after the entry deadline) or "too_late" (after the late one)."""
        if on <= self.entry_deadline:
            return "on_time"
        if on <= self.late_deadline:
            return "late"
        return "too_late"


def external_series(academic_year: str) -> list[ExternalSeries]:
    """The external series of the academic year with their entry and late-entry deadlines
    (no query). Read from `"external_series"` in the year's file; else the
    `BTECQA_EXTERNAL_SERIES` setting, a list of (name pattern, entry month-day, late
    month-day, year offset) with `{next}` standing for the year that ends the academic year;
    else January and May/June defaults (UNCONFIRMED: Pearson's dates change every year)."""
    configured = _year_data(academic_year).get("external_series")
    if configured:
        return [
            ExternalSeries(
                name=row["name"],
                entry_deadline=dt.date.fromisoformat(row["entry_deadline"]),
                late_deadline=dt.date.fromisoformat(row["late_deadline"]),
                late_fee=str(row.get("late_fee", "")),
                source=row.get("source", ""),
                unconfirmed=row.get("unconfirmed", ""),
            )
            for row in configured
        ]
    first = int(academic_year[:4])
    rows = getattr(settings, "BTECQA_EXTERNAL_SERIES", DEFAULT_EXTERNAL_SERIES)
    return [
        ExternalSeries(
            name=pattern.format(next=first + 1),
            entry_deadline=dt.date.fromisoformat(f"{first + offset}-{entry}"),
            late_deadline=dt.date.fromisoformat(f"{first + offset}-{late}"),
            source="settings default",
            unconfirmed="Default dates: check Pearson's entry deadlines for the year.",
        )
        for pattern, entry, late, offset in rows
    ]


def external_series_named(academic_year: str, name: str) -> ExternalSeries | None:
    return next((s for s in external_series(academic_year) if s.name == name), None)
