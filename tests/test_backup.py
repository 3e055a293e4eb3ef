"""Backups: made, checked, restored into a fresh database and media folder, and verified there.

The restores run `manage.py` in a new process pointed at the fresh database and media
folder, as an office would after losing a server. The data is committed (a real
transaction): pg_dump and SQLite's backup see only what is committed.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import audit
from audit import checkpoints

from .factories import LearnerFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)

if connection.vendor == "postgresql" and not shutil.which("pg_dump"):
    pytestmark = [pytestmark, pytest.mark.skip(reason="pg_dump/pg_restore are not installed")]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def office(media):
    """Six committed events and an uploaded file: what a backup must bring back."""
    actor = UserFactory(username="officer", first_name="Olive", last_name="Officer")
    learner = LearnerFactory()
    for i in range(6):
        audit.record(actor, "learner.updated", learner, before={"step": i}, after={"step": i + 1})
    default_storage.save("imports/mis-export.csv", ContentFile(b"ULN,Surname\n1234567890,Ng\n"))
    assert checkpoints.read().count == 6  # written after each commit
    return actor, learner


def more_events(office, n):
    actor, learner = office
    for i in range(n):
        audit.record(actor, "learner.updated", learner, after={"later": i})


@contextmanager
def fresh_database(tmp_path):
    """DATABASE_URL of a new, empty database of the kind the suite runs on; dropped after."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    params = dict(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"])
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    try:
        yield f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args, database_url, media_root, **env):
    """manage.py in a new process, pointed at another database and media folder."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "MEDIA_ROOT", "AUDIT_CHECKPOINT_NAME", "PYTEST_CURRENT_TEST"}
    }
    environment.update(DEBUG="true", DATABASE_URL=database_url, MEDIA_ROOT=str(media_root), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_backup_holds_each_part_with_its_hash(office, tmp_path, capsys):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    database = "database.dump" if connection.vendor == "postgresql" else "database.sqlite3"
    assert set(manifest["parts"]) == {database, "media.tar.gz", "checkpoint.json"}
    assert manifest["parts"]["media.tar.gz"]["files"] == 1  # the upload; checkpoints apart
    assert manifest["checkpoint"]["count"] == 6 and manifest["signature"]
    call_command("check_backup", str(out))
    out_text = capsys.readouterr().out
    assert "Backup good" in out_text and "6 events" in out_text


def test_a_restored_backup_verifies_against_its_checkpoint(office, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    restored_media = tmp_path / "restored-media"
    with fresh_database(tmp_path) as url:
        restored = manage("restore_backup", str(out), database_url=url, media_root=restored_media)
        assert restored.returncode == 0, restored.stderr
        verified = manage("verify_audit_trail", database_url=url, media_root=restored_media)
        assert verified.returncode == 0, verified.stderr
        assert "intact: 6 events" in verified.stdout and "holds the checkpoint" in verified.stdout
    assert (restored_media / "imports" / "mis-export.csv").read_bytes().startswith(b"ULN,")


def test_a_backup_that_lost_later_events_is_behind_the_checkpoint(office, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    more_events(office, 3)  # after the backup; then the database is lost
    live = tmp_path / "live-checkpoint.json"  # the checkpoint outside the database survives
    live.write_text(checkpoints.read().to_json())
    assert checkpoints.read().count == 9

    with pytest.raises(CommandError) as exc:
        call_command("check_backup", str(out), checkpoint=str(live))
    assert "BEHIND the checkpoint by 3 events" in str(exc.value)

    restored_media = tmp_path / "restored-media"
    with fresh_database(tmp_path) as url:
        assert (
            manage(
                "restore_backup", str(out), database_url=url, media_root=restored_media
            ).returncode
            == 0
        )
        verified = manage(
            "verify_audit_trail",
            "--checkpoint",
            str(live),
            database_url=url,
            media_root=restored_media,
        )
    assert verified.returncode != 0
    assert "BEHIND the checkpoint by 3 events" in verified.stderr
    assert "intact" not in verified.stdout


def test_restoring_only_the_database_keeps_the_surviving_checkpoint(office, tmp_path, media):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    more_events(office, 2)
    with fresh_database(tmp_path) as url:
        # Only the database is lost: the media folder, with its newer checkpoint, is kept.
        name = Path(checkpoints.name()).stem
        env = {"AUDIT_CHECKPOINT_NAME": name}
        restored = manage(
            "restore_backup",
            str(out),
            "--database-only",
            database_url=url,
            media_root=media,
            **env,
        )
        assert restored.returncode == 0, restored.stderr
        verified = manage("verify_audit_trail", database_url=url, media_root=media, **env)
    assert verified.returncode != 0
    assert "BEHIND the checkpoint by 2 events" in verified.stderr


def test_a_damaged_or_altered_backup_is_named(office, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    media_tar = out / "media.tar.gz"
    damaged = bytearray(media_tar.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    media_tar.write_bytes(bytes(damaged))
    checkpoint = out / "checkpoint.json"
    data = json.loads(checkpoint.read_text())
    checkpoint.write_text(json.dumps({**data, "count": 99}))
    with pytest.raises(CommandError) as exc:
        call_command("check_backup", str(out))
    message = str(exc.value)
    assert "media.tar.gz's SHA-256 does not match" in message
    assert "checkpoint.json's SHA-256 does not match" in message
    assert "checkpoint.json signature does not match" in message


def test_an_altered_manifest_is_named(office, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["checkpoint"]["count"] = 5
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="manifest.json's signature does not match"):
        call_command("check_backup", str(out))


def test_a_restore_refuses_a_database_or_media_folder_in_use(office, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", out=str(out))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_backup", str(out))  # the suite's own database, in use
    with fresh_database(tmp_path) as url:
        media = tmp_path / "used-media"
        (media / "old").mkdir(parents=True)
        (media / "old" / "file.txt").write_text("kept")
        refused = manage("restore_backup", str(out), database_url=url, media_root=media)
    assert refused.returncode != 0 and "Media storage is not empty" in refused.stderr


def test_a_backup_needs_a_new_folder(office, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "tests.event.x").write_text("tests.event.x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", out=str(tmp_path / "used"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's")
def test_without_pg_dump_the_backup_says_what_to_install(office, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(CommandError, match="pg_dump is not on this machine.*postgresql-client"):
        call_command("backup", out=str(tmp_path / "backup"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="flush's TRUNCATE is PostgreSQL's")
def test_flush_empties_the_trail_and_puts_the_truncate_guards_back(office):
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'audit_%%no_truncate'"
        )
        triggers = dict(cursor.fetchall())
    assert set(triggers) == {
        "audit_event_no_truncate",
        "audit_detail_no_truncate",
        "audit_head_no_truncate",
    }
    assert set(triggers.values()) == {"O"}  # enabled
    from audit.models import AuditEvent

    assert not AuditEvent.objects.exists()
    # The flushed trail is not mistaken for an intact one: the checkpoint outside remembers.
    with pytest.raises(CommandError, match="BEHIND the checkpoint by 6 events"):
        call_command("verify_audit_trail")
