"""The audit trail, as the issue puts it: record N (100,000) events through the one
audit call, then verify the chain.

audit.record  N record() calls inside one audit.batch() (an import), against the
              floor of a bulk insert of the same rows, events and their personal
              details (values, digests and hashes precomputed, one transaction),
              done as record() does it: COPY on PostgreSQL, executemany on SQLite
              (audit.services.insert_rows). Goal: within 3x.
audit.verify  verify_chain() over those N events (keyed: an HMAC of each event's
              personal details and one of the event itself), against the floor
              of fetching the same rows with verify's own raw (chunked) cursor plus
              the same two HMACs over bytes already in memory. Goal: within 2x.
              For context, the HMACs alone. And verify_chain's peak Python
              memory (tracemalloc) at N and at N/5 events: it should be flat.
"""

from __future__ import annotations

import datetime as dt
import inspect

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

import audit
from audit import checkpoints
from audit.actions import register_action
from audit.chain import details_text, payload_text, ts
from audit.keys import keyring
from audit.management.commands.flush import TRUNCATE_TRIGGERS
from audit.models import AuditChainHead, AuditEvent, AuditEventDetail
from audit.services import (
    DETAIL_FIELDS,
    DETAIL_INSERT,
    EVENT_INSERT,
    FIELDS,
    GENESIS,
    _actor_repr,
    _opt,
    batch,
    canonical_json,
    insert_rows,
    verify_chain,
)
from audit.verification import _select, chain_query
from benchmarks.harness import best_time, mebibytes, peak_memory, per_second, seconds, timed
from centres.models import Centre
from learners.models import Learner

# A code of the benchmark's own, declared like any app's (audit.record refuses the undeclared).
ACTION = register_action(
    "benchmarks.event.recorded", "Benchmark event", "{actor} recorded a benchmark event"
)
MEMORY_GOAL = 1.5  # peak at N over peak at N/5: "flat" allows some noise, not 5x
REPEATS = 3  # runs of each verify timing; the best is kept


def _after(i: int) -> dict:
    """A small after-image, like a registration's status change."""
    return {"row": i, "status": "registered", "unit": "A", "grade": None}


def _cast():
    """Who does it and to what: a named officer, a centre, one of its learners."""
    centre, _ = Centre.objects.get_or_create(number="90001", defaults={"name": "Benchmark Academy"})
    actor, _ = get_user_model().objects.get_or_create(
        username="bench.officer",
        defaults={"first_name": "Bench", "last_name": "Officer", "email": "bench@example.org"},
    )
    learner, _ = Learner.objects.get_or_create(
        centre=centre,
        candidate_number="0001",
        defaults={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": dt.date(2009, 12, 10),
            "sex": Learner.Sex.FEMALE,
        },
    )
    return actor, centre, learner


def reset_trail() -> None:
    """An empty trail and a genesis head. Raw SQL: the models refuse deletes, and on
    PostgreSQL triggers refuse DELETE and TRUNCATE; the benchmark, the tables' owner,
    lifts the TRUNCATE ones for its own transaction, as flush does."""
    quote = connection.ops.quote_name
    tables = [quote(m._meta.db_table) for m in (AuditEventDetail, AuditEvent, AuditChainHead)]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, trigger in TRUNCATE_TRIGGERS.items():
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            for table, trigger in TRUNCATE_TRIGGERS.items():
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            if connection.vendor == "sqlite":  # ids from 1 again, as in a fresh database
                cursor.execute(
                    "DELETE FROM sqlite_sequence WHERE name = %s", [AuditEvent._meta.db_table]
                )
        AuditChainHead.objects.create(id=1, count=0, last_hash=GENESIS)
    # The trail is gone on purpose: so is its checkpoint, or every write would be refused.
    if default_storage.exists(checkpoints.name()):
        default_storage.delete(checkpoints.name())


def record_events(n: int) -> None:
    """The code under test: n events through the one audit call, in one import batch."""
    actor, centre, learner = _cast()
    with batch():
        for i in range(n):
            audit.record(actor, ACTION, centre, learner=learner, after=_after(i))


def _floor_rows(n: int) -> tuple[list[tuple], list[tuple]]:
    """The same rows record_events writes, events and details, every value computed up front,
    digests and hashes constant: (event rows, detail rows) in EVENT_INSERT, DETAIL_INSERT order."""
    actor, centre, learner = _cast()
    now, key_id = timezone.now(), keyring().current.id
    events, details = [], []
    for i in range(n):
        seq = i + 1
        events.append(
            (seq, now, key_id, actor.pk, _actor_repr(actor)[:200], ACTION, centre._meta.label)
            + (_opt(centre.pk), learner.pk, centre.pk, "c" * 64, "a" * 64, "b" * 64)
        )
        details.append(
            (seq, "d" * 32, str(learner)[:200], str(centre)[:300], "", canonical_json(_after(i)))
        )
    return events, details


def _bulk_insert(rows) -> None:
    """The fastest bulk insert this database has, as record() in a batch uses it (COPY on
    PostgreSQL, executemany on SQLite), of rows whose every value is ready."""
    events, details = rows
    insert_rows(AuditEvent, EVENT_INSERT, events)
    insert_rows(AuditEventDetail, DETAIL_INSERT, details)


