"""The one service helper that moves a record from one state to the next.

Every workflow in btecqa (the registration round, entry lists and their queries, the
entry check, in-year changes, collaborative arrangements, and the later apps) changes a
record the same way, so it is written once here:

1. the permission layer's decision on the record (`permission`, 403 otherwise);
2. the row re-read under a lock, and its `lock_version` compared with the version the
   person's form carried (a second person acting on the same record is refused with a
   message instead of overwriting);
3. the allowed from-states, with the refusal in the office's words;
4. the change itself (`change(record)`, which may refuse), the new status, the version;
5. one audit event by its registered code, with exactly the fields that changed;
6. to-dos closed and opened (kinds from the registry supply owners and due dates);
7. the learner's history step, where the app keeps one;
8. follow-on tasks, enqueued only after the transaction commits.

All of it happens in one transaction: a refusal anywhere leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

import audit
from accounts.permissions import require_object
from todos.kinds import ASSIGNEE, get_kind
from todos.services import close_todos, open_todo


class StaleRecord(ValidationError):
    """The record changed after the person opened it: one result, a clear message."""


@dataclass(frozen=True)
class Open:
    """A to-do to open. Owner and due date default from the kind's registration."""

    kind: str
    title: str
    target: object = None  # None: the record the step is on
    centre: object = None  # None: the record's own centre
    assignee: object = None
    role: str = ""
    due: object = None


@dataclass(frozen=True)
class Close:
    kind: str
    target: object = None  # None: the record the step is on
    note: str = ""


def _centre_of(record):
    centre = getattr(record, "centre", None)
    if centre is not None:
        return centre
    from accounts.permissions import access_of

    path = access_of(type(record)).centre
    obj = record
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def _values(record) -> dict:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def open_from(spec: Open, record, by) -> None:
    kind = get_kind(spec.kind)
    assignee, role = spec.assignee, spec.role
    if assignee is None and not role:
        if kind.owner == ASSIGNEE:
            raise ValueError(f"{kind.code} is owed by a named person: give the assignee.")
        role = kind.owner
    open_todo(
        spec.kind,
        centre=spec.centre if spec.centre is not None else _centre_of(record),
        title=spec.title,
        due=spec.due if spec.due is not None else kind.due(timezone.localdate()),
        assignee=assignee,
        role=role,
        target=spec.target if spec.target is not None else record,
        actor=by,
    )


def step(
    record: Model,
    *,
    by,
    action: str,
    permission: str | None = None,
    allowed: Iterable[str] | None = None,
    refusal: str = "That cannot be done now",
    expected_version: int | None = None,
    status: str | None = None,
    change: Callable[[Model], dict | None] | None = None,
    close: Iterable[Close] = (),
    open: Iterable[Open] = (),
    history: Callable[[Model], None] | None = None,
    after_commit: Iterable[Callable[[], None]] = (),
    audit_extra: dict | None = None,
    learner=None,
    centre=None,
    related: Iterable[str] = (),
    stale: str | None = None,
):
    """Move `record` on, as one transaction; returns the record as saved.

    `change(record)` mutates the locked record (and may raise ValidationError); what it
    returns is added to the audit event's "after" values (a reason, a note). Only fields
    that actually changed are recorded before and after.
    """
    if permission:
        require_object(by, permission, record)
    with transaction.atomic():
        model = type(record)
        locked = (
            model._default_manager.select_for_update(of=("self",))
            .select_related(*related)
            .get(pk=record.pk)
        )
        versioned = hasattr(locked, "lock_version")
        if expected_version is not None and versioned and locked.lock_version != expected_version:
            now = (
                f" (it is now: {locked.get_status_display().lower()})"
                if hasattr(locked, "get_status_display")
                else ""
            )
            raise StaleRecord(
                stale
                or (
                    f"Someone else changed this {model._meta.verbose_name} while you had it "
                    f"open{now}. Nothing was done: reload the page to see their change, then "
                    "try again."
                )
            )
        if allowed is not None and locked.status not in set(allowed):
            raise ValidationError(f"{refusal} (it is now: {locked.get_status_display().lower()}).")
        before = _values(locked)
        extra = (change(locked) if change else None) or {}
        if status is not None:
            locked.status = status
        if versioned:
            locked.lock_version += 1
        after = _values(locked)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            locked.save(update_fields=changed)  # attnames: Django accepts them
        shown = [k for k in changed if k != "lock_version"]
        # One event, on the trail of each centre the step concerns (an arrangement's two).
        for at in centre if isinstance(centre, (list, tuple)) else [centre]:
            audit.record(
                by,
                action,
                locked,
                learner=learner if learner is not None else getattr(locked, "audit_learner", None),
                centre=at,
                before={k: before[k] for k in shown} or None,
                after={**{k: after[k] for k in shown}, **extra, **(audit_extra or {})} or None,
            )
        for spec in close:
            close_todos(
                spec.kind,
                target=spec.target if spec.target is not None else locked,
                by=by,
                note=spec.note,
            )
        for spec in open:
            open_from(spec, locked, by)
        if history:
            history(locked)
        for task in after_commit:
            transaction.on_commit(task)
    return locked
