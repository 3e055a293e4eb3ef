from django.apps import AppConfig


class LearnersConfig(AppConfig):
    name = "learners"

    def ready(self):
        from . import events, groups, jobs_kinds, permissions  # noqa: F401
