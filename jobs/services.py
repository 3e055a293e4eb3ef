"""Ask for a job, run it resumably, and sweep up jobs whose worker died.

* `request_job(kind, by=, centre=, params=, cohort=)`: the same work (kind + parameters)
  already queued or running is joined, not started twice; the database's partial unique
  constraint on the key among unfinished jobs decides between two requests at once.
  The run task is queued after commit.
* `run_job(pk)`: claims the job (attempts + 1, running, heartbeat), hands the kind's run
  function a `JobContext`, stores its result in media storage and marks the row done, or
  records the error in words and marks it failed. A job already finished is left alone,
  so a second delivery of the task is harmless.
* `JobContext.checkpoint(state, done=, total=, message=)` saves how far the run got, in one
  conditional UPDATE that is also the heartbeat. A run that finds its claim taken (a newer
  attempt) stops with `ClaimLost`. A run started again continues from `context.state`.
* `sweep()`: running jobs with no heartbeat for `BTECQA_JOB_STALE_SECONDS` go back to
  queued and are run again (beat, every minute, and when a worker starts).
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Job
from .registry import JobResult, get_kind

log = logging.getLogger(__name__)


class ClaimLost(Exception):
    """Another run of this job took it over; this one stops without writing."""


class JobFailed(Exception):
    """Raised by a run function with a message the office can read."""


def stale_seconds() -> int:
    return int(getattr(settings, "BTECQA_JOB_STALE_SECONDS", 300))


def job_key(kind: str, params: dict) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{kind}\x1f{canonical}".encode()).hexdigest()


def request_job(kind: str, *, by, centre, params: dict, cohort=None) -> tuple[Job, bool]:
    """The job doing this work: (job, created). A job for the same work still unfinished is
    joined (created False). The caller has checked `by` may ask for it."""
    get_kind(kind)
    key = job_key(kind, params)
    existing = Job.objects.filter(key=key, status__in=Job.UNFINISHED).first()
    if existing is not None:
        return _join(existing, by), False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind, centre=centre, cohort=cohort, requested_by=by, params=params, key=key
            )
    except IntegrityError:
        # Another request made it between our look and our insert: join that one.
        existing = Job.objects.filter(key=key, status__in=Job.UNFINISHED).first()
        if existing is None:  # it finished in between: ask again
            return request_job(kind, by=by, centre=centre, params=params, cohort=cohort)
        return _join(existing, by), False
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job, True


def _join(job: Job, by) -> Job:
    """Someone else asking for the same unfinished work is told when it finishes too."""
    if by is not None and by.pk != job.requested_by_id:
        job.joined_by.add(by)
    return job


def _enqueue(pk: int) -> None:
    from .tasks import run_job as task

    task.delay(pk)


class JobContext:
    """What a kind's run function gets: its parameters, where it got to, and how to save."""

    def __init__(self, job: Job, attempt: int):
        self.job = job
        self.attempt = attempt
        self.params = job.params
        self.state = dict(job.checkpoint or {})

    @property
    def requested_by(self):
        return self.job.requested_by

    def checkpoint(self, state: dict | None = None, *, done=None, total=None, message=None):
        """Save how far the run got (and that it is alive); ClaimLost if another run took it."""
        changes = {"heartbeat_at": timezone.now()}
        if state is not None:
            self.state = dict(state)
            changes["checkpoint"] = self.state
        if done is not None:
            changes["done"] = done
        if total is not None:
            changes["total"] = total
        if message is not None:
            changes["message"] = message[:200]
        updated = Job.objects.filter(
            pk=self.job.pk, attempts=self.attempt, status=Job.Status.RUNNING
        ).update(**changes)
        if not updated:
            raise ClaimLost(f"job {self.job.pk}: attempt {self.attempt} was taken over")
        for name, value in changes.items():
            setattr(self.job, name, value)

    progress = checkpoint  # progress without a state is a checkpoint of the counts only

    # Parts: what a run has finished, kept in media storage beside the job until it ends.

    def _part_name(self, name: str) -> str:
        return f"jobs/parts/{self.job.pk}/{name}"

    def save_part(self, name: str, data: bytes) -> None:
        path = self._part_name(name)
        if default_storage.exists(path):
            default_storage.delete(path)  # a run interrupted after writing it, before saving
        default_storage.save(path, ContentFile(data))

    def read_part(self, name: str) -> bytes:
        with default_storage.open(self._part_name(name), "rb") as f:
            return f.read()

    def delete_parts(self, names) -> None:
        for name in names:
            path = self._part_name(name)
            if default_storage.exists(path):
                default_storage.delete(path)


