"""Opening the to-dos of records already waiting: `manage.py open_waiting_todos`.

A to-do is opened by the service that moves a record into its waiting state (a hold
placed, a sample built, a Lead IV identified). Records already in that state when their
kind was added, or whose to-do was lost, have none. Each app declares, next to the kind
(its events.py), a backfill: `register_backfill(kind, "app.services.open_waiting_x")`,
the dotted path of a function of `today` that opens the kind's to-do for every record
waiting now, through the same service function that opens it normally. open_todo is keyed
(kind, centre, target, owner), so running it twice, or after the normal services, opens
nothing twice. Loaded lazily by path: events.py imports no services.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

_BACKFILLS: dict[str, str] = {}


def register_backfill(kind: str, path: str) -> str:
    """Declare the function (dotted path) that opens `kind`'s to-dos of waiting records."""
    from .kinds import get_kind

    get_kind(kind)  # a backfill for a kind nobody declared is a typo
    if _BACKFILLS.get(kind, path) != path:
        raise ImproperlyConfigured(f"To-do kind {kind} has two backfills.")
    _BACKFILLS[kind] = path
    return kind


def all_backfills() -> dict[str, str]:
    return dict(_BACKFILLS)


def open_waiting_todos(today: dt.date | None = None, kinds=None) -> dict[str, int]:
    """Every registered backfill (or those of `kinds`), each in its own transaction: the
    number of to-dos each opened (those open after less those open before)."""
    from .models import ToDo

    today = today or timezone.localdate()
    unknown = set(kinds or ()) - set(_BACKFILLS)
    if unknown:
        raise ImproperlyConfigured(
            f"No backfill for {', '.join(sorted(unknown))}: "
            f"known are {', '.join(sorted(_BACKFILLS))}."
        )
    opened = {}
    for kind, path in sorted(_BACKFILLS.items()):
        if kinds and kind not in kinds:
            continue
        still_open = ToDo.objects.filter(kind=kind, closed_at__isnull=True)
        with transaction.atomic():
            before = still_open.count()
            import_string(path)(today)
            opened[kind] = still_open.count() - before
    log.info("waiting to-dos opened: %s", opened)
    return opened
