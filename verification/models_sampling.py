"""Internal verification sampling (policy 000-3.2.1; domain.md 3.9).

The Lead IV keeps, per cohort and year, a plan of which assessment decisions the internal
verifiers sample. How many is set by the centre's strategy from each assessor's risk
rating (new, experienced, flagged). A sample is interim (work in progress and its
feedback, before final decisions) or summative. Each sampled item keeps the learner's
work as it stood when it was sampled; its IV record says agree, or disagree with an
action that goes back to the assessor and is checked again until it is closed. A
disagreement flags every decision by that assessor on that assignment across the cohort.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class RiskRating(models.TextChoices):
    NEW = "new", "New"
    EXPERIENCED = "experienced", "Experienced"
    FLAGGED = "flagged", "Flagged"


class SamplingStrategy(models.Model):
    """A centre's sampling rates, as a percentage of each assessor's decisions per
    assignment. Guidance often quoted: 50–100% for a new assessor or unit, about 15% for
    a long-running, low-risk one. Kept per centre, not as constants."""

    centre = models.OneToOneField(
        "centres.Centre", on_delete=models.CASCADE, related_name="sampling_strategy"
    )
    rate_new = models.PositiveSmallIntegerField("new assessor (%)", default=100)
    rate_experienced = models.PositiveSmallIntegerField("experienced assessor (%)", default=15)
    rate_flagged = models.PositiveSmallIntegerField("flagged assessor (%)", default=100)
    rate_new_unit = models.PositiveSmallIntegerField(
        "unit new to the centre (%)", default=50, help_text="At least this rate on a new unit"
    )
    minimum_per_assignment = models.PositiveSmallIntegerField(
        default=1, help_text="Never fewer than this many learners per assessor and assignment"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="centre", view="verification.view_iv_sampling")

    def __str__(self) -> str:
        return f"Sampling strategy at {self.centre}"

    def rate_for(self, rating: str) -> int:
        return {
            RiskRating.NEW: self.rate_new,
            RiskRating.EXPERIENCED: self.rate_experienced,
            RiskRating.FLAGGED: self.rate_flagged,
        }[rating]


class AssessorRating(models.Model):
    """An assessor's risk rating at a centre for one year, set by the Lead IV or QN."""

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_ratings"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    rating = models.CharField(max_length=12, choices=RiskRating.choices)
    reason = models.CharField(max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="centre", view="verification.view_iv_sampling")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "assessor", "academic_year"], name="one_rating_per_assessor_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessor} rated {self.get_rating_display().lower()} for {self.academic_year}"


class IVPlan(models.Model):
    """The internal verification sampling plan for one cohort in one academic year."""

    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="iv_plans")
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="cohort__centre",
        view="verification.view_iv_sampling",
        delivering="cohort__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "academic_year"], name="one_iv_plan_per_cohort_year"
            )
        ]

    def __str__(self) -> str:
        return f"IV sampling plan, {self.cohort} {self.academic_year}"


class SampleItem(models.Model):
    """One learner's work on one assignment (one attempt), sampled for IV."""

    class Stage(models.TextChoices):
        INTERIM = "interim", "Interim (work in progress and feedback)"
        SUMMATIVE = "summative", "Summative (final decisions)"

    plan = models.ForeignKey(IVPlan, on_delete=models.CASCADE, related_name="items")
    learner = models.ForeignKey("learners.Learner", on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(
        "assessment.PlannedAssignment", on_delete=models.PROTECT, related_name="iv_samples"
    )
    attempt = models.CharField(max_length=12, default="first")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.SUMMATIVE)
    reasons = models.CharField(
        max_length=300, blank=True, help_text="Why the builder chose it (new assessor, top grade…)"
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text="The learner's work and decisions as sampled"
    )
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sampled_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="plan__cohort__centre",
        view="verification.view_iv_sampling",
        learner="learner",
        delivering="plan__cohort__teaching_groups__delivering_centre",
        qualification="plan__cohort__qualification",
        paths={
            "cohort": "plan__cohort",
            "assessor": "assignment__assessor",
            "internal_verifier": "assignment__internal_verifier",
            "decided_by": "assignment__assessor",
        },
    )

    class Meta:
        ordering = ["plan", "assignment", "learner", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "learner", "assignment", "attempt", "stage"],
                name="one_sample_item_per_work_stage",
            )
        ]
        # a decision's own items (selectors_iv: the learner's work on the assignment, in
        # that attempt), which the IV reads look up once per decision
        indexes = [
            models.Index(fields=["learner", "assignment", "attempt"], name="sampleitem_own_work")
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.assignment.title} ({self.get_stage_display()})"


class IVRecord(models.Model):
    """The internal verifier's record on a sampled item: agree, or disagree with an action.

    An action goes to the assessor and is checked again until it is closed."""

    class Outcome(models.TextChoices):
        AGREE = "agree", "Agree"
        DISAGREE = "disagree", "Disagree"

    item = models.OneToOneField(SampleItem, on_delete=models.PROTECT, related_name="iv_record")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="iv_records"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    comments = models.TextField(blank=True)
    action = models.TextField(blank=True, help_text="What the assessor must do (on a disagree)")
    action_due = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    action_done_at = models.DateTimeField(
        null=True, blank=True, help_text="When the assessor said the action was done"
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the IV checked the action again and closed it"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(blank=True)

    access = Access(
        centre="item__plan__cohort__centre",
        view="verification.view_iv_sampling",
        learner="item__learner",
        delivering="item__plan__cohort__teaching_groups__delivering_centre",
        qualification="item__plan__cohort__qualification",
        paths={
            "cohort": "item__plan__cohort",
            "assessor": "item__assignment__assessor",
            "internal_verifier": "item__assignment__internal_verifier",
            "decided_by": "item__assignment__assessor",
        },
    )

    def __str__(self) -> str:
        return f"IV {self.get_outcome_display().lower()}: {self.item}"

    @property
    def complete(self) -> bool:
        """IV is complete on an agree, or on a disagree once its action is closed."""
        return self.outcome == self.Outcome.AGREE or self.closed_at is not None


class DecisionFlag(models.Model):
    """A disagreement flags the cohort: every decision by this assessor on this assignment
    is to be checked again, until the Lead IV clears the flag."""

    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(
        "assessment.PlannedAssignment", on_delete=models.PROTECT, related_name="iv_flags"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(IVRecord, on_delete=models.PROTECT, related_name="flags")
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clearing_note = models.TextField(blank=True)

    access = Access(
        centre="cohort__centre",
        view="verification.view_iv_sampling",
        delivering="cohort__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={
            "cohort": "cohort",
            "assessor": "assessor",
            "internal_verifier": "assignment__internal_verifier",
            "decided_by": "assessor",
        },
    )

    def __str__(self) -> str:
        return f"Check again: {self.assessor}'s decisions on {self.assignment.title}"
