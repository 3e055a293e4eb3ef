"""The yearly claims audit's pages. Thin: rules in services_audit, reads in selectors_audit."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

import audit as trail
from accounts.permissions import can, get_object, requires, scope
from btecqa.forms import Form, add_refusal
from centres.models import Centre
from signatures import services as signing
from signatures.forms import SignForm

from . import services_audit as services
from .documents_audit import audit_pdf, audit_xlsx
from .events import AUDIT_EXPORTED as EXPORTED
from .models_audit import ClaimsAudit, ClaimsAuditLine
from .permissions import AUDIT_CLAIMS, EXPORT_CLAIMS_AUDIT, VIEW_CLAIMS_AUDIT
from .selectors_audit import audit_report

YEAR = re.compile(r"^(\d{4})/(\d{2})$")


class StartForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), empty_label=None)
    academic_year = forms.CharField(max_length=7, help_text="e.g. 2026/27")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = scope(
            user, AUDIT_CLAIMS, Centre.objects.filter(is_active=True)
        ).order_by("name")

    def clean_academic_year(self):
        year = self.cleaned_data["academic_year"].strip()
        m = YEAR.match(year)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValidationError("Give the academic year as 2026/27 (one year to the next).")
        return year


class FindingForm(Form):
    finding = forms.ChoiceField(
        choices=[
            (ClaimsAuditLine.Finding.TRACED, "Traced correctly"),
            (ClaimsAuditLine.Finding.PROBLEM, "Problem"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AddLineForm(Form):
    line = forms.IntegerField(min_value=1, label="Claim line", help_text="The line's number")


class ReopenForm(Form):
    reason = forms.CharField(max_length=500, label="Why it is reopened")


@requires(VIEW_CLAIMS_AUDIT)
def audit_list(request):
    audits = scope(
        request.user, VIEW_CLAIMS_AUDIT, ClaimsAudit.objects.select_related("centre")
    ).order_by("-academic_year", "centre__name", "pk")
    form = None
    if scope(request.user, AUDIT_CLAIMS, Centre.objects.filter(is_active=True)).exists():
        form = StartForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            made = services.start_audit(
                form.cleaned_data["centre"], form.cleaned_data["academic_year"], by=request.user
            )
            return redirect("claims:audit_detail", pk=made.pk)
    elif request.method == "POST":
        return HttpResponse(status=403)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "claims/audit_list.html", {"audits": audits, "form": form}, status=status
    )


def _audit(request, pk, perm):
    return get_object(request.user, perm, ClaimsAudit.objects.select_related("centre"), pk=pk)


def _page(request, audit, *, status=200, sign_form=None, finding_forms=None, add_form=None):
    report = audit_report(audit)
    may_audit = can(request.user, AUDIT_CLAIMS, audit)
    sha = signing.content_sha256(audit.snapshot(report))
    finding_forms = finding_forms or {}
    for r in report.sample:
        s = r.sampled
        r.form = finding_forms.get(s.pk) or FindingForm(
            initial={
                "finding": s.finding or None,
                "note": s.note,
                "action": s.action,
                "version": s.lock_version,
            },
            prefix=f"s{s.pk}",
        )
    sigs = list(signing.signatures(audit).order_by("signed_at", "pk"))
    context = {
        "audit": audit,
        "report": report,
        "counts": report.counts(),
        "may_audit": may_audit and not audit.is_signed,
        "may_reopen": may_audit and audit.is_signed,
        "may_export": can(request.user, EXPORT_CLAIMS_AUDIT, audit),
        "signatures": sigs,
        "sign_form": sign_form or SignForm(initial={"seen": sha}, purpose="the claims audit"),
        "add_form": add_form or AddLineForm(),
        "reopen_form": ReopenForm(),
    }
    return render(request, "claims/audit_detail.html", context, status=status)


@requires(VIEW_CLAIMS_AUDIT)
def audit_detail(request, pk: int):
    return _page(request, _audit(request, pk, VIEW_CLAIMS_AUDIT))


def _refused(request, audit, exc, **forms_):
    messages.error(request, " ".join(exc.messages) if hasattr(exc, "messages") else str(exc))
    return _page(request, audit, status=400, **forms_)


@requires(AUDIT_CLAIMS)
@require_POST
def audit_draw(request, pk: int):
    audit = _audit(request, pk, AUDIT_CLAIMS)
    try:
        drawn = services.draw_sample(audit, by=request.user)
    except ValidationError as exc:  # a StaleRecord is one
        return _refused(request, audit, exc)
    messages.success(request, f"Sample drawn: {len(drawn)} lines.")
    return redirect("claims:audit_detail", pk=audit.pk)


@requires(AUDIT_CLAIMS)
@require_POST
def audit_add_line(request, pk: int):
    audit = _audit(request, pk, AUDIT_CLAIMS)
    form = AddLineForm(request.POST)
    if form.is_valid():
        try:
            services.add_line(audit, form.cleaned_data["line"], by=request.user)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Line added to the sample.")
            return redirect("claims:audit_detail", pk=audit.pk)
    messages.error(request, "Not added: the form says why.")
    return _page(request, audit, status=400, add_form=form)


@requires(AUDIT_CLAIMS)
@require_POST
def audit_finding(request, pk: int):
    row = get_object(
        request.user,
        AUDIT_CLAIMS,
        ClaimsAuditLine.objects.select_related("audit__centre", "line__learner"),
        pk=pk,
    )
    form = FindingForm(request.POST, prefix=f"s{row.pk}")
    if form.is_valid():
        try:
            services.record_finding(
                row,
                by=request.user,
                finding=form.cleaned_data["finding"],
                note=form.cleaned_data["note"],
                action=form.cleaned_data["action"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"Finding recorded for {row.line}.")
            return redirect(reverse("claims:audit_detail", args=[row.audit_id]) + f"#s{row.pk}")
    messages.error(request, f"Finding for {row.line} not recorded: the form says why.")
    return _page(request, row.audit, status=400, finding_forms={row.pk: form})


@requires(AUDIT_CLAIMS)
@require_POST
def audit_sign(request, pk: int):
    audit = _audit(request, pk, AUDIT_CLAIMS)
    form = SignForm(request.POST, purpose="the claims audit")
    if form.is_valid():
        try:
            services.sign_off(
                audit,
                by=request.user,
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Claims audit signed off.")
            return redirect("claims:audit_detail", pk=audit.pk)
    messages.error(request, "Not signed: the form says why.")
    return _page(request, audit, status=400, sign_form=form)


@requires(AUDIT_CLAIMS)
@require_POST
def audit_reopen(request, pk: int):
    audit = _audit(request, pk, AUDIT_CLAIMS)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.reopen(audit, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:  # a StaleRecord is one
            return _refused(request, audit, exc)
        messages.success(request, "Reopened as a new version; the signed version is kept.")
        return redirect("claims:audit_detail", pk=audit.pk)
    messages.error(request, "Not reopened: say why it is reopened.")
    return _page(request, audit, status=400)


def _download(audit, data, ext, content_type):
    name = f"claims-audit-{audit.centre.number}-{audit.academic_year.replace('/', '-')}"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-v{audit.version}.{ext}"'
    return response


@requires(EXPORT_CLAIMS_AUDIT)
def audit_pdf_download(request, pk: int):
    audit = _audit(request, pk, EXPORT_CLAIMS_AUDIT)
    signature = signing.latest_signature(audit) if audit.is_signed else None
    data = audit_pdf(audit_report(audit), signature)
    trail.record(request.user, EXPORTED, audit, centre=audit.centre_id, after={"as": "pdf"})
    return _download(audit, data, "pdf", "application/pdf")


@requires(EXPORT_CLAIMS_AUDIT)
def audit_xlsx_download(request, pk: int):
    audit = _audit(request, pk, EXPORT_CLAIMS_AUDIT)
    data = audit_xlsx(audit_report(audit))
    trail.record(request.user, EXPORTED, audit, centre=audit.centre_id, after={"as": "xlsx"})
    return _download(
        audit,
        data,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
