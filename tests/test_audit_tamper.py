"""The audit trail against someone who holds the application's own PostgreSQL connection.

Each test tampers with raw SQL as the role that owns the tables: it lifts the
triggers first (an owner may), does what it likes, and puts them back. Without
the audit key and without the checkpoint kept outside the database, none of it
may pass `verify_audit_trail` unnoticed.
"""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings

import audit
from audit import services

from .factories import LearnerFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite has no TRUNCATE, no database roles and no triggers here; "
    "anyone who can write its file can also replace the whole file",
)

TABLES = ("audit_auditevent", "audit_auditeventdetail", "audit_auditchainhead")
EVENTS = 6
GUESSED_KEY = "a-guess-at-the-audit-key-which-the-intruder-does-not-have"


@pytest.fixture
def trail(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """Six committed events by Rita Recorder; the checkpoint is written as on a real commit."""
    settings.MEDIA_ROOT = tmp_path / "media"
    actor = UserFactory(username="recorder", first_name="Rita", last_name="Recorder")
    victim = UserFactory(username="head", first_name="Hazel", last_name="Head")
    learner = LearnerFactory()
    for i in range(EVENTS):
        with django_capture_on_commit_callbacks(execute=True):
            audit.record(
                actor, "learner.updated", learner, before={"step": i}, after={"step": i + 1}
            )
    return actor, victim, learner


def tables(cursor):
    """The audit tables this schema has (the personal-details table came with the key)."""
    present = []
    for name in TABLES:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            present.append(name)
    return present


def settle(cursor):
    """The intruder works after our commits; in this test's one transaction, the deferred
    foreign-key checks of those writes are run now instead (PostgreSQL refuses ALTER and
    TRUNCATE of a table with checks pending)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def tamper(*statements):
    """Run SQL as the tables' owner would: every user trigger on the audit tables lifted."""
    with connection.cursor() as cursor:
        settle(cursor)
        present = tables(cursor)
        for name in present:
            cursor.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            cursor.execute(sql, params)
        settle(cursor)
        for name in present:
            cursor.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def rows(table, order="seq"):
    with connection.cursor() as cursor:
        if table not in tables(cursor):
            return []
        cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def insert(table, row):
    names = list(row)
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join(["%s"] * len(names))
    return (f"INSERT INTO {table} ({columns}) VALUES ({marks})", [row[n] for n in names])


def bump_head(count, last_hash):
    return (
        "UPDATE audit_auditchainhead SET count = %s, last_hash = %s WHERE id = 1",
        [count, last_hash],
    )


def verify_fails():
    """verify_audit_trail's refusal: it must exit non-zero, and its message is returned."""
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_trail")
    assert exc.value.returncode != 0
    return str(exc.value)


def unkeyed(prev, payload):
    """What an intruder can compute without the key: plain SHA-256 over the same bytes."""
    return hashlib.sha256(prev.encode() + payload).hexdigest()


def wrong_key(prev, payload):
    """The application's own hash function, given every input but the real key."""
    with override_settings(AUDIT_HMAC_KEY=GUESSED_KEY):
        return services.chain_hash(prev, payload)


HASHERS = {"unkeyed": unkeyed, "wrong key": wrong_key}


def rechain(events, start, hasher):
    """Recompute prev_hash and hash of events[start:] so the links look right."""
    prev = events[start - 1]["hash"] if start else services.GENESIS
    for event in events[start:]:
        event["prev_hash"] = prev
        payload = services.event_payload(tuple(event[f] for f in services.FIELDS))
        event["hash"] = prev = hasher(prev, payload)
    return events


def test_the_untouched_trail_verifies_against_its_checkpoint(trail, capsys):
    call_command("verify_audit_trail")
    out = capsys.readouterr().out
    assert f"{EVENTS} events" in out and "checkpoint" in out.lower()


def test_truncating_the_events_and_the_head_is_reported(trail):
    tamper("TRUNCATE audit_auditevent, audit_auditchainhead CASCADE")
    message = verify_fails()
    assert "head row is missing" in message
    assert f"BEHIND the checkpoint by {EVENTS} events" in message


@pytest.mark.parametrize("how", ["update", "re-insert"])
def test_truncating_the_events_and_resetting_the_head_is_reported(trail, how):
    genesis = services.GENESIS
    if how == "update":
        reset = ("UPDATE audit_auditchainhead SET count = 0, last_hash = %s", [genesis])
    else:
        reset = (
            "TRUNCATE audit_auditchainhead; INSERT INTO audit_auditchainhead"
            " (id, count, last_hash, key_id, updated_at) VALUES (1, 0, %s, '', now())",
            [genesis],
        )
    tamper("TRUNCATE audit_auditevent CASCADE", reset)
    message = verify_fails()
    assert "reset head" in message
    assert f"BEHIND the checkpoint by {EVENTS} events" in message


def test_deleting_the_newest_event_and_rolling_the_head_back_is_reported(trail):
    newest = rows("audit_auditevent")[-2:]
    statements = [
        (f"DELETE FROM {table} WHERE seq = %s", [EVENTS])
        for table in ("audit_auditeventdetail", "audit_auditevent")
        if rows(table)
    ]
    tamper(*statements, bump_head(EVENTS - 1, newest[0]["hash"]))
    message = verify_fails()
    assert "missing tail" in message
    assert f"#{EVENTS}" in message and "BEHIND the checkpoint by 1 event" in message


@pytest.mark.parametrize("hasher", HASHERS.values(), ids=HASHERS.keys())
def test_a_rewritten_chain_with_recomputed_hashes_is_reported(trail, hasher):
    events, details = rows("audit_auditevent"), rows("audit_auditeventdetail")
    (head,) = rows("audit_auditchainhead", "id")
    events[2]["actor_repr"] = "Someone Else (else)"  # who did #3, rewritten
    rechain(events, 2, hasher)
    tamper(
        "TRUNCATE audit_auditevent, audit_auditchainhead CASCADE",
        *(insert("audit_auditevent", e) for e in events),
        *(insert("audit_auditeventdetail", d) for d in details),
        insert("audit_auditchainhead", {**head, "last_hash": events[-1]["hash"]}),
    )
    message = verify_fails()
    assert "event #3" in message and "forged" in message
    assert "rewritten" in message  # the checkpoint's head no longer matches the chain


@pytest.mark.parametrize("hasher", HASHERS.values(), ids=HASHERS.keys())
def test_a_forged_event_in_another_persons_name_is_reported(trail, hasher):
    _actor, victim, learner = trail
    # The intruder runs the application's own code with every input but the key (a guess
    # stands in for it), keeps a copy of the row it builds, and throws that write away.
    real_key_id = rows("audit_auditevent")[-1]["key_id"]
    with transaction.atomic(), override_settings(AUDIT_HMAC_KEY=GUESSED_KEY):
        audit.record(
            victim, "learner.updated", learner, before={"grade": "P"}, after={"grade": "D"}
        )
        forged = rows("audit_auditevent")[-1]
        (detail,) = [d for d in rows("audit_auditeventdetail") if d["seq"] == forged["seq"]]
        transaction.set_rollback(True)
    assert "Hazel Head" in forged["actor_repr"]
    # It takes the next number and the key id every event shows, and links it to the head.
    forged = {**forged, "seq": EVENTS + 1, "key_id": real_key_id}
    detail = [{**detail, "seq": EVENTS + 1}] if "key_id" in forged else []
    (forged,) = rechain(rows("audit_auditevent") + [forged], EVENTS, hasher)[EVENTS:]
    tamper(
        insert("audit_auditevent", forged),
        *(insert("audit_auditeventdetail", d) for d in detail),
        bump_head(EVENTS + 1, forged["hash"]),
    )
    message = verify_fails()
    assert f"event #{EVENTS + 1}" in message and "forged" in message
    assert "Hazel Head" in message


def test_the_database_refuses_truncate_of_every_audit_table(trail):
    from django.db.utils import DatabaseError

    for table in TABLES:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                settle(cursor)
                cursor.execute(f"TRUNCATE {table} CASCADE")
    call_command("verify_audit_trail")


def test_the_database_refuses_to_delete_the_head_or_move_it_back_or_sideways(trail):
    from django.db.utils import DatabaseError

    head_hash = rows("audit_auditchainhead", "id")[0]["last_hash"]
    fifth = rows("audit_auditevent")[4]["hash"]
    for sql, params in (
        ("DELETE FROM audit_auditchainhead", []),
        ("UPDATE audit_auditchainhead SET count = 5, last_hash = %s", [fifth]),
        ("UPDATE audit_auditchainhead SET count = 0, last_hash = %s", [services.GENESIS]),
        ("UPDATE audit_auditchainhead SET last_hash = %s", ["f" * 64]),
        ("UPDATE audit_auditchainhead SET count = 7, last_hash = %s", ["f" * 64]),
        ("UPDATE audit_auditchainhead SET count = 7, last_hash = %s", [head_hash]),
    ):
        with pytest.raises(DatabaseError, match="audit chain head"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
    call_command("verify_audit_trail")
