from django.urls import path

from . import views

app_name = "learners"
urlpatterns = [
    path("", views.learner_list, name="learner_list"),
    path("export.xlsx", views.learners_export, name="learners_export"),
    path("<int:pk>/", views.learner_detail, name="learner_detail"),
    path("<int:pk>/edit/", views.learner_edit, name="learner_edit"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/export.xlsx", views.programmes_export, name="programmes_export"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/class-list.xlsx", views.class_list_export, name="class_list_export"),
]
