from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Certificates"

    def ready(self):
        from . import audit_traces, events, permissions, retention_clocks  # noqa: F401  (register them)
