from django.urls import path

from . import views, views_cohorts, views_jobs

app_name = "learners"
urlpatterns = [
    path("", views.learner_list, name="learner_list"),
    path("export.xlsx", views.learners_export, name="learners_export"),
    path("<id:pk>/", views.learner_detail, name="learner_detail"),
    path("<id:pk>/edit/", views.learner_edit, name="learner_edit"),
    path("cohorts/", views.cohort_list, name="cohort_list"),
    path("cohorts/export.xlsx", views.cohorts_export, name="cohorts_export"),
    path("cohorts/new/", views_cohorts.cohort_create, name="cohort_create"),
    path("cohorts/<id:pk>/", views.cohort_detail, name="cohort_detail"),
    path("cohorts/<id:pk>/edit/", views_cohorts.cohort_edit, name="cohort_edit"),
    path("cohorts/<id:pk>/groups/new/", views_cohorts.group_edit, name="group_create"),
    path(
        "cohorts/<id:pk>/groups/<id:group_pk>/",
        views_cohorts.group_edit,
        name="group_edit",
    ),
    path("cohorts/<id:pk>/class-list.xlsx", views.class_list_export, name="class_list_export"),
    path(
        "cohorts/<id:pk>/audit-report/",
        views_jobs.cohort_audit_report,
        name="cohort_audit_report",
    ),
]
