from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"

    def ready(self):
        from . import events_decisions, events_plans, events_tracking, permissions  # noqa: F401
