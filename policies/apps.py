from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policy register"

    def ready(self):
        from . import calendar_dates, events, pack, permissions, report_measures  # noqa: F401

        # Each app that keeps evidence says what it reads for the yearly monitoring report
        # in `<app>/monitoring_readers.py` (policies/monitoring.py).
        autodiscover_modules("monitoring_readers")
