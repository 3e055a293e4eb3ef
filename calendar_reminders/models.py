"""A date of the year reminded at a centre, and each step an overdue action was escalated.

`CalendarReminder` is one row per centre, date source and academic year (the to-do's
target, so a run twice, or on two workers, opens one to-do); it keeps the date the open
to-do is about, so a changed configuration closes it and opens one for the new date.
`Escalation` is one row per overdue action and step (Lead IV, then Quality Nominee): the
guard that each step's to-do and e-mail happen once.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Access


class CalendarReminder(models.Model):
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="calendar_reminders"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    code = models.CharField(max_length=100, help_text="The date source, e.g. claims.deadline")
    date = models.DateField(help_text="The date the reminder was opened for")
    opened_at = models.DateTimeField(default=timezone.now)

    access = Access(centre="centre", view="calendar_reminders.view_calendar")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "code", "academic_year"],
                name="one_calendar_reminder_per_centre_code_year",
            )
        ]

    def __str__(self) -> str:
        from .registry import all_sources

        label = next((s.label for s in all_sources() if s.code == self.code), self.code)
        return f"{label} {self.academic_year}"

    def get_absolute_url(self):
        return f"{reverse('calendar_reminders:calendar')}?centre={self.centre_id}"


class Escalation(models.Model):
    class Step(models.IntegerChoices):
        LEAD_IV = 1, "to the Lead IV"
        QUALITY_NOMINEE = 2, "to the Quality Nominee"

    centre = models.ForeignKey("centres.Centre", on_delete=models.CASCADE, related_name="+")
    action_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    action_id = models.PositiveBigIntegerField()
    action = GenericForeignKey("action_type", "action_id")
    step = models.PositiveSmallIntegerField(choices=Step.choices)
    due_on = models.DateField(help_text="The action's own due date")
    escalated_on = models.DateField()
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_role = models.CharField(max_length=32, blank=True)

    access = Access(centre="centre", view="calendar_reminders.view_calendar")

    class Meta:
        ordering = ["escalated_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["action_type", "action_id", "step"], name="one_escalation_per_action_step"
            )
        ]

    def __str__(self) -> str:
        return f"Escalation {self.get_step_display()} ({self.escalated_on:%d/%m/%Y})"
