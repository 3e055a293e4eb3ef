"""Dates and times as the office reads them: dd/mm/yyyy, 24-hour, Europe/London."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def uk_date(value) -> str:
    """A date (or an ISO date string, or a datetime in local time) as dd/mm/yyyy; "" for none."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    elif isinstance(value, dt.datetime):
        value = local(value)
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def uk_datetime(value: dt.datetime, joiner: str = " at ") -> str:
    """14/09/2026 at 10:05, in local time."""
    value = local(value)
    return f"{uk_date(value)}{joiner}{value:%H:%M}"


def local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in local time; a naive one is taken as local already."""
    return timezone.localtime(value) if timezone.is_aware(value) else value
