"""The declaration window's Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task

from . import services


@shared_task(name="declarations.tasks.declaration_reminders")
def declaration_reminders(today: str | None = None) -> dict:
    """Beat runs this each morning: the to-do when the window opens, e-mails near the deadline."""
    return services.declaration_reminders(date.fromisoformat(today) if today else None)
