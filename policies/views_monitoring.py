"""The yearly policy monitoring report's pages. Thin: rules in services_monitoring.py,
reads in selectors_monitoring.py and the readers (monitoring.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

import audit
from accounts.permissions import can, get_object, requires, scope
from btecqa.forms import Form, add_refusal, show_again
from btecqa.validators import academic_year_for, academic_year_problem
from centres.models import Centre
from signatures import services as signing
from signatures.forms import SignForm

from . import documents_monitoring as documents
from . import selectors_monitoring as selectors
from . import services_monitoring as services
from .events import MONITORING_EXPORTED
from .models_monitoring import PolicyMonitoringReport
from .monitoring import EXCEPTIONS
from .permissions import EXPORT_MONITORING, KEEP_MONITORING, VIEW_MONITORING

REPORTS = PolicyMonitoringReport.objects.select_related("centre", "drafted_by", "previous")


class DraftForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), empty_label=None)
    academic_year = forms.CharField(max_length=7, help_text="The year monitored, e.g. 2025/26")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = scope(
            user, KEEP_MONITORING, Centre.objects.filter(is_active=True)
        ).order_by("name")

    def clean_academic_year(self):
        year = self.cleaned_data["academic_year"].strip()
        if problem := academic_year_problem(year):
            raise ValidationError(problem)
        return year


class AmendForm(Form):
    reason = forms.CharField(max_length=500, label="Why a new version")


def _actions_form(clauses, data=None, lock=0):
    fields = {"lock": forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=lock)}
    for c in clauses:
        fields[_key(c.clause)] = forms.CharField(
            label=f"Action for {c.clause}",
            required=False,
            max_length=2000,
            initial=c.action,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
    form_class = type("ActionsForm", (Form,), fields)
    return form_class(data)


def _key(clause: str) -> str:
    return "action_" + clause.replace("-", "_").replace(".", "_")


def _list_page(request, form=None, status=200):
    reports = selectors.visible_reports(request.user, VIEW_MONITORING)
    may_draft = scope(request.user, KEEP_MONITORING, Centre.objects.filter(is_active=True)).exists()
    if may_draft and form is None:
        last = academic_year_for(timezone.localdate())
        form = DraftForm(user=request.user, initial={"academic_year": services.previous_year(last)})
    return render(
        request,
        "policies/monitoring_list.html",
        {"centres": selectors.by_centre(reports), "form": form if may_draft else None},
        status=status,
    )


@requires(VIEW_MONITORING)
@require_GET
def monitoring_list(request):
    return _list_page(request)


@requires(KEEP_MONITORING)
@require_POST
def monitoring_draft(request):
    form = DraftForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            report = services.draft_report(
                form.cleaned_data["centre"], form.cleaned_data["academic_year"], by=request.user
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            if getattr(report, "just_made", False):
                messages.success(request, f"{report} drafted from the records.")
            else:
                messages.info(request, f"{report} already exists: here it is.")
            return redirect(report)
    show_again(request, form)
    return _list_page(request, form=form)


def _page(request, report, *, status=200, actions_form=None, sign_form=None, amend_form=None):
    clauses = selectors.report_clauses(report)
    may_keep = can(request.user, KEEP_MONITORING, report)
    draft = report.is_draft
    signature = services.signature_of(report)
    has_next = report.status == PolicyMonitoringReport.Status.SUPERSEDED or (
        PolicyMonitoringReport.objects.filter(previous_id=report.pk).exists()
    )
    ctx = {
        "report": report,
        "clauses": clauses,
        "exceptions": sum(1 for c in clauses if c.status == EXCEPTIONS),
        "versions": selectors.versions_of(report),
        "signature": signature,
        "may_edit": may_keep and draft,
        "may_amend": may_keep
        and report.status == PolicyMonitoringReport.Status.SIGNED
        and not has_next,
        "may_export": can(request.user, EXPORT_MONITORING, report),
        "actions_form": actions_form or _actions_form(clauses, lock=report.lock_version),
        "sign_form": sign_form
        or SignForm(initial={"seen": signing.current_sha256(report)}, purpose="as Quality Nominee"),
        "amend_form": amend_form or AmendForm(),
    }
    if ctx["may_edit"]:
        form = ctx["actions_form"]
        for c in clauses:
            c.field = form[_key(c.clause)]
    return render(request, "policies/monitoring_report.html", ctx, status=status)


def _report(request, pk, perm):
    return get_object(request.user, perm, REPORTS, pk=pk)


@requires(VIEW_MONITORING)
@require_GET
def monitoring_report(request, pk: int):
    return _page(request, _report(request, pk, VIEW_MONITORING))


@requires(KEEP_MONITORING)
@require_POST
def monitoring_actions(request, pk: int):
    report = _report(request, pk, KEEP_MONITORING)
    clauses = selectors.report_clauses(report)
    form = _actions_form(clauses, request.POST, lock=report.lock_version)
    if form.is_valid():
        actions = {c.clause: form.cleaned_data[_key(c.clause)] for c in clauses}
        try:
            services.save_actions(
                report, actions=actions, by=request.user, expected_lock=form.cleaned_data["lock"]
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Actions saved.")
            return redirect(report)
    show_again(request, form, lock=report.lock_version)
    return _page(request, report, actions_form=form)


@requires(KEEP_MONITORING)
@require_POST
def monitoring_redraft(request, pk: int):
    report = _report(request, pk, KEEP_MONITORING)
    try:
        services.redraft(report, by=request.user)
    except ValidationError as exc:  # a StaleRecord is one
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _page(request, report, status=400)
    messages.success(request, "The records were read again; the actions written are kept.")
    return redirect(report)


@requires(KEEP_MONITORING)
@require_POST
def monitoring_sign(request, pk: int):
    report = _report(request, pk, KEEP_MONITORING)
    form = SignForm(request.POST, purpose="as Quality Nominee")
    if form.is_valid():
        try:
            services.sign_report(
                report,
                by=request.user,
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{report} signed: it is ready for Pearson.")
            return redirect(report)
    show_again(request, form, seen=signing.current_sha256(report))
    return _page(request, report, sign_form=form)


@requires(KEEP_MONITORING)
@require_POST
def monitoring_amend(request, pk: int):
    report = _report(request, pk, KEEP_MONITORING)
    form = AmendForm(request.POST)
    if form.is_valid():
        try:
            new = services.amend_report(report, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request, f"Version {new.version} drafted; version {report.version} stays signed."
            )
            return redirect(new)
    show_again(request, form)
    return _page(request, report, amend_form=form)


@requires(EXPORT_MONITORING)
@require_GET
def monitoring_pdf(request, pk: int):
    report = _report(request, pk, EXPORT_MONITORING)
    data = documents.report_pdf(
        report, selectors.report_clauses(report), services.signature_of(report)
    )
    audit.record(
        request.user, MONITORING_EXPORTED, report, centre=report.centre_id, after={"as": "pdf"}
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.file_name(report)}"'
    return response
