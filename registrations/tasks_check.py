"""The entry check's Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task

from . import entry_check


@shared_task(name="registrations.tasks.entry_check_reminders")
def entry_check_reminders(today: str | None = None) -> dict:
    """Beat runs this each morning, before the to-do digests."""
    return entry_check.entry_check_reminders(date.fromisoformat(today) if today else None)
