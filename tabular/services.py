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


# --- keep a previewed upload, then confirm it once -------------------------------------

ALREADY_COMMITTED = "this import has already been committed"
NOT_PREVIEWED = "this import has already been committed or discarded"


def keep_preview(record, uploaded_file, read, *, by, todo: str = ""):
    """Read an upload with `read(data, file_name)`, keep it on `record` (an unsaved
    ImportRecord with its owner set) to be confirmed, and say what it would do.

    The file is kept only when the preview has no problem; the first 50 problems are kept
    for the page. A kept preview opens the to-do of kind `todo` for its uploader (confirm
    or discard it), closed by `confirm_kept` or `discard_kept`. Returns (record, preview)."""
    from .files import read_upload

    data = read_upload(uploaded_file)
    preview = read(data, uploaded_file.name)
    record.file_name = uploaded_file.name[:255]
    record.file_sha256 = preview.file_sha256
    record.uploaded_by = by
    record.status = record.Status.PREVIEWED
    record.counts = {
        "rows": len(preview.rows),
        "changes": preview.changes,
        "settings": {"encoding": preview.encoding},
    }
    record.errors = [p.as_dict() for p in preview.problems[:50]]
    if preview.ok and preview.file_type:
        record.keep_file(data, preview.file_type)
    record.save()
    if todo and record.stored_file and getattr(by, "is_authenticated", False):
        from todos.services import open_todo

        open_todo(
            todo,
            centre=record.centre,
            title=f"Confirm or discard the previewed import: {record.file_name}",
            assignee=by,
            target=record,
            actor=by,
        )
    return record, preview


def close_preview_todos(record, todo: str, *, by, note: str) -> None:
    """The uploader's kept previews of this kind at the centre, up to this one, are
    answered (this one committed or discarded; an earlier one superseded by it)."""
    from django.db.models import Q

    from todos.services import close_todos

    if not todo or record.uploaded_by_id is None:
        return
    answered = (
        type(record)
        .objects.filter(
            centre_id=record.centre_id,
            uploaded_by_id=record.uploaded_by_id,
            created_at__lte=record.created_at,
        )
        .filter(Q(pk=record.pk) | Q(status=record.Status.PREVIEWED))
    )
    for earlier in answered.only("pk"):
        close_todos(todo, target=earlier, by=by, note=note)


def discard_kept(record, *, by, event: str, todo: str = "") -> None:
    """Discard a kept preview: it can no longer be confirmed, its file is let go, and its
    to-do is closed. Refused if it was committed (or discarded) already."""
    from .problems import ImportRefused, Problem

    with transaction.atomic():
        if not record.claim(record.Status.PREVIEWED, record.Status.DISCARDED):
            raise ImportRefused([Problem(NOT_PREVIEWED)])
        record.status = record.Status.DISCARDED
        audit.record(
            by,
            event,
            record,
            centre=record.centre_id,
            after={"file": record.file_name},
        )
        close_preview_todos(record, todo, by=by, note="discarded")
    if record.stored_file:
        name = record.stored_file.name
        transaction.on_commit(lambda: record.stored_file.storage.delete(name))


def confirm_kept(record, read, write, *, by=None, todo: str = ""):
    """Read the kept file again with `read(fh, kind)` and `write(preview)` it, once: in one
    transaction, refused if it was committed already (two clicks write once) or if the
    file now has problems (`write` raises ImportRefused); its to-do (and the uploader's
    earlier previews' of the same kind) closed with it. Returns what `write` returns."""
    from django.utils import timezone

    from .problems import ImportRefused, Problem

    if record.status != record.Status.PREVIEWED:
        raise ImportRefused([Problem(ALREADY_COMMITTED)])
    with transaction.atomic():
        with record.open_kept() as (fh, kind):
            preview = read(fh, kind)
        if not record.claim(
            record.Status.PREVIEWED, record.Status.COMMITTED, committed_at=timezone.now()
        ):
            raise ImportRefused([Problem(ALREADY_COMMITTED)])
        done = write(preview)
        close_preview_todos(record, todo, by=by, note="committed")
        return done
