"""What the policy register reads for its own monitoring report (000-4): each policy
reviewed by its due date and monitored in the year (the review counts are the governors'
report's, report_measures.py)."""

from __future__ import annotations

from django.utils import timezone

from .models import MonitoringRecord, Policy
from .monitoring import Reading, register_reader


def policy_reviews(ctx) -> Reading:
    policies = list(Policy.objects.filter(centre=ctx.centre).order_by("title"))
    if not policies:
        return Reading(evidenced=False)
    on = min(timezone.localdate(), ctx.year_end)
    monitored = set(
        MonitoringRecord.objects.filter(
            policy__centre=ctx.centre, academic_year=ctx.academic_year
        ).values_list("policy_id", flat=True)
    )
    exceptions = []
    for p in policies:
        if p.next_review < on:
            exceptions.append(f"{p.title}: overdue for review since {p.next_review:%d/%m/%Y}")
        if p.pk not in monitored:
            exceptions.append(
                f"{p.title}: not monitored by the Quality Nominee in {ctx.academic_year}"
            )
    return Reading(
        counts=[
            ("policies", len(policies)),
            ("reviews done", ctx.measure("policies.reviews")),
            ("by their due date", ctx.measure("policies.reviews_on_time")),
            ("monitored", len(monitored)),
        ],
        exceptions=exceptions,
    )


register_reader("000-4", "policies.reviews", "Policy register", policy_reviews)
