"""Reads for the apps that queued e-mails: how did each one fare."""

from __future__ import annotations

from collections.abc import Iterable

from .models import OutgoingEmail


def by_key(keys: Iterable[str]) -> dict[str, OutgoingEmail]:
    """The outgoing e-mail for each idempotency key (one query; bodies left out)."""
    keys = [k for k in keys if k]
    if not keys:
        return {}
    rows = OutgoingEmail.objects.filter(key__in=keys).only(
        "key", "status", "attempts", "sent_at", "not_before", "last_error"
    )
    return {row.key: row for row in rows}
