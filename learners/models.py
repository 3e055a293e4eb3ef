"""The records every BTEC process hangs on: qualifications, programmes, learners."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.permissions import Access
from qualifications.models import Qualification, Unit
from tabular.models import ImportRecord
from tabular.names import normalise_name

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


# A learner's place in a teaching group: the home centre sees all of them; a delivering
# centre only the groups it teaches; an arrangement what it shares.
TeachingGroup.learners.through.access = Access(
    centre="learner__centre",
    view="learners.view_learners",
    learner="learner",
    delivering="teachinggroup__delivering_centre",
    qualification="teachinggroup__programme__qualification",
)
