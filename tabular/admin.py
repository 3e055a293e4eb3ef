from django.contrib import admin

from audit.admin import AuditedAdminMixin

from .models import ColumnMapping


@admin.register(ColumnMapping)
class ColumnMappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["centre", "kind", "updated_at"]
    list_filter = ["kind"]
