from django.apps import AppConfig


class CentresConfig(AppConfig):
    name = "centres"

    def ready(self):
        from . import permissions  # noqa: F401
