"""The tracking sheet, its imports, and Tech Award component marks (tracking area).

- a TrackingSheet is the class × unit grid of one cohort (or one teaching group of it) as
  signed off: the class teacher and the programme leader each sign its snapshot (policy
  004: "tracking sheets will be checked by the class teacher and the programme lead");
- a TrackingImport is one upload of a school's tracking spreadsheet, kept until confirmed;
- a ComponentEntry is a learner's entry for a Tech Award internal component in the series
  the Pearson Set Assignment is completed in (domain.md §2.2): one live entry per learner
  and component across the series, made by the exams officer before any mark;
- a ComponentMark is one learner's raw mark and component grade for a Tech Award
  component in the series the Pearson Set Assignment was completed in.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from qualifications.models import ComponentGrade
from tabular.models import ImportRecord


class TrackingSheet(models.Model):
    """The tracking sheet of a cohort, or of one teaching group of it, that people sign."""

    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    teaching_group = models.ForeignKey(
        "learners.TeachingGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="cohort__centre",
        view="assessment.view_tracking",
        delivering="cohort__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    signing_statement = (
        "I have checked this tracking sheet and confirm its assessment decisions are accurate."
    )

    class Meta:
        ordering = ["cohort_id", "teaching_group_id"]  # no join: sign() locks the row
        constraints = [
            models.UniqueConstraint(
                fields=["cohort"],
                condition=models.Q(teaching_group__isnull=True),
                name="one_whole_cohort_tracking_sheet",
            ),
            models.UniqueConstraint(
                fields=["cohort", "teaching_group"], name="one_tracking_sheet_per_group"
            ),
        ]

    def __str__(self) -> str:
        group = f", {self.teaching_group.name}" if self.teaching_group_id else ""
        return f"Tracking sheet: {self.cohort}{group}"

    def get_absolute_url(self):
        from django.urls import reverse

        url = reverse("assessment:tracking_sheet", args=[self.cohort_id])
        return f"{url}?group={self.teaching_group_id}" if self.teaching_group_id else url

    def snapshot(self) -> dict:
        """Exactly what the signers vouch for: the grid as the page shows it."""
        from .selectors_tracking import tracking_sheet

        return tracking_sheet(self.cohort, group=self.teaching_group).snapshot()

    @property
    def audit_learner(self):
        return None


class TrackingImport(ImportRecord):
    """One upload of a school's tracking spreadsheet: previewed, then committed once."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        COMMITTED = "committed", "Committed"

    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField(null=True, blank=True)

    access = Access(
        centre="cohort__centre",
        view="assessment.import_tracking",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta(ImportRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Tracking import {self.file_name} ({self.status})"


class ComponentEntry(models.Model):
    """A learner entered for one Tech Award internal component in one series.

    At most one live (not withdrawn) entry per learner and component unit, whichever the
    series: `unit` is the component's, stored here so the database can say so (a
    conditional constraint cannot follow series → unit). Withdrawn entries stay, with who
    and when; a new entry is a new row."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="component_entries"
    )
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(
        "qualifications.SeriesComponent", on_delete=models.PROTECT, related_name="entries"
    )
    unit = models.ForeignKey(
        "qualifications.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The component's unit (set from the component)",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    access = Access(
        centre="learner__centre",
        view="assessment.view_tracking",
        learner="learner",
        delivering="learner__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["learner", "component", "entered_at"]
        verbose_name_plural = "component entries"
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "unit"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_live_entry_per_learner_component",
            )
        ]

    def __str__(self) -> str:
        return str(self.component)

    def save(self, *args, **kwargs):
        self.unit_id = self.component.unit_id
        super().save(*args, **kwargs)

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None

    @property
    def audit_learner(self):
        return self.learner


class ComponentMark(models.Model):
    """A learner's raw mark and component grade for one Tech Award component in a series."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="component_marks"
    )
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(
        "qualifications.SeriesComponent", on_delete=models.PROTECT, related_name="marks"
    )
    raw_mark = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=3, choices=ComponentGrade.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="learner__centre",
        view="assessment.view_tracking",
        learner="learner",
        delivering="learner__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["learner", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "component"], name="one_mark_per_learner_component"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.raw_mark} ({self.grade})"

    @property
    def audit_learner(self):
        return self.learner
