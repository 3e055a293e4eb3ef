from django.contrib import admin

from audit.admin import AuditedAdminMixin

from .models import AssessmentCriterion, LearningAim, Qualification, QualificationFamily, Unit


@admin.register(Qualification)
class QualificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "number", "level", "glh", "family"]
    search_fields = ["title", "number"]


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["qualification", "number", "title", "glh", "assessment", "mandatory"]
    list_filter = ["qualification"]


@admin.register(LearningAim)
class LearningAimAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "code", "label"]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "code", "label"]


@admin.register(QualificationFamily)
class QualificationFamilyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "transferable"]
