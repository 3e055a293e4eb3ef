"""MIS imports; the root URLconf includes these at learners/imports/."""

from django.urls import path

from . import views_import as views

app_name = "learner_imports"
urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.upload, name="upload"),
    path("<int:pk>/", views.preview, name="preview"),
    path("<int:pk>/columns/", views.mapping, name="mapping"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/result/", views.result, name="result"),
]
