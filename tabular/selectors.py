"""Reads of the import framework."""

from __future__ import annotations

from .models import ColumnMapping


def remembered_mapping(centre, kind: str) -> dict:
    """The centre's remembered {heading: field} for this kind of import ({} if none)."""
    row = ColumnMapping.objects.filter(centre=centre, kind=kind).first()
    return dict(row.mapping) if row else {}
