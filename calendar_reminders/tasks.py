"""The calendar's Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task

from . import services


# Each reminder and escalation step is guarded by a unique row, so a re-run opens nothing
# twice: a pool process killed mid-run is run again at once.
@shared_task(name="calendar_reminders.tasks.calendar_reminders", reject_on_worker_lost=True)
def calendar_reminders(today: str | None = None) -> dict:
    """Beat runs this each morning, before the to-do digests."""
    return services.run_calendar(date.fromisoformat(today) if today else None)
