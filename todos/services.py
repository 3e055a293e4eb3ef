"""Opening and closing to-dos. Other apps call these from their own services."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone

import audit
import outbox.services as outbox

from .kinds import get_kind
from .models import ReminderDigest, ToDo
from .selectors import todos_needing_reminder

log = logging.getLogger(__name__)


def _target_keys(target) -> dict:
    if target is None:
        return {"target_type": None, "target_id": ""}
    return {"target_type": ContentType.objects.get_for_model(target), "target_id": str(target.pk)}


def _fit(title: str) -> str:
    """A title too long for its field is cut here, once, not by every caller."""
    room = ToDo._meta.get_field("title").max_length
    return title if len(title) <= room else title[: room - 1] + "…"


def _link(kind_spec, target, target_id: str) -> str:
    if hasattr(target, "get_absolute_url") and not kind_spec.link_first:
        return target.get_absolute_url()[:300]
    return kind_spec.url(target_id)[:300]


def open_todo(
    kind: str,
    *,
    centre,
    title: str,
    due: date | None = None,
    assignee=None,
    role: str = "",
    target=None,
    actor=None,
) -> ToDo:
    """Open an action, or return the one already open for the same kind, target and owner.

    The kind must be declared (todos.kinds.register_kind): it names the action and says
    who owes it and when it is due by default.
    """
    kind_spec = get_kind(kind)
    title = _fit(title)
    if assignee is None and not role:
        raise ValueError("A to-do is owed by a person or by a role.")
    if due is None:
        due = kind_spec.due(timezone.localdate())
    keys = {
        "kind": kind,
        "centre": centre,
        "assignee": assignee,
        "role": role or "",
        **_target_keys(target),
    }
    with transaction.atomic():
        existing = ToDo.objects.filter(closed_at__isnull=True, **keys).first()
        if existing:
            return existing
        url = _link(kind_spec, target, keys["target_id"])
        todo = ToDo.objects.create(title=title, due_date=due, url=url, **keys)
        audit.record(
            actor,
            "todos.todo.opened",
            todo,
            learner=getattr(target, "audit_learner", None),
            after={"kind": kind, "title": title, "due": due, "owed_by": todo.owner_label()},
        )
    return todo


def open_todos(
    kind: str,
    targets,
    *,
    centre,
    role: str = "",
    assignee=None,
    actor=None,
) -> list[ToDo]:
    """open_todo for many targets of one kind and owner at once (an import that finds a
    hundred differences): one query for those already open, one insert for the rest, and
    the same "opened" audit event for each. `targets` is a list of (target, title) pairs,
    targets saved and of one model. Returns the to-dos, already open or new, in order."""
    if not targets:
        return []
    kind_spec = get_kind(kind)
    if assignee is None and not role:
        raise ValueError("A to-do is owed by a person or by a role.")
    due = kind_spec.due(timezone.localdate())
    target_type = ContentType.objects.get_for_model(targets[0][0])
    owner = {"kind": kind, "centre": centre, "assignee": assignee, "role": role or ""}
    with transaction.atomic(), audit.batch():
        existing = {
            todo.target_id: todo
            for todo in ToDo.objects.filter(
                closed_at__isnull=True,
                target_type=target_type,
                target_id__in=[str(t.pk) for t, _ in targets],
                **owner,
            )
        }
        new = []
        for target, title in targets:
            if str(target.pk) in existing:
                continue
            todo = ToDo(
                title=_fit(title),
                due_date=due,
                url=_link(kind_spec, target, str(target.pk)),
                target_type=target_type,
                target_id=str(target.pk),
                **owner,
            )
            todo.opened_for = target
            new.append(todo)
        ToDo.objects.bulk_create(new, batch_size=500)  # SQLite and PostgreSQL return the keys
        for todo in new:
            audit.record(
                actor,
                "todos.todo.opened",
                todo,
                learner=getattr(todo.opened_for, "audit_learner", None),
                after={
                    "kind": kind,
                    "title": todo.title,
                    "due": due,
                    "owed_by": todo.owner_label(),
                },
            )
            existing[todo.target_id] = todo
    return [existing[str(t.pk)] for t, _ in targets]


def close_todos(
    kind: str, *, target=None, by=None, note: str = "", centre=None, assignee=None
) -> int:
    """Close every open action of this kind on this target: the work is done (only the one
    owed by `assignee` when given: one person's share of the work is done)."""
    qs = ToDo.objects.filter(kind=kind, closed_at__isnull=True, **_target_keys(target))
    if centre is not None:
        qs = qs.filter(centre=centre)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    closed = 0
    with transaction.atomic():
        for todo in qs.select_for_update():
            todo.closed_at = timezone.now()
            todo.closed_by = by
            todo.closed_note = note[:300]
            todo.save(update_fields=["closed_at", "closed_by", "closed_note"])
            audit.record(
                by,
                "todos.todo.closed",
                todo,
                learner=getattr(target, "audit_learner", None),
                after={"kind": kind, "note": note},
            )
            closed += 1
    return closed


DIGEST = "todos.digest"


def send_reminder_digest(user, today: date) -> bool:
    """Queue this person's digest for `today` unless it is queued already; True if queued.

    The outbox sends it after commit. The unique (user, date) row and the outbox key are
    written together: a second run, or a second worker, finds them and queues nothing.
    """
    if not user.email or not user.is_active:
        return False
    items = todos_needing_reminder(user, today, settings.BTECQA_REMINDER_LOOKAHEAD_DAYS)
    if not items:
        return False
    context = {"user": user, "items": items, "today": today, "site_url": settings.BTECQA_SITE_URL}
    try:
        with transaction.atomic():
            ReminderDigest.objects.create(user=user, date=today, items=len(items))
            outbox.queue_email(
                kind=DIGEST,
                key=f"{DIGEST}:{user.pk}:{today.isoformat()}",
                to=[user.email],
                subject=f"btecqa: {len(items)} action{pluralize(items)} due — {today:%d/%m/%Y}",
                body=render_to_string("todos/reminder_digest.txt", context),
            )
    except IntegrityError:
        return False
    return True


def send_reminder_digests(today: date | None = None) -> int:
    """Everyone's daily digest: at most one e-mail per person per day.

    One transaction for everyone: a worker killed half-way has queued nothing, and the
    task, delivered again, queues them all; once committed, the outbox sends them.
    """
    today = today or timezone.localdate()
    queued = 0
    already = ReminderDigest.objects.filter(date=today).values("user_id")
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(email__isnull=True)
        .exclude(pk__in=already)
    )
    with transaction.atomic(), outbox.batch():
        for user in users.iterator():
            if send_reminder_digest(user, today):
                queued += 1
    log.info("reminder digests queued: %s", queued)
    return queued
