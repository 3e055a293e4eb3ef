"""Assessment records change only through the office's pages (checked, audited, versioned);
the admin only reads them."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import AssessmentPlan, CriterionDecision, ImportedUnitResult, PlannedAssignment


@admin.register(AssessmentPlan)
class AssessmentPlanAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "academic_year", "status", "written_by", "reviewed_by"]
    list_filter = ["status", "academic_year"]


@admin.register(PlannedAssignment)
class PlannedAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "plan", "method", "assessor", "internal_verifier"]
    list_filter = ["method"]


@admin.register(CriterionDecision)
class CriterionDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "learner",
        "assignment",
        "criterion",
        "attempt",
        "achieved",
        "version",
        "current",
    ]
    list_filter = ["attempt", "achieved", "current"]


@admin.register(ImportedUnitResult)
class ImportedUnitResultAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "grade", "imported_by", "imported_at"]


# --- decisions: submissions, resubmissions, retakes (read-only) ---------------------------

from .models import Resubmission, Retake, Submission  # noqa: E402


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "learner",
        "assignment",
        "attempt",
        "submitted_on",
        "learner_declared_on",
        "assessor_declared_on",
    ]


@admin.register(Resubmission)
class ResubmissionAdmin(ReadOnlyAdmin):
    list_display = ["learner", "assignment", "authorised_by", "authorised_on"]


@admin.register(Retake)
class RetakeAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "assignment", "authorised_by", "authorised_on"]
