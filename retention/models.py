"""What falls due for disposal (RetentionItem) and the legal holds that stop it.

A RetentionItem is also the minimal record kept after disposal: what it was (kind, label,
object id), its dates (clock start, due), who approved and disposed of it, and when. It
holds no personal details: the learner is an id, not a name.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class RetentionItem(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "Due for disposal"
        APPROVED = "approved", "Disposal approved"
        HELD = "held", "On legal hold"
        DISPOSED = "disposed", "Disposed"

    kind = models.CharField(max_length=60, help_text="A kind registered in retention.registry")
    object_id = models.PositiveBigIntegerField()
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    # An id, not a foreign key: the minimal record outlives the learner's record.
    learner_id = models.PositiveBigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=200, help_text="What it was, without personal details")
    clock_started_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    listed_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.CharField(max_length=300, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)
    # Set when the record itself went: a consortium record stays while another centre's
    # clock still runs (policy 3.1.10), so a centre's disposal may only release its copy.
    record_removed_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="centre", view="retention.view_retention")

    class Meta:
        ordering = ["due_on", "kind", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "centre"], name="one_retention_item_per_centre"
            )
        ]
        indexes = [models.Index(fields=["centre", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.label} (due {self.due_on:%d/%m/%Y})"


class LegalHold(models.Model):
    class Reason(models.TextChoices):
        APPEAL = "appeal", "Appeal"
        MALPRACTICE = "malpractice", "Malpractice investigation"
        DATA_REQUEST = "data_request", "Data request"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    learner_id = models.PositiveBigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=60, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_note = models.TextField(blank=True)

    access = Access(centre="centre", view="retention.view_retention")

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(learner_id__isnull=False, object_id__isnull=True)
                    | models.Q(learner_id__isnull=True, object_id__isnull=False)
                ),
                name="legal_hold_on_a_learner_or_a_record",
            )
        ]

    def __str__(self) -> str:
        if self.learner_id:
            what = f"learner #{self.learner_id}"
        else:
            what = f"{self.kind} #{self.object_id}"
        return f"Legal hold ({self.get_reason_display().lower()}) on {what}"

    @property
    def live(self) -> bool:
        return self.lifted_at is None
