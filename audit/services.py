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

from django.db import connections, router, transaction
from django.utils import timezone

from .actions import canonical
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
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False
    )


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _ts(value: dt.datetime) -> str:
    """The instant in UTC as TS_FORMAT gives it, e.g. 2026-11-23T01:43:22.004500Z."""
    value = value.astimezone(dt.UTC)
    if value.year < 1000:  # strftime's %Y does not pad these to four digits on every platform
        return value.strftime(TS_FORMAT)
    # The same text as strftime(TS_FORMAT), at a fraction of the cost (verify_chain's hot path).
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _opt(value) -> str:
    return "" if value is None else str(value)


def event_payload(values: tuple) -> bytes:
    """The bytes an event's hash covers, from its values in FIELDS order."""
    seq, occurred_at, *rest = values
    return _joined(seq, _ts(occurred_at), *rest)


def _joined(
    seq,
    ts,
    actor_id,
    actor_repr,
    action,
    object_type,
    object_id,
    object_repr,
    learner_id,
    learner_repr,
    centre_id,
    before,
    after,
) -> bytes:
    """event_payload() with the timestamp already as _ts() text; the layout is written only here."""
    return SEP.join(
        (
            str(seq),
            ts,
            "" if actor_id is None else str(actor_id),
            actor_repr,
            action,
            object_type,
            object_id,
            object_repr,
            "" if learner_id is None else str(learner_id),
            learner_repr,
            "" if centre_id is None else str(centre_id),
            before,
            after,
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
    (`obj.audit_learner`, `obj.centre_id`).
    Returns the event, or None inside batch() where it is written at the end.
    """
    action = canonical(action)  # registered codes only (audit/actions.py)
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
        event.hash = prev = chain_hash(
            prev, event_payload(tuple(getattr(event, f) for f in FIELDS))
        )
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


def _read_ts(value, tz) -> str:
    """_ts() of the datetime the ORM would make of value, a timestamp as a raw cursor reads it.

    tz is the connection's time zone (None without USE_TZ). PostgreSQL gives aware
    datetimes; SQLite naive ones in tz, which the ORM would make aware in tz. A value
    that is no datetime at all (a hand-edited row) gives its text, which cannot
    match the hash: verify_chain reports the event as edited.
    """
    if not isinstance(value, dt.datetime):
        return _opt(value)
    if value.tzinfo is None and tz is not None:
        value = value.replace(tzinfo=tz)
    return _ts(value)


# verify_chain asks the database for occurred_at as text, so that no datetime is
# parsed and formatted again per event (the largest cost after the fetch itself).
# PostgreSQL formats it exactly as _ts() does; SQLite gives the text Django wrote.
_PG_TS_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def _ts_from_pg_text(text) -> str:
    """_ts() of a PostgreSQL occurred_at given as _PG_TS_TEXT."""
    if text is not None and text[0] != "0":
        return text
    try:  # a year before 1000, never written by record(): as _ts() gives it
        return _ts(dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC))
    except (TypeError, ValueError):
        return _opt(text)  # matches no hash: reported as edited


def _ts_from_sqlite_text(tz):
    """The function giving _ts() of a SQLite occurred_at as stored text.

    Django stores str() of the naive datetime in the connection's time zone:
    "2026-11-23 01:43:22.004500", or without the fraction when it is zero. In
    UTC that is _ts() but for a "T" and a "Z"; anything else is read as the ORM
    reads it (django.utils.dateparse, then made aware in tz).
    """
    from django.utils.dateparse import parse_datetime

    def slow(text) -> str:
        try:
            value = parse_datetime(text) if isinstance(text, str) else text
        except ValueError:
            value = None
        return _read_ts(value, tz) if value is not None else _opt(text)

    if tz is not dt.UTC:
        return slow

    def to_ts(text) -> str:
        if text.__class__ is str and text[10:11] == " " and text[:1] != "0":
            if len(text) == 26 and text[19] == ".":
                return f"{text[:10]}T{text[11:]}Z"
            if len(text) == 19:
                return f"{text[:10]}T{text[11:]}.000000Z"
        return slow(text)

    return to_ts


def _chain_query(connection):
    """(SELECT of "id", "prev_hash", "hash" and FIELDS in seq order, the function giving
    _ts() text of its occurred_at column), for a raw cursor on connection."""
    opts = AuditEvent._meta
    quote = connection.ops.quote_name
    column = {field.attname: quote(field.column) for field in opts.concrete_fields}
    columns = [column[name] for name in ("id", "prev_hash", "hash", *FIELDS)]
    tz = connection.timezone
    if tz is not None and connection.vendor == "postgresql":
        columns[4] = _PG_TS_TEXT.format(columns[4])
        to_ts = _ts_from_pg_text
    elif tz is not None and connection.vendor == "sqlite":
        columns[4] = f"CAST({columns[4]} AS TEXT)"
        to_ts = _ts_from_sqlite_text(tz)
    else:  # the datetime, as the database driver gives it

        def to_ts(value):
            return _read_ts(value, tz)

    sql = f"SELECT {', '.join(columns)} FROM {quote(opts.db_table)} ORDER BY {column['seq']}"
    return sql, to_ts


def verify_chain(chunk_size: int = 1000) -> Verification:
    """Walk the whole chain in seq order, streaming, and stop at the first break.

    The rows come through a raw chunked cursor (server-side on PostgreSQL, as
    QuerySet.iterator() uses), so no model instance or per-value converter is
    made, and the timestamp as text (_chain_query); memory stays at one chunk
    whatever the length of the chain.
    """
    head = AuditChainHead.objects.filter(id=1).first()
    head_count = head.count if head else 0
    head_hash = head.last_hash if head else GENESIS
    prev, expected, last_id, n = GENESIS, 1, 0, 0
    connection = connections[router.db_for_read(AuditEvent)]
    sql, to_ts = _chain_query(connection)
    sha256 = hashlib.sha256
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_size):
            for (
                pk,
                stored_prev,
                stored_hash,
                seq,
                occurred_at,
                actor_id,
                actor_repr,
                action,
                object_type,
                object_id,
                object_repr,
                learner_id,
                learner_repr,
                centre_id,
                before,
                after,
            ) in rows:
                n += 1
                if seq != expected:
                    if seq > expected:
                        reason = f"events #{expected}–#{seq - 1} are missing: deleted."
                    else:
                        reason = "sequence repeats: inserted."
                    return Verification(False, n, head_count, seq, pk, reason)
                if pk < last_id:
                    return Verification(
                        False,
                        n,
                        head_count,
                        seq,
                        pk,
                        "out of order: it was written before the event it follows (reordered).",
                    )
                if stored_prev != prev:
                    return Verification(
                        False,
                        n,
                        head_count,
                        seq,
                        pk,
                        "its link to the previous event does not match: inserted or reordered.",
                    )
                payload = _joined(
                    seq,
                    to_ts(occurred_at),
                    actor_id,
                    actor_repr,
                    action,
                    object_type,
                    object_id,
                    object_repr,
                    learner_id,
                    learner_repr,
                    centre_id,
                    before,
                    after,
                )
                # chain_hash(prev, payload), inlined: the benchmark's floor is this one line.
                if sha256(prev.encode() + payload).hexdigest() != stored_hash:
                    return Verification(
                        False,
                        n,
                        head_count,
                        seq,
                        pk,
                        "its content does not match its hash: edited.",
                    )
                prev, expected, last_id = stored_hash, expected + 1, pk
    if n != head_count or prev != head_hash:
        if n < head_count:
            reason = (
                f"the head records {head_count} events but {n} remain: the newest were deleted."
            )
        elif n > head_count:
            reason = (
                f"the head records {head_count} events but {n} exist: "
                "events were appended outside record()."
            )
        else:
            reason = "the newest event's hash differs from the head's: replaced."
        return Verification(False, n, head_count, n + 1 if n < head_count else n, None, reason)
    return Verification(True, n, head_count)
