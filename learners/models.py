"""The records every BTEC process hangs on: qualifications, programmes, learners."""

from django.conf import settings
from django.db import models

from .validators import validate_candidate_number, validate_uci, validate_uln


class Qualification(models.Model):
    title = models.CharField(max_length=250)
    number = models.CharField("Ofqual qualification number", max_length=12, unique=True)
    level = models.CharField(max_length=10)
    glh = models.PositiveIntegerField("guided learning hours")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.number})"


class Programme(models.Model):
    """A qualification delivered at a centre in an academic year ("2026/27")."""

    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="programmes")
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="programmes")
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_programmes"
    )

    class Meta:
        ordering = ["-academic_year", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "centre", "academic_year"], name="one_programme_per_qualification_year"
            ),
            models.CheckConstraint(
                condition=models.Q(academic_year__regex=r"^[0-9]{4}/[0-9]{2}$"), name="academic_year_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.title} {self.academic_year}"


class TeachingGroup(models.Model):
    """A class. It may be taught at a delivering centre other than the learners' home centre."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="teaching_groups")
    name = models.CharField(max_length=50)
    delivering_centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="delivered_groups"
    )
    learners = models.ManyToManyField("Learner", blank=True, related_name="teaching_groups")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="group_name_unique_in_programme")]

    def __str__(self) -> str:
        return f"{self.name} ({self.programme})"


class Learner(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="learners",
                               verbose_name="home centre")
    first_name = models.CharField("legal first name", max_length=100)
    last_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    uln = models.CharField("ULN", max_length=10, null=True, blank=True, unique=True, validators=[validate_uln])
    uci = models.CharField("UCI", max_length=13, null=True, blank=True, unique=True, validators=[validate_uci])
    candidate_number = models.CharField(max_length=4, blank=True, validators=[validate_candidate_number])
    admission_number = models.CharField("MIS admission number", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    on_roll = models.BooleanField(default=True)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "candidate_number"],
                condition=~models.Q(candidate_number=""),
                name="candidate_number_unique_in_centre",
            ),
        ]
        indexes = [models.Index(fields=["centre", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.last_name.upper()}, {self.first_name}"

    @property
    def audit_learner(self):
        return self
