"""Imported results change only through the import (checked, audited); the admin only reads."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import (
    Claim,
    ClaimFile,
    ClaimLine,
    ClaimsAudit,
    ClaimsAuditLine,
    ClaimUnit,
    ExternalEntry,
    ExternalResult,
    ResultsImport,
)


@admin.register(ExternalResult)
class ExternalResultAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "series", "grade", "points", "mark", "current", "source"]
    list_filter = ["current", "series"]


@admin.register(ResultsImport)
class ResultsImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "centre", "status", "uploaded_by", "created_at"]
    list_filter = ["status"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "kind", "version", "status", "submitted_on", "pearson_reference"]
    list_filter = ["kind", "status"]


@admin.register(ClaimLine)
class ClaimLineAdmin(ReadOnlyAdmin):
    list_display = ["claim", "last_name", "first_name", "uln", "award_grade", "programme_code"]


@admin.register(ClaimUnit)
class ClaimUnitAdmin(ReadOnlyAdmin):
    list_display = ["line", "unit", "grade"]


@admin.register(ClaimsAudit)
class ClaimsAuditAdmin(ReadOnlyAdmin):
    list_display = ["centre", "academic_year", "version", "status", "sample_rate", "seed"]
    list_filter = ["status", "academic_year"]


@admin.register(ClaimsAuditLine)
class ClaimsAuditLineAdmin(ReadOnlyAdmin):
    list_display = ["audit", "line", "how", "finding", "found_by", "found_at"]
    list_filter = ["how", "finding"]


@admin.register(ClaimFile)
class ClaimFileAdmin(ReadOnlyAdmin):
    list_display = ["claim", "format", "sha256", "made_by", "made_at"]


@admin.register(ExternalEntry)
class ExternalEntryAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "series", "late", "entered_by", "entered_at", "withdrawn_at"]
    list_filter = ["series", "late"]
