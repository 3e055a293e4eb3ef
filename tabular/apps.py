from django.apps import AppConfig


class TabularConfig(AppConfig):
    """The import framework: file checks, columns, typed cells, the rows log, kept records."""

    name = "tabular"
    verbose_name = "Imports"
