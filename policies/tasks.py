"""The policy register's Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task

from . import services


@shared_task(name="policies.tasks.policy_review_reminders")
def policy_review_reminders(today: str | None = None) -> dict:
    """Beat runs this each morning, before the to-do digests."""
    return services.send_review_reminders(date.fromisoformat(today) if today else None)
