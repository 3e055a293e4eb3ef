"""The records every BTEC process hangs on: qualifications, programmes, learners."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.permissions import Access
from qualifications.models import Qualification, Unit

from .validators import validate_candidate_number, validate_uci, validate_uln


def _shift(year: str, by: int) -> str:
    """ "2026/27" moved on `by` academic years: "2027/28"."""
    start = int(year[:4]) + by
    return f"{start}/{(start + 1) % 100:02d}"


class CohortQuerySet(models.QuerySet):
    def covering(self, academic_year: str):
        """Cohorts being taught in `academic_year`: started then or in the years before it,
        and not finished (a two-year cohort of 2026/27 is in its second year in 2027/28)."""
        condition = models.Q(pk__in=[])
        for back in range(MAX_YEARS):
            condition |= models.Q(start_year=_shift(academic_year, -back), years__gt=back)
        return self.filter(condition)

    def starting(self, academic_year: str):
        return self.filter(start_year=academic_year)


MAX_YEARS = 4


class Cohort(models.Model):
    """A qualification at a centre, starting in an academic year and running for some years.

    A BTEC National taken over Years 12 and 13 is one cohort of two years: learners are
    registered once, at the start, for the whole of it; teaching groups are per year; the
    round and the entry check of a later year list them as continuing. The number of years
    comes from the qualification (`typical_years`) and can be changed for a cohort.
    """

    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="cohorts"
    )
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="cohorts")
    start_year = models.CharField(
        "starts in", max_length=7, help_text="The academic year it starts, e.g. 2026/27"
    )
    years = models.PositiveSmallIntegerField(
        default=1, help_text="How many academic years it runs (2 for Years 12 and 13)"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_cohorts",
        verbose_name="programme leader",
    )
    optional_units = models.ManyToManyField(Unit, blank=True, related_name="chosen_by_cohorts")

    objects = CohortQuerySet.as_manager()

    access = Access(
        centre="centre",
        view="learners.view_learners",
        delivering="teaching_groups__delivering_centre",
        qualification="qualification",
        paths={"cohort": ""},
    )

    class Meta:
        ordering = ["-start_year", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "centre", "start_year"],
                name="one_cohort_per_qualification_start",
            ),
            models.CheckConstraint(
                condition=models.Q(start_year__regex=r"^[0-9]{4}/[0-9]{2}$"),
                name="cohort_start_year_format",
            ),
            models.CheckConstraint(
                condition=models.Q(years__gte=1, years__lte=MAX_YEARS),
                name="cohort_runs_one_to_four_years",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.title} {self.span}"

    @property
    def final_year(self) -> str:
        return _shift(self.start_year, self.years - 1)

    @property
    def span(self) -> str:
        """ "2026/27" for a one-year cohort, "2026/27–2027/28" for two years."""
        if self.years == 1:
            return self.start_year
        return f"{self.start_year}–{self.final_year}"

    @property
    def academic_years(self) -> list[str]:
        return [_shift(self.start_year, n) for n in range(self.years)]

    def covers(self, academic_year: str) -> bool:
        return academic_year in self.academic_years

    def year_number(self, academic_year: str) -> int:
        """1 in the cohort's first year, 2 in its second."""
        return self.academic_years.index(academic_year) + 1

    @property
    def planned_completion(self):
        """The end of the final year: what Pearson's registration asks for."""
        import datetime as dt

        return dt.date(int(self.final_year[:4]) + 1, 8, 31)


class TeachingGroup(models.Model):
    """A class in one year of a cohort. It may be taught at a delivering centre other than
    the learners' home centre."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="teaching_groups")
    academic_year = models.CharField(
        max_length=7, help_text="The year it is taught in, e.g. 2027/28 for a cohort's second"
    )
    name = models.CharField(max_length=50)
    delivering_centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="delivered_groups"
    )
    learners = models.ManyToManyField("Learner", blank=True, related_name="teaching_groups")

    access = Access(
        centre="cohort__centre",
        view="learners.view_learners",
        delivering="delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["academic_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "academic_year", "name"], name="group_name_unique_in_cohort_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cohort}, {self.academic_year})"

    def save(self, *args, **kwargs):
        # A group made without a year (an older caller, a quick factory) is the cohort's first.
        if not self.academic_year:
            self.academic_year = self.cohort.start_year
        super().save(*args, **kwargs)


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
        qualification="teaching_groups__cohort__qualification",
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
    qualification="teachinggroup__cohort__qualification",
)
