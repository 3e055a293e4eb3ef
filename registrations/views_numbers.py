"""Importing registration numbers from Edexcel Online: upload, preview, confirm.

Every page needs RUN_REGISTRATIONS (the exams officer); an import at a centre where the
user does not hold it is a 404. The rules live in number_import.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import get_object, requires, scope
from btecqa.forms import Form
from centres.models import Centre
from tabular.files import MAX_IMPORT_BYTES, MB

from . import number_import
from .models import RegistrationNumberImport
from .permissions import RUN_REGISTRATIONS

ROWS_PER_PAGE = 500
SHOW = {"all": "Every row", **number_import.OUTCOMES}


def _centres(user):
    return scope(user, RUN_REGISTRATIONS, Centre.objects.filter(is_active=True)).order_by("name")


def _imports(user):
    return scope(
        user,
        RUN_REGISTRATIONS,
        RegistrationNumberImport.objects.select_related("centre", "uploaded_by"),
    )


class NumbersUploadForm(Form):
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(),
        empty_label=None,
        help_text="The centre whose learners the export lists.",
    )
    file = forms.FileField(
        label="Edexcel Online export (CSV or XLSX)",
        help_text=f"Up to {MAX_IMPORT_BYTES // MB} MB. Nothing is written until you have "
        "checked the preview and confirmed it.",
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres


@requires(RUN_REGISTRATIONS)
def numbers_upload(request):
    form = NumbersUploadForm(
        request.POST or None, request.FILES or None, centres=_centres(request.user)
    )
    if request.method == "POST" and form.is_valid():
        imp = number_import.preview_registration_numbers(
            form.cleaned_data["file"], form.cleaned_data["centre"], request.user
        )
        return redirect("registrations:numbers_preview", pk=imp.pk)
    return render(
        request,
        "registrations/numbers/upload.html",
        {"form": form, "recent": _imports(request.user)[:20]},
    )


@requires(RUN_REGISTRATIONS)
def numbers_preview(request, pk):
    imp = get_object(
        request.user,
        RUN_REGISTRATIONS,
        RegistrationNumberImport.objects.select_related("centre", "uploaded_by"),
        pk=pk,
    )
    show = request.GET.get("show", "all")
    show = show if show in SHOW else "all"
    rows = number_import.logged_rows(imp, show)  # a page at a time from the rows log
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    counts = imp.counts or {}
    return render(
        request,
        "registrations/numbers/preview.html",
        {
            "import": imp,
            "counts": counts,
            "outcomes": [
                (k, label, counts.get(k, 0)) for k, label in number_import.OUTCOMES.items()
            ],
            "file_problems": [e for e in imp.errors if e.get("file")],
            "page": page,
            "show": show,
            "show_choices": SHOW,
            "query": f"show={show}",
            "can_apply": number_import.can_apply(imp),
            "applied": imp.status == RegistrationNumberImport.Status.APPLIED,
        },
    )


@requires(RUN_REGISTRATIONS)
@require_POST
def numbers_apply(request, pk):
    imp = get_object(
        request.user,
        RUN_REGISTRATIONS,
        RegistrationNumberImport.objects.select_related("centre"),
        pk=pk,
    )
    try:
        imp = number_import.apply_registration_numbers(imp, request.user)
    except number_import.ImportRefused as exc:
        shown = "; ".join(str(p) for p in exc.problems[:5])
        more = f" (and {len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
        messages.error(request, f"Nothing was written: {shown}{more}")
        return redirect("registrations:numbers_preview", pk=imp.pk)
    applied = imp.counts.get("applied", 0)
    left = sum(imp.counts.get(k, 0) for k in number_import.LEFT_OVER)
    text = f"{applied} registration{'s' if applied != 1 else ''} recorded as registered."
    if left:
        text += f" {left} row{'s' if left != 1 else ''} left on your to-do list."
    messages.success(request, text)
    return redirect("registrations:numbers_preview", pk=imp.pk)
