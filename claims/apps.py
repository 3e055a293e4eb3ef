from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Certification claims"

    def ready(self):
        from . import events, permissions  # noqa: F401  (register them)
