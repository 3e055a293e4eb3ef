from django.contrib import admin

from audit.admin import AuditedAdminMixin
from btecqa.forms import ModelForm

from .models import (
    ArrangementPartner,
    ArrangementQualification,
    Centre,
    CollaborativeArrangement,
)


@admin.register(Centre)
class CentreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "is_active"]
    search_fields = ["number", "name"]


class PartnerInline(admin.TabularInline):
    model = ArrangementPartner
    form = ModelForm
    extra = 0


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
class ArrangementPartnerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["arrangement", "centre", "joined_on", "withdrawn_on"]


@admin.register(ArrangementQualification)
class ArrangementQualificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["arrangement", "qualification", "lead_iv", "added_on", "withdrawn_on"]
