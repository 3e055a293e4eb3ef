from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = "Annual Quality Declaration and arrangement reviews"

    def ready(self):
        from . import checks, events, pack, permissions, report_measures  # noqa: F401
