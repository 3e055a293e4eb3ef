"""The tracking sheet's pages. Thin: rules in services_tracking, reads in selectors_tracking."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

import audit
from accounts.permissions import can, get_object, requires
from btecqa.forms import Form
from btecqa.params import BadParameter, to_int
from learners.models import Cohort
from signatures.forms import SignForm
from signatures.services import content_sha256
from tabular.files import MAX_IMPORT_BYTES, MB
from tabular.problems import FileRefused, ImportRefused

from . import events_tracking as events
from . import services_tracking as services
from .models import TrackingImport, TrackingSheet
from .permissions import (
    EXPORT_TRACKING,
    IMPORT_TRACKING,
    SIGN_TRACKING_LEADER,
    SIGN_TRACKING_TEACHER,
    VIEW_TRACKING,
)
from .selectors_tracking import STATUS_LABELS, tracking_sheet

SIGNERS = {
    services.SignedAs.CLASS_TEACHER: SIGN_TRACKING_TEACHER,
    services.SignedAs.PROGRAMME_LEADER: SIGN_TRACKING_LEADER,
}


class UploadForm(Form):
    file = forms.FileField(
        label="Tracking spreadsheet (CSV or XLSX)",
        help_text=f"Up to {MAX_IMPORT_BYTES // MB} MB. Nothing is written until you have "
        "checked the preview and confirmed it.",
    )


def _cohort(request, pk, perm):
    return get_object(
        request.user,
        perm,
        Cohort.objects.select_related("qualification__family", "centre"),
        pk=pk,
    )


def _group(request, cohort):
    """The teaching group chosen in ?group=, or None for the whole cohort; 400 saying so when
    it is not one of the cohort's groups (the same words for any id, so nothing leaks)."""
    raw = request.GET.get("group", "")
    if not raw.strip():
        return None
    group_id = to_int(raw)
    group = cohort.teaching_groups.filter(pk=group_id).first() if group_id else None
    if group is None:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise BadParameter(
            f"group={shown} in this address is not one of this cohort's teaching groups. "
            "Choose a group from the list on the tracking sheet, or leave it out to see the "
            "whole cohort."
        )
    return group


def _page(request, cohort, group, *, sign_form=None, refused_as=None, status=200):
    sheet = tracking_sheet(cohort, group=group, user=request.user, perm=VIEW_TRACKING)
    sha = content_sha256(sheet.snapshot())
    record = TrackingSheet.objects.filter(cohort=cohort, teaching_group=group).first()
    sign_offs = services.sign_offs(record, sha)
    for s in sign_offs:
        s.may_sign = can(request.user, SIGNERS[s.role], cohort)
        s.form = (
            sign_form if refused_as == s.role and sign_form else SignForm(initial={"seen": sha})
        )
    context = {
        "cohort": cohort,
        "group": group,
        "groups": list(cohort.teaching_groups.all()),
        "sheet": sheet,
        "sign_offs": sign_offs,
        "statuses": STATUS_LABELS,
        "may_export": can(request.user, EXPORT_TRACKING, cohort),
        "may_import": can(request.user, IMPORT_TRACKING, cohort),
    }
    return render(request, "assessment/tracking/sheet.html", context, status=status)


@requires(VIEW_TRACKING)
def tracking_sheet_page(request, pk: int):
    cohort = _cohort(request, pk, VIEW_TRACKING)
    return _page(request, cohort, _group(request, cohort))


@requires(EXPORT_TRACKING)
def tracking_export(request, pk: int):
    cohort = _cohort(request, pk, EXPORT_TRACKING)
    group = _group(request, cohort)
    data = services.export_xlsx(cohort, group=group, user=request.user, perm=EXPORT_TRACKING)
    audit.record(
        request.user,
        events.TRACKING_EXPORTED,
        cohort,
        centre=cohort.centre_id,
        after={"group": group.name if group else ""},
    )
    name = f"tracking-{cohort.centre.number}-{cohort.qualification.number.replace('/', '')}"
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _sign(request, pk: int, signed_as):
    perm = SIGNERS[signed_as]
    cohort = _cohort(request, pk, perm)
    group = _group(request, cohort)
    if request.method != "POST":
        return redirect(_url(cohort, group))
    form = SignForm(request.POST)
    if form.is_valid():
        sheet = services.sheet_for(cohort, group)
        try:
            services.sign_off(
                sheet,
                user=request.user,
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
                signed_as=signed_as,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Signed off as {signed_as.label.lower()}.")
            return redirect(_url(cohort, group))
    messages.error(request, "Not signed: the form below says why.")
    return _page(request, cohort, group, sign_form=form, refused_as=signed_as, status=400)


@requires(SIGN_TRACKING_TEACHER)
def tracking_sign_teacher(request, pk: int):
    return _sign(request, pk, services.SignedAs.CLASS_TEACHER)


@requires(SIGN_TRACKING_LEADER)
def tracking_sign_leader(request, pk: int):
    return _sign(request, pk, services.SignedAs.PROGRAMME_LEADER)


def _url(cohort, group):
    from django.urls import reverse

    url = reverse("assessment:tracking_sheet", args=[cohort.pk])
    return f"{url}?group={group.pk}" if group else url


@requires(IMPORT_TRACKING)
def tracking_import(request, pk: int):
    cohort = _cohort(request, pk, IMPORT_TRACKING)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record, preview = services.preview_upload(
                form.cleaned_data["file"], cohort, by=request.user
            )
        except FileRefused as exc:
            form.add_error("file", exc.problem.reason)
        else:
            return render(
                request,
                "assessment/tracking/import_preview.html",
                {"cohort": cohort, "record": record, "preview": preview},
            )
    return render(request, "assessment/tracking/import.html", {"cohort": cohort, "form": form})


@requires(IMPORT_TRACKING)
@require_POST
def tracking_import_confirm(request, pk: int):
    record = get_object(
        request.user,
        IMPORT_TRACKING,
        TrackingImport.objects.select_related("cohort__centre", "cohort__qualification"),
        pk=pk,
    )
    try:
        changed = services.confirm_import(record, by=request.user)
    except ImportRefused as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("assessment:tracking_import", pk=record.cohort_id)
    messages.success(request, f"Imported: {changed} learner{'s' if changed != 1 else ''} changed.")
    return redirect("assessment:tracking_sheet", pk=record.cohort_id)
