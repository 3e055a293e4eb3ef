from django.urls import path

from . import views, views_audit, views_claims, views_entries, views_results

app_name = "claims"

urlpatterns = [
    path("readiness/<id:pk>/", views.readiness, name="readiness"),
    path("entries/<id:pk>/", views_entries.entries, name="entries"),
    path("entries/<id:pk>/save/", views_entries.entries_save, name="entries_save"),
    path("entries/<id:pk>/xlsx/", views_entries.entries_xlsx, name="entries_xlsx"),
    path("entry/<id:pk>/withdraw/", views_entries.entry_withdraw, name="entry_withdraw"),
    path("results/import/", views_results.results_import, name="results_import"),
    path(
        "results/import/<id:pk>/confirm/",
        views_results.results_import_confirm,
        name="results_import_confirm",
    ),
    path(
        "results/import/<id:pk>/discard/",
        views_results.results_import_discard,
        name="results_import_discard",
    ),
    path("audit/", views_audit.audit_list, name="audit_list"),
    path("audit/<id:pk>/", views_audit.audit_detail, name="audit_detail"),
    path("audit/<id:pk>/draw/", views_audit.audit_draw, name="audit_draw"),
    path("audit/<id:pk>/add/", views_audit.audit_add_line, name="audit_add_line"),
    path("audit/<id:pk>/sign/", views_audit.audit_sign, name="audit_sign"),
    path("audit/<id:pk>/reopen/", views_audit.audit_reopen, name="audit_reopen"),
    path("audit/<id:pk>/pdf/", views_audit.audit_pdf_download, name="audit_pdf"),
    path("audit/<id:pk>/xlsx/", views_audit.audit_xlsx_download, name="audit_xlsx"),
    path("audit/sample/<id:pk>/finding/", views_audit.audit_finding, name="audit_finding"),
    path("cohort/<id:pk>/", views_claims.cohort_claim_list, name="cohort_claims"),
    path("cohort/<id:pk>/prepare/", views_claims.claim_prepare, name="claim_prepare"),
    path("claim/<id:pk>/", views_claims.claim_detail, name="claim_detail"),
    path("claim/<id:pk>/approve/", views_claims.claim_approve, name="claim_approve"),
    path("claim/<id:pk>/submit/", views_claims.claim_submit, name="claim_submit"),
    path("claim/<id:pk>/amend/", views_claims.claim_amend, name="claim_amend"),
    path("claim/<id:pk>/file/", views_claims.claim_file, name="claim_file"),
]
