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
    # domain.md 3.7: a retaken unit's grade is capped (Pass for the Nationals).
    retake_cap = models.CharField(
        max_length=1,
        choices=[("P", "Pass"), ("M", "Merit"), ("D", "Distinction")],
        default="P",
        help_text="The highest grade a retaken unit can get",
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
    # domain.md 3.6: the resubmission window after the assessment decision.
    resubmission_working_days = models.PositiveSmallIntegerField(
        default=15,
        help_text="Working days after the decision within which a resubmission may be authorised",
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
    unconfirmed = models.TextField(
        blank=True,
        help_text="Why this criterion is UNCONFIRMED (not read in the specification); "
        "blank once checked. Shown wherever the criterion is planned or assessed.",
    )

    class Meta:
        db_table = "learners_assessmentcriterion"
        ordering = ["unit", "code"]
        verbose_name_plural = "assessment criteria"
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="criterion_code_unique_in_unit")
        ]

    def __str__(self) -> str:
        return self.code


# ---------------------------------------------------------------- grading tables
#
# Pearson's grading figures are configuration data, like the yearly registration figures:
# each table names its source and what in it is UNCONFIRMED (domain.md §2), and applies to
# cohorts starting in its `from_cohort` year or later, until a later table of the same
# kind (Pearson ties thresholds to the registration cohort and reviews them). The shipped
# tables are in catalogue_data/ and loaded with the catalogue; qualifications/grading.py
# reads them.


class UnitGrade(models.TextChoices):
    """A unit's outcome. N (Near Pass) exists only for external units of the Nationals."""

    U = "U", "U (Unclassified)"
    N = "N", "N (Near Pass)"
    P = "P", "P (Pass)"
    M = "M", "M (Merit)"
    D = "D", "D (Distinction)"


UNIT_GRADE_RANK = {g: i for i, g in enumerate(UnitGrade.values)}  # U < N < P < M < D


class GradingTable(models.Model):
    """One grading table of a qualification, for cohorts from a start year on."""

    class Kind(models.TextChoices):
        UNIT_POINTS = "unit_points", "Unit points"
        THRESHOLDS = "thresholds", "Qualification grade thresholds"
        ELIGIBILITY = "eligibility", "Eligibility rules"

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="grading_tables"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_cohort = models.CharField(
        "applies from the cohort starting",
        max_length=7,
        help_text="e.g. 2020/21: cohorts starting then or later use it, until a later table",
    )
    source = models.CharField(max_length=1000, help_text="Where the figures came from")
    unconfirmed = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Which figures are UNCONFIRMED and must be checked against the specification",
    )
    edited = models.BooleanField(
        "changed here",
        default=False,
        editable=False,
        help_text="Changed in the admin: loading the shipped catalogue leaves it as it is",
    )

    class Meta:
        ordering = ["qualification", "kind", "-from_cohort"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "kind", "from_cohort"],
                name="one_grading_table_per_kind_and_cohort",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.qualification.number} from {self.from_cohort}"

    @property
    def is_unconfirmed(self) -> bool:
        return bool(self.unconfirmed.strip())

    def clean(self):
        from btecqa.validators import academic_year_problem

        if problem := academic_year_problem(self.from_cohort):
            from django.core.exceptions import ValidationError

            raise ValidationError({"from_cohort": f"{problem[0].upper()}{problem[1:]}."})


class UnitPoints(models.Model):
    """Points a unit of this size earns at this grade (internal units: fixed points)."""

    table = models.ForeignKey(GradingTable, on_delete=models.CASCADE, related_name="unit_points")
    glh = models.PositiveIntegerField("unit size (GLH)")
    grade = models.CharField(max_length=1, choices=UnitGrade.choices)
    points = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["table", "glh", "points"]
        verbose_name_plural = "unit points"
        constraints = [
            models.UniqueConstraint(
                fields=["table", "glh", "grade"], name="one_points_value_per_size_and_grade"
            )
        ]

    def __str__(self) -> str:
        return f"{self.glh} GLH {self.grade}: {self.points}"


class GradeThreshold(models.Model):
    """The fewest points for a qualification grade (U 0, P 36 … D*D*D* 270)."""

    table = models.ForeignKey(GradingTable, on_delete=models.CASCADE, related_name="thresholds")
    grade = models.CharField(max_length=10, help_text="e.g. U, P, D*, MP, D*D*D")
    min_points = models.PositiveIntegerField("minimum points")

    class Meta:
        ordering = ["table", "min_points"]
        constraints = [
            models.UniqueConstraint(fields=["table", "grade"], name="threshold_grade_once"),
            models.UniqueConstraint(fields=["table", "min_points"], name="threshold_points_once"),
        ]

    def __str__(self) -> str:
        return f"{self.grade} from {self.min_points}"


