"""Claims' records: the external unit results imported from Pearson's results file.

- an ExternalResult is one learner's result for one external unit in one series, exactly
  as Pearson's file gives it (a Near Pass stays "N" or "Near Pass", as written: domain.md
  2.1 says Pearson's EDI files show an N as U, and btecqa never "corrects" it), with the
  points and mark when the file gives them, the file, who imported it and when. A
  re-import that changes a result makes a new current row; the old one is kept, not
  current (one current result per learner, unit and series);
- a ResultsImport is one upload of the file on the page, kept until confirmed (the
  tabular framework's ImportRecord).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from tabular.models import ImportRecord

GRADE_WORDS = {
    **{g.casefold(): g for g in ("U", "N", "P", "M", "D")},
    "unclassified": "U",
    "near pass": "N",
    "pass": "P",
    "merit": "M",
    "distinction": "D",
}


class ExternalResult(models.Model):
    """One external unit result from Pearson's results file (the claim readiness reads it)."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="external_results"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=40, help_text='e.g. "January 2027", "May/June 2027"')
    grade = models.CharField(
        max_length=20, help_text="As Pearson's file gives it (a Near Pass: N or Near Pass)"
    )
    points = models.PositiveIntegerField(null=True, blank=True)
    mark = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=255, blank=True, help_text="The file it came from")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    current = models.BooleanField(default=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    access = Access(
        centre="learner__centre",
        view="claims.import_results",
        learner="learner",
        qualification="unit__qualification",
    )

    class Meta:
        ordering = ["learner", "unit__sort_key", "series", "-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "unit", "series"],
                condition=models.Q(current=True),
                name="one_current_external_result_per_series",
            )
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit.number} ({self.series}): {self.grade}"

    @property
    def grade_code(self) -> str:
        """The unit grade (U, N, P, M, D) the grade as written stands for, for the
        eligibility rules; "" for a Level 1/2 grade, which those rules do not read."""
        return GRADE_WORDS.get(" ".join(self.grade.split()).casefold(), "")


class ResultsImport(ImportRecord):
    """One upload of Pearson's results file: previewed, then committed once."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        COMMITTED = "committed", "Committed"
        DISCARDED = "discarded", "Discarded"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="centre", view="claims.import_results")

    class Meta(ImportRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Results import {self.file_name} ({self.status})"


from .models_audit import ClaimsAudit, ClaimsAuditLine  # noqa: E402,F401  (the yearly audit)
from .models_claims import Claim, ClaimFile, ClaimLine, ClaimUnit  # noqa: E402,F401  (the claims' own module)


class ExternalEntry(models.Model):
    """A learner entered for one BTEC external unit in one external series (policy 004:
    external entries made by the exams officer). `series` is the configured series name
    (claims.config.external_series), the same string the results file gives, so an
    ExternalResult joins on learner, unit and series. A resit is a new entry for the unit in
    a later series; a withdrawn entry stays, with who and when."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="external_entries"
    )
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    academic_year = models.CharField(max_length=7)
    series = models.CharField(max_length=40, help_text='e.g. "January 2027", "May/June 2027"')
    late = models.BooleanField(default=False, help_text="Made after the entry deadline")
    late_fee = models.CharField(max_length=20, blank=True)
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
        view="claims.view_external_entries",
        learner="learner",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["learner", "unit__sort_key", "entered_at"]
        verbose_name_plural = "external entries"
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "unit", "series"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_live_external_entry_per_series",
            )
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit.number}, {self.series}"

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None

    @property
    def audit_learner(self):
        return self.learner
