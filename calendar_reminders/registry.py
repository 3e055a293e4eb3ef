"""The year's calendar as a registry of date sources.

Each source says what falls due, for whom, and how many days ahead to remind:
`register_calendar_date(code, label, role, fn, lead_days)`, where `fn(centre,
academic_year)` returns the date for that centre and year (or None when there is none,
e.g. no CentreCalendar yet, or no sample outstanding). Dates are always read from the
yearly configuration (registrations/year_data/, CentreCalendar, sv_config and the records),
never held here.

Optional:
- `done(centre, academic_year) -> bool`: the work is done (the reminder's to-do closes);
- `covered(centre, academic_year) -> bool`: the work has its own open to-do already (e.g.
  each SV sample's `verification.sv_sample_work`, opened when the verifier asks): the
  calendar opens none, and closes its own, so one piece of work is asked for once; the
  calendar's reminder remains the fallback for work no to-do of its own asks for;
- `remind(today)`: the source's own app keeps its reminders (per record, e.g. a policy's
  coordinator): the daily calendar task calls it instead of opening a to-do of its own, and
  the calendar page shows that app's open to-do of `todo_kind`. One mechanism, one task.

Lead days are configuration: `BTECQA_CALENDAR_LEAD_DAYS = {"claims.deadline": 45}` overrides
the declared number; `lead_days` may also be a function of (centre, academic_year)
(policies: the register's own reminder days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.roles import Role

KIND_PREFIX = "calendar."


@dataclass(frozen=True)
class CalendarDate:
    code: str
    label: str
    role: str
    fn: Callable[..., dt.date | None]
    lead_days: int | Callable[..., int]
    done: Callable[..., bool] | None = None
    remind: Callable[..., object] | None = None
    todo_kind: str = ""
    covered: Callable[..., bool] | None = None

    @property
    def kind(self) -> str:
        """The to-do kind the calendar opens for this source (its own app's, for a hook)."""
        return self.todo_kind or KIND_PREFIX + self.code

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def lead_for(self, centre, academic_year: str) -> int:
        configured = getattr(settings, "BTECQA_CALENDAR_LEAD_DAYS", {}).get(self.code)
        if configured is not None:
            return int(configured)
        if callable(self.lead_days):
            return int(self.lead_days(centre, academic_year))
        return int(self.lead_days)


_SOURCES: dict[str, CalendarDate] = {}


def register_calendar_date(
    code: str,
    label: str,
    role,
    fn: Callable[..., dt.date | None],
    lead_days: int | Callable[..., int],
    *,
    done: Callable[..., bool] | None = None,
    remind: Callable[..., object] | None = None,
    todo_kind: str = "",
    covered: Callable[..., bool] | None = None,
) -> str:
    """Declare a date of the year. Its to-do kind `calendar.<code>` is declared with it."""
    if len(code.split(".")) != 2:
        raise ImproperlyConfigured(f"Calendar date {code!r} is not <app>.<date>.")
    source = CalendarDate(
        code, label, Role(role).value, fn, lead_days, done, remind, todo_kind, covered
    )
    if code in _SOURCES and _SOURCES[code] != source:
        raise ImproperlyConfigured(f"Calendar date {code} declared twice differently.")
    _SOURCES[code] = source
    if remind is None:
        from todos.kinds import register_kind

        register_kind(
            source.kind,
            label,
            owner=role,
            link="calendar_reminders:calendar",
            remind_while_open=True,
        )
    return code


def get_source(code: str) -> CalendarDate:
    try:
        return _SOURCES[code]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown calendar date {code!r}.") from None


def all_sources() -> list[CalendarDate]:
    return list(_SOURCES.values())
