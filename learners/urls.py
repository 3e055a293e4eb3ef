from django.urls import path

from . import views, views_programmes

app_name = "learners"
urlpatterns = [
    path("", views.learner_list, name="learner_list"),
    path("export.xlsx", views.learners_export, name="learners_export"),
    path("<id:pk>/", views.learner_detail, name="learner_detail"),
    path("<id:pk>/edit/", views.learner_edit, name="learner_edit"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/export.xlsx", views.programmes_export, name="programmes_export"),
    path("programmes/new/", views_programmes.programme_create, name="programme_create"),
    path("programmes/<id:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<id:pk>/edit/", views_programmes.programme_edit, name="programme_edit"),
    path("programmes/<id:pk>/groups/new/", views_programmes.group_edit, name="group_create"),
    path(
        "programmes/<id:pk>/groups/<id:group_pk>/",
        views_programmes.group_edit,
        name="group_edit",
    ),
    path("programmes/<id:pk>/class-list.xlsx", views.class_list_export, name="class_list_export"),
]
