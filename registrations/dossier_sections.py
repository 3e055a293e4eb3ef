"""The registration part of a learner's dossier: every step of each registration."""

from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, register_section

from .models import RegistrationStep
from .permissions import VIEW_REGISTRATIONS


def registration_rows(learner, viewer) -> list[Row]:
    steps = scope(
        viewer, VIEW_REGISTRATIONS, RegistrationStep.objects.filter(registration__learner=learner)
    ).select_related("registration__cohort__qualification")
    url = reverse("learners:learner_detail", args=[learner.pk])
    rows = []
    for step in steps.order_by("at", "pk"):
        reg = step.registration
        what = f"{step.what}: {reg.cohort.qualification.title}"
        if step.detail:
            what += f" ({step.detail})"
        rows.append(Row(what, step.by_repr, step.at, url))
    return rows


register_section(
    "registration", "Registration", 10, registration_rows, permission=VIEW_REGISTRATIONS
)
