from django.urls import path

from . import views

app_name = "certification"

urlpatterns = [
    path("", views.batches, name="batches"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<id:pk>/", views.batch, name="batch"),
    path("batches/<id:pk>/add/", views.batch_add, name="batch_add"),
    path("batches/<id:pk>/check/", views.batch_check, name="batch_check"),
    path("certificates/<id:pk>/", views.certificate, name="certificate"),
    path("exceptions/<id:pk>/", views.exception, name="exception"),
    path("destruction/", views.destruction, name="destruction"),
    path("import/", views.import_upload, name="import"),
    path("import/<id:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<id:pk>/discard/", views.import_discard, name="import_discard"),
]
