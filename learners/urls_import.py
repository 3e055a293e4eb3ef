"""MIS imports; the root URLconf includes these at learners/imports/."""

from django.urls import path

from . import views_import as views

app_name = "learner_imports"
urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.upload, name="upload"),
    path("<id:pk>/", views.preview, name="preview"),
    path("<id:pk>/columns/", views.mapping, name="mapping"),
    path("<id:pk>/commit/", views.commit, name="commit"),
    path("<id:pk>/result/", views.result, name="result"),
]
