"""Internal verification: who leads it for each qualification at each centre, each year.

From 2024-25 Pearson no longer takes Lead IV registrations on Edexcel Online: the centre
identifies one Lead IV per qualification per academic year and the Quality Nominee keeps
the list with its succession cover (domain.md 3.1, 3.9). The consortium arrangement's
own Lead IV (centres.ArrangementQualification.lead_iv) stays beside this.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class LeadIVAppointment(models.Model):
    """The Lead IV (and cover) identified for one qualification at one centre in one year."""

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="lead_iv_appointments"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    lead_iv = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="lead_iv_appointments",
        verbose_name="Lead Internal Verifier",
    )
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_iv_cover",
        help_text="Who takes over if the Lead IV leaves or is away (succession)",
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointed_on = models.DateField(default=timezone.localdate)
    standardisation_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="When the team was standardised with Pearson's materials, and how",
    )
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="centre", view="verification.view_lead_ivs", qualification="qualification"
    )

    class Meta:
        ordering = ["-academic_year", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "centre", "academic_year"],
                name="one_lead_iv_per_qualification_centre_year",
            ),
            models.CheckConstraint(
                condition=~models.Q(cover=models.F("lead_iv")),
                name="lead_iv_cover_is_another_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Lead IV for {self.qualification.title}, {self.academic_year}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("verification:lead_iv_edit", args=[self.pk])


from .models_sampling import (  # noqa: E402,F401
    AssessorRating,
    DecisionFlag,
    IVPlan,
    IVRecord,
    SampleItem,
    SamplingStrategy,
)
from .models_standardisation import StandardisationRecord, StandardisationRule  # noqa: E402,F401
from .models_sv import SVAction, SVSample, SVVisit  # noqa: E402,F401
