"""URLs for the tracking pages (joined into assessment.urls)."""

from django.urls import path

from . import views_tech_award as tech_award
from . import views_tracking as views

urlpatterns = [
    path("tracking/<id:pk>/", views.tracking_sheet_page, name="tracking_sheet"),
    path("tracking/<id:pk>/export/", views.tracking_export, name="tracking_export"),
    path(
        "tracking/<id:pk>/sign/teacher/", views.tracking_sign_teacher, name="tracking_sign_teacher"
    ),
    path("tracking/<id:pk>/sign/leader/", views.tracking_sign_leader, name="tracking_sign_leader"),
    path("tracking/<id:pk>/import/", views.tracking_import, name="tracking_import"),
    path(
        "tracking/imports/<id:pk>/confirm/",
        views.tracking_import_confirm,
        name="tracking_import_confirm",
    ),
    path("tech-award/<id:pk>/record/", tech_award.moderation_record, name="moderation_record"),
    path(
        "tech-award/<id:pk>/record/export/",
        tech_award.moderation_record_export,
        name="moderation_record_export",
    ),
    path("tech-award/<id:pk>/record/mark/", tech_award.record_mark, name="moderation_record_mark"),
    path(
        "tech-award/<id:pk>/record/enter/", tech_award.enter_series, name="moderation_record_enter"
    ),
    path(
        "tech-award/<id:pk>/record/withdraw/",
        tech_award.withdraw_entry,
        name="moderation_record_withdraw",
    ),
]
