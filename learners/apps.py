from django.apps import AppConfig


class LearnersConfig(AppConfig):
    name = "learners"

    def ready(self):
        from . import permissions  # noqa: F401
