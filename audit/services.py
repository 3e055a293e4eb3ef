"""Writing, erasing and verifying the audit trail.

`record()` is the one call every app uses. Inside `batch()` (an import, a
bulk amendment) events are buffered and written with one bulk insert when the
block ends, still one chain, still one transaction. After the commit, the head
is checkpointed outside the database (audit/checkpoints.py).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.utils import timezone

from . import checkpoints
from .actions import canonical
from .chain import (  # noqa: F401 - the names other modules and benchmarks import from here
    DETAIL_FIELDS,
    FIELDS,
    GENESIS,
    SEP,
    TS_FORMAT,
    _json_default,
    _opt,
    canonical_json,
    chain_hash,
    details_text,
    event_payload,
    payload_text,
    plain,
)
from .chain import ts as _ts
from .keys import keyring
from .models import ERASE_ACTION, AuditChainHead, AuditEvent, AuditEventDetail
from .verification import DjangoSource, Verification, chain_query, verify  # noqa: F401

KEY_ROTATED = "audit.key.rotated"
_local = threading.local()


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


@dataclass(slots=True)
class _Pending:
    """An event not yet written: plain values, no model instance (an import makes many)."""

    occurred_at: dt.datetime
    actor_id: int | None
    actor_repr: str
    action: str
    object_type: str
    object_id: str
    learner_id: int | None
    centre_id: int | None
    salt: str
    learner_repr: str
    object_repr: str
    before: str
    after: str
    seq: int = 0
    key_id: str = ""
    details_digest: str = ""
    prev_hash: str = ""
    hash: str = ""

    def event_row(self) -> tuple:
        """The values of EVENT_INSERT, in its order."""
        return (
            self.seq,
            self.occurred_at,
            self.key_id,
            self.actor_id,
            self.actor_repr,
            self.action,
            self.object_type,
            self.object_id,
            self.learner_id,
            self.centre_id,
            self.details_digest,
            self.prev_hash,
            self.hash,
        )

    def detail_row(self) -> tuple:
        """The values of DETAIL_INSERT, in its order."""
        return (self.seq, self.salt, self.learner_repr, self.object_repr, self.before, self.after)

    def as_event(self) -> AuditEvent:
        """The AuditEvent this is (with its details), as record() returns it."""
        event = AuditEvent(**dict(zip(EVENT_INSERT, self.event_row(), strict=True)))
        event._pending_detail = AuditEventDetail(
            **dict(zip(DETAIL_INSERT, self.detail_row(), strict=True))
        )
        return event


# The columns an append writes (attnames); the details' erasure columns stay NULL.
EVENT_INSERT = (*FIELDS, "prev_hash", "hash")
DETAIL_INSERT = ("event_id", *DETAIL_FIELDS)


def _event(
    actor_id,
    actor_repr: str,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    learner_id=None,
    learner_repr: str = "",
    centre_id=None,
    before: str = "",
    after: str = "",
) -> _Pending:
    """An event to append and its personal details (salted), texts cut to their columns."""
    return _Pending(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_repr=plain(actor_repr[:200]),
        action=plain(action[:100]),
        object_type=plain(object_type[:100]),
        object_id=plain(object_id[:64]),
        learner_id=learner_id,
        centre_id=centre_id,
        salt=os.urandom(16).hex(),
        learner_repr=plain(learner_repr[:200]),
        object_repr=plain(object_repr[:300]),
        before=before,
        after=after,
    )


def record(
    actor,
    action: str,
    obj=None,
    *,
    learner=None,
    centre=None,
    before=None,
    after=None,
    object_repr: str | None = None,
) -> AuditEvent | None:
    """Write one event on the trail.

    actor: the person (None for the system, e.g. a scheduled job).
    action: a namespaced code such as "learner.updated".
    obj: the model instance acted on; learner and centre default from it
    (`obj.audit_learner`, `obj.centre_id`, else `obj.audit_centre_id` for a record that
    reaches its centre through another, such as an assessment plan through its cohort).
    Returns the event, or None inside batch() where it is written at the end.
    """
    action = canonical(action)  # registered codes only (audit/actions.py)
    if learner is None and obj is not None:
        learner = getattr(obj, "audit_learner", None)
    centre_id = getattr(centre, "pk", centre)
    if centre_id is None and obj is not None:
        centre_id = getattr(obj, "centre_id", None)
    if centre_id is None and obj is not None:
        centre_id = getattr(obj, "audit_centre_id", None)
    if centre_id is None and learner is not None:
        centre_id = getattr(learner, "centre_id", None)
    event = _event(
        getattr(actor, "pk", None),
        _actor_repr(actor),
        action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=_opt(getattr(obj, "pk", None)),
        object_repr=object_repr if object_repr is not None else _opt(obj),
        learner_id=getattr(learner, "pk", None),
        learner_repr=str(learner) if learner is not None else "",
        centre_id=centre_id,
        before=canonical_json(before),
        after=canonical_json(after),
    )
    buffer = getattr(_local, "buffer", None)
    if buffer is not None:
        buffer.append(event)
        return None
    with transaction.atomic():
        (written,) = _append([event])[-1:]
    return written


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
                _append(events, in_batch=True)
    finally:
        _local.buffer = None


def _lock_head() -> AuditChainHead:
    # Taking the head with an UPDATE first makes this writer wait for any other
    # (a row lock on PostgreSQL, the write lock on SQLite) before reading it.
    if not AuditChainHead.objects.filter(id=1).update(updated_at=timezone.now()):
        AuditChainHead.objects.get_or_create(id=1)
    return AuditChainHead.objects.select_for_update().get(id=1)


def _append(events: list[_Pending], in_batch: bool = False) -> list[AuditEvent]:
    """Chain and write events after the head; the written AuditEvents, but none in a batch."""
    head = _lock_head()
    key = keyring().current
    if head.count and head.key_id and head.key_id != key.id:
        # The first write under a new key says so, on the chain it now extends.
        events = [
            _event(
                None,
                "system",
                KEY_ROTATED,
                before=canonical_json({"key": head.key_id}),
                after=canonical_json({"key": key.id}),
            ),
            *events,
        ]
    seq, prev = head.count, head.last_hash
    details_hmac, chain_hmac = key.details.hexdigest, key.chain.hexdigest
    for e in events:
        seq += 1
        e.seq, e.key_id, e.prev_hash = seq, key.id, prev
        e.details_digest = details_hmac(
            details_text(e.salt, e.learner_repr, e.object_repr, e.before, e.after).encode()
        )
        payload = payload_text(
            seq,
            _ts(e.occurred_at),
            key.id,
            e.actor_id,
            e.actor_repr,
            e.action,
            e.object_type,
            e.object_id,
            e.learner_id,
            e.centre_id,
            e.details_digest,
        )
        e.hash = prev = chain_hmac((prev + payload).encode())
    written = []
    if in_batch:  # record() returns nothing there: no model instances, no ids read back
        insert_rows(AuditEvent, EVENT_INSERT, [e.event_row() for e in events])
        insert_rows(AuditEventDetail, DETAIL_INSERT, [e.detail_row() for e in events])
    else:
        written = [e.as_event() for e in events]
        AuditEvent.objects.bulk_create(written)
        AuditEventDetail.objects.bulk_create([w._pending_detail for w in written])
    AuditChainHead.objects.filter(id=1).update(
        count=seq, last_hash=prev, key_id=key.id, updated_at=timezone.now()
    )
    _checkpoint_on_commit()
    return written


def insert_rows(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert new rows of plain values (in the order of the attnames `names`) the fastest way
    each database offers: one COPY on PostgreSQL, one executemany on SQLite; elsewhere
    bulk_create. The ORM's per-value preparation is most of the cost of an import's audit
    trail, and these values need none but the timestamps' on SQLite. No ids are read back.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):
        model.objects.bulk_create([model(**dict(zip(names, r, strict=True))) for r in rows])
        return
    fields = [model._meta.get_field(name) for name in names]  # attnames are looked up too
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        times = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        if times:
            adapt = connection.ops.adapt_datetimefield_value
            rows = [list(r) for r in rows]
            for row in rows:
                for i in times:
                    row[i] = adapt(row[i])
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


class CheckpointAfterCommit:
    """The one checkpoint write registered for a transaction's commit (done once it ran)."""

    __slots__ = ("done",)

    def __init__(self):
        self.done = False

    def __call__(self):
        self.done = True
        checkpoints.write_after_commit()


