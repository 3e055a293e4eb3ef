from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policy register"

    def ready(self):
        from . import events, permissions, report_measures  # noqa: F401
