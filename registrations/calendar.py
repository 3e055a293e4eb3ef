"""Dates of the registration year: working days, the entry-check deadline, fee bands, refunds.

Working days skip weekends and England and Wales bank holidays, taken from the
`holidays` package (not a hand-kept list). Pearson's figures come from the
RegistrationYear row for the year, and the centre's own dates from its
CentreCalendar: both are yearly configuration data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import holidays

# September to August, defined once beside the academic-year check; re-exported for callers here.
from btecqa.validators import academic_year_for  # noqa: F401

WARN_BEFORE_FEE_CHANGE_DAYS = 14


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.UK(subdiv="ENG", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_until(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` has passed."""
    if end == start:
        return 0
    step = 1 if end > start else -1
    count, day = 0, start
    while day != end:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            count += step
    return count


def previous_working_day(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def default_entry_check_deadline(october_half_term_starts: dt.date) -> dt.date:
    """The last working day before half term: the Friday before, unless that is a holiday."""
    return previous_working_day(october_half_term_starts)


def entry_check_deadline(calendar) -> dt.date:
    return calendar.entry_check_deadline or default_entry_check_deadline(
        calendar.october_half_term_starts
    )


class Deadline:
    """Pearson's deadline and fee bands for one family in one year (its own, or the year's).

    Has the RegistrationYear's attributes, so every function below takes either.
    """

    def __init__(self, year, family=None, row=None):
        self.year, self.family, self.row = year, family, row
        self.academic_year = year.academic_year
        self.registration_deadline = (
            row.registration_deadline if row else year.registration_deadline
        )
        self.fee_bands = (row.fee_bands if row and row.fee_bands else None) or year.fee_bands
        self.refund_window_days = year.refund_window_days
        self.claim_gap_weeks = year.claim_gap_weeks
        self.source = row.source if row else year.source
        self.unconfirmed = row.unconfirmed if row else year.unconfirmed

    @property
    def own(self) -> bool:
        """The family has its own deadline this year (not the year's)."""
        return self.row is not None

    @property
    def label(self) -> str:
        return self.family.name if self.family else "Other qualifications"

    def __eq__(self, other):
        return isinstance(other, Deadline) and (self.year.pk, self.row and self.row.pk) == (
            other.year.pk,
            other.row and other.row.pk,
        )

    def __hash__(self):
        return hash((self.year.pk, self.row and self.row.pk))


def late_entry_check(check_deadline: dt.date | None, deadlines) -> list:
    """The Pearson deadlines an entry-check deadline falls after (corrections would be late)."""
    if check_deadline is None:
        return []
    return [d for d in deadlines if check_deadline > d.registration_deadline]


@dataclass(frozen=True)
class FeeBand:
    starts: dt.date | None
    multiplier: Decimal

    @property
    def label(self) -> str:
        if self.multiplier == 1:
            return "standard fee"
        return f"late fee × {self.multiplier}"


def fee_bands(year) -> list[FeeBand]:
    bands = [FeeBand(None, Decimal("1"))]
    for band in sorted(year.fee_bands, key=lambda b: b["from"]):
        bands.append(FeeBand(dt.date.fromisoformat(band["from"]), Decimal(str(band["multiplier"]))))
    return bands


def fee_band_on(year, day: dt.date) -> FeeBand:
    current = fee_bands(year)[0]
    for band in fee_bands(year)[1:]:
        if band.starts <= day:
            current = band
    return current


def next_fee_change(year, today: dt.date) -> FeeBand | None:
    for band in fee_bands(year)[1:]:
        if band.starts > today:
            return band
    return None


def fee_warning(year, today: dt.date) -> str:
    """What the register warns: the band that starts soon, or the late band already in force."""
    if year is None:
        return ""
    upcoming = next_fee_change(year, today)
    current = fee_band_on(year, today)
    parts = []
    if current.multiplier != 1:
        parts.append(
            f"Registrations made today pay the {current.label} "
            f"(the deadline was {year.registration_deadline:%d/%m/%Y})."
        )
    if upcoming and (upcoming.starts - today).days <= WARN_BEFORE_FEE_CHANGE_DAYS:
        days = (upcoming.starts - today).days
        parts.append(
            f"From {upcoming.starts:%d/%m/%Y} (in {days} day{'s' if days != 1 else ''}) "
            f"registrations pay the {upcoming.label}."
        )
    return " ".join(parts)


def refund_deadline(year, registered_on: dt.date) -> dt.date:
    return registered_on + dt.timedelta(days=year.refund_window_days)


def refund_days_left(year, registered_on: dt.date, today: dt.date) -> int:
    """Days left to delete the registration for a refund (negative: the window has closed)."""
    return (refund_deadline(year, registered_on) - today).days


def earliest_claim_date(year, registered_on: dt.date) -> dt.date:
    return registered_on + dt.timedelta(weeks=year.claim_gap_weeks)
