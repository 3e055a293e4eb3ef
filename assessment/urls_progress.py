"""URLs for the learner's record of progress and achievement (joined into assessment.urls)."""

from django.urls import path

from . import views_progress as v

urlpatterns: list = [
    path("learners/<id:pk>/progress/", v.learner_progress_page, name="learner_progress"),
    path(
        "learners/<id:pk>/progress.xlsx", v.learner_progress_export, name="learner_progress_export"
    ),
]
