"""Assignment briefs (000-3.1.1): the brief for each planned assignment, every version of
it kept, the internal verifier's check against Pearson's checklist, and the issue gate."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class AssignmentBrief(models.Model):
    class Status(models.TextChoices):
        AWAITING_IV = "awaiting_iv", "Waiting for internal verification"
        ACTION_REQUIRED = "action_required", "Action required by the internal verifier"
        VERIFIED = "verified", "Internally verified"
        ISSUED = "issued", "Issued to learners"

    assignment = models.OneToOneField(
        "assessment.PlannedAssignment", on_delete=models.PROTECT, related_name="brief"
    )
    vocational_scenario = models.TextField()
    tasks = models.TextField()
    evidence = models.TextField("evidence to submit")
    pearson_authorised = models.BooleanField("Pearson Authorised Assignment Brief", default=False)
    paab_amended = models.BooleanField("amended from the authorised brief", default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_IV)
    checklist = models.JSONField(default=dict, blank=True, help_text="Item key: met (true/false)")
    actions_required = models.TextField(blank=True)
    actions_taken = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="assignment__plan__cohort__centre",
        view="assessment.view_plans",
        delivering="assignment__plan__cohort__teaching_groups__delivering_centre",
        qualification="assignment__plan__cohort__qualification",
        paths={"cohort": "assignment__plan__cohort", "assessor": "assignment__assessor"},
    )

    signing_statement = (
        "I have internally verified this assignment brief against Pearson's checklist and it "
        "is fit to issue to learners."
    )
    # The assessor signs the same version in their own words (domain.md 3.3: both sign).
    assessor_signing_statement = (
        "I am the assessor of this assignment: this is the brief I will issue to learners, "
        "as its internal verifier checked it."
    )

    def __str__(self) -> str:
        return f"Brief: {self.assignment.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("assessment:brief_detail", args=[self.pk])

    @property
    def audit_centre_id(self) -> int:
        """The trail its events go on (audit.record): the plan's cohort's centre."""
        return self.assignment.plan.cohort.centre_id

    def snapshot(self) -> dict:
        a = self.assignment
        latest = self.versions.order_by("-number").first()
        return {
            "assignment": a.pk,
            "title": a.title,
            "unit": a.unit.number,
            "hand_out": a.hand_out.isoformat(),
            "hand_in": a.hand_in.isoformat(),
            "criteria": sorted(c.code for c in a.criteria.all()),
            "vocational_scenario": self.vocational_scenario,
            "tasks": self.tasks,
            "evidence": self.evidence,
            "pearson_authorised": self.pearson_authorised,
            "paab_amended": self.paab_amended,
            "checklist": self.checklist,
            "actions_required": self.actions_required,
            "actions_taken": self.actions_taken,
            "version": latest.number if latest else 0,
            "file_sha256": latest.sha256 if latest else "",
        }


class BriefVersion(models.Model):
    """One upload or edit of a brief: earlier versions are kept, never overwritten."""

    brief = models.ForeignKey(AssignmentBrief, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    vocational_scenario = models.TextField()
    tasks = models.TextField()
    evidence = models.TextField()
    file = models.FileField(upload_to="briefs/%Y/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=8, blank=True, help_text="pdf or docx, from content")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="brief__assignment__plan__cohort__centre",
        view="assessment.view_plans",
        delivering="brief__assignment__plan__cohort__teaching_groups__delivering_centre",
        qualification="brief__assignment__plan__cohort__qualification",
        paths={"cohort": "brief__assignment__plan__cohort"},
    )

    class Meta:
        ordering = ["brief", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="brief_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.brief} version {self.number}"
