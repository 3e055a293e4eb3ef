from django.urls import path

from . import views, views_claims, views_results

app_name = "claims"

urlpatterns = [
    path("readiness/<id:pk>/", views.readiness, name="readiness"),
    path("results/import/", views_results.results_import, name="results_import"),
    path(
        "results/import/<id:pk>/confirm/",
        views_results.results_import_confirm,
        name="results_import_confirm",
    ),
    path("cohort/<id:pk>/", views_claims.cohort_claim_list, name="cohort_claims"),
    path("cohort/<id:pk>/prepare/", views_claims.claim_prepare, name="claim_prepare"),
    path("claim/<id:pk>/", views_claims.claim_detail, name="claim_detail"),
    path("claim/<id:pk>/approve/", views_claims.claim_approve, name="claim_approve"),
    path("claim/<id:pk>/submit/", views_claims.claim_submit, name="claim_submit"),
    path("claim/<id:pk>/amend/", views_claims.claim_amend, name="claim_amend"),
    path("claim/<id:pk>/file/", views_claims.claim_file, name="claim_file"),
]
