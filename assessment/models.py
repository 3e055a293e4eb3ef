"""Assessment: the Lead IV's plan, the assignments it lists, and criterion decisions.

The backbone every later record hangs off (Assessment issue, 000-3.3, 000-3.2.3):

- an AssessmentPlan is written by the qualification's Lead IV for one cohort in one of
  its academic years, and reviewed by the Quality Nominee;
- each PlannedAssignment on it covers some criteria of one internal unit, with a method,
  an assessor, an internal verifier and the dates the policy asks for;
- a CriterionDecision is one assessor's judgement on one learner, one assignment, one
  criterion: achieved or not yet. Decisions are never edited once internally verified:
  a change is a new row (`version` + 1) that names the one it replaces and why.
- an ImportedUnitResult is a unit grade that came in from a school's spreadsheet with
  no criteria behind it: kept apart, with who imported it and when.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from qualifications.models import UnitGrade


class AssessmentPlan(models.Model):
    """The Lead IV's plan for one cohort in one of its academic years."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "With the Quality Nominee"
        RETURNED = "returned", "Returned for changes"
        APPROVED = "approved", "Approved"

    cohort = models.ForeignKey(
        "learners.Cohort", on_delete=models.PROTECT, related_name="assessment_plans"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The Lead IV who wrote it",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, help_text="The Quality Nominee's overall comment")
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="cohort__centre",
        view="assessment.view_plans",
        delivering="cohort__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["-academic_year", "cohort__qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "academic_year"], name="one_assessment_plan_per_cohort_year"
            )
        ]

    def __str__(self) -> str:
        return f"Assessment plan: {self.cohort.qualification.title}, {self.academic_year}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("assessment:plan_detail", args=[self.pk])

    @property
    def audit_centre_id(self) -> int:
        """The trail its events go on (audit.record): the cohort's centre."""
        return self.cohort.centre_id

    signing_statement = (
        "I have checked this assessment plan: every internal unit and criterion is planned, "
        "with its method, assessor, internal verifier and dates."
    )

    def snapshot(self) -> dict:
        """What a signature on the plan vouches for: its cohort, year and every row."""
        rows = []
        for a in self.assignments.select_related(
            "unit", "assessor", "internal_verifier", "delivering_centre"
        ).prefetch_related("criteria"):
            rows.append(
                {
                    "key": str(a.pk),
                    "unit": f"Unit {a.unit.number}: {a.unit.title}",
                    "title": a.title,
                    "criteria": ", ".join(sorted(c.code for c in a.criteria.all())),
                    "method": a.get_method_display(),
                    "assessor": str(a.assessor.get_full_name() or a.assessor),
                    "internal_verifier": str(
                        a.internal_verifier.get_full_name() or a.internal_verifier
                    ),
                    "site": str(a.delivering_centre or ""),
                    "hand_out": a.hand_out.isoformat(),
                    "hand_in": a.hand_in.isoformat(),
                    "brief_iv_by": a.brief_iv_by.isoformat(),
                    "resubmission_by": a.resubmission_by.isoformat(),
                    "decisions_iv_by": a.decisions_iv_by.isoformat(),
                    # only when set, so plans signed before the field existed still match
                    **({"for_retakes": True} if a.for_retakes else {}),
                }
            )
        return {
            "plan": self.pk,
            "cohort": str(self.cohort_id),
            "qualification": self.cohort.qualification.title,
            "academic_year": self.academic_year,
            "rows": rows,
        }


class AssessmentMethod(models.TextChoices):
    """How an assignment is assessed; IV sampling spreads across these (000-3.2.3)."""

    WRITTEN_REPORT = "written_report", "Written report"
    PRACTICAL = "practical", "Practical"
    PRESENTATION = "presentation", "Presentation"
    OBSERVATION = "observation", "Observation"
    PORTFOLIO = "portfolio", "Portfolio"
    PRODUCT = "product", "Product or artefact"
    RESEARCH = "research", "Research or investigation"
    OTHER = "other", "Other"


