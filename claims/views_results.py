"""The page that imports Pearson's results file: upload, preview, confirm. Thin: the rules
are claims.services_results'."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import get_object, requires, scope
from btecqa.forms import Form
from centres.models import Centre
from tabular.files import MAX_IMPORT_BYTES, MB
from tabular.problems import FileRefused, ImportRefused

from . import selectors
from . import services_results as services
from .models import ResultsImport
from .permissions import IMPORT_RESULTS


def _centres(user):
    return scope(user, IMPORT_RESULTS, Centre.objects.filter(is_active=True)).order_by("name")


class UploadForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), empty_label=None)
    file = forms.FileField(
        label="Pearson's results file (CSV or XLSX)",
        help_text=f"Up to {MAX_IMPORT_BYTES // MB} MB. Nothing is written until you have "
        "checked the preview and confirmed it.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = _centres(user)


@requires(IMPORT_RESULTS)
def results_import(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        centre = form.cleaned_data["centre"]
        try:
            record, preview = services.preview_upload(
                form.cleaned_data["file"], centre, by=request.user
            )
        except FileRefused as exc:
            form.add_error("file", exc.problem.reason)
        else:
            return render(
                request,
                "claims/results_preview.html",
                {"centre": centre, "record": record, "preview": preview},
            )
    waiting = selectors.waiting_previews(
        scope(request.user, IMPORT_RESULTS, ResultsImport.objects.all())
    )
    return render(request, "claims/results_import.html", {"form": form, "waiting": waiting})


@requires(IMPORT_RESULTS)
@require_POST
def results_import_confirm(request, pk: int):
    record = get_object(
        request.user, IMPORT_RESULTS, ResultsImport.objects.select_related("centre"), pk=pk
    )
    try:
        written = services.confirm_import(record, by=request.user)
    except ImportRefused as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("claims:results_import")
    messages.success(
        request, f"Imported: {written} result{'s' if written != 1 else ''} from {record.file_name}."
    )
    return redirect("claims:results_import")


@requires(IMPORT_RESULTS)
@require_POST
def results_import_discard(request, pk: int):
    record = get_object(
        request.user, IMPORT_RESULTS, ResultsImport.objects.select_related("centre"), pk=pk
    )
    try:
        services.discard_import(record, by=request.user)
    except ImportRefused as exc:
        messages.error(request, f"Nothing was discarded: {exc}")
    else:
        messages.success(request, f"Discarded the preview of {record.file_name}: nothing written.")
    return redirect("claims:results_import")
