from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policy register"

    def ready(self):
        from . import events, permissions  # noqa: F401
