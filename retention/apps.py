from django.apps import AppConfig


class RetentionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "retention"

    def ready(self):
        from . import events, permissions, retention_kinds  # noqa: F401  (registries)
