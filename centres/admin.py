from django.contrib import admin

from audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from btecqa.forms import ModelForm

from .models import (
    ArrangementPartner,
    ArrangementQualification,
    Centre,
    CollaborativeArrangement,
    QualificationApproval,
)


@admin.register(Centre)
class CentreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "is_active"]
    search_fields = ["number", "name"]


class PartnerInline(admin.TabularInline):
    """Read-only: a centre becomes a partner only by its own acceptance, on the pages."""

    model = ArrangementPartner
    form = ModelForm
    extra = 0
    can_delete = False
    fields = ["centre", "status", "invited_at", "joined_on", "withdrawn_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ArrangementQualificationInline(admin.TabularInline):
    model = ArrangementQualification
    form = ModelForm
    extra = 0


@admin.register(CollaborativeArrangement)
class CollaborativeArrangementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Day-to-day changes go through the arrangement pages, which also owe Pearson a message."""

    list_display = ["name", "lead_centre", "programme_code", "first_year", "last_year"]
    inlines = [PartnerInline, ArrangementQualificationInline]


@admin.register(ArrangementPartner)
class ArrangementPartnerAdmin(ReadOnlyAdmin):
    """Consent is given on the pages by the centre's own QN or head, never here."""

    list_display = ["arrangement", "centre", "status", "joined_on", "withdrawn_on"]
    list_filter = ["status"]


@admin.register(ArrangementQualification)
class ArrangementQualificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["arrangement", "qualification", "lead_iv", "added_on", "withdrawn_on"]


@admin.register(QualificationApproval)
class QualificationApprovalAdmin(ReadOnlyAdmin):
    """Each centre records its own approvals on the Pearson approvals page (audited)."""

    list_display = ["centre", "qualification", "approved_on", "reference", "recorded_by"]
