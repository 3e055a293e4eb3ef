"""Writing and verifying the audit trail.

`record()` is the one call every app uses. Inside `batch()` (an import, a
bulk amendment) events are buffered and written with one bulk insert when the
block ends, still one chain, still one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
SEP = "\x1f"
_local = threading.local()

FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_repr",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "learner_id",
    "learner_repr",
    "centre_id",
    "before",
    "after",
)


def canonical_json(value) -> str:
    """The exact text stored and hashed: sorted keys, no spaces, dates as ISO strings."""
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _opt(value) -> str:
    return "" if value is None else str(value)


def event_payload(values: tuple) -> bytes:
    """The bytes an event's hash covers, from its values in FIELDS order."""
    (seq, occurred_at, actor_id, actor_repr, action, object_type, object_id, object_repr,
     learner_id, learner_repr, centre_id, before, after) = values
    return SEP.join(
        (
            str(seq), _ts(occurred_at), _opt(actor_id), actor_repr, action, object_type,
            object_id, object_repr, _opt(learner_id), learner_repr, _opt(centre_id), before, after,
        )
    ).encode()


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + payload).hexdigest()


def _actor_repr(actor) -> str:
    if actor is None:
        return "system"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def snapshot(obj, fields) -> dict:
    """The named fields of a model instance, as the audit trail stores them."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.pk if hasattr(value, "pk") else value
    return out


def record(actor, action: str, obj=None, *, learner=None, centre=None, before=None, after=None,
           object_repr: str | None = None) -> AuditEvent | None:
    """Write one event on the trail.

    actor: the person (None for the system, e.g. a scheduled job).
    action: a namespaced code such as "learner.updated".
    obj: the model instance acted on; learner and centre default from it
    (`obj.audit_learner`, `obj.centre_id`).
    Returns the event, or None inside batch() where it is written at the end.
    """
    if learner is None and obj is not None:
        learner = getattr(obj, "audit_learner", None)
    centre_id = getattr(centre, "pk", centre)
    if centre_id is None and obj is not None:
        centre_id = getattr(obj, "centre_id", None)
    if centre_id is None and learner is not None:
        centre_id = getattr(learner, "centre_id", None)
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_repr=_actor_repr(actor)[:200],
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=_opt(getattr(obj, "pk", None)),
        object_repr=(object_repr if object_repr is not None else _opt(obj))[:300],
        learner_id=getattr(learner, "pk", None),
        learner_repr=str(learner)[:200] if learner is not None else "",
        centre_id=centre_id,
        before=canonical_json(before),
        after=canonical_json(after),
    )
    buffer = getattr(_local, "buffer", None)
    if buffer is not None:
        buffer.append(event)
        return None
    with transaction.atomic():
        _append([event])
    return event


@contextmanager
def batch():
    """Buffer every record() in the block and append them in one bulk insert.

    The block runs in one transaction with the events, so an import that fails
    half-way writes neither its rows nor their events.
    """
    if getattr(_local, "buffer", None) is not None:  # nested: the outer block writes
        yield
        return
    _local.buffer = []
    try:
        with transaction.atomic():
            yield
            events, _local.buffer = _local.buffer, None
            if events:
                _append(events)
    finally:
        _local.buffer = None


def _append(events: list[AuditEvent]) -> None:
    # Taking the head with an UPDATE first makes this writer wait for any other
    # (a row lock on PostgreSQL, the write lock on SQLite) before reading it.
    if not AuditChainHead.objects.filter(id=1).update(updated_at=timezone.now()):
        AuditChainHead.objects.get_or_create(id=1)
    head = AuditChainHead.objects.select_for_update().get(id=1)
    seq, prev = head.count, head.last_hash
    for event in events:
        seq += 1
        event.seq = seq
        event.prev_hash = prev
        event.hash = prev = chain_hash(prev, event_payload(tuple(getattr(event, f) for f in FIELDS)))
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    AuditChainHead.objects.filter(id=1).update(count=seq, last_hash=prev, updated_at=timezone.now())


@dataclass
class Verification:
    ok: bool
    checked: int
    head_count: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.checked} events, chain head matches."
        where = f"event #{self.broken_seq}"
        if self.broken_id is not None:
            where += f" (id {self.broken_id})"
        return f"Audit trail BROKEN at {where}: {self.reason}"


def verify_chain(chunk_size: int = 5000) -> Verification:
    """Walk the whole chain in seq order, streaming, and stop at the first break."""
    head = AuditChainHead.objects.filter(id=1).first()
    head_count = head.count if head else 0
    head_hash = head.last_hash if head else GENESIS
    prev, expected, last_id, n = GENESIS, 1, 0, 0
    rows = (
        AuditEvent.objects.order_by("seq")
        .values_list("id", "prev_hash", "hash", *FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for row in rows:
        pk, stored_prev, stored_hash, values = row[0], row[1], row[2], row[3:]
        seq = values[0]
        n += 1
        if seq != expected:
            if seq > expected:
                return Verification(False, n, head_count, seq, pk,
                                    f"events #{expected}–#{seq - 1} are missing: deleted.")
            return Verification(False, n, head_count, seq, pk, "sequence repeats: inserted.")
        if pk < last_id:
            return Verification(False, n, head_count, seq, pk,
                                "out of order: it was written before the event it follows (reordered).")
        if stored_prev != prev:
            return Verification(False, n, head_count, seq, pk,
                                "its link to the previous event does not match: inserted or reordered.")
        if chain_hash(prev, event_payload(values)) != stored_hash:
            return Verification(False, n, head_count, seq, pk, "its content does not match its hash: edited.")
        prev, expected, last_id = stored_hash, expected + 1, pk
    if n != head_count or prev != head_hash:
        if n < head_count:
            reason = f"the head records {head_count} events but {n} remain: the newest were deleted."
        elif n > head_count:
            reason = f"the head records {head_count} events but {n} exist: events were appended outside record()."
        else:
            reason = "the newest event's hash differs from the head's: replaced."
        return Verification(False, n, head_count, n + 1 if n < head_count else n, None, reason)
    return Verification(True, n, head_count)
