from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DossierConfig(AppConfig):
    name = "dossier"

    def ready(self):
        from . import permissions  # noqa: F401

        # Each app says its own part of the record in `<app>/dossier_sections.py`
        # (register_section); an app added later plugs in the same way.
        autodiscover_modules("dossier_sections")
