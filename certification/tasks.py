"""The certificates' Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task

from . import services


@shared_task(name="certification.tasks.certificate_retention")
def certificate_retention(today: str | None = None) -> dict:
    """Each morning: to-dos for unclaimed certificates due for destruction; the destruction
    log's personal details removed after its period."""
    return services.retention_sweep(date.fromisoformat(today) if today else None)
