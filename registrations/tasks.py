"""Celery tasks: they only call services, so they run the same eagerly or on a worker."""

from celery import shared_task

from . import notifications


@shared_task(name="registrations.tasks.send_entry_request_email")
def send_entry_request_email(request_id: int) -> int:
    return notifications.send_entry_request_email(request_id)
