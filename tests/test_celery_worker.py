"""A real task through a real Celery worker process over Redis, against the real test database.

Runs in the PostgreSQL + Redis pass of .ci/run (REDIS_URL set). The SQLite pass
runs tasks eagerly, in-process, and skips this with a message.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.roles import Role
from todos.models import ReminderDigest
from todos.services import open_todo
from todos.tasks import send_reminder_digests

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker]


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if not settings.REDIS_URL:
        pytest.skip(
            "REDIS_URL is not set: tasks run eagerly; the PostgreSQL+Redis pass runs this test"
        )
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share an in-memory SQLite test database")
    queue = f"btecqa-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_FILE_PATH": str(mail_dir),
        "DEBUG": "true",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "btecqa",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue, mail_dir, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_reminder_digest_goes_through_a_real_worker(
    transactional_db, worker, make_user, own_centre, tmp_path
):
    queue, mail_dir, proc = worker
    today = dt.date.today()
    eo = make_user("worker_eo", Role.EXAMS_OFFICER, centre=own_centre)
    open_todo(
        "worker.test",
        centre=own_centre,
        title="Submit the entries to Pearson",
        due=today,
        assignee=eo,
    )

    result = send_reminder_digests.apply_async(args=[today.isoformat()], queue=queue)
    try:
        sent = result.get(timeout=90)
    except Exception:
        print((tmp_path / "worker.log").read_text())
        raise
    assert proc.poll() is None, "the worker died"
    assert sent == 1
    assert ReminderDigest.objects.filter(user=eo, date=today).exists()
    deadline = time.time() + 10
    while time.time() < deadline and not any(mail_dir.glob("*.log")):
        time.sleep(0.2)
    bodies = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert "Submit the entries to Pearson" in bodies and eo.email in bodies

    # The same task again, through the worker: the once-a-day rule holds across processes.
    assert (
        send_reminder_digests.apply_async(args=[today.isoformat()], queue=queue).get(timeout=60)
        == 0
    )


def test_an_entry_request_email_goes_through_a_real_worker(
    transactional_db, worker, make_user, own_centre, tmp_path
):
    """The September request: the programme leader's e-mail is sent by the worker, once."""
    from learners.models import Programme, Qualification
    from registrations import services
    from registrations.models import EntryRequest
    from registrations.tasks import send_entry_request_email

    queue, mail_dir, proc = worker
    eo = make_user("worker_eo2", Role.EXAMS_OFFICER, centre=own_centre)
    pl = make_user("worker_pl", Role.PROGRAMME_LEADER, centre=own_centre)
    qualification = Qualification.objects.create(
        title="BTEC National Extended Certificate in Worker Testing",
        number="600/9999/9",
        level="3",
        glh=360,
    )
    programme = Programme.objects.create(
        qualification=qualification, centre=own_centre, academic_year="2026/27", leader=pl
    )
    rnd = services.open_round(centre=own_centre, academic_year="2026/27", by=eo)
    # The service queues the task on commit; here the test sends it to its own worker's queue.
    req = services.request_entries(
        rnd, programme=programme, due_date=dt.date.today() + dt.timedelta(days=9), by=eo
    )
    result = send_entry_request_email.apply_async(args=[req.pk], queue=queue)
    try:
        sent = result.get(timeout=90)
    except Exception:
        print((tmp_path / "worker.log").read_text())
        raise
    assert proc.poll() is None, "the worker died"
    assert sent == 1
    assert EntryRequest.objects.get(pk=req.pk).emailed_at is not None
    deadline = time.time() + 10
    while time.time() < deadline and not any(mail_dir.glob("*.log")):
        time.sleep(0.2)
    bodies = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert "Worker Testing" in bodies and pl.email in bodies
    # Retried: never sent twice.
    assert send_entry_request_email.apply_async(args=[req.pk], queue=queue).get(timeout=60) == 0