class PlannedAssignment(models.Model):
    """One assignment on a plan: which criteria of which unit, how, by whom, and when."""

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    criteria = models.ManyToManyField(
        "qualifications.AssessmentCriterion", related_name="planned_assignments"
    )
    method = models.CharField(max_length=20, choices=AssessmentMethod.choices)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments_assessed"
    )
    internal_verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments_verified"
    )
    delivering_centre = models.ForeignKey(
        "centres.Centre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The site that teaches it, in a consortium (blank: the cohort's own centre)",
    )
    hand_out = models.DateField("hand-out date")
    hand_in = models.DateField("hand-in date")
    brief_iv_by = models.DateField("brief internally verified by")
    resubmission_by = models.DateField(
        "resubmission window ends", help_text="The planned end of the resubmission window"
    )
    decisions_iv_by = models.DateField("decisions internally verified by")
    review_comment = models.TextField(
        blank=True, help_text="The Quality Nominee's comment on this row"
    )
    for_retakes = models.BooleanField(
        "a retake assignment",
        default=False,
        help_text="A new assignment for learners retaking the unit (domain 3.7): its criteria "
        "are already covered by the unit's first assignment",
    )
    position = models.PositiveSmallIntegerField(default=0)

    access = Access(
        centre="plan__cohort__centre",
        view="assessment.view_plans",
        delivering="plan__cohort__teaching_groups__delivering_centre",
        qualification="plan__cohort__qualification",
        paths={
            "cohort": "plan__cohort",
            "assessor": "assessor",
            "internal_verifier": "internal_verifier",
            # who made the decisions an IV of this assignment would verify
            "decided_by": "assessor",
        },
    )

    class Meta:
        ordering = ["plan", "unit__sort_key", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(assessor=models.F("internal_verifier")),
                name="assignment_assessor_is_not_its_iv",
            )
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit.number}: {self.title}"

    @property
    def audit_centre_id(self) -> int:
        return self.plan.cohort.centre_id


class Attempt(models.TextChoices):
    FIRST = "first", "First submission"
    RESUBMISSION = "resubmission", "Resubmission"
    RETAKE = "retake", "Retake"


class CriterionDecision(models.Model):
    """An assessor's decision on one criterion for one learner on one assignment.

    Rows are never changed once internally verified: a change is a new row with
    `version` + 1, `replaces` the old one and a `reason`; only the newest is `current`.
    """

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="criterion_decisions"
    )
    assignment = models.ForeignKey(
        PlannedAssignment, on_delete=models.PROTECT, related_name="decisions"
    )
    criterion = models.ForeignKey(
        "qualifications.AssessmentCriterion", on_delete=models.PROTECT, related_name="decisions"
    )
    attempt = models.CharField(max_length=12, choices=Attempt.choices, default=Attempt.FIRST)
    achieved = models.BooleanField(help_text="Achieved, or not yet")
    decided_on = models.DateField(default=timezone.localdate)
    feedback = models.TextField(blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    current = models.BooleanField(default=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why a verified decision changed"
    )
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was internally verified; it is frozen from then"
    )

    access = Access(
        centre="learner__centre",
        view="assessment.view_decisions",
        learner="learner",
        delivering="learner__teaching_groups__delivering_centre",
        qualification="assignment__plan__cohort__qualification",
        paths={
            "cohort": "assignment__plan__cohort",
            "assessor": "assignment__assessor",
            "internal_verifier": "assignment__internal_verifier",
            # the person who recorded this decision (an importer, or the assessor)
            "decided_by": "assessor",
        },
    )

    class Meta:
        ordering = ["learner", "assignment", "criterion__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment", "criterion", "attempt"],
                condition=models.Q(current=True),
                name="one_current_decision_per_criterion_attempt",
            )
        ]
        indexes = [models.Index(fields=["assignment", "current"])]

    def __str__(self) -> str:
        state = "achieved" if self.achieved else "not yet"
        return f"{self.criterion.code} {state}"


