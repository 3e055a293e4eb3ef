"""The Annual Quality Declaration (000-3.1.12) and the yearly arrangement review (000-3.1.9).

Pearson calls it the Annual Quality Declaration (AQD); the seed policy's "Annual Centre
Declaration" is its older name. One `QualityDeclaration` per centre and academic year: the
Quality Nominee works through a checklist built from policy clauses 3.1.1-3.1.14 (one
`DeclarationItem` per clause, with the evidence the records give and the gaps named,
frozen when the QN completes it), then the Head of Centre confirms it by signing through
the signatures app. A signed version is never changed: a later change makes a new one.

An `ArrangementReview` is the yearly review meeting of a collaborative arrangement, with
the partners' attendance (`ReviewAttendance`) and its actions (`ReviewAction`). The lead
centre's Quality Nominee records it; every partner centre on the arrangement reads it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access

VIEW_DECLARATION = "declarations.view_declaration"
VIEW_REVIEWS = "declarations.view_arrangement_reviews"


class QualityDeclaration(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: the Quality Nominee is completing it"
        COMPLETED = "completed", "Completed: waiting for the Head of Centre to confirm"
        CONFIRMED = "confirmed", "Confirmed by the Head of Centre"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="quality_declarations"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    started_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    submitted_to_pearson_on = models.DateField(
        null=True, blank=True, help_text="The day it was submitted on Edexcel Online"
    )
    eol_confirmed_on = models.DateField(
        "Edexcel Online account confirmation",
        null=True,
        blank=True,
        help_text="The day the Head of Centre completed the Edexcel Online account confirmation",
    )
    submission_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(centre="centre", view=VIEW_DECLARATION)

    signing_statement = (
        "As Head of Centre I confirm this Annual Quality Declaration: the centre's quality "
        "processes and procedures are in place and operating effectively, as set out here."
    )

    class Meta:
        ordering = ["-academic_year", "centre__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "academic_year"], name="one_declaration_per_centre_year"
            )
        ]

    def __str__(self) -> str:
        return f"Annual Quality Declaration {self.academic_year}, {self.centre.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("declarations:declaration_detail", args=[self.pk])

    def snapshot(self) -> dict:
        """What the Head of Centre vouches for: each item as the QN completed it."""
        return {
            "centre": self.centre.number,
            "academic_year": self.academic_year,
            "items": [
                {
                    "clause": i.clause,
                    "title": i.title,
                    "in_place": i.in_place,
                    "note": i.note,
                    "evidence": i.evidence,
                    "gaps": i.gaps,
                }
                for i in sorted(self.items.all(), key=lambda i: _clause_key(i.clause))
            ],
        }


def _clause_key(clause: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))


class DeclarationItem(models.Model):
    """One clause of the checklist: the QN's tick and note, the evidence and gaps as frozen."""

    declaration = models.ForeignKey(
        QualityDeclaration, on_delete=models.CASCADE, related_name="items"
    )
    clause = models.CharField(max_length=12, help_text="The policy clause, e.g. 3.1.4")
    title = models.CharField(max_length=300)
    in_place = models.BooleanField("in place", default=False)
    note = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    gaps = models.JSONField(default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="declaration__centre", view=VIEW_DECLARATION)

    class Meta:
        ordering = ["declaration", "clause"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "clause"], name="one_item_per_declaration_clause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clause} {self.title}"

    @property
    def audit_centre_id(self):
        return self.declaration.centre_id


class ArrangementReview(models.Model):
    """The yearly review meeting of one collaborative arrangement (000-3.1.9)."""

    arrangement = models.ForeignKey(
        "centres.CollaborativeArrangement", on_delete=models.PROTECT, related_name="reviews"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    held_on = models.DateField("meeting held on")
    minutes = models.TextField("minutes and notes")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="arrangement__lead_centre",
        view=VIEW_REVIEWS,
        member="arrangement__partners__centre",
    )

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Review of {self.arrangement.name}, {self.held_on:%d/%m/%Y}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("declarations:review_detail", args=[self.pk])

    @property
    def audit_centre_id(self):
        return self.arrangement.lead_centre_id


class ReviewAttendance(models.Model):
    """Which centre of the arrangement attended the review, and who came for it."""

    review = models.ForeignKey(
        ArrangementReview, on_delete=models.CASCADE, related_name="attendance"
    )
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(default=True)
    people = models.CharField("who attended", max_length=300, blank=True)

    access = Access(
        centre="review__arrangement__lead_centre",
        view=VIEW_REVIEWS,
        member="review__arrangement__partners__centre",
    )

    class Meta:
        ordering = ["review", "centre__name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "centre"], name="centre_once_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.centre.name}: {'attended' if self.attended else 'absent'}"


class ReviewAction(models.Model):
    """An action agreed at the review: who owns it, when it is due, when it was closed."""

    review = models.ForeignKey(ArrangementReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=200, help_text="Who will do it (name and centre)")
    due_on = models.DateField("due")
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.CharField(max_length=500, blank=True)

    access = Access(
        centre="review__arrangement__lead_centre",
        view=VIEW_REVIEWS,
        member="review__arrangement__partners__centre",
    )

    class Meta:
        ordering = ["review", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description

    def get_absolute_url(self):
        return self.review.get_absolute_url()

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
