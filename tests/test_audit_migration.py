"""Migration audit/0004: a trail written under the old unkeyed scheme is re-chained under the
key, its personal details moved apart, and then verifies; a broken old trail is refused.

Each test migrates a fresh database of the suite's kind in a new process, to audit/0002,
writes old-style events into it with the database driver, then migrates to the end.
"""

import datetime as dt
import hashlib
import importlib
import sqlite3
from types import SimpleNamespace

from django.db import connection

from .test_backup import fresh_database, manage

old = importlib.import_module("audit.migrations.0004_rechain_keyed")


def old_events(n, tamper_at=None):
    """n events as the unkeyed scheme wrote them: (row values, head count, head hash)."""
    prev, rows = old.GENESIS, []
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    for seq in range(1, n + 1):
        e = SimpleNamespace(
            seq=seq,
            occurred_at=start + dt.timedelta(minutes=seq, microseconds=seq),
            actor_id=7,
            actor_repr="Olive Officer (officer)",
            action="learner.updated",
            object_type="learners.Learner",
            object_id="12",
            object_repr="NG, Ada",
            learner_id=12,
            learner_repr="NG, Ada",
            centre_id=3,
            before='{"surname":"Ng"}',
            after=f'{{"step":{seq}}}',
        )
        e.prev_hash = prev
        e.hash = prev = hashlib.sha256(prev.encode() + old._old_payload(e)).hexdigest()
        if seq == tamper_at:
            e.after = '{"step":999}'
        rows.append(e)
    return rows, n, prev


COLUMNS = (
    "seq occurred_at actor_id actor_repr action object_type object_id object_repr learner_id"
    " learner_repr centre_id before after prev_hash hash"
).split()


def write_old_trail(url, rows, count, last_hash):
    insert = (
        f"INSERT INTO audit_auditevent ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * 15)})"
    )
    head = "UPDATE audit_auditchainhead SET count = %s, last_hash = %s WHERE id = 1"
    values = [[getattr(e, c) for c in COLUMNS] for e in rows]
    if connection.vendor == "sqlite":
        for v in values:  # as Django stores a UTC datetime in SQLite
            v[1] = v[1].astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.executemany(insert.replace("%s", "?"), values)
            db.execute(head.replace("%s", "?"), [count, last_hash])
        return
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        db.cursor().executemany(insert, values)
        db.execute(head, [count, last_hash])


def test_an_old_trail_is_rechained_under_the_key_and_verifies(tmp_path):
    media = tmp_path / "media"
    with fresh_database(tmp_path) as url:
        step = manage("migrate", "audit", "0002", database_url=url, media_root=media)
        assert step.returncode == 0, step.stderr
        write_old_trail(url, *old_events(5))
        step = manage("migrate", database_url=url, media_root=media)
        assert step.returncode == 0, step.stderr
        verified = manage("verify_audit_trail", database_url=url, media_root=media)
        shown = manage(
            "shell",
            "-c",
            "from audit.models import AuditEvent as E; e = E.objects.get(seq=3);"
            " print(e.learner_repr, e.after_data, e.key_id)",
            database_url=url,
            media_root=media,
        )
    assert verified.returncode == 0, verified.stderr
    assert "intact: 5 events" in verified.stdout and "holds the checkpoint" in verified.stdout
    assert "NG, Ada {'step': 3} k" in shown.stdout, shown.stderr


def test_a_broken_old_trail_is_not_re_signed(tmp_path):
    media = tmp_path / "media"
    with fresh_database(tmp_path) as url:
        assert (
            manage("migrate", "audit", "0002", database_url=url, media_root=media).returncode == 0
        )
        write_old_trail(url, *old_events(5, tamper_at=4))
        step = manage("migrate", database_url=url, media_root=media)
    assert step.returncode != 0
    assert "event #4 does not match its hash (edited): refusing to re-sign" in step.stderr
