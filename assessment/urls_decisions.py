"""URLs for the decisions pages (joined into assessment.urls)."""

from django.urls import path

from . import views_decisions as v

urlpatterns: list = [
    path("decisions/assignment/<id:pk>/grid/", v.grid, name="decisions_grid"),
    path(
        "decisions/assignment/<id:pk>/learner/<id:learner>/",
        v.learner_record,
        name="decisions_learner",
    ),
    path(
        "decisions/assignment/<id:pk>/learner/<id:learner>/verify/",
        v.verify,
        name="decisions_verify",
    ),
    path(
        "decisions/assignment/<id:pk>/learner/<id:learner>/resubmission/",
        v.resubmission,
        name="decisions_resubmission",
    ),
    path(
        "decisions/assignment/<id:pk>/learner/<id:learner>/extension/",
        v.extension,
        name="decisions_extension",
    ),
    path(
        "decisions/assignment/<id:pk>/learner/<id:learner>/retake/",
        v.retake,
        name="decisions_retake",
    ),
]
