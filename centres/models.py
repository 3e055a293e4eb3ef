from django.db import models

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


class CollaborativeArrangement(models.Model):
    """A consortium: a Lead Centre and partner centres delivering qualifications together.

    Learners stay registered through their home centre's number, under the
    arrangement's consortium programme code or sub-site.
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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def centre_id(self):
        return self.lead_centre_id


class ArrangementPartner(models.Model):
    arrangement = models.ForeignKey(
        CollaborativeArrangement, on_delete=models.CASCADE, related_name="partners"
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="arrangement_memberships"
    )
    joined_on = models.DateField()
    withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["centre__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "centre"], name="centre_once_per_arrangement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} in {self.arrangement}"


class ArrangementQualification(models.Model):
    arrangement = models.ForeignKey(
        CollaborativeArrangement, on_delete=models.CASCADE, related_name="qualifications"
    )
    qualification = models.ForeignKey(
        "learners.Qualification", on_delete=models.PROTECT, related_name="+"
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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "qualification"], name="qualification_once_per_arrangement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification} in {self.arrangement}"
