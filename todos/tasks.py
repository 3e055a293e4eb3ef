from datetime import date

from celery import shared_task

from . import services


# Queuing a digest twice is refused per person and day, so a pool process that dies
# mid-run is run again at once rather than acknowledged as failed.
@shared_task(name="todos.tasks.send_reminder_digests", reject_on_worker_lost=True)
def send_reminder_digests(today: str | None = None) -> int:
    """Beat runs this each morning; it only calls the service."""
    return services.send_reminder_digests(date.fromisoformat(today) if today else None)
