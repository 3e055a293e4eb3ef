"""The one Celery app. Tasks are thin: they take ids and call a service.

With REDIS_URL unset, settings turn on eager mode so tasks run in-process and a
fresh machine needs no broker; in production a worker and a beat process read
the schedule below.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "btecqa.settings")

app = Celery("btecqa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "entry-check-reminders": {
        "task": "registrations.tasks.entry_check_reminders",
        # Before the 06:30 digests, so the to-dos it keeps right are in them.
        "schedule": crontab(hour=6, minute=15),
    },
    "todo-reminder-digests": {
        "task": "todos.tasks.send_reminder_digests",
        # Early enough to read before school; the task itself refuses a second
        # digest for the same person and day, so a re-run or a second beat is harmless.
        "schedule": crontab(hour=6, minute=30),
    },
    "outbox-sweep": {
        "task": "outbox.tasks.sweep",
        # Every minute: e-mails whose send task was lost, retries that are due, and claims
        # a dead worker left (older than OUTBOX_CLAIM_TIMEOUT). One query when idle.
        "schedule": 60.0,
    },
    "audit-checkpoint": {
        "task": "audit.tasks.write_checkpoint",
        # Each commit that records events writes the checkpoint itself; this catches a
        # write that was lost (storage down, process killed just after the commit).
        "schedule": crontab(minute="*/15"),
    },
}
app.conf.beat_schedule["calendar-reminders"] = {
    "task": "calendar_reminders.tasks.calendar_reminders",
    # The year's calendar: each date source's reminders (the policy reviews' and the
    # declaration's own, through their hooks: one mechanism, one task) and the escalation
    # of overdue IV and SV actions. Before the 06:30 digests, so all are in that morning's.
    "schedule": crontab(hour=6, minute=20),
}

app.conf.beat_schedule["jobs-sweep"] = {
    "task": "jobs.tasks.sweep",
    # Every minute: running jobs whose worker died (no heartbeat for
    # BTECQA_JOB_STALE_SECONDS) are queued again and continue from their checkpoint.
    "schedule": 60.0,
}

app.conf.beat_schedule["retention-sweep"] = {
    "task": "retention.tasks.run_retention",
    # Nightly, before the 06:30 digests, so the Quality Nominee's to-do is in them.
    "schedule": crontab(hour=5, minute=30),
}


app.conf.beat_schedule["certificate-retention"] = {
    "task": "certification.tasks.certificate_retention",
    # Before the 06:30 digests, so certificates due for destruction are in that morning's.
    "schedule": crontab(hour=6, minute=25),
}


@worker_ready.connect
def _send_what_a_killed_worker_left(sender, **kwargs):
    """A restarted worker sends the e-mails its killed self had claimed, without waiting."""
    from outbox.tasks import on_worker_ready

    on_worker_ready(sender.hostname)

    from jobs.tasks import sweep as sweep_jobs

    sweep_jobs.delay()
