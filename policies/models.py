"""The centre's policy register (policy 000-4, MONITORING).

Each centre policy has a coordinator, a governors' sub-committee, a review date and the
date it is next due. Each review is a `PolicyVersion`: the file as reviewed (a PDF or
Word document, sniffed from its content), the dates, and what the policy said about
itself then. The Head of Centre signs a version themself (signatures.Signature, on the
RecordVersion frozen for it); governors cannot sign in btecqa, so the Quality Nominee
records that the chair of governors signed, and on which date (`ChairSignature`: "signed
by the chair on …, recorded by …"). A signed version never changes: a later review makes
a new one, and every earlier file stays readable. The Quality Nominee's yearly
monitoring is a `MonitoringRecord`, one a policy an academic year.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.permissions import Access

VIEW = "policies.view_register"


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


class Policy(models.Model):
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="policies")
    title = models.CharField(max_length=200)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coordinated_policies",
        help_text="Who keeps this policy and is reminded when its review is due",
    )
    sub_committee = models.CharField("governors' sub-committee", max_length=200, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    next_review = models.DateField("next review due")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(centre="centre", view=VIEW)

    signing_statement = (
        "As Head of Centre I approve this version of the policy, as reviewed, for the centre."
    )

    class Meta:
        ordering = ["centre", "title"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["centre", "title"], name="one_policy_title_per_centre")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("policies:policy_detail", args=[self.pk])

    def is_overdue(self, today=None) -> bool:
        return self.next_review < (today or timezone.localdate())

    def latest_version(self):
        return self.versions.order_by("-number").first()

    def snapshot(self) -> dict:
        """What the Head of Centre signs: the latest version as reviewed (its file's hash)."""
        v = self.latest_version()
        if v is None:
            return {"policy": self.pk, "version": 0}
        return v.content()


class PolicyVersion(models.Model):
    """One review of a policy: the file as reviewed and the dates. Signed: never changed."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    coordinator_name = models.CharField(max_length=200)
    sub_committee = models.CharField(max_length=200, blank=True)
    reviewed_on = models.DateField()
    next_review = models.DateField()
    notes = models.TextField("what changed", blank=True)
    file = models.FileField(upload_to="policies/%Y/")
    file_name = models.CharField(max_length=255)
    file_type = models.CharField(max_length=8, help_text="pdf or docx, from the content")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    record = models.ForeignKey(
        "signatures.RecordVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The frozen snapshot a signature points at",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="policy__centre", view=VIEW)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.title} version {self.number}"

    def save(self, *args, **kwargs):
        # The model's own guard: whatever calls save(), a signed version stays as signed.
        if self.pk is not None and self.is_signed():
            raise ValidationError(
                f"Version {self.number} of {self.title} is signed: it cannot be changed. "
                "Record a new review to make a new version."
            )
        super().save(*args, **kwargs)

    @property
    def audit_centre_id(self) -> int:
        return self.policy.centre_id

    def content(self) -> dict:
        return {
            "policy": self.policy_id,
            "version": self.number,
            "title": self.title,
            "coordinator": self.coordinator_name,
            "sub_committee": self.sub_committee,
            "reviewed_on": self.reviewed_on.isoformat(),
            "next_review": self.next_review.isoformat(),
            "notes": self.notes,
            "file_name": self.file_name,
            "file_sha256": self.sha256,
        }

    def is_signed(self) -> bool:
        from signatures.models import Signature

        if self.pk is None:
            return False
        if ChairSignature.objects.filter(version_id=self.pk).exists():
            return True
        return bool(self.record_id) and Signature.objects.filter(version_id=self.record_id).exists()


class ChairSignature(models.Model):
    """The chair of governors signed this version on paper; the Quality Nominee records it."""

    version = models.OneToOneField(
        PolicyVersion, on_delete=models.PROTECT, related_name="chair_signature"
    )
    chair_name = models.CharField("chair of governors", max_length=200)
    signed_on = models.DateField("signed by the chair on")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="version__policy__centre", view=VIEW)

    def __str__(self) -> str:
        return self.wording()

    def wording(self) -> str:
        return (
            f"Signed by the chair of governors, {self.chair_name}, on "
            f"{self.signed_on:%d/%m/%Y}; recorded in btecqa by {_person(self.recorded_by)} "
            f"on {timezone.localtime(self.recorded_at):%d/%m/%Y}"
        )


class MonitoringRecord(models.Model):
    """The Quality Nominee's internal monitoring of a policy, once per academic year."""

    class Outcome(models.TextChoices):
        NO_CHANGE = "no_change", "No change needed"
        CHANGES_NEEDED = "changes_needed", "Changes needed"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="monitoring")
    academic_year = models.CharField(max_length=7)
    monitored_on = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="policy__centre", view=VIEW)

    class Meta:
        ordering = ["policy", "-academic_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "academic_year"], name="one_monitoring_per_policy_year"
            )
        ]

    def __str__(self) -> str:
        return f"Monitoring of {self.policy} {self.academic_year}"

    @property
    def audit_centre_id(self) -> int:
        return self.policy.centre_id


class RegisterSettings(models.Model):
    """A centre's own choice: how many days before a review is due the coordinator is told."""

    centre = models.OneToOneField(
        "centres.Centre", on_delete=models.PROTECT, related_name="policy_register_settings"
    )
    reminder_days = models.PositiveSmallIntegerField(default=30)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="centre", view=VIEW)

    class Meta:
        verbose_name_plural = "register settings"

    def __str__(self) -> str:
        return f"Policy reminders {self.reminder_days} days before"


# The yearly policy monitoring report (seed 000, section 4).
from .models_monitoring import MonitoringClause, PolicyMonitoringReport  # noqa: E402,F401
