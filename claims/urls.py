from django.urls import path

from . import views, views_entries, views_results

app_name = "claims"

urlpatterns = [
    path("readiness/<id:pk>/", views.readiness, name="readiness"),
    path("entries/<id:pk>/", views_entries.entries, name="entries"),
    path("entries/<id:pk>/save/", views_entries.entries_save, name="entries_save"),
    path("entries/<id:pk>/xlsx/", views_entries.entries_xlsx, name="entries_xlsx"),
    path("results/import/", views_results.results_import, name="results_import"),
    path(
        "results/import/<id:pk>/confirm/",
        views_results.results_import_confirm,
        name="results_import_confirm",
    ),
]
