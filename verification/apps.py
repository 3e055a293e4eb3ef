from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self):
        from . import events, jobs_kinds, permissions, report_measures  # noqa: F401
