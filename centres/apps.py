from django.apps import AppConfig


class CentresConfig(AppConfig):
    name = "centres"

    def ready(self):
        from . import access, events, permissions  # noqa: F401

        access.install()
