"""The learner's dossier page and its PDF. Opening needs VIEW_DOSSIER on the learner (the
home centre, or the centre teaching them: 404 elsewhere, 403 for a role without it); the
PDF EXPORT_DOSSIER. Each section's rows are read with its own app's view permission."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import can, get_object, requires
from learners.models import Learner

from .documents import dossier_pdf
from .permissions import EXPORT_DOSSIER, VIEW_DOSSIER
from .selectors import learner_dossier

LEARNERS = Learner.objects.select_related("centre")


@requires(VIEW_DOSSIER)
@require_GET
def dossier_page(request, pk: int):
    learner = get_object(request.user, VIEW_DOSSIER, LEARNERS, pk=pk)
    context = {
        "learner": learner,
        "dossier": learner_dossier(learner, request.user),
        "may_export": can(request.user, EXPORT_DOSSIER, learner),
    }
    return render(request, "dossier/dossier.html", context)


@requires(EXPORT_DOSSIER)
@require_GET
def dossier_download(request, pk: int):
    learner = get_object(request.user, EXPORT_DOSSIER, LEARNERS, pk=pk)
    pdf = dossier_pdf(learner_dossier(learner, request.user, EXPORT_DOSSIER))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"dossier-{learner.centre.number}-{learner.uln or learner.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
