from django.apps import AppConfig


class BtecqaConfig(AppConfig):
    """The project package as an app: it owns the demo loader and the shared templates."""

    name = "btecqa"
    verbose_name = "btecqa"

    def ready(self):
        from . import converters  # noqa: F401  registers <id:...> before any urls.py is read
