"""The learner's record of progress and achievement (policy 000-3.1.8): the page and its
XLSX. Seeing needs VIEW_PROGRESS on the learner (the home centre, or the centre that
teaches them: 404 elsewhere, 403 for a role without it); the download EXPORT_PROGRESS,
which also decides the programmes it holds."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import can, get_object, requires
from documents.xlsx import xlsx_bytes
from learners.models import Learner

from .permissions import EXPORT_PROGRESS, VIEW_PROGRESS
from .selectors_progress import learner_progress, progress_sheets

LEARNERS = Learner.objects.select_related("centre")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@requires(VIEW_PROGRESS)
@require_GET
def learner_progress_page(request, pk: int):
    learner = get_object(request.user, VIEW_PROGRESS, LEARNERS, pk=pk)
    context = {
        "learner": learner,
        "progress": learner_progress(request.user, VIEW_PROGRESS, learner),
        "may_export": can(request.user, EXPORT_PROGRESS, learner),
    }
    return render(request, "assessment/progress/learner.html", context)


@requires(EXPORT_PROGRESS)
@require_GET
def learner_progress_export(request, pk: int):
    learner = get_object(request.user, EXPORT_PROGRESS, LEARNERS, pk=pk)
    progress = learner_progress(request.user, EXPORT_PROGRESS, learner)
    response = HttpResponse(xlsx_bytes(progress_sheets(progress)), content_type=XLSX)
    name = f"progress-{learner.centre.number}-{learner.uln or learner.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
