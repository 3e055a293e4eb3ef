from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Certification claims"

    def ready(self):
        from . import events, permissions, report_measures  # noqa: F401  (register them)
