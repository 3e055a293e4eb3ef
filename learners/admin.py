from django.contrib import admin

from audit.admin import AuditedAdminMixin

from .models import Cohort, Learner, LearnerImport, LearnerImportChange, TeachingGroup


@admin.register(Cohort)
class CohortAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["qualification", "centre", "start_year", "years", "leader"]
    list_filter = ["start_year", "centre"]


@admin.register(TeachingGroup)
class TeachingGroupAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "cohort", "academic_year", "delivering_centre"]
    filter_horizontal = ["learners"]


@admin.register(Learner)
class LearnerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "centre", "uln", "candidate_number", "on_roll"]
    list_filter = ["centre", "on_roll"]
    search_fields = ["last_name", "first_name", "uln", "uci", "candidate_number"]


@admin.register(LearnerImport)
class LearnerImportAdmin(admin.ModelAdmin):
    """Each import is a record of what happened: read here, never changed."""

    list_display = ["centre", "kind", "file_name", "status", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LearnerImportChange)
class LearnerImportChangeAdmin(admin.ModelAdmin):
    """What each committed import did to each learner: read here, never changed."""

    list_display = ["learner_import", "learner", "action", "at", "by"]
    list_filter = ["action"]
    raw_id_fields = ["learner_import", "learner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
