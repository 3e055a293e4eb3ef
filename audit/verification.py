"""Verifying a trail: the chain, its head, its personal details, and a checkpoint kept outside.

verify() reads a trail through a source: the live database (DjangoSource) or an
SQLite file (SqliteSource: a SQLite backup, or the audit tables of a PostgreSQL
dump, see audit/backups.py), so a backup is checked by the same code as the
database. It walks the events in seq order, streaming, and reports every kind
of break it can name; the first in the chain is `broken_seq`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Q

from .chain import (
    DETAIL_FIELDS,
    DETAIL_SEPS,
    EVENT_SEPS,
    FIELDS,
    GENESIS,
    SEP,
    _opt,
    details_text,
    payload_text,
    ts,
)
from .keys import Keyring, UnknownKey, keyring
from .models import ERASE_ACTION, AuditChainHead, AuditEvent, AuditEventDetail

# What a walk reads per event: the event's own columns, then its details (NULL when missing).
EVENT_COLUMNS = ("id", "prev_hash", "hash", *FIELDS)
DETAIL_COLUMNS = ("seq", *DETAIL_FIELDS, "erased_by_seq")
TS_COLUMN = EVENT_COLUMNS.index("occurred_at")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class Problem:
    reason: str
    seq: int | None = None
    id: int | None = None
    what: str = ""

    def __str__(self) -> str:
        if self.seq is None:
            return self.reason
        where = f"event #{self.seq}"
        details = [d for d in (f"id {self.id}" if self.id is not None else "", self.what) if d]
        if details:
            where += f" ({', '.join(details)})"
        return f"at {where}: {self.reason}"


@dataclass
class Verification:
    ok: bool
    checked: int
    head_count: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    problems: list[Problem] = field(default_factory=list)
    checkpoint: object = None  # the Checkpoint checked against, if any
    behind: int = 0  # events the checkpoint records that the trail no longer has

    def __str__(self) -> str:
        if self.ok:
            text = f"Audit trail intact: {_plural(self.checked, 'event')}, chain head matches"
            if self.checkpoint is not None:
                cp = self.checkpoint
                text += f", and it holds the checkpoint of {cp.when} ({_plural(cp.count, 'event')})"
            return text + "."
        text = "; ".join(str(p).rstrip(".") for p in self.problems)
        return (
            ("Audit trail BROKEN " if self.problems[0].seq else "Audit trail BROKEN: ") + text + "."
        )


@dataclass
class Walk:
    checked: int = 0
    last_hash: str = GENESIS
    erased: int = 0
    problem: Problem | None = None


class _Stop(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def walk(chunks, to_ts, ring: Keyring, checkpoint_count: int | None = None) -> Walk:
    """Every event in seq order, stopping at the first that does not hold.

    chunks gives lists of rows, EVENT_COLUMNS then DETAIL_COLUMNS. Per event: the
    sequence, the row order, the link to the previous hash, the key (known, and
    never older than one already used), the personal details against their
    digest (or, once erased, blank), and the event's keyed hash.
    """
    result = Walk()
    prev, expected, last_id, n, erased = GENESIS, 1, 0, 0, 0
    key, key_id_seen, top_rank = None, None, -1
    sep = SEP
    try:
        for rows in chunks:
            for (
                pk,
                stored_prev,
                stored_hash,
                seq,
                occurred_at,
                key_id,
                actor_id,
                actor_repr,
                action,
                object_type,
                object_id,
                learner_id,
                centre_id,
                digest,
                detail_seq,
                salt,
                learner_repr,
                object_repr,
                before,
                after,
                erased_by,
            ) in rows:
                n += 1
                if seq != expected:
                    if seq > expected:
                        gone = f"#{expected}" if seq == expected + 1 else f"#{expected}–#{seq - 1}"
                        raise _Stop(f"event {gone} before it is missing: deleted.")
                    raise _Stop("sequence repeats: inserted.")
                if pk < last_id:
                    raise _Stop(
                        "out of order: it was written before the event it follows (reordered)."
                    )
                if stored_prev != prev:
                    raise _Stop(
                        "its link to the previous event does not match: inserted or reordered."
                    )
                if key_id != key_id_seen:
                    key = _key(ring, key_id, top_rank)
                    key_id_seen, top_rank = key_id, key.rank
                # prev + chain.payload_text(), inlined on this hot path; record() writes with
                # payload_text, so any difference between the two fails every verification.
                message = (
                    f"{prev}{seq}{sep}{to_ts(occurred_at)}{sep}{key_id}{sep}"
                    f"{'' if actor_id is None else actor_id}{sep}{actor_repr}{sep}{action}{sep}"
                    f"{object_type}{sep}{object_id}{sep}{'' if learner_id is None else learner_id}"
                    f"{sep}{'' if centre_id is None else centre_id}{sep}{digest}"
                )
                if message.count(sep) != EVENT_SEPS or (
                    key.chain.hexdigest(message.encode()) != stored_hash
                ):
                    raise _Stop(_hash_problem(message, stored_hash, seq, checkpoint_count))
                if erased_by is None:
                    if detail_seq is None:
                        raise _Stop("its personal details are missing: deleted.")
                    details = (
                        f"{salt}{sep}{learner_repr}{sep}{object_repr}{sep}{before}{sep}{after}"
                    )
                    if (
                        details.count(sep) != DETAIL_SEPS
                        or key.details.hexdigest(details.encode()) != digest
                    ):
                        raise _Stop(
                            "its personal details were edited: they do not match the digest in "
                            "the chain."
                        )
                elif salt or learner_repr or object_repr or before or after:
                    raise _Stop(
                        "its personal details are marked erased but still hold values: edited."
                    )
                else:
                    erased += 1
                prev, expected, last_id = stored_hash, expected + 1, pk
    except _Stop as stop:
        result.problem = Problem(stop.reason, seq, pk, f"{action} by {actor_repr}")
    result.checked, result.last_hash, result.erased = n, prev, erased
    return result


def _key(ring: Keyring, key_id: str, top_rank: int):
    """The key an event names, if the keyring has it and it is not older than one used before."""
    try:
        key = ring.get(key_id)
    except UnknownKey:
        raise _Stop(
            f"it is signed with key {key_id or '(none)'}, which is not in the keyring "
            "(AUDIT_HMAC_KEY, AUDIT_HMAC_OLD_KEYS): forged, or a retired key was dropped "
            "from the keyring."
        ) from None
    if key.rank < top_rank:
        raise _Stop(
            f"it is signed with key {key_id}, retired before a newer key signed an earlier "
            "event: forged with an old key."
        )
    return key


def _hash_problem(message: str, stored_hash: str, seq: int, checkpoint_count) -> str:
    """Name a hash that does not verify as well as the evidence allows (the slow path, once)."""
    if message.count(SEP) != EVENT_SEPS:
        return "a field holds the separator character: edited."
    if hashlib.sha256(message.encode()).hexdigest() == stored_hash:
        return "forged: its hash is a plain SHA-256 of its content, made without the audit key."
    if checkpoint_count is not None and seq > checkpoint_count:
        return "forged: it comes after the checkpoint and its hash was not made with the audit key."
    return "edited or forged: its content does not match its keyed hash."


def verify(source, ring: Keyring, checkpoint=None) -> Verification:
    """The whole trail in source against its head and, when given, a checkpoint."""
    problems: list[Problem] = []
    head = source.head()
    if head is None:
        problems.append(
            Problem(
                "the chain head row is missing: the head table was emptied (deleted or truncated)"
            )
        )
        head_count, head_hash = 0, GENESIS
    else:
        head_count, head_hash = head[0], head[1]

    usable = None
    if checkpoint is not None:
        signature = checkpoint.signature_problem(ring)
        if signature:
            problems.append(Problem(f"the checkpoint {signature}"))
        else:
            usable = checkpoint

    result = walk(source.chunks(), source.to_ts, ring, usable.count if usable else None)
    n = result.checked
    if result.problem is not None:
        problems.append(result.problem)
    elif n != head_count or result.last_hash != head_hash:
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
        problems.append(Problem(reason, n + 1 if n < head_count else n))

    behind = 0
    if usable is not None and usable.count:
        last = source.max_seq()
        when = usable.when
        if last < usable.count:
            behind = usable.count - last
            gone = (
                f"event #{usable.count}" if behind == 1 else f"events #{last + 1}–#{usable.count}"
            )
            ends = "is empty" if last == 0 else f"ends at event #{last}"
            problems.append(
                Problem(
                    f"BEHIND the checkpoint by {_plural(behind, 'event')}: the checkpoint of "
                    f"{when} records {_plural(usable.count, 'event')} and the trail {ends}: "
                    f"a missing tail ({gone} deleted, or lost with a restore)"
                )
            )
            if head is not None and head_count < usable.count:
                if head_count == 0:
                    problems.append(
                        Problem(
                            "reset head: the head records no events but the checkpoint records "
                            f"{_plural(usable.count, 'event')}"
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            f"the head was rolled back to event #{head_count} "
                            f"(the checkpoint records #{usable.count})"
                        )
                    )
        elif source.hash_at(usable.count) != usable.last_hash:
            problems.append(
                Problem(
                    f"rewritten: event #{usable.count} is not the event the checkpoint of {when} "
                    "recorded (its hash differs): the chain up to it was replaced"
                )
            )

    if result.erased:
        problems.extend(Problem(reason, seq) for seq, reason in source.erasure_problems())

    first = problems[0] if problems else None
    chain_first = next((p for p in problems if p.seq is not None), first)
    return Verification(
        ok=not problems,
        checked=n,
        head_count=head_count,
        broken_seq=chain_first.seq if chain_first else None,
        broken_id=chain_first.id if chain_first else None,
        reason=chain_first.reason if chain_first else "",
        problems=problems,
        checkpoint=checkpoint,
        behind=behind,
    )


# -- sources ------------------------------------------------------------------------------


def _select(quote, events: str, details: str, ts_expression=None) -> str:
    e = [f"e.{quote(c)}" for c in EVENT_COLUMNS]
    if ts_expression:
        e[TS_COLUMN] = ts_expression.format(e[TS_COLUMN]) + f" AS {quote('occurred_at')}"
    d = [f"d.{quote(c)}" for c in DETAIL_COLUMNS]
    return (
        f"SELECT {', '.join(e + d)} FROM {quote(events)} e "
        f"LEFT JOIN {quote(details)} d ON d.{quote('seq')} = e.{quote('seq')} "
        f"ORDER BY e.{quote('seq')}"
    )


def _erasure_sql(quote, events: str, details: str) -> tuple[str, str]:
    """(details marked erased by anything but a later erasure of the same learner's details,
    erasure events with the number of rows they erased), for erasure_problems()."""
    e, d, x = quote(events), quote(details), "x"
    wrong = (
        f"SELECT d.seq, d.erased_by_seq FROM {d} d JOIN {e} ev ON ev.seq = d.seq "
        f"LEFT JOIN {e} {x} ON {x}.seq = d.erased_by_seq "
        "WHERE d.erased_by_seq IS NOT NULL AND ("
        f"{x}.seq IS NULL OR {x}.action <> %s OR {x}.seq <= ev.seq "
        f"OR ev.learner_id IS NULL OR {x}.learner_id IS NULL OR {x}.learner_id <> ev.learner_id"
        ") ORDER BY d.seq"
    )
    counts = (
        f"SELECT {x}.seq, xd.after, (SELECT count(*) FROM {d} c WHERE c.erased_by_seq = {x}.seq) "
        f"FROM {e} {x} JOIN {d} xd ON xd.seq = {x}.seq WHERE {x}.action = %s ORDER BY {x}.seq"
    )
    return wrong, counts


def _erasure_problems(cursor, wrong: str, counts: str):
    import json

    cursor.execute(wrong, [ERASE_ACTION])
    for seq, by in cursor.fetchall():
        yield (
            seq,
            (
                f"its personal details are marked erased by event #{by}, which is not a later "
                "erasure of this learner's details: edited."
            ),
        )
    cursor.execute(counts, [ERASE_ACTION])
    for seq, after, erased in cursor.fetchall():
        try:
            recorded = json.loads(after)["events"]
        except (ValueError, KeyError, TypeError):
            recorded = None
        if recorded != erased:
            yield (
                seq,
                (
                    f"this erasure recorded {recorded} events' details erased, but {erased} are "
                    "marked erased by it: edited."
                ),
            )


class DjangoSource:
    """The trail in a Django database, read with a raw chunked cursor (server-side on
    PostgreSQL, as QuerySet.iterator() uses): no model instances, memory one chunk."""

    def __init__(self, connection, chunk_size: int = 1000):
        self.connection, self.chunk_size = connection, chunk_size
        self.sql, self.to_ts = chain_query(connection)

    def head(self):
        return (
            AuditChainHead.objects.using(self.connection.alias)
            .filter(id=1)
            .values_list("count", "last_hash", "key_id")
            .first()
        )

    def chunks(self):
        connection = self.connection
        chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
            cursor.execute(self.sql)
            while rows := cursor.fetchmany(self.chunk_size):
                yield rows

    def _events(self):
        return AuditEvent.objects.using(self.connection.alias).order_by()

    def max_seq(self) -> int:
        return self._events().values_list("seq", flat=True).order_by("-seq").first() or 0

    def hash_at(self, seq: int) -> str | None:
        return self._events().filter(seq=seq).values_list("hash", flat=True).first()

    def erasure_problems(self):
        quote = self.connection.ops.quote_name
        wrong, counts = _erasure_sql(
            quote, AuditEvent._meta.db_table, AuditEventDetail._meta.db_table
        )
        with self.connection.cursor() as cursor:
            yield from _erasure_problems(cursor, wrong, counts)


class SqliteSource:
    """The trail in an SQLite file opened read-only: a backup, or audit tables copied from a
    PostgreSQL dump (timestamps then as PostgreSQL wrote them, with their offset)."""

    def __init__(self, path, chunk_size: int = 1000, pg_text: bool = False):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.chunk_size = chunk_size
        tables = AuditEvent._meta.db_table, AuditEventDetail._meta.db_table
        if pg_text:  # with its offset, as PostgreSQL's COPY wrote it
            self.sql, self.to_ts = _select(_sqlite_quote, *tables), _ts_from_iso_text
        else:
            self.sql = _select(_sqlite_quote, *tables, _sqlite_ts_expression(dt.UTC))
            self.to_ts = _ts_from_sqlite_text(dt.UTC)

    def close(self):
        self.db.close()

    def head(self):
        table = _sqlite_quote(AuditChainHead._meta.db_table)
        try:
            return self.db.execute(
                f"SELECT count, last_hash, key_id FROM {table} WHERE id = 1"
            ).fetchone()
        except sqlite3.OperationalError:
            return None

    def chunks(self):
        cursor = self.db.execute(self.sql)
        while rows := cursor.fetchmany(self.chunk_size):
            yield rows

    def max_seq(self) -> int:
        table = _sqlite_quote(AuditEvent._meta.db_table)
        return self.db.execute(f"SELECT max(seq) FROM {table}").fetchone()[0] or 0

    def hash_at(self, seq: int):
        table = _sqlite_quote(AuditEvent._meta.db_table)
        row = self.db.execute(f"SELECT hash FROM {table} WHERE seq = ?", [seq]).fetchone()
        return row[0] if row else None

    def erasure_problems(self):
        wrong, counts = _erasure_sql(
            _sqlite_quote, AuditEvent._meta.db_table, AuditEventDetail._meta.db_table
        )
        yield from _erasure_problems(
            _QmarkCursor(self.db), wrong.replace("%s", "?"), counts.replace("%s", "?")
        )


class _QmarkCursor:
    def __init__(self, db):
        self.db, self.rows = db, []

    def execute(self, sql, params):
        self.rows = self.db.execute(sql, params).fetchall()

    def fetchall(self):
        return self.rows


def _sqlite_quote(name: str) -> str:
    return f'"{name}"'


# -- timestamps as each database gives them --------------------------------------------------


def _read_ts(value, tz) -> str:
    """ts() of the datetime the ORM would make of value, a timestamp as a raw cursor reads it.

    tz is the connection's time zone (None without USE_TZ). PostgreSQL gives aware
    datetimes; SQLite naive ones in tz, which the ORM would make aware in tz. A value
    that is no datetime at all (a hand-edited row) gives its text, which cannot
    match the hash: the event is reported as edited.
    """
    if not isinstance(value, dt.datetime):
        return _opt(value)
    if value.tzinfo is None and tz is not None:
        value = value.replace(tzinfo=tz)
    return ts(value)


# The walk asks the database for occurred_at as text, so that no datetime is parsed
# and formatted again per event (the largest cost after the fetch itself).
# PostgreSQL formats it exactly as ts() does; SQLite gives the text Django wrote.
_PG_TS_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def _ts_from_pg_text(text) -> str:
    """ts() of a PostgreSQL occurred_at given as _PG_TS_TEXT."""
    if text is not None and text[0] != "0":
        return text
    try:  # a year before 1000, never written by record(): as ts() gives it
        return ts(dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.UTC))
    except (TypeError, ValueError):
        return _opt(text)  # matches no hash: reported as edited


def _ts_from_iso_text(text) -> str:
    """ts() of a timestamp with its offset as PostgreSQL's COPY writes it (a dump's data)."""
    try:
        return ts(dt.datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return _opt(text)


# SQLite holds what Django wrote, str() of the naive UTC datetime: "2026-11-23 01:43:22.004500",
# or without the fraction when it is zero. In UTC that is ts() but for a "T" and a "Z", which
# SQLite adds itself; any other text comes back marked with "~" for the slow path.
_SQLITE_TS_TEXT = (
    "CASE WHEN substr({0}, 11, 1) = ' ' AND substr({0}, 1, 1) <> '0' THEN"
    " CASE length({0})"
    " WHEN 26 THEN substr({0}, 1, 10) || 'T' || substr({0}, 12) || 'Z'"
    " WHEN 19 THEN substr({0}, 1, 10) || 'T' || substr({0}, 12) || '.000000Z'"
    " ELSE '~' || {0} END"
    " ELSE '~' || CAST({0} AS TEXT) END"
)


def _ts_from_sqlite_text(tz):
    """The function giving ts() of a SQLite occurred_at as _SQLITE_TS_TEXT gives it (in UTC),
    or as stored text (another time zone: read as the ORM reads it, django.utils.dateparse,
    then made aware in tz)."""
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
        return text if text[0] != "~" else slow(text[1:])

    return to_ts


def _sqlite_ts_expression(tz):
    return _SQLITE_TS_TEXT if tz is dt.UTC else "CAST({0} AS TEXT)"


def chain_query(connection):
    """(the walk's SELECT for a raw cursor on connection, the function giving ts() text of
    its occurred_at column)."""
    quote = connection.ops.quote_name
    tz = connection.timezone
    ts_expression = None
    if tz is not None and connection.vendor == "postgresql":
        ts_expression, to_ts = _PG_TS_TEXT, _ts_from_pg_text
    elif tz is not None and connection.vendor == "sqlite":
        ts_expression, to_ts = _sqlite_ts_expression(tz), _ts_from_sqlite_text(tz)
    else:  # the datetime, as the database driver gives it

        def to_ts(value):
            return _read_ts(value, tz)

    sql = _select(quote, AuditEvent._meta.db_table, AuditEventDetail._meta.db_table, ts_expression)
    return sql, to_ts


# -- a set of events (one learner's): each event, its links both ways, and the trail's size ----


@dataclass
class EventsVerification:
    """verify_events(): how many of the chosen events were checked and what did not hold."""

    checked: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_SET_COLUMNS = (
    "id",
    "prev_hash",
    "hash",
    *FIELDS,
    "detail__pk",
    *(f"detail__{name}" for name in DETAIL_FIELDS),
    "detail__erased_by_seq",
)


def verify_events(events, checkpoint=None) -> EventsVerification:
    """The chain checked around a set of events (a queryset of AuditEvent), in five queries
    whatever their number.

    The chain is keyed across the whole trail, so a set verifies when each of its events
    holds its own keyed hash and personal details (or is blank once erased), links to the
    event before it (whose own hash holds), is linked to by the event after it (likewise),
    and the trail still holds as many events as its head records (a deletion anywhere,
    one of the set's included, leaves a gap). Given the checkpoint kept outside the
    database, the trail must not be behind it nor rewritten up to it. Only
    `verify_audit_trail` with the
    checkpoint kept outside the database proves the whole trail; this is the local proof
    a page can afford.
    """
    ring = keyring()
    chosen = events.order_by().values("seq")
    around = AuditEvent.objects.filter(
        Q(seq__in=chosen)
        | Q(seq__in=events.order_by().annotate(n=F("seq") - 1).values("n"))
        | Q(seq__in=events.order_by().annotate(n=F("seq") + 1).values("n"))
    )
    mine = set(events.order_by().values_list("pk", flat=True))
    rows = {row[3]: row for row in around.order_by("seq").values_list(*_SET_COLUMNS).iterator()}
    head = AuditChainHead.objects.filter(id=1).values_list("count", flat=True).first() or 0
    totals = AuditEvent.objects.order_by().aggregate(n=Count("pk"), top=Max("seq"))
    problems: list[Problem] = []
    good: dict[int, bool] = {}

    def holds(seq: int) -> bool:
        if seq not in good:
            good[seq] = _event_problem(rows[seq], ring) is None
        return good[seq]

    checked = 0
    for seq, row in rows.items():
        if row[0] not in mine:
            continue
        checked += 1
        what = f"{row[FIELDS.index('action') + 3]} by {row[FIELDS.index('actor_repr') + 3]}"
        problem = _event_problem(row, ring)
        good[seq] = problem is None
        before, after = rows.get(seq - 1), rows.get(seq + 1)
        if problem is None and seq == 1 and row[1] != GENESIS:
            problem = "it is the first event but does not start the chain: inserted."
        elif problem is None and seq > 1 and before is None:
            problem = f"the event before it (#{seq - 1}) is missing: deleted."
        elif problem is None and seq > 1 and (before[2] != row[1] or before[0] > row[0]):
            problem = "its link to the previous event does not match: inserted or reordered."
        elif problem is None and seq > 1 and not holds(seq - 1):
            problem = f"the event before it (#{seq - 1}) does not hold its own hash: edited."
        elif problem is None and seq < head and after is None:
            problem = f"the event after it (#{seq + 1}) is missing: deleted."
        elif problem is None and after is not None and (after[1] != row[2] or after[0] < row[0]):
            problem = "the event after it does not link to it: replaced or reordered."
        elif problem is None and after is not None and not holds(seq + 1):
            problem = f"the event after it (#{seq + 1}) does not hold its own hash: edited."
        elif problem is None and seq > head:
            problem = f"the head records {head} events: appended outside record()."
        if problem:
            problems.append(Problem(problem, seq, row[0], what))
    if len(mine) > checked:
        problems.append(Problem(f"{len(mine) - checked} of the events could not be read."))
    if totals["n"] != head or (totals["top"] or 0) != head:
        problems.append(
            Problem(
                f"the trail holds {_plural(totals['n'], 'event')} up to "
                f"#{totals['top'] or 0} but its head records {head}: events were deleted "
                "or appended outside record()."
            )
        )
    if checkpoint is not None:
        problems += _checkpoint_problems(checkpoint, ring, totals["top"] or 0)
    return EventsVerification(checked=checked, problems=problems)


def _checkpoint_problems(checkpoint, ring: Keyring, last: int) -> list[Problem]:
    signature = checkpoint.signature_problem(ring)
    if signature:
        return [Problem(f"the checkpoint {signature}")]
    if not checkpoint.count:
        return []
    if last < checkpoint.count:
        return [
            Problem(
                f"BEHIND the checkpoint of {checkpoint.when} by "
                f"{_plural(checkpoint.count - last, 'event')}: the newest events were deleted."
            )
        ]
    at = AuditEvent.objects.filter(seq=checkpoint.count).values_list("hash", flat=True).first()
    if at != checkpoint.last_hash:
        return [
            Problem(
                f"rewritten: event #{checkpoint.count} is not the event the checkpoint of "
                f"{checkpoint.when} recorded"
            )
        ]
    return []


def _event_problem(row, ring: Keyring) -> str | None:
    """What does not hold in one event read as _SET_COLUMNS (its own hash and details)."""
    pk, prev, stored, seq, occurred_at, key_id, *rest = row
    chained = rest[: len(FIELDS) - 3]
    detail_pk, salt, learner_repr, object_repr, before, after, erased_by = rest[len(FIELDS) - 3 :]
    try:
        key = ring.get(key_id)
    except UnknownKey:
        return f"it is signed with key {key_id or '(none)'}, which is not in the keyring."
    message = prev + payload_text(seq, ts(occurred_at), key_id, *chained)
    if message.count(SEP) != EVENT_SEPS or key.chain.hexdigest(message.encode()) != stored:
        return _hash_problem(message, stored, seq, None)
    digest = chained[-1]
    if erased_by is None:
        if detail_pk is None:
            return "its personal details are missing: deleted."
        details = details_text(salt, learner_repr, object_repr, before, after)
        if details.count(SEP) != DETAIL_SEPS or key.details.hexdigest(details.encode()) != digest:
            return "its personal details were edited: they do not match the digest in the chain."
    elif salt or learner_repr or object_repr or before or after:
        return "its personal details are marked erased but still hold values: edited."
    return None
