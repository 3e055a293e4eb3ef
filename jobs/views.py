"""The job page, its progress fragment (htmx polls it every 2 s) and the result's download.

Each fetches the job with its kind's permission: the model's view permission says only
that staff at the job's centre know it exists (403 rather than 404).
"""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import get_object, requires

from .models import Job
from .permissions import VIEW_JOBS
from .registry import get_kind

FIELDS = (
    "pk", "kind", "centre_id", "cohort_id", "params", "status", "done", "total", "message",
    "result", "result_name", "result_type", "error", "created_at", "started_at",
    "finished_at", "attempts",
)  # fmt: skip


def _job(user, pk: int) -> Job:
    """The job for its kind's permission: one query to learn the kind, one to fetch it."""
    kind = Job.objects.filter(pk=pk).values_list("kind", flat=True).first()
    if kind is None:
        raise Http404("No job matches.")
    return get_object(user, get_kind(kind).permission, Job.objects.only(*FIELDS), pk=pk)


@requires(VIEW_JOBS)
@require_GET
def job_detail(request, pk: int):
    job = _job(request.user, pk)
    spec = get_kind(job.kind)
    back = spec.back(job.params) if spec.back else ""
    return render(request, "jobs/job_detail.html", {"job": job, "back": back})


@requires(VIEW_JOBS)
@require_GET
def job_progress(request, pk: int):
    """The progress fragment alone: what htmx swaps in every 2 seconds while it runs."""
    job = _job(request.user, pk)
    return render(request, "jobs/_progress.html", {"job": job})


@requires(VIEW_JOBS)
@require_GET
def job_download(request, pk: int):
    """The result, the kind's permission checked again now (not when it was asked for)."""
    job = _job(request.user, pk)
    if job.status != Job.Status.DONE or not job.result:
        raise Http404("This job has no result to download.")
    response = FileResponse(
        job.result.open("rb"), as_attachment=True, filename=job.result_name,
        content_type=job.result_type or "application/octet-stream",
    )  # fmt: skip
    return response
