"""/learners/<id>/dossier/ and its PDF (mounted beside the learners app's URLs)."""

from django.urls import path

from . import views

app_name = "dossier"

urlpatterns = [
    path("<id:pk>/dossier/", views.dossier_page, name="dossier"),
    path("<id:pk>/dossier.pdf", views.dossier_download, name="dossier_pdf"),
]
