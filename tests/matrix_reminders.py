"""The year's calendar's part of the URL × role × centre matrix (calendar_reminders).

Its one page is a list page (the user's centres; ?centre= picks one of them), so it has no
object makers; `fill` opens a calendar reminder at each site's centre whose to-do title
carries the site's marker, so the page is searched for other centres' reminders.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from calendar_reminders.models import CalendarReminder
    from calendar_reminders.registry import get_source
    from todos.services import open_todo

    source = get_source("claims.deadline")
    reminder, _ = CalendarReminder.objects.get_or_create(
        centre=site.centre,
        code=source.code,
        academic_year="2026/27",
        defaults={"date": dt.date(2027, 7, 5)},
    )
    open_todo(
        source.kind,
        centre=site.centre,
        role=Role.EXAMS_OFFICER,
        title=f"Claim deadline 5 July 2027: {site.marker}",
        due=reminder.date,
        target=reminder,
    )


def makers(site) -> dict:
    return {}
