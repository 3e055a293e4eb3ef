"""Reads of jobs for other pages."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Job


def finished_for(user, now=None, limit: int = 10) -> list[Job]:
    """The person's own jobs (asked for, or joined while they ran) that finished (done or
    failed) within the last BTECQA_JOB_RECENT_DAYS days, newest first, for the dashboard's
    To read panel (one query).

    Not to-dos: a result is read, and reading changes nothing a service could close an
    action on; the job page re-checks the kind's permission when it is opened."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=getattr(settings, "BTECQA_JOB_RECENT_DAYS", 7))
    return list(
        Job.objects.filter(
            Q(requested_by=user)
            | Exists(Job.joined_by.through.objects.filter(job=OuterRef("pk"), user=user)),
            status__in=[Job.Status.DONE, Job.Status.FAILED],
            finished_at__gte=since,
        )
        .only("pk", "kind", "status", "finished_at", "result_name", "result")
        .order_by("-finished_at", "-pk")[:limit]
    )
