from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "todos"
    verbose_name = "What needs doing"

    def ready(self):
        from . import events, permissions  # noqa: F401
