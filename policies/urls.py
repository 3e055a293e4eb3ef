from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("", views.register, name="register"),
    path("reminders/", views.reminder_settings, name="reminder_settings"),
    path("new/", views.policy_add, name="policy_add"),
    path("export.xlsx", views.export_register, name="export"),
    path("files.zip", views.export_files, name="export_files"),
    path("<id:pk>/", views.policy_detail, name="policy_detail"),
    path("<id:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("<id:pk>/review/", views.policy_review, name="policy_review"),
    path("<id:pk>/monitoring/", views.policy_monitor, name="policy_monitor"),
    path("versions/<id:pk>/", views.version_edit, name="version_edit"),
    path("versions/<id:pk>/sign/", views.version_sign, name="version_sign"),
    path("versions/<id:pk>/chair/", views.version_chair, name="version_chair"),
    path("versions/<id:pk>/file/", views.version_file, name="version_file"),
]
