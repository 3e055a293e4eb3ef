"""One row per long piece of work: what, for whom, how far, and its result file."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.permissions import Access


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=60)
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="jobs")
    # The cohort it is about, when it is about one: a path for the permission layer's rules.
    cohort = models.ForeignKey(
        "learners.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # Others who asked for the same work while it ran and were given this job: their
    # dashboard's To read panel lists it when it finishes, as it does the requester's.
    joined_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="joined_jobs"
    )
    params = models.JSONField(default=dict)
    # kind + canonical parameters (SHA-256): the same work. Unique among unfinished jobs.
    key = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=200, blank=True)
    # What the run has finished so far, in the kind's own terms (e.g. the last learner done).
    checkpoint = models.JSONField(default=dict)
    result = models.FileField(upload_to="jobs/results/", max_length=300, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Each run claims the job by adding one; a run whose number is no longer the row's
    # (a second delivery or the sweep took over) stops at its next checkpoint.
    attempts = models.PositiveIntegerField(default=0)

    access = Access(
        centre="centre",
        view="jobs.view_jobs",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["queued", "running"]),
                name="job_key_unique_while_unfinished",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        from .registry import kinds

        spec = kinds().get(self.kind)
        return spec.label if spec else self.kind

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
