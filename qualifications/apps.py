from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    name = "qualifications"
    verbose_name = "Qualification catalogue"

    def ready(self):
        from . import events, permissions  # noqa: F401
