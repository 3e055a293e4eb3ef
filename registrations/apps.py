from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "registrations"

    def ready(self):
        # Permissions are declared at import; the menu needs them before any view loads.
        from . import events, permissions  # noqa: F401
