from django.contrib import admin

from audit.admin import AuditedAdminMixin

from .models import Learner, Programme, Qualification, TeachingGroup


@admin.register(Qualification)
class QualificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "number", "level", "glh"]
    search_fields = ["title", "number"]


@admin.register(Programme)
class ProgrammeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["qualification", "centre", "academic_year", "leader"]
    list_filter = ["academic_year", "centre"]


@admin.register(TeachingGroup)
class TeachingGroupAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "programme", "delivering_centre"]
    filter_horizontal = ["learners"]


@admin.register(Learner)
class LearnerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "centre", "uln", "candidate_number", "on_roll"]
    list_filter = ["centre", "on_roll"]
    search_fields = ["last_name", "first_name", "uln", "uci", "candidate_number"]
