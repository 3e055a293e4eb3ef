"""The claims' Celery task: thin, it only calls the service."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services_audit


@shared_task(name="claims.tasks.claims_audits_due")
def claims_audits_due(today: str | None = None) -> dict:
    """Beat runs this each morning: the year's claims audit (and the QN's to-do) once due."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return {"started": len(services_audit.open_due_audits(day))}
