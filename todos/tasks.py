from datetime import date

from celery import shared_task

from . import services


@shared_task(name="todos.tasks.send_reminder_digests")
def send_reminder_digests(today: str | None = None) -> int:
    """Beat runs this each morning; it only calls the service."""
    return services.send_reminder_digests(date.fromisoformat(today) if today else None)
