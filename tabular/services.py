"""Writes of the import framework: a centre's column mapping, remembered and audited."""

from __future__ import annotations

from django.db import transaction

import audit

from .columns import IGNORE
from .models import ColumnMapping


def remember_mapping(centre, kind: str, mapping: dict[str, str], *, allowed, user=None):
    """Remember heading -> field for the centre's files of this kind, merged with what it had.

    allowed: the field names the import can fill (IGNORE is always allowed).
    """
    allowed = set(allowed) | {IGNORE}
    clean = {}
    for heading, field_name in mapping.items():
        field_name = field_name or IGNORE
        if field_name not in allowed:
            raise ValueError(f"{field_name!r} is not a field an import can fill")
        clean[str(heading).strip().lower()] = field_name
    with transaction.atomic():
        obj = ColumnMapping.objects.select_for_update().filter(centre=centre, kind=kind).first()
        before = dict(obj.mapping) if obj else {}
        after = before | clean
        if obj is None:
            obj = ColumnMapping.objects.create(centre=centre, kind=kind, mapping=after)
        elif after != before:
            obj.mapping = after
            obj.save(update_fields=["mapping", "updated_at"])
        if after != before:
            audit.record(
                user, "column_mapping.saved", obj, centre=centre, before=before or None, after=after
            )
    return obj
