"""Celery tasks: they only call services, so they run the same eagerly or on a worker.

E-mails are not tasks here: they are queued in the outbox (outbox/) with the work.
"""

from .tasks_check import entry_check_reminders  # noqa: F401  (a worker registers it too)
