"""The certificates' pages: batches, a batch, a certificate, an exception, keyed entry,
the import and the unclaimed certificates due for destruction. Thin: the rules are the
services'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, requires, scope
from btecqa.forms import add_refusal
from centres.models import Centre
from tabular.problems import FileRefused, ImportRefused

from . import selectors, services, services_import
from .forms import BatchForm, CertificateForm, DestroyForm, ImportForm, IssueForm, ReportForm
from .models import (
    Certificate,
    CertificateBatch,
    CertificateException,
    CertificateImport,
)
from .permissions import RECORD_CERTIFICATES, VIEW_CERTIFICATES


def _centres(user):
    return scope(user, RECORD_CERTIFICATES, Centre.objects.filter(is_active=True)).order_by("name")


@requires(VIEW_CERTIFICATES)
def batches(request):
    rows = scope(
        request.user,
        VIEW_CERTIFICATES,
        CertificateBatch.objects.select_related("centre", "recorded_by"),
    )[:200]
    return render(
        request,
        "certification/batches.html",
        {"batches": rows, "can_record": _centres(request.user).exists()},
    )


@requires(RECORD_CERTIFICATES)
def batch_new(request):
    form = BatchForm(request.POST or None, centres=_centres(request.user))
    if request.method == "POST" and form.is_valid():
        batch = services.new_batch(
            form.cleaned_data["centre"],
            received_on=form.cleaned_data["received_on"],
            by=request.user,
            how=CertificateBatch.How.KEYED,
        )
        return redirect("certification:batch", batch.pk)
    return render(request, "certification/batch_new.html", {"form": form})


def _batch_page(request, batch, form=None):
    certificates = batch.certificates.select_related("learner")
    exceptions = batch.exceptions.select_related("certificate")
    return render(
        request,
        "certification/batch.html",
        {
            "batch": batch,
            "certificates": certificates,
            "exceptions": exceptions,
            "form": form or CertificateForm(),
            "can_record": can(request.user, RECORD_CERTIFICATES, batch),
        },
    )


@requires(VIEW_CERTIFICATES)
def batch(request, pk: int):
    obj = get_object(
        request.user, VIEW_CERTIFICATES, CertificateBatch.objects.select_related("centre"), pk=pk
    )
    return _batch_page(request, obj)


@requires(RECORD_CERTIFICATES)
@require_POST
def batch_add(request, pk: int):
    obj = get_object(
        request.user, RECORD_CERTIFICATES, CertificateBatch.objects.select_related("centre"), pk=pk
    )
    form = CertificateForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["certificate_number"]
        if services.recorded_numbers(obj.centre, [number]):
            form.add_error(
                "certificate_number", f"Certificate {number} is recorded already at this centre."
            )
        else:
            (cert,) = services.record_certificates(obj, [form.cleaned_data], by=request.user)
            messages.success(request, f"Recorded: {cert}.")
            return redirect("certification:batch", obj.pk)
    return _batch_page(request, obj, form)


@requires(RECORD_CERTIFICATES)
@require_POST
def batch_check(request, pk: int):
    obj = get_object(
        request.user, RECORD_CERTIFICATES, CertificateBatch.objects.select_related("centre"), pk=pk
    )
    found = services.check_missing(obj, by=request.user)
    messages.success(
        request, f"Checked: {found} claimed certificate{'s' if found != 1 else ''} missing."
    )
    return redirect("certification:batch", obj.pk)


def _staff(centre):
    return (
        get_user_model()
        .objects.filter(role_assignments__centre=centre, is_active=True)
        .distinct()
        .order_by("last_name", "first_name")
    )


@requires(VIEW_CERTIFICATES)
def certificate(request, pk: int):
    obj = get_object(
        request.user,
        VIEW_CERTIFICATES,
        Certificate.objects.select_related("batch__centre", "learner", "claim_line"),
        pk=pk,
    )
    form = None
    if request.method == "POST":
        obj = get_object(
            request.user,
            RECORD_CERTIFICATES,
            Certificate.objects.select_related("batch__centre", "learner", "claim_line"),
            pk=pk,
        )
        form = IssueForm(request.POST, staff=_staff(obj.batch.centre))
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.issue_certificate(
                    obj,
                    by=request.user,
                    how=d["how"],
                    issued_on=d["issued_on"],
                    signed_name=d["signed_name"],
                    witnessed_by=d["witnessed_by"],
                    address_line=d["address_line"],
                    expected_version=d["lock_version"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"Recorded: {obj} issued.")
                return redirect("certification:certificate", obj.pk)
    issue = getattr(obj, "issue", None) if obj.status == Certificate.Status.ISSUED else None
    if form is None and obj.status == Certificate.Status.HELD:
        form = IssueForm(initial={"lock_version": obj.lock_version}, staff=_staff(obj.batch.centre))
    return render(
        request,
        "certification/certificate.html",
        {
            "certificate": obj,
            "issue": issue,
            "form": form if can(request.user, RECORD_CERTIFICATES, obj) else None,
            "exceptions": obj.exceptions.all(),
            "destroy_from": services.destruction_due_on(obj.received_on),
        },
    )


@requires(VIEW_CERTIFICATES)
def exception(request, pk: int):
    qs = CertificateException.objects.select_related("batch__centre", "certificate", "resolved_by")
    obj = get_object(request.user, VIEW_CERTIFICATES, qs, pk=pk)
    form = None
    if request.method == "POST":
        obj = get_object(request.user, RECORD_CERTIFICATES, qs, pk=pk)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.report_exception(
                    obj,
                    by=request.user,
                    reported_on=form.cleaned_data["reported_on"],
                    reference=form.cleaned_data["pearson_reference"],
                    expected_version=form.cleaned_data["lock_version"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, "Recorded: reported to Pearson.")
                return redirect("certification:exception", obj.pk)
    if form is None and obj.status == CertificateException.Status.OPEN:
        form = ReportForm(initial={"lock_version": obj.lock_version})
    return render(
        request,
        "certification/exception.html",
        {
            "exception": obj,
            "form": form if can(request.user, RECORD_CERTIFICATES, obj) else None,
        },
    )


@requires(RECORD_CERTIFICATES)
def destruction(request):
    due = services.due_for_destruction(
        scope(
            request.user, RECORD_CERTIFICATES, Certificate.objects.select_related("batch__centre")
        )
    ).order_by("received_on", "pk")
    form = DestroyForm(request.POST or None, due=due)
    if request.method == "POST" and form.is_valid():
        try:
            n = services.destroy_certificates(
                list(form.cleaned_data["certificates"]),
                by=request.user,
                destroyed_on=form.cleaned_data["destroyed_on"],
                how=form.cleaned_data["how"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request, f"Recorded: {n} certificate{'s' if n != 1 else ''} destroyed."
            )
            return redirect("certification:destruction")
    destroyed = scope(
        request.user,
        VIEW_CERTIFICATES,
        Certificate.objects.filter(status=Certificate.Status.DESTROYED).select_related(
            "destroyed_by"
        ),
    ).order_by("-destroyed_on", "pk")[:200]
    return render(
        request,
        "certification/destruction.html",
        {"form": form, "due": due[:500], "destroyed": destroyed, "months": services.hold_months()},
    )


@requires(RECORD_CERTIFICATES)
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None, centres=_centres(request.user))
    if request.method == "POST" and form.is_valid():
        centre = form.cleaned_data["centre"]
        try:
            record, preview = services_import.preview_upload(
                form.cleaned_data["file"],
                centre,
                by=request.user,
                received_on=form.cleaned_data["received_on"],
            )
        except FileRefused as exc:
            form.add_error("file", exc.problem.reason)
        else:
            return render(
                request,
                "certification/import_preview.html",
                {"centre": centre, "record": record, "preview": preview},
            )
    waiting = selectors.waiting_previews(
        scope(request.user, RECORD_CERTIFICATES, CertificateImport.objects.all())
    )
    return render(request, "certification/import.html", {"form": form, "waiting": waiting})


@requires(RECORD_CERTIFICATES)
@require_POST
def import_confirm(request, pk: int):
    record = get_object(
        request.user, RECORD_CERTIFICATES, CertificateImport.objects.select_related("centre"), pk=pk
    )
    try:
        made = services_import.confirm_import(record, by=request.user)
    except ImportRefused as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("certification:import")
    messages.success(request, f"Imported: {made}.")
    return redirect("certification:batch", made.pk)


@requires(RECORD_CERTIFICATES)
@require_POST
def import_discard(request, pk: int):
    record = get_object(
        request.user, RECORD_CERTIFICATES, CertificateImport.objects.select_related("centre"), pk=pk
    )
    try:
        services_import.discard_import(record, by=request.user)
    except ImportRefused as exc:
        messages.error(request, f"Nothing was discarded: {exc}")
    else:
        messages.success(request, f"Discarded the preview of {record.file_name}: nothing written.")
    return redirect("certification:import")
