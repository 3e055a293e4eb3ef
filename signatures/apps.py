from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "signatures"
    verbose_name = "Signatures and versions"

    def ready(self):
        from . import events  # noqa: F401
