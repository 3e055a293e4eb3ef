"""Imported results change only through the import (checked, audited); the admin only reads."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import Claim, ClaimLine, ClaimUnit, ExternalEntry, ExternalResult, ResultsImport


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


@admin.register(ExternalEntry)
class ExternalEntryAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "series", "late", "entered_by", "entered_at", "withdrawn_at"]
    list_filter = ["series", "late"]
