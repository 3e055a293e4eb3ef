"""Imported results change only through the import (checked, audited); the admin only reads."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import ExternalResult, ResultsImport


@admin.register(ExternalResult)
class ExternalResultAdmin(ReadOnlyAdmin):
    list_display = ["learner", "unit", "series", "grade", "points", "mark", "current", "source"]
    list_filter = ["current", "series"]


@admin.register(ResultsImport)
class ResultsImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "centre", "status", "uploaded_by", "created_at"]
    list_filter = ["status"]
