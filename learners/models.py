"""The records every BTEC process hangs on: qualifications, programmes, learners."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.permissions import Access
from qualifications.models import Qualification, Unit

from .validators import validate_candidate_number, validate_uci, validate_uln


class Programme(models.Model):
    """A qualification delivered at a centre in an academic year ("2026/27")."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="programmes"
    )
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="programmes"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_programmes",
    )
    optional_units = models.ManyToManyField(Unit, blank=True, related_name="chosen_by_programmes")

    access = Access(
        centre="centre",
        view="learners.view_learners",
        delivering="teaching_groups__delivering_centre",
        qualification="qualification",
        paths={"programme": ""},
    )

    class Meta:
        ordering = ["-academic_year", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "centre", "academic_year"],
                name="one_programme_per_qualification_year",
            ),
            models.CheckConstraint(
                condition=models.Q(academic_year__regex=r"^[0-9]{4}/[0-9]{2}$"),
                name="academic_year_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.title} {self.academic_year}"


class TeachingGroup(models.Model):
    """A class. It may be taught at a delivering centre other than the learners' home centre."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="teaching_groups"
    )
    name = models.CharField(max_length=50)
    delivering_centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="delivered_groups"
    )
    learners = models.ManyToManyField("Learner", blank=True, related_name="teaching_groups")

    access = Access(
        centre="programme__centre",
        view="learners.view_learners",
        delivering="delivering_centre",
        qualification="programme__qualification",
        paths={"programme": "programme"},
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"], name="group_name_unique_in_programme"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.programme})"


class Learner(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.PROTECT,
        related_name="learners",
        verbose_name="home centre",
    )
    first_name = models.CharField("legal first name", max_length=100)
    last_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    uln = models.CharField(
        "ULN", max_length=10, null=True, blank=True, unique=True, validators=[validate_uln]
    )
    uci = models.CharField(
        "UCI", max_length=13, null=True, blank=True, unique=True, validators=[validate_uci]
    )
    candidate_number = models.CharField(
        max_length=4, blank=True, validators=[validate_candidate_number]
    )
    admission_number = models.CharField("MIS admission number", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    on_roll = models.BooleanField(default=True)
    left_on = models.DateField(null=True, blank=True)

    access = Access(
        centre="centre",
        view="learners.view_learners",
        learner="pk",
        delivering="teaching_groups__delivering_centre",
        qualification="teaching_groups__programme__qualification",
    )

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

    def get_absolute_url(self):
        return reverse("learners:learner_detail", args=[self.pk])

    @property
    def audit_learner(self):
        return self


class ColumnMapping(models.Model):
    """A centre's remembered mapping from its MIS export's column headings to btecqa's fields."""

    class Kind(models.TextChoices):
        LEARNERS = "learners", "Learners"
        CLASS_LIST = "class_list", "Class list"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="column_mappings"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mapping = models.JSONField(default=dict, help_text="heading (lower case) -> field name")
    updated_at = models.DateTimeField(auto_now=True)

    access = Access(centre="centre", view="learners.import_learners")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "kind"], name="one_mapping_per_centre_kind")
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.kind} mapping"


class LearnerImport(models.Model):
    """One upload of an MIS file: kept with its hash, who, when, counts and the errors shown."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed (nothing written)"
        REFUSED = "refused", "Refused"
        COMMITTED = "committed", "Committed"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="learner_imports"
    )
    kind = models.CharField(max_length=20, choices=ColumnMapping.Kind.choices)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    stored_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)

    access = Access(centre="centre", view="learners.import_learners")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


# A learner's place in a teaching group: the home centre sees all of them; a delivering
# centre only the groups it teaches; an arrangement what it shares.
TeachingGroup.learners.through.access = Access(
    centre="learner__centre",
    view="learners.view_learners",
    learner="learner",
    delivering="teachinggroup__delivering_centre",
    qualification="teachinggroup__programme__qualification",
)
