from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import CalendarReminder, Escalation


@admin.register(CalendarReminder)
class CalendarReminderAdmin(ReadOnlyAdmin):
    list_display = ["code", "centre", "academic_year", "date", "opened_at"]
    list_filter = ["code", "academic_year"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["action_type", "action_id", "step", "centre", "due_on", "escalated_on"]
    list_filter = ["step"]