def _checkpoint_on_commit() -> None:
    """Checkpoint once after this transaction commits, however many appends it made."""
    connection = connections[router.db_for_write(AuditEvent)]
    pending = getattr(connection, "_audit_checkpoint", None)
    if (
        pending is not None
        and not pending.done
        and any(entry[1] is pending for entry in connection.run_on_commit)
    ):
        return
    connection._audit_checkpoint = pending = CheckpointAfterCommit()
    transaction.on_commit(pending, using=connection.alias)


def pending_details(events: list[AuditEvent]) -> list[AuditEventDetail]:
    """The detail rows of unsaved events given their seq (for benchmarks' floors)."""
    out = []
    for event in events:
        detail = event._detail_for_writing()
        detail.event_id = event.seq
        out.append(detail)
    return out


def erase_personal_details(learner_id: int, *, by, reason: str) -> int:
    """Erase the personal details of every audit event about a learner, after retention.

    The events stay on the chain, which still verifies: it holds only a salted,
    keyed digest of the details, and the salt goes with them. The erasure is an
    event of its own (who, why, how many), and each erased row points at it; the
    pages then show "erased under retention". Returns how many were erased.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why the learner's audit details are erased (the retention rule).")
    if getattr(_local, "buffer", None) is not None:
        raise RuntimeError("erase_personal_details() cannot run inside audit.batch().")
    with transaction.atomic():
        _lock_head()  # no event about this learner can be appended while the set is taken
        to_erase = AuditEventDetail.objects.filter(
            event__learner_id=learner_id, erased_by_seq__isnull=True
        ).exclude(event__action=ERASE_ACTION)
        count = to_erase.count()
        centre_id = (
            AuditEvent.objects.filter(learner_id=learner_id)
            .order_by("-seq")
            .values_list("centre_id", flat=True)
            .first()
        )
        event = _event(
            getattr(by, "pk", None),
            _actor_repr(by),
            ERASE_ACTION,
            object_type="learners.Learner",
            object_id=str(learner_id),
            object_repr=f"Learner record #{learner_id}",
            learner_id=learner_id,
            centre_id=centre_id,
            after=canonical_json({"events": count, "reason": reason}),
        )
        (event,) = _append([event])[-1:]
        erased = to_erase.filter(event__seq__lt=event.seq)._erase(event.seq, timezone.now())
        if erased != count:  # the head lock should make this impossible; never leave it half-said
            raise RuntimeError(f"Erased {erased} events' details but recorded {count}.")
    return count


def verify_chain(chunk_size: int = 1000, checkpoint=None) -> Verification:
    """Walk the whole chain in seq order, streaming, and report what does not hold.

    With a checkpoint (checkpoints.read(), or one kept elsewhere) the trail must
    also still hold the event it recorded: a shorter trail is BEHIND it.
    """
    connection = connections[router.db_for_read(AuditEvent)]
    return verify(DjangoSource(connection, chunk_size), keyring(), checkpoint)