class EligibilityRule(models.Model):
    """A condition for any qualification grade, whatever the points (the must-pass rules)."""

    class Kind(models.TextChoices):
        COMPLETE = "complete", "An outcome for every unit of a combination that makes the size"
        UNITS_AT_LEAST = "units_at_least", "Each of these units at the minimum grade or above"
        GLH_AT_LEAST = "glh_at_least", "At least this many GLH at the minimum grade or above"
        COUNT_AT_LEAST = "count_at_least", "At least this many units at the minimum grade or above"

    table = models.ForeignKey(GradingTable, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    units = models.CharField(
        max_length=200,
        blank=True,
        help_text="Unit numbers, e.g. '2, 3'; blank: every unit of the learner's combination",
    )
    minimum_grade = models.CharField(max_length=1, choices=UnitGrade.choices, blank=True)
    minimum = models.PositiveIntegerField(
        null=True, blank=True, help_text="The GLH or number of units the rule asks for"
    )
    note = models.CharField(max_length=500, blank=True, help_text="What the rule is, and why")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["table", "position", "pk"]

    def __str__(self) -> str:
        return self.describe()

    @property
    def unit_numbers(self) -> list[str]:
        return [n.strip() for n in self.units.replace(";", ",").split(",") if n.strip()]

    def describe(self) -> str:
        """The rule in a sentence, for refusals and the admin."""
        units = self.unit_numbers
        which = ("units " + ", ".join(units)) if units else "the units"
        grade = UnitGrade(self.minimum_grade).label if self.minimum_grade else ""
        if self.kind == self.Kind.COMPLETE:
            return "an outcome for every unit of a combination that makes the qualification's size"
        if self.kind == self.Kind.UNITS_AT_LEAST:
            return f"{which} each at {grade} or above"
        if self.kind == self.Kind.GLH_AT_LEAST:
            return f"at least {self.minimum} GLH of {which} at {grade} or above"
        return f"at least {self.minimum} of {which} at {grade} or above"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.kind != self.Kind.COMPLETE and not self.minimum_grade:
            errors["minimum_grade"] = "This rule needs a minimum grade."
        if self.kind in (self.Kind.GLH_AT_LEAST, self.Kind.COUNT_AT_LEAST) and not self.minimum:
            errors["minimum"] = "This rule needs the GLH or number of units it asks for."
        if self.table_id and (numbers := self.unit_numbers):
            known = set(self.table.qualification.units.values_list("number", flat=True))
            if unknown := [n for n in numbers if n not in known]:
                errors["units"] = (
                    f"Not units of {self.table.qualification.number}: {', '.join(unknown)}."
                )
        if errors:
            raise ValidationError(errors)


def grading_rows(table: GradingTable) -> list[dict]:
    """A table's rows in a comparable, JSON-ready form (the loader's diff, the audit trail)."""
    if table.kind == GradingTable.Kind.UNIT_POINTS:
        rows = table.unit_points.order_by("glh", "points")
        return [{"glh": r.glh, "grade": r.grade, "points": r.points} for r in rows]
    if table.kind == GradingTable.Kind.THRESHOLDS:
        rows = table.thresholds.order_by("min_points")
        return [{"grade": r.grade, "min_points": r.min_points} for r in rows]
    return [
        {
            "kind": r.kind,
            "units": r.units,
            "minimum_grade": r.minimum_grade,
            "minimum": r.minimum,
            "note": r.note,
        }
        for r in table.rules.order_by("position", "pk")
    ]


# --- Tech Award series and mark-to-grade configuration (tracking area) -------------------


class ComponentGrade(models.TextChoices):
    """A Tech Award (2022) component grade: six, no D* (domain.md §2.2, CONFIRMED); below
    L1P is U (our assumption, as domain.md says)."""

    U = "U", "U (Unclassified)"
    L1P = "L1P", "Level 1 Pass"
    L1M = "L1M", "Level 1 Merit"
    L1D = "L1D", "Level 1 Distinction"
    L2P = "L2P", "Level 2 Pass"
    L2M = "L2M", "Level 2 Merit"
    L2D = "L2D", "Level 2 Distinction"


COMPONENT_GRADE_RANK = {g: i for i, g in enumerate(ComponentGrade.values)}


class AssessmentSeries(models.Model):
    """A Tech Award series: the one in which a Pearson Set Assignment is completed and
    entered (Dec/Jan or May/June; marks and sample due 15 December / 15 May)."""

    class Window(models.TextChoices):
        DEC_JAN = "dec_jan", "December/January"
        MAY_JUN = "may_jun", "May/June"

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="assessment_series"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    window = models.CharField(max_length=8, choices=Window.choices)
    marks_due = models.DateField(help_text="Centre marks and the sample of work are due")
    source = models.CharField(max_length=1000, blank=True, help_text="Where the dates came from")

    class Meta:
        ordering = ["qualification", "academic_year", "window"]
        verbose_name_plural = "assessment series"
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "academic_year", "window"], name="one_series_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_window_display()} series {self.academic_year}"


class SeriesComponent(models.Model):
    """One internally assessed component in one series: its raw mark maximum and the raw
    marks at which each component grade starts. Pearson's raw-to-UMS conversion changes
    every series, so these are per-series data, never constants, and UNCONFIRMED until
    checked against Pearson's marks converter for the series."""

    series = models.ForeignKey(
        AssessmentSeries, on_delete=models.CASCADE, related_name="components"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    max_mark = models.PositiveSmallIntegerField("raw mark maximum")
    source = models.CharField(max_length=1000, help_text="Where the figures came from")
    unconfirmed = models.CharField(
        max_length=1000,
        blank=True,
        help_text="What is UNCONFIRMED about these figures (blank when checked)",
    )

    class Meta:
        ordering = ["series", "unit__sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["series", "unit"], name="one_component_per_series")
        ]

    def __str__(self) -> str:
        return f"Component {self.unit.number}, {self.series}"

    @property
    def is_unconfirmed(self) -> bool:
        return bool(self.unconfirmed)


class ComponentBoundary(models.Model):
    """The lowest raw mark that earns a component grade in a series."""

    component = models.ForeignKey(
        SeriesComponent, on_delete=models.CASCADE, related_name="boundaries"
    )
    grade = models.CharField(max_length=3, choices=ComponentGrade.choices)
    min_mark = models.PositiveSmallIntegerField("lowest raw mark")

    class Meta:
        ordering = ["component", "min_mark"]
        constraints = [
            models.UniqueConstraint(fields=["component", "grade"], name="one_boundary_per_grade")
        ]

    def __str__(self) -> str:
        return f"{self.grade} from {self.min_mark}"
