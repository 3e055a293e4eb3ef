"""When the Annual Quality Declaration is open: yearly configuration, never a constant.

Pearson's window is 1 September to 14 October (domain.md 3.11). Each year's figures live
beside the registration figures, in registrations/year_data/<yyyy-yy>.json as
`"aqd_window": {"opens": "2026-09-01", "closes": "2026-10-14"}`; a year without them uses
`BTECQA_AQD_WINDOW` (month-day pair, default ("09-01", "10-14")) in the year's autumn.
Reminder e-mails go that many days before the deadline: `BTECQA_AQD_REMINDER_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings

DEFAULT_WINDOW = ("09-01", "10-14")
DEFAULT_REMINDER_DAYS = (14, 7, 1)


def _year_file(academic_year: str) -> Path:
    return (
        Path(apps.get_app_config("registrations").path)
        / "year_data"
        / (academic_year.replace("/", "-") + ".json")
    )


@lru_cache(maxsize=32)
def _configured(academic_year: str) -> tuple[str, str] | None:
    path = _year_file(academic_year)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8")).get("aqd_window")
    if not data:
        return None
    return data["opens"], data["closes"]


def aqd_window(academic_year: str) -> tuple[dt.date, dt.date]:
    """(first day, deadline) of the declaration window for the academic year."""
    configured = _configured(academic_year)
    if configured:
        return dt.date.fromisoformat(configured[0]), dt.date.fromisoformat(configured[1])
    opens, closes = getattr(settings, "BTECQA_AQD_WINDOW", DEFAULT_WINDOW)
    start = int(academic_year[:4])
    return (
        dt.date.fromisoformat(f"{start}-{opens}"),
        dt.date.fromisoformat(f"{start}-{closes}"),
    )


def reminder_days() -> tuple[int, ...]:
    return tuple(getattr(settings, "BTECQA_AQD_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))
