from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Certificates"

    def ready(self):
        from . import audit_traces, events, permissions, report_measures, retention_clocks  # noqa: F401
