"""The audit trail, as the issue puts it: record N (100,000) events through the one
audit call, then verify the chain.

audit.record  N record() calls inside one audit.batch() (an import), against the
              floor of a bulk_create of the same rows (values and hashes
              precomputed, one transaction, batch_size as record uses).
              Goal: within 3x.
audit.verify  verify_chain() over those N events, against the floor of hashing
              the same payload bytes with hashlib in one loop. Goal: within 2x.
              For context, a second floor: fetching the same rows with a raw
              (chunked) cursor and no hashing. And verify_chain's peak Python
              memory (tracemalloc) at N and at N/5 events: it should be flat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

import audit
from audit.models import AuditChainHead, AuditEvent
from audit.services import (
    FIELDS,
    GENESIS,
    _actor_repr,
    _chain_query,
    _opt,
    batch,
    canonical_json,
    event_payload,
    verify_chain,
)
from benchmarks.harness import best_time, mebibytes, peak_memory, per_second, seconds, timed
from centres.models import Centre
from learners.models import Learner

ACTION = "bench.event"
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
    PostgreSQL a trigger refuses DELETE on events, though not TRUNCATE."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table} RESTART IDENTITY")
        else:
            cursor.execute(f"DELETE FROM {table}")
            if connection.vendor == "sqlite":  # ids from 1 again, as in a fresh database
                cursor.execute(
                    "DELETE FROM sqlite_sequence WHERE name = %s", [AuditEvent._meta.db_table]
                )
        AuditChainHead.objects.update_or_create(id=1, defaults={"count": 0, "last_hash": GENESIS})


def record_events(n: int) -> None:
    """The code under test: n events through the one audit call, in one import batch."""
    actor, centre, learner = _cast()
    with batch():
        for i in range(n):
            audit.record(actor, ACTION, centre, learner=learner, after=_after(i))


def _floor_rows(n: int) -> list[AuditEvent]:
    """The same rows record_events writes, every value computed up front, hashes constant."""
    actor, centre, learner = _cast()
    now = timezone.now()
    common = dict(
        occurred_at=now,
        actor_id=actor.pk,
        actor_repr=_actor_repr(actor)[:200],
        action=ACTION,
        object_type=centre._meta.label,
        object_id=_opt(centre.pk),
        object_repr=str(centre)[:300],
        learner_id=learner.pk,
        learner_repr=str(learner)[:200],
        centre_id=centre.pk,
        before="",
        prev_hash="a" * 64,
        hash="b" * 64,
    )
    return [AuditEvent(seq=i + 1, after=canonical_json(_after(i)), **common) for i in range(n)]


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
        AuditEvent.objects.bulk_create(_floor_rows(warm), batch_size=1000)
    reset_trail()

    rows = _floor_rows(n)
    with timed() as floor, transaction.atomic():
        AuditEvent.objects.bulk_create(rows, batch_size=1000)
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
        floor_is="bulk_create same rows",
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


def _raw_fetch() -> int:
    """The rows verify_chain reads (its own SELECT, the same kind of cursor), no hashing."""
    sql, _to_ts = _chain_query(connection)
    count = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_chunk_size()):
            count += len(rows)
    return count


def bench_verify(table, n: int) -> None:
    """verify_chain() over N events against a raw fetch plus sha256 of the same bytes; memory too.

    Each time here is the best of REPEATS runs: they are short, and the best is
    the least disturbed by whatever else the machine is doing.
    """
    _ensure_chain(n)

    figure, result = best_time(verify_chain, REPEATS)
    assert result.ok and result.checked == n, str(result)

    # Floor: the exact bytes verify_chain hashes, computed before the clock starts.
    values = list(AuditEvent.objects.order_by("seq").values_list(*FIELDS))
    payloads = [event_payload(v) for v in values]
    del values

    def hash_only():
        sha256, prev = hashlib.sha256, GENESIS
        for payload in payloads:
            prev = sha256(prev.encode() + payload).hexdigest()
        return prev

    floor, last_hash = best_time(hash_only, REPEATS)
    payloads.clear()
    assert last_hash == AuditChainHead.objects.get(id=1).last_hash, "the floor hashed other bytes"

    fetch, fetched = best_time(_raw_fetch, REPEATS)
    assert fetched == n

    # The floor is the same work done the simplest way: read every event with a raw
    # cursor, then hash the chain over bytes already in memory. Each part is also shown.
    table.row(
        f"audit.verify x{n:,}",
        figure,
        fetch + floor,
        seconds,
        floor_is="raw fetch + sha256 loop",
        goal=2,
        note=f"{per_second(n, figure)}; fetch {fetch:.3f} + hash {floor:.3f} s",
    )
    table.row(
        "  verify vs hashing alone",
        figure,
        floor,
        seconds,
        floor_is="sha256 loop, same bytes",
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
