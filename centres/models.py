from django.conf import settings
from django.db import models

from accounts.permissions import Access

from .validators import validate_centre_number


class Centre(models.Model):
    """A Pearson-approved centre, known by its five-digit centre number.

    Everything a user may see is scoped by centre (see accounts.permissions).
    """

    number = models.CharField(
        "Pearson centre number", max_length=5, unique=True, validators=[validate_centre_number]
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    email = models.EmailField("exams office e-mail", blank=True)

    access = Access(centre="id", view="centres.view_reports")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^[0-9]{5}$"),
                name="centre_number_five_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class QualificationApproval(models.Model):
    """A centre's own Pearson approval to deliver a qualification.

    Qualification approval comes before collaborative approval (collaborative
    arrangements policy 3.1.2): a qualification is shared through an arrangement only
    with centres that have recorded their own approval for it.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="approvals")
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField("approved by Pearson on")
    reference = models.CharField(
        "Pearson's reference", max_length=100, help_text="Approval letter or Edexcel Online case"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    access = Access(centre="centre", view="centres.view_approvals", qualification="qualification")

    class Meta:
        ordering = ["centre__name", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="one_approval_per_centre_qualification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre.number} approved for {self.qualification.number}"


class CollaborativeArrangement(models.Model):
    """A consortium: a Lead Centre and partner centres delivering qualifications together.

    Learners stay registered through their home centre's number, under the
    arrangement's consortium programme code or sub-site. A centre is a partner only
    once its own Quality Nominee or Head of Centre has accepted the invitation.
    """

    name = models.CharField(max_length=200)
    lead_centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="led_arrangements"
    )
    programme_code = models.CharField(
        "consortium programme code or sub-site", max_length=50, blank=True
    )
    first_year = models.CharField(max_length=7, help_text="first academic year, e.g. 2026/27")
    last_year = models.CharField(
        max_length=7, blank=True, help_text="last academic year, blank if open-ended"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    access = Access(
        centre="lead_centre", view="centres.view_arrangements", member="partners__centre"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("centres:arrangement_detail", args=[self.pk])

    @property
    def centre_id(self):
        return self.lead_centre_id


class PartnerQuerySet(models.QuerySet):
    def current(self):
        """Partners who accepted and have not withdrawn: the only ones access flows to."""
        return self.filter(status=ArrangementPartner.Status.ACCEPTED)


class ArrangementPartner(models.Model):
    """A centre invited into an arrangement; a partner only once it accepts."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited, waiting for the centre's answer"
        ACCEPTED = "accepted", "Partner"
        REFUSED = "refused", "Refused the invitation"
        WITHDRAWN = "withdrawn", "Withdrawn"

    arrangement = models.ForeignKey(
        CollaborativeArrangement, on_delete=models.CASCADE, related_name="partners"
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="arrangement_memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.CharField(max_length=500, blank=True)
    joined_on = models.DateField(null=True, blank=True, help_text="The day it accepted")
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=500, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    objects = PartnerQuerySet.as_manager()

    access = Access(
        centre="centre", view="centres.view_arrangements", member="arrangement__lead_centre"
    )

    class Meta:
        ordering = ["centre__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "centre"], name="centre_once_per_arrangement"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | models.Q(joined_on__isnull=False),
                name="accepted_partner_has_joined_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} in {self.arrangement}"

    def get_absolute_url(self):
        return self.arrangement.get_absolute_url()

    @property
    def is_current(self) -> bool:
        return self.status == self.Status.ACCEPTED


class ArrangementQualification(models.Model):
    arrangement = models.ForeignKey(
        CollaborativeArrangement, on_delete=models.CASCADE, related_name="qualifications"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    lead_iv = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_iv_for",
        verbose_name="Lead Internal Verifier",
    )
    added_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)

    access = Access(
        centre="arrangement__lead_centre",
        view="centres.view_arrangements",
        member="arrangement__partners__centre",
        qualification="qualification",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "qualification"], name="qualification_once_per_arrangement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification} in {self.arrangement}"

    def get_absolute_url(self):
        return self.arrangement.get_absolute_url()
