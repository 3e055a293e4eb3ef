from django.contrib import admin

from audit.admin import AuditedAdminMixin

from .models import Centre


@admin.register(Centre)
class CentreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "is_active"]
    search_fields = ["number", "name"]
