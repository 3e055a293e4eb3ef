from django.urls import path

from . import views, views_monitoring

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
    path("monitoring/", views_monitoring.monitoring_list, name="monitoring_list"),
    path("monitoring/draft/", views_monitoring.monitoring_draft, name="monitoring_draft"),
    path("monitoring/<id:pk>/", views_monitoring.monitoring_report, name="monitoring_report"),
    path(
        "monitoring/<id:pk>/actions/",
        views_monitoring.monitoring_actions,
        name="monitoring_actions",
    ),
    path(
        "monitoring/<id:pk>/redraft/",
        views_monitoring.monitoring_redraft,
        name="monitoring_redraft",
    ),
    path("monitoring/<id:pk>/sign/", views_monitoring.monitoring_sign, name="monitoring_sign"),
    path("monitoring/<id:pk>/amend/", views_monitoring.monitoring_amend, name="monitoring_amend"),
    path("monitoring/<id:pk>/pdf/", views_monitoring.monitoring_pdf, name="monitoring_pdf"),
]