class ImportedUnitResult(models.Model):
    """A unit grade imported from a tracking sheet with no criteria behind it."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="imported_unit_results"
    )
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=1, choices=UnitGrade.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=255, blank=True, help_text="The file it came from")
    current = models.BooleanField(default=True)

    access = Access(
        centre="learner__centre",
        view="assessment.view_decisions",
        learner="learner",
        delivering="learner__teaching_groups__delivering_centre",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["learner", "unit__sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "cohort", "unit"],
                condition=models.Q(current=True),
                name="one_current_imported_result_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit.number}: {self.grade} (imported)"


# The tracking area's models live in their own module (joined here for Django).
from .models_briefs import AssignmentBrief, BriefVersion  # noqa: E402,F401  (plans2: briefs)
from .models_tracking import (  # noqa: E402, F401
    ComponentEntry,
    ComponentMark,
    TrackingImport,
    TrackingSheet,
)

# --- decisions: submissions and authenticity, resubmissions, retakes ---------------------


class Submission(models.Model):
    """A learner's hand-in for one assignment and attempt, with both authenticity
    declarations (domain.md 3.4) and any agreed extension (3.5).

    A decision is refused without both declarations; a resubmission needs the work handed
    in by the hand-in date or the agreed extension.
    """

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="submissions"
    )
    assignment = models.ForeignKey(
        PlannedAssignment, on_delete=models.PROTECT, related_name="submissions"
    )
    attempt = models.CharField(max_length=12, choices=Attempt.choices, default=Attempt.FIRST)
    submitted_on = models.DateField(null=True, blank=True)
    extension_to = models.DateField(
        "agreed extension to", null=True, blank=True, help_text="An authorised extension"
    )
    extension_reason = models.CharField(
        "reason for the extension",
        max_length=300,
        blank=True,
        help_text="Why the extension was agreed (e.g. illness); required with the date",
    )
    extension_agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    extension_agreed_on = models.DateField(null=True, blank=True)
    learner_declared_on = models.DateField(
        null=True, blank=True, help_text="The learner declared the work their own"
    )
    assessor_declared_on = models.DateField(
        null=True, blank=True, help_text="The assessor authenticated the work"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="learner__centre",
        view="assessment.view_decisions",
        learner="learner",
        delivering="learner__teaching_groups__delivering_centre",
        qualification="assignment__plan__cohort__qualification",
        paths={"cohort": "assignment__plan__cohort", "assessor": "assignment__assessor"},
    )

    class Meta:
        ordering = ["learner", "assignment", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment", "attempt"], name="one_submission_per_attempt"
            ),
            models.CheckConstraint(
                condition=models.Q(extension_to__isnull=True) | ~models.Q(extension_reason=""),
                name="submission_extension_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner}: {self.assignment} ({self.get_attempt_display()})"

    @property
    def declared(self) -> bool:
        return bool(self.learner_declared_on and self.assessor_declared_on)

    @property
    def on_time(self) -> bool:
        due = max(filter(None, [self.assignment.hand_in, self.extension_to]))
        return self.submitted_on is not None and self.submitted_on <= due


# A Lead IV's authorisation of a second attempt (a resubmission, a retake) is about the
# learner, on an assignment of the cohort's plan: both reach a centre the same way.
LEAD_IV_AUTHORISATION_ACCESS = Access(
    centre="learner__centre",
    view="assessment.view_decisions",
    learner="learner",
    delivering="learner__teaching_groups__delivering_centre",
    qualification="assignment__plan__cohort__qualification",
    paths={"cohort": "assignment__plan__cohort"},
)


class Resubmission(models.Model):
    """The one resubmission of an assignment a learner may have, authorised by the Lead IV."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="resubmissions"
    )
    assignment = models.ForeignKey(
        PlannedAssignment, on_delete=models.PROTECT, related_name="resubmissions"
    )
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    authorised_on = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=300, blank=True)

    access = LEAD_IV_AUTHORISATION_ACCESS

    class Meta:
        ordering = ["learner", "assignment"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment"], name="one_resubmission_per_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"Resubmission of {self.assignment} by {self.learner}"


class Retake(models.Model):
    """The one retake of a unit a learner may have, with a new assignment; capped grade."""

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="retakes"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(
        PlannedAssignment,
        on_delete=models.PROTECT,
        related_name="retakes",
        help_text="The new assignment the learner retakes the unit with",
    )
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    authorised_on = models.DateField(default=timezone.localdate)
    note = models.CharField(max_length=300, blank=True)

    access = LEAD_IV_AUTHORISATION_ACCESS

    class Meta:
        ordering = ["learner", "unit__sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "unit"], name="one_retake_per_unit")
        ]

    def __str__(self) -> str:
        return f"Retake of unit {self.unit.number} by {self.learner}"
