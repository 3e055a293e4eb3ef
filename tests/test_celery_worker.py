"""Real tasks through a real Celery worker process over Redis, against the real test database.

Runs in the PostgreSQL + Redis pass of .ci/run (REDIS_URL set). The SQLite pass
runs tasks eagerly, in-process, and skips this with a message.

Two tests kill the worker with SIGKILL mid-task and restart it: in the middle of the daily
digest (everyone still gets exactly one e-mail, within seconds of the restart), and in the
middle of a background job (it continues from its checkpoint: no part made twice).
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from btecqa.celery import app as celery_app
from outbox.models import OutgoingEmail
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


class Worker:
    """One worker node (its own queue and node name) that can be started, killed, restarted."""

    def __init__(self, tmp_path: Path):
        self.queue = f"btecqa-test-{uuid.uuid4().hex[:8]}"
        self.mail_dir = tmp_path / "mail"
        self.log_path = tmp_path / "worker.log"
        self.proc = None

    def start(self, *args, **env):
        """Start the worker; `args` are more of celery's (e.g. "-I", "tests.worker_jobs")."""
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": self.queue,
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the test's own media: job parts, results
            "DEBUG": "true",
            **env,
        }
        environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "btecqa",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",  # the same node name on every start
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                *args,
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self.proc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def messages(self):
        return [message_from_bytes(p.read_bytes()) for p in sorted(self.mail_dir.glob("*.eml"))]

    def mail_text(self) -> str:
        return "".join(p.read_text() for p in self.mail_dir.glob("*.log"))


@pytest.fixture
def worker(tmp_path):
    if not settings.REDIS_URL:
        pytest.skip(
            "REDIS_URL is not set: tasks run eagerly; the PostgreSQL+Redis pass runs this test"
        )
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share an in-memory SQLite test database")
    w = Worker(tmp_path)
    # What this process queues (the outbox's send after commit) goes to this worker too.
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = w.queue
    try:
        yield w
    finally:
        celery_app.conf.task_default_queue = previous
        w.stop()


