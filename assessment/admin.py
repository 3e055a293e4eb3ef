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


# --- tracking ---------------------------------------------------------------------------

from .models import ComponentEntry, ComponentMark, TrackingImport, TrackingSheet  # noqa: E402


@admin.register(TrackingSheet)
class TrackingSheetAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "teaching_group", "created_at"]


@admin.register(TrackingImport)
class TrackingImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "cohort", "uploaded_by", "status", "created_at"]
    list_filter = ["status"]


@admin.register(ComponentEntry)
class ComponentEntryAdmin(ReadOnlyAdmin):
    list_display = ["learner", "component", "entered_by", "entered_at", "withdrawn_at"]


@admin.register(ComponentMark)
class ComponentMarkAdmin(ReadOnlyAdmin):
    list_display = ["learner", "component", "raw_mark", "grade", "entered_by", "entered_at"]


# --- assignment briefs (plans2) ----------------------------------------------------------
from .models_briefs import AssignmentBrief, BriefVersion  # noqa: E402


@admin.register(AssignmentBrief)
class AssignmentBriefAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "status", "pearson_authorised", "verified_by", "issued_at"]
    list_filter = ["status", "pearson_authorised"]


@admin.register(BriefVersion)
class BriefVersionAdmin(ReadOnlyAdmin):
    list_display = ["brief", "number", "file_name", "file_type", "size", "made_by", "made_at"]


# --- decisions: submissions, resubmissions, retakes (read-only) ---------------------------

from .models import Resubmission, Retake, Submission  # noqa: E402


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "learner",
        "assignment",
        "attempt",
        "submitted_on",
        "extension_to",
        "learner_declared_on",
        "assessor_declared_on",
    ]


@admin.register(Resubmission)
class ResubmissionAdmin(ReadOnlyAdmin):
    list_display = ["learner", "assignment", "authorised_by", "authorised_on"]


@admin.register(Retake)
class RetakeAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "assignment", "authorised_by", "authorised_on"]
