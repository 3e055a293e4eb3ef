"""Declarations and reviews are kept through their pages (checked, audited, signed); the
admin only reads them."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import (
    ArrangementReview,
    DeclarationItem,
    QualityDeclaration,
    ReviewAction,
    ReviewAttendance,
)


@admin.register(QualityDeclaration)
class QualityDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["centre", "academic_year", "status", "completed_by", "completed_at"]
    list_filter = ["academic_year", "status"]


@admin.register(ArrangementReview)
class ArrangementReviewAdmin(ReadOnlyAdmin):
    list_display = ["arrangement", "academic_year", "held_on", "recorded_by"]
    list_filter = ["academic_year"]


for model in (DeclarationItem, ReviewAttendance, ReviewAction):
    admin.site.register(model, ReadOnlyAdmin)
