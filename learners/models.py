"""The records every BTEC process hangs on: qualifications, programmes, learners."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Access
from qualifications.models import Qualification, Unit
from tabular.models import ImportRecord
from tabular.names import normalise_name

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

    def year_taught(self, today=None) -> str:
        """The cohort's year being taught today; its first before it starts (or once done)."""
        from django.utils import timezone

        from btecqa.validators import academic_year_for

        now = academic_year_for(today or timezone.localdate())
        return now if self.covers(now) else self.start_year

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
    visiting_learners = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether it holds learners of a centre other than the cohort's (a consortium)",
    )

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


NAME_FIELDS = ("last_name", "first_name", "preferred_name")
SEARCH_NAME_LENGTH = 400


def search_name_of(last_name: str, first_name: str, preferred_name: str = "") -> str:
    """A learner's names as search and matching compare them, through the one name
    normaliser: "o'neill / zoe / " for O’NEILL, Zoë (accents, curly apostrophes, case)."""
    parts = (normalise_name(last_name), normalise_name(first_name), normalise_name(preferred_name))
    return " / ".join(parts)[:SEARCH_NAME_LENGTH]


class LearnerQuerySet(models.QuerySet):
    """Keeps each learner's search_name with their names, bulk writes included."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for learner in objs:
            learner.search_name = learner.compute_search_name()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if set(fields) & set(NAME_FIELDS):
            objs = list(objs)
            for learner in objs:
                learner.search_name = learner.compute_search_name()
            if "search_name" not in fields:
                fields = [*fields, "search_name"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if not set(kwargs) & set(NAME_FIELDS):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        done = super().update(**kwargs)
        for start in range(0, len(pks), 1000):
            learners = list(
                Learner.objects.filter(pk__in=pks[start : start + 1000]).only("pk", *NAME_FIELDS)
            )
            Learner.objects.bulk_update([_with_search_name(lr) for lr in learners], ["search_name"])
        return done


def _with_search_name(learner):
    learner.search_name = learner.compute_search_name()
    return learner


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
    # Blank when the MIS file gave none: flagged as needed before Pearson's registration file.
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
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
    # The names through tabular.names.normalise_name, kept on every write (save, the
    # queryset's bulk writes): what learner search and the imports' matching compare.
    search_name = models.CharField(max_length=SEARCH_NAME_LENGTH, editable=False, default="")

    objects = LearnerQuerySet.as_manager()

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

    def save(self, *args, update_fields=None, **kwargs):
        self.search_name = self.compute_search_name()
        if update_fields is not None and set(update_fields) & set(NAME_FIELDS):
            update_fields = {*update_fields, "search_name"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return reverse("learners:learner_detail", args=[self.pk])

    def compute_search_name(self) -> str:
        return search_name_of(self.last_name, self.first_name, self.preferred_name)

    @property
    def audit_learner(self):
        return self


class LearnerImport(ImportRecord):
    """One upload of an MIS file: kept with its hash, who, when, counts and the errors shown."""

    class Kind(models.TextChoices):
        LEARNERS = "learners", "Learners"
        CLASS_LIST = "class_list", "Class list"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed (nothing written)"
        REFUSED = "refused", "Refused"
        COMMITTED = "committed", "Committed"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="learner_imports"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    committed_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="centre", view="learners.import_learners")

    class Meta(ImportRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class LearnerImportChange(models.Model):
    """What one committed MIS import did to one learner: created them, changed which of
    their details (the field names; the values are in the learner's audit events), marked
    them as left, or put them in a teaching group. Written by the commit with the change
    itself, so the learner's dossier names the file, when, by whom and what changed."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Details changed"
        LEFT = "left", "Marked as left"
        GROUP_ADDED = "group_added", "Added to a teaching group"

    learner_import = models.ForeignKey(
        LearnerImport, on_delete=models.PROTECT, related_name="changes"
    )
    learner = models.ForeignKey(Learner, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    fields = models.JSONField(default=list, blank=True, help_text="The details changed")
    group = models.CharField(max_length=50, blank=True, help_text="The teaching group joined")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who committed the import",
    )

    access = Access(
        centre="learner_import__centre", view="learners.view_learners", learner="learner"
    )

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["learner", "at"])]

    def __str__(self) -> str:
        return f"{self.learner_import}: {self.get_action_display()} {self.learner}"

    @property
    def audit_learner(self):
        return self.learner


# A learner's place in a teaching group: the home centre sees all of them; a delivering
# centre only the groups it teaches; an arrangement what it shares.
TeachingGroup.learners.through.access = Access(
    centre="learner__centre",
    view="learners.view_learners",
    learner="learner",
    delivering="teachinggroup__delivering_centre",
    qualification="teachinggroup__cohort__qualification",
)