def claim(pk: int) -> int | None:
    """Take the job for a run: its attempt number, or None when it is finished already."""
    now = timezone.now()
    with transaction.atomic():
        updated = Job.objects.filter(pk=pk, status__in=Job.UNFINISHED).update(
            status=Job.Status.RUNNING,
            attempts=F("attempts") + 1,
            heartbeat_at=now,
            started_at=Coalesce(F("started_at"), Value(now)),
        )
        if not updated:
            return None
        return Job.objects.values_list("attempts", flat=True).get(pk=pk)


def run_job(pk: int, *, context_class=JobContext) -> str:
    """Run (or continue) the job: 'done', 'failed', 'finished already' or 'taken over'."""
    attempt = claim(pk)
    if attempt is None:
        return "finished already"
    job = Job.objects.select_related("centre", "cohort", "requested_by").get(pk=pk)
    context = context_class(job, attempt)
    try:
        result = get_kind(job.kind).run(context)
        if not isinstance(result, JobResult):
            raise TypeError(f"{job.kind}: the run function returned no JobResult")
    except ClaimLost:
        return "taken over"
    except JobFailed as exc:
        _fail(job, attempt, str(exc))
        return "failed"
    except Exception as exc:  # noqa: BLE001 - the error is kept in words on the row
        log.exception("job %s (%s) failed", pk, job.kind)
        _fail(job, attempt, _in_words(exc))
        return "failed"
    return _finish(context, result)


def _in_words(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (in {last[0].name})" if last else ""
    return f"The job stopped with an error{where}: {type(exc).__name__}: {exc}"


def _finish(context: JobContext, result: JobResult) -> str:
    job = context.job
    content = result.data if isinstance(result.data, File) else ContentFile(result.data)
    # Stored under a short name (the download is named result.name): a long cohort title
    # must not outgrow the path column.
    suffix = result.name.rsplit(".", 1)[-1][:10] if "." in result.name else "bin"
    stored = default_storage.save(f"jobs/results/{job.pk}/result.{suffix}", content)
    with transaction.atomic():
        updated = Job.objects.filter(
            pk=job.pk, attempts=context.attempt, status=Job.Status.RUNNING
        ).update(
            status=Job.Status.DONE,
            result=stored,
            result_name=result.name,
            result_type=result.content_type,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            done=F("total"),
            message="Done",
        )
    if not updated:
        default_storage.delete(stored)
        return "taken over"
    return "done"


def _fail(job: Job, attempt: int, error: str) -> None:
    Job.objects.filter(pk=job.pk, attempts=attempt, status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, error=error, finished_at=timezone.now()
    )


def sweep(now=None) -> list[int]:
    """Running jobs silent for BTECQA_JOB_STALE_SECONDS go back to the queue: their ids."""
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(seconds=stale_seconds())
    stale = list(
        Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    requeued = []
    for pk in stale:
        # Conditional: a run that woke up and heartbeat in between keeps its job.
        if Job.objects.filter(pk=pk, status=Job.Status.RUNNING, heartbeat_at__lt=cutoff).update(
            status=Job.Status.QUEUED
        ):
            requeued.append(pk)
            transaction.on_commit(lambda pk=pk: _enqueue(pk), robust=True)
    return requeued
