"""URLs for the decisions pages (joined into assessment.urls)."""

from django.urls import path

from . import views_decisions as v

urlpatterns: list = [
    path("decisions/assignment/<int:pk>/grid/", v.grid, name="decisions_grid"),
    path(
        "decisions/assignment/<int:pk>/learner/<int:learner>/",
        v.learner_record,
        name="decisions_learner",
    ),
    path(
        "decisions/assignment/<int:pk>/learner/<int:learner>/verify/",
        v.verify,
        name="decisions_verify",
    ),
    path(
        "decisions/assignment/<int:pk>/learner/<int:learner>/resubmission/",
        v.resubmission,
        name="decisions_resubmission",
    ),
    path(
        "decisions/assignment/<int:pk>/learner/<int:learner>/retake/",
        v.retake,
        name="decisions_retake",
    ),
]
