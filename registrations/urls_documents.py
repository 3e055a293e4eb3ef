"""The round's documents and learner notices, under /registrations/."""

from django.urls import path

from . import views_documents as views

urlpatterns = [
    path("lists/<id:pk>/entry-list.pdf", views.entry_list_pdf, name="entry_list_pdf"),
    path("lists/<id:pk>/entry-list.xlsx", views.entry_list_xlsx, name="entry_list_xlsx"),
    path("lists/<id:pk>/pearson.xlsx", views.pearson_xlsx, name="pearson_xlsx"),
    path("rounds/<id:pk>/notices/", views.round_notices, name="round_notices"),
    path("cohorts/<id:pk>/letters/", views.cohort_letters, name="cohort_letters"),
    path("rounds/<id:pk>/letters.pdf", views.round_letters, name="round_letters"),
    path(
        "rounds/<id:pk>/letters-preview.pdf",
        views.round_letters_preview,
        name="round_letters_preview",
    ),
]