def _wait_for(condition, timeout: float, worker: Worker, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    print(worker.log())
    pytest.fail(f"waited {timeout}s for {what}")


def test_a_reminder_digest_goes_through_a_real_worker(
    transactional_db, worker, make_user, own_centre
):
    proc = worker.start()
    today = dt.date.today()
    eo = make_user("worker_eo", Role.EXAMS_OFFICER, centre=own_centre)
    open_todo(
        "registrations.make_entries",
        centre=own_centre,
        title="Submit the entries to Pearson",
        due=today,
        assignee=eo,
    )

    result = send_reminder_digests.apply_async(args=[today.isoformat()], queue=worker.queue)
    try:
        queued = result.get(timeout=90)
    except Exception:
        print(worker.log())
        raise
    assert proc.poll() is None, "the worker died"
    assert queued == 1
    assert ReminderDigest.objects.filter(user=eo, date=today).exists()
    # The digest task queued the e-mail; the outbox task it asked for on commit sent it.
    _wait_for(
        lambda: OutgoingEmail.objects.filter(status="sent").exists(), 30, worker, "the e-mail"
    )
    bodies = worker.mail_text()
    assert "Submit the entries to Pearson" in bodies and eo.email in bodies

    # The same task again, through the worker: the once-a-day rule holds across processes.
    again = send_reminder_digests.apply_async(args=[today.isoformat()], queue=worker.queue)
    assert again.get(timeout=60) == 0
    assert OutgoingEmail.objects.count() == 1


def test_an_entry_request_email_goes_through_a_real_worker(
    transactional_db, worker, make_user, own_centre
):
    """The September request: the programme leader's e-mail is sent by the worker, once."""
    from learners.models import Cohort, Qualification
    from registrations import services
    from registrations.models import EntryRequest

    proc = worker.start()
    eo = make_user("worker_eo2", Role.EXAMS_OFFICER, centre=own_centre)
    pl = make_user("worker_pl", Role.PROGRAMME_LEADER, centre=own_centre)
    qualification = Qualification.objects.create(
        title="BTEC National Extended Certificate in Worker Testing",
        number="600/9999/9",
        level="3",
        glh=360,
    )
    cohort = Cohort.objects.create(
        qualification=qualification, centre=own_centre, start_year="2026/27", leader=pl
    )
    rnd = services.open_round(centre=own_centre, academic_year="2026/27", by=eo)
    # The service queues the e-mail with the request; on commit the worker is asked to send.
    req = services.request_entries(
        rnd, cohort=cohort, due_date=dt.date.today() + dt.timedelta(days=9), by=eo
    )
    _wait_for(
        lambda: EntryRequest.objects.get(pk=req.pk).emailed_at is not None,
        60,
        worker,
        "the entry request e-mail",
    )
    assert proc.poll() is None, "the worker died"
    bodies = worker.mail_text()
    assert "Worker Testing" in bodies and pl.email in bodies
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_worker_killed_mid_digest_sends_each_person_exactly_one_email_after_restart(
    transactional_db, worker, make_user, own_centre
):
    """SIGKILL between two messages of the digest, then a restart: one e-mail each, promptly."""
    today = dt.date.today()
    people = [make_user(f"digest_{i}", Role.EXAMS_OFFICER, centre=own_centre) for i in range(5)]
    for person in people:
        open_todo(
            "registrations.make_entries",
            centre=own_centre,
            title="Sign it",
            due=today,
            assignee=person,
        )

    # Each message takes 2 s to be "accepted" (the pause comes before it is written).
    worker.start(EMAIL_BACKEND="tests.slow_mail.Backend", SLOW_MAIL_SECONDS="2")
    result = send_reminder_digests.apply_async(args=[today.isoformat()], queue=worker.queue)
    assert result.get(timeout=90) == 5
    sent = OutgoingEmail.objects.filter(status="sent")
    _wait_for(lambda: sent.count() == 2, 60, worker, "two digests to go out")
    worker.kill()  # during the third message's pause: it has not been accepted

    assert len(worker.messages()) == 2
    assert OutgoingEmail.objects.filter(status="sending").count() == 3  # the dead worker's

    restarted_at = time.monotonic()
    worker.start(EMAIL_BACKEND="tests.slow_mail.Backend", SLOW_MAIL_SECONDS="0.1")
    _wait_for(lambda: sent.count() == 5, 60, worker, "the rest after the restart")
    took = time.monotonic() - restarted_at

    to = sorted(m["To"] for m in worker.messages())
    assert to == sorted(p.email for p in people), "each person exactly one e-mail"
    assert took < 30, f"the restart took {took:.0f}s to send what the killed worker left"
    assert ReminderDigest.objects.filter(date=today).count() == 5
    assert "released 3 e-mail(s) left by an earlier start" in worker.log()


def test_a_worker_killed_mid_job_resumes_it_from_its_checkpoint_after_restart(
    transactional_db, worker, exams_officer, own_centre, tmp_path
):
    """SIGKILL while a job is between parts, then a new worker: the sweep (at the new
    worker's start, and as beat sends it) queues the silent job again, and the new run
    continues from the checkpoint: the parts made before the kill are not made again, the
    result is whole, and it is still the one Job row."""
    from jobs import services
    from jobs.models import Job

    from .worker_jobs import PARTS_JOB, part_text

    parts, made = 12, tmp_path / "parts-made.log"
    made.touch()
    stale = 1  # seconds without a heartbeat before the sweep calls a running job dead
    worker.start("-I", "tests.worker_jobs", JOB_STALE_SECONDS=str(stale))
    job, created = services.request_job(
        PARTS_JOB,
        by=exams_officer,
        centre=own_centre,
        params={"parts": parts, "pause": 0.3, "log": str(made)},
    )
    assert created  # queued to the worker on commit (autocommit here: at once)
    row = Job.objects.filter(pk=job.pk)
    _wait_for(
        lambda: row.filter(status="running", done__gte=3).exists(), 45, worker, "3 parts made"
    )
    worker.kill()
    done_at_kill = row.get().done
    assert 0 < done_at_kill < parts, done_at_kill
    first_run = [line.split() for line in made.read_text().splitlines()]
    assert {a for a, _ in first_run} == {"1"}
    assert [int(n) for _, n in first_run][:done_at_kill] == list(range(done_at_kill))

    # Silent for longer than the stale time: the sweep will take it for a dead worker's.
    _wait_for(
        lambda: (timezone.now() - row.get().heartbeat_at).total_seconds() > stale + 0.5,
        10,
        worker,
        "the job to fall silent",
    )
    assert row.get().status == "running"  # nobody has noticed yet
    worker.start("-I", "tests.worker_jobs", JOB_STALE_SECONDS=str(stale))
    from jobs.tasks import sweep

    sweep.apply_async(queue=worker.queue)  # as beat sends it every minute
    _wait_for(lambda: row.filter(status="done").exists(), 45, worker, "the job to finish")

    job = row.get()
    assert Job.objects.count() == 1
    assert job.attempts == 2 and (job.done, job.total) == (parts, parts)
    second_run = [line.split() for line in made.read_text().splitlines()][len(first_run) :]
    assert {a for a, _ in second_run} == {"2"}
    # The new run began where the checkpoint said: what was done before the kill is not redone.
    assert [int(n) for _, n in second_run] == list(range(done_at_kill, parts))
    assert job.result.read().decode() == "".join(part_text(n, parts) for n in range(parts))
    assert default_storage.listdir(f"jobs/parts/{job.pk}")[1] == []
