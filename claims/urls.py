from django.urls import path

from . import views, views_results

app_name = "claims"

urlpatterns = [
    path("readiness/<id:pk>/", views.readiness, name="readiness"),
    path("results/import/", views_results.results_import, name="results_import"),
    path(
        "results/import/<id:pk>/confirm/",
        views_results.results_import_confirm,
        name="results_import_confirm",
    ),
]
