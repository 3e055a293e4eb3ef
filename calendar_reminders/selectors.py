"""The year's calendar for one centre: every date source, its date, lead days and to-do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from todos.models import ToDo

from .models import CalendarReminder
from .registry import CalendarDate, all_sources


@dataclass
class CalendarRow:
    source: CalendarDate
    date: dt.date | None
    lead_days: int
    reminds_from: dt.date | None
    todo: ToDo | None
    done: bool
    covered: bool = False  # the work has its own to-do (registry: covered)


def year_calendar(centre, academic_year: str) -> list[CalendarRow]:
    """In date order (undated sources last). Each source's date is a fixed number of queries
    (at most one or two), so the page's count does not grow with the centre's records;
    the to-dos are one query."""
    sources = all_sources()
    reminders = {
        r.pk: r for r in CalendarReminder.objects.filter(centre=centre, academic_year=academic_year)
    }
    ct = ContentType.objects.get_for_model(CalendarReminder)
    by_code: dict[str, ToDo] = {}
    hook_kinds = {s.kind: s.code for s in sources if s.remind is not None}
    todos = (
        ToDo.objects.filter(centre=centre, closed_at__isnull=True)
        .filter(kind__in=[s.kind for s in sources])
        .order_by("due_date", "pk")
    )
    for todo in todos:
        if todo.target_type_id == ct.pk and todo.target_id.isdigit():
            reminder = reminders.get(int(todo.target_id))
            if reminder is not None:
                by_code.setdefault(reminder.code, todo)
        elif todo.kind in hook_kinds:
            by_code.setdefault(hook_kinds[todo.kind], todo)
    rows = []
    for source in sources:
        day = source.fn(centre, academic_year)
        lead = source.lead_for(centre, academic_year)
        done = bool(source.done and day is not None and source.done(centre, academic_year))
        covered = bool(
            source.covered
            and day is not None
            and not done
            and source.covered(centre, academic_year)
        )
        rows.append(
            CalendarRow(
                source=source,
                date=day,
                lead_days=lead,
                reminds_from=day - dt.timedelta(days=lead) if day else None,
                todo=by_code.get(source.code),
                done=done,
                covered=covered,
            )
        )
    rows.sort(key=lambda r: (r.date is None, r.date or dt.date.max, r.source.label))
    return rows
