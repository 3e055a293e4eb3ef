"""Lead IV appointments are kept through the Quality Nominee's pages (checked, audited);
the admin only reads them."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import LeadIVAppointment


@admin.register(LeadIVAppointment)
class LeadIVAppointmentAdmin(ReadOnlyAdmin):
    list_display = ["qualification", "centre", "academic_year", "lead_iv", "cover"]
    list_filter = ["academic_year"]
