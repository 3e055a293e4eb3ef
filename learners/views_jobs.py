"""Asking for the learners app's background jobs: each starts (or joins) a job and goes to
its page, which shows its progress and then the download."""

from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.permissions import get_object, requires
from audit.permissions import VIEW_AUDIT
from jobs.services import request_job

from .jobs_kinds import COHORT_AUDIT_REPORT, FORMATS
from .models import Cohort


@requires(VIEW_AUDIT)
@require_POST
def cohort_audit_report(request, pk: int):
    cohort = get_object(request.user, VIEW_AUDIT, Cohort.objects.all(), pk=pk)
    fmt = request.POST.get("format", "pdf")
    job, _ = request_job(
        COHORT_AUDIT_REPORT,
        by=request.user,
        centre=cohort.centre,
        cohort=cohort,
        params={"cohort": cohort.pk, "format": fmt if fmt in FORMATS else "pdf"},
    )
    return redirect("jobs:job_detail", pk=job.pk)
