"""Celery tasks: they only call services, so they run the same eagerly or on a worker."""

from celery import shared_task

from . import notifications
from .tasks_check import entry_check_reminders  # noqa: F401  (a worker registers it too)


@shared_task(name="registrations.tasks.send_entry_request_email")
def send_entry_request_email(request_id: int) -> int:
    return notifications.send_entry_request_email(request_id)
