"""Pearson's qualification catalogue: qualifications, units, learning aims, criteria.

The catalogue is Pearson's, not a centre's, so nothing here is centre-scoped. It sits
below learners/ and centres/ in the layers: both refer to it; it refers to neither. The
rules of combination and grading tables (the Assessment issue) live here too.
"""

from django.db import models


class QualificationFamily(models.Model):
    """A suite of qualifications Pearson treats alike (BTEC Nationals, the 2022 Tech Awards).

    What differs by family is configuration, not code: whether Pearson lets a registration
    be transferred, and (per year, in registrations/) the registration deadline.
    """

    code = models.SlugField(max_length=40, unique=True, help_text="e.g. tech-award-2022")
    name = models.CharField(max_length=120, unique=True)
    transferable = models.BooleanField(
        default=True,
        help_text="Untick where Pearson refuses transfers (the 2022 Tech Awards)",
    )
    transfer_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why a transfer is refused, and where the fact comes from",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "qualification families"

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    class GradingScheme(models.TextChoices):
        NATIONALS = "nationals", "BTEC Nationals (P/M/D, points)"
        TECH_AWARD = "tech_award", "BTEC Tech Award (L1/L2 components)"
        FIRSTS = "firsts", "BTEC Firsts (L1/L2 P/M/D)"
        OTHER = "other", "Other"

    title = models.CharField(max_length=250)
    number = models.CharField(
        "Ofqual qualification number", max_length=12, unique=True, help_text="e.g. 601/7159/5"
    )
    level = models.CharField(max_length=10)
    glh = models.PositiveIntegerField("size (guided learning hours)")
    grading_scheme = models.CharField(
        max_length=20, choices=GradingScheme.choices, default=GradingScheme.NATIONALS
    )
    family = models.ForeignKey(
        QualificationFamily,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qualifications",
        help_text="Decides transfers and the registration deadline",
    )
    typical_years = models.PositiveSmallIntegerField(
        "usual length (academic years)",
        default=1,
        help_text="How long a cohort usually takes: 2 for a National taken over Years 12 and 13",
    )
    # The rule of combination (from the specification): blank = not configured, and then
    # only "is it an optional unit of this qualification" is checked.
    optional_units_required = models.PositiveSmallIntegerField(
        "optional units required",
        null=True,
        blank=True,
        help_text="How many optional units a learner takes; blank if not configured",
    )
    optional_glh_required = models.PositiveIntegerField(
        "optional GLH required",
        null=True,
        blank=True,
        help_text=(
            "Guided learning hours the optional units add up to; blank: the qualification's "
            "GLH less its mandatory units' GLH (when the number of units is configured)"
        ),
    )
    combination_source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the rule of combination comes from (specification, issue, page)",
    )
    combination_unconfirmed = models.CharField(
        max_length=300,
        blank=True,
        help_text="What in the rule of combination is not confirmed against the specification",
    )

    class Meta:
        db_table = "learners_qualification"  # moved from learners/ with its rows
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.number})"

    @property
    def has_combination_rule(self) -> bool:
        return self.optional_units_required is not None or self.optional_glh_required is not None

    def clean(self):
        """The configured optional GLH and the mandatory units must add up to the size."""
        from django.core.exceptions import ValidationError

        if self.pk and self.optional_glh_required is not None and self.glh:
            mandatory = sum(u.glh for u in self.units.filter(mandatory=True))
            if mandatory and mandatory + self.optional_glh_required != self.glh:
                raise ValidationError(
                    {
                        "optional_glh_required": (
                            f"The mandatory units are {mandatory} GLH; with "
                            f"{self.optional_glh_required} optional GLH that is "
                            f"{mandatory + self.optional_glh_required}, not the qualification's "
                            f"{self.glh} GLH."
                        )
                    }
                )


class Unit(models.Model):
    """A unit (or component) of a qualification, as the specification lists it."""

    class Assessment(models.TextChoices):
        INTERNAL = "internal", "Internally assessed"
        EXTERNAL = "external", "Externally assessed"

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="units")
    number = models.CharField(max_length=10, help_text="e.g. 1, 2, 19")
    title = models.CharField(max_length=250)
    glh = models.PositiveIntegerField("guided learning hours")
    assessment = models.CharField(max_length=10, choices=Assessment.choices)
    mandatory = models.BooleanField(default=True)
    sort_key = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        db_table = "learners_unit"
        ordering = ["qualification", "sort_key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "number"], name="unit_number_unique_in_qualification"
            )
        ]

    def __str__(self) -> str:
        return f"Unit {self.number}: {self.title}"

    def save(self, *args, **kwargs):
        # Unit "10" sorts after unit "9", as in the specification.
        digits = "".join(ch for ch in self.number if ch.isdigit())
        self.sort_key = int(digits) if digits else 0
        super().save(*args, **kwargs)


class LearningAim(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="learning_aims")
    code = models.CharField(max_length=5, help_text="e.g. A, B, C")
    label = models.CharField(max_length=250)

    class Meta:
        db_table = "learners_learningaim"
        ordering = ["unit", "code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="aim_code_unique_in_unit")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class AssessmentCriterion(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="criteria")
    learning_aim = models.ForeignKey(
        LearningAim, null=True, blank=True, on_delete=models.SET_NULL, related_name="criteria"
    )
    code = models.CharField(max_length=10, help_text="e.g. A.P1, B.M2, P1, D1")
    label = models.CharField(max_length=250, blank=True)

    class Meta:
        db_table = "learners_assessmentcriterion"
        ordering = ["unit", "code"]
        verbose_name_plural = "assessment criteria"
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="criterion_code_unique_in_unit")
        ]

    def __str__(self) -> str:
        return self.code
