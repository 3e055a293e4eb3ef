"""Standardisation (policy 000-3.1.5; domain.md 3.9).

The Lead IV standardises the whole assessment team every year with Pearson's materials and
keeps a record that it happened (Pearson does not collect it, but it matters in a dispute),
and keeps their own record of Pearson's standardisation training. One row per activity.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class StandardisationRecord(models.Model):
    class Kind(models.TextChoices):
        ACTIVITY = "activity", "Centre standardisation activity"
        PEARSON_TRAINING = "pearson_training", "Pearson standardisation training (Lead IV)"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="standardisation_records"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "qualifications.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Leave empty when the activity covered the whole qualification",
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    held_on = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ACTIVITY)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="standardised_at")
    materials = models.TextField(help_text="The materials used (e.g. Pearson's exemplars)")
    outcome = models.TextField(help_text="What was agreed, and any actions")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="centre", view="verification.view_standardisation", qualification="qualification"
    )

    class Meta:
        ordering = ["-academic_year", "-held_on", "-pk"]
        indexes = [models.Index(fields=["centre", "academic_year"])]

    def __str__(self) -> str:
        what = f"unit {self.unit.number}" if self.unit_id else "whole qualification"
        when = f"{self.held_on:%d/%m/%Y}"
        return f"{self.get_kind_display()}, {self.qualification.title} ({what}), {when}"


class StandardisationRule(models.Model):
    """The centre's choice (000-3.1.5): is an assessor or IV who has not standardised this
    year on the unit only warned (the default), or blocked from recording decisions or IV?"""

    centre = models.OneToOneField(
        "centres.Centre", on_delete=models.CASCADE, related_name="standardisation_rule"
    )
    block = models.BooleanField(
        default=False,
        help_text="Refuse decisions and IV from anyone not standardised this year on the unit",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="centre", view="verification.view_standardisation")

    def __str__(self) -> str:
        return f"Standardisation rule at {self.centre}: {'block' if self.block else 'warn'}"
