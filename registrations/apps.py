from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "registrations"

    def ready(self):
        # Permissions are declared at import; the menu needs them before any view loads.
        # notifications registers the outbox's after-sent hook in every process that sends.
        from . import events, jobs_kinds, notifications, permissions, report_measures  # noqa: F401