def bench_record(table, n: int) -> None:
    """record() of N events in one batch() against a bulk_create of the same rows.

    Each runs once (they are the long ones), after an untimed warm-up of both,
    so neither pays for first use of the table, the code or the connection.
    """
    warm = max(1, n // 50)
    reset_trail()
    record_events(warm)
    reset_trail()
    with transaction.atomic():
        _bulk_insert(_floor_rows(warm))
    reset_trail()

    rows = _floor_rows(n)
    with timed() as floor, transaction.atomic():
        _bulk_insert(rows)
    del rows
    reset_trail()

    with timed() as figure:
        record_events(n)
    head = AuditChainHead.objects.get(id=1)
    assert head.count == n == AuditEvent.objects.count(), (head.count, n)
    table.row(
        f"audit.record x{n:,} (batch)",
        figure.seconds,
        floor.seconds,
        seconds,
        floor_is="bulk insert same rows",  # events and details, COPY or executemany
        goal=3,
        note=f"{per_second(n, figure.seconds)} vs {per_second(n, floor.seconds)}",
    )


def _ensure_chain(n: int) -> None:
    """N events written by record(), as bench_record leaves them (for --only verify)."""
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None or head.count != n or AuditEvent.objects.count() != n:
        reset_trail()
        record_events(n)


def _chunk_size() -> int:
    """The rows verify_chain fetches at a time (its default)."""
    return inspect.signature(verify_chain).parameters["chunk_size"].default


def _fetch(sql: str) -> int:
    count = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_chunk_size()):
            count += len(rows)
    return count


def _raw_fetches() -> dict[str, str]:
    """The rows verify_chain reads, two ways, with the same kind of cursor and no hashing:
    verify's own SELECT (the database formats occurred_at as text) and the plain columns.
    The floor takes the faster, whichever it is on this database."""
    quote = connection.ops.quote_name
    plain = _select(quote, AuditEvent._meta.db_table, AuditEventDetail._meta.db_table)
    return {"verify's SELECT": chain_query(connection)[0], "plain columns": plain}


def _hashed_bytes() -> list[tuple[bytes, bytes]]:
    """(details, event) bytes of every event, exactly as verify_chain HMACs them (untimed)."""
    out, prev = [], GENESIS
    events = AuditEvent.objects.order_by("seq").values_list("hash", *FIELDS)
    details = AuditEventDetail.objects.order_by("event_id").values_list(*DETAIL_FIELDS)
    for (stored_hash, seq, occurred_at, *rest), detail in zip(events, details, strict=True):
        payload = payload_text(seq, ts(occurred_at), *rest)
        out.append((details_text(*detail).encode(), (prev + payload).encode()))
        prev = stored_hash
    return out


def bench_verify(table, n: int) -> None:
    """verify_chain() over N events against a raw fetch plus the same HMACs; memory too.

    Each time here is the best of REPEATS runs: they are short, and the best is
    the least disturbed by whatever else the machine is doing.
    """
    _ensure_chain(n)

    figure, result = best_time(verify_chain, REPEATS)
    assert result.ok and result.checked == n, str(result)

    # Floor: the exact bytes verify_chain HMACs, computed before the clock starts, and
    # the same HMAC (audit.keys.Hmac, the digest of hmac.new with its pads hashed once).
    messages = _hashed_bytes()
    key = keyring().current
    details_hmac, chain_hmac = key.details.hexdigest, key.chain.hexdigest

    def hmac_only():
        last = GENESIS
        for details, event in messages:
            details_hmac(details)
            last = chain_hmac(event)
        return last

    floor, last_hash = best_time(hmac_only, REPEATS)
    messages.clear()
    assert last_hash == AuditChainHead.objects.get(id=1).last_hash, "the floor hashed other bytes"

    fetches = {}
    for how, sql in _raw_fetches().items():
        fetches[how], fetched = best_time(lambda sql=sql: _fetch(sql), REPEATS)
        assert fetched == n
    how = min(fetches, key=fetches.get)
    fetch = fetches[how]

    # The floor is the same work done the simplest way: read every event with a raw
    # cursor (the faster of two SELECTs), then HMAC the chain over bytes already in memory.
    table.row(
        f"audit.verify x{n:,}",
        figure,
        fetch + floor,
        seconds,
        floor_is="raw fetch + HMAC loop",
        goal=2,
        note=f"{per_second(n, figure)}; fetch {fetch:.3f} ({how}) + HMAC {floor:.3f} s",
    )
    table.row(
        "  verify vs HMACs alone",
        figure,
        floor,
        seconds,
        floor_is="HMAC loop, same bytes",
        note="the database read is most of the difference",
    )

    # Memory: the chain is streamed, never held, so N/5 and N should peak alike.
    result, peak_n = peak_memory(verify_chain)
    assert result.ok and result.checked == n, str(result)
    small = max(1, n // 5)
    reset_trail()
    record_events(small)
    result, peak_small = peak_memory(verify_chain)
    assert result.ok and result.checked == small, str(result)
    if small < 2 * _chunk_size():  # both runs hold about a chunk or two: nothing to compare
        goal, note = None, "too few events to tell: N/5 is under two of verify_chain's chunks"
    else:
        goal = MEMORY_GOAL
        note = "flat" if peak_n <= MEMORY_GOAL * peak_small else "GROWS with events"
    table.row(
        f"  verify peak memory @{n:,}",
        peak_n,
        peak_small,
        mebibytes,
        floor_is=f"same @{small:,} events",
        goal=goal,
        note=note,
    )
