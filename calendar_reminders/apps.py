from django.apps import AppConfig


class CalendarRemindersConfig(AppConfig):
    name = "calendar_reminders"
    verbose_name = "The year's calendar"

    def ready(self):
        from . import events, permissions, sources  # noqa: F401
