"""The policy register's pages. Thin: rules in services.py, reads in selectors.py."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can, get_object, has_perm, requires, scope
from accounts.selectors import people_at
from btecqa.forms import add_refusal, show_again
from btecqa.params import int_param
from centres.models import Centre
from signatures import services as signing
from signatures.forms import SignForm

from . import documents, selectors, services
from .forms import (
    AddPolicyForm,
    ChairSignatureForm,
    CorrectVersionForm,
    MonitoringForm,
    PolicyDetailsForm,
    ReminderDaysForm,
    ReviewForm,
)
from .models import Policy, PolicyVersion
from .permissions import EXPORT_REGISTER, MANAGE_REGISTER, SIGN_AS_HEAD, VIEW_REGISTER

POLICIES = Policy.objects.select_related("centre", "coordinator")
VERSIONS = PolicyVersion.objects.select_related("policy__centre", "policy__coordinator")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _centres(user, perm) -> list:
    return list(scope(user, perm, Centre.objects.filter(is_active=True)).order_by("name"))


def _centre(request, perm):
    centres = _centres(request.user, perm)
    wanted = int_param(request.GET, "centre")
    chosen = next((c for c in centres if c.pk == wanted), None) if wanted else None
    return centres, chosen or (centres[0] if centres else None)


def _people(centre_ids):
    return people_at(centre_ids)


# --- the register --------------------------------------------------------------------------


def _register_page(request, status=200, **forms):
    centres, centre = _centre(request, VIEW_REGISTER)
    days = services.reminder_days(centre) if centre else services.default_reminder_days()
    can_manage = centre is not None and has_perm(request.user, MANAGE_REGISTER, centre.pk)
    ctx = {
        "centres": centres,
        "centre": centre,
        "rows": selectors.register_rows(centre, reminder_days=days) if centre else [],
        "reminder_days": days,
        "today": timezone.localdate(),
        "can_manage": can_manage,
        "can_export": centre is not None and has_perm(request.user, EXPORT_REGISTER, centre.pk),
        "days_form": forms.get("days_form") or ReminderDaysForm(initial={"reminder_days": days}),
    }
    return render(request, "policies/register.html", ctx, status=status)


@requires(VIEW_REGISTER)
@require_GET
def register(request):
    return _register_page(request)


@requires(MANAGE_REGISTER)
@require_POST
def reminder_settings(request):
    centres, centre = _centre(request, MANAGE_REGISTER)
    form = ReminderDaysForm(request.POST)
    if centre is not None and form.is_valid():
        try:
            services.set_reminder_days(
                centre, days=form.cleaned_data["reminder_days"], by=request.user
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Coordinators at {centre.name} are reminded "
                f"{form.cleaned_data['reminder_days']} days before a review is due.",
            )
            return redirect(f"{reverse('policies:register')}?centre={centre.pk}")
    show_again(request, form)
    return _register_page(request, days_form=form)


@requires(MANAGE_REGISTER)
def policy_add(request):
    centres = _centres(request.user, MANAGE_REGISTER)
    form = AddPolicyForm(
        request.POST or None,
        request.FILES or None,
        centres=Centre.objects.filter(pk__in=[c.pk for c in centres]).order_by("name"),
        people=_people([c.pk for c in centres]),
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy = services.add_policy(
                    centre=data["centre"],
                    title=data["title"],
                    coordinator=data["coordinator"],
                    sub_committee=data["sub_committee"],
                    reviewed_on=data["reviewed_on"],
                    next_review=data["next_review"],
                    upload=data["upload"],
                    notes=data["notes"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"{policy.title} added to the register (version 1).")
                return redirect(policy)
        show_again(request, form)
    return render(request, "policies/policy_form.html", {"form": form, "policy": None})


# --- one policy ----------------------------------------------------------------------------


def _policy_page(request, policy, status=200, **forms):
    user = request.user
    versions = selectors.policy_versions(policy)
    latest = versions[0] if versions else None
    may_manage = can(user, MANAGE_REGISTER, policy)
    may_sign = (
        latest is not None and latest.head is None and can(user, SIGN_AS_HEAD, latest.version)
    )
    ctx = {
        "policy": policy,
        "versions": versions,
        "latest": latest,
        "monitoring": selectors.monitoring_records(policy),
        "today": timezone.localdate(),
        "overdue": policy.is_overdue(),
        "may_manage": may_manage,
        "may_sign": may_sign,
        "review_form": forms.get("review_form")
        or ReviewForm(initial={"lock": policy.lock_version}),
        "chair_form": forms.get("chair_form") or ChairSignatureForm(),
        "monitoring_form": forms.get("monitoring_form")
        or MonitoringForm(initial={"monitored_on": timezone.localdate()}),
        "sign_form": forms.get("sign_form")
        or SignForm(initial={"seen": signing.current_sha256(policy)}, purpose="as Head of Centre"),
        "signing_statement": Policy.signing_statement,
    }
    return render(request, "policies/policy_detail.html", ctx, status=status)


@requires(VIEW_REGISTER)
@require_GET
def policy_detail(request, pk: int):
    return _policy_page(request, get_object(request.user, VIEW_REGISTER, POLICIES, pk=pk))


@requires(MANAGE_REGISTER)
def policy_edit(request, pk: int):
    policy = get_object(request.user, MANAGE_REGISTER, POLICIES, pk=pk)
    initial = {
        "title": policy.title,
        "coordinator": policy.coordinator_id,
        "sub_committee": policy.sub_committee,
        "next_review": policy.next_review,
        "lock": policy.lock_version,
    }
    form = PolicyDetailsForm(
        request.POST or None, people=_people([policy.centre_id]), initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.change_policy(
                    policy,
                    title=data["title"],
                    coordinator=data["coordinator"],
                    sub_committee=data["sub_committee"],
                    next_review=data["next_review"],
                    by=request.user,
                    expected_lock=data["lock"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"{data['title']} saved.")
                return redirect(policy)
        show_again(request, form, lock=policy.lock_version)
    return render(request, "policies/policy_form.html", {"form": form, "policy": policy})


@requires(MANAGE_REGISTER)
@require_POST
def policy_review(request, pk: int):
    policy = get_object(request.user, MANAGE_REGISTER, POLICIES, pk=pk)
    form = ReviewForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = services.record_review(
                policy,
                reviewed_on=data["reviewed_on"],
                next_review=data["next_review"],
                notes=data["notes"],
                upload=data["upload"],
                by=request.user,
                expected_lock=data["lock"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Review recorded: version {version.number}, next review due "
                f"{version.next_review:%d/%m/%Y}. It waits for the Head of Centre's signature.",
            )
            return redirect(policy)
    show_again(request, form, lock=policy.lock_version)
    return _policy_page(request, policy, review_form=form)


@requires(MANAGE_REGISTER)
@require_POST
def policy_monitor(request, pk: int):
    policy = get_object(request.user, MANAGE_REGISTER, POLICIES, pk=pk)
    form = MonitoringForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.record_monitoring(
                policy,
                monitored_on=data["monitored_on"],
                outcome=data["outcome"],
                notes=data["notes"],
                by=request.user,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Monitoring for {record.academic_year} recorded: {record.get_outcome_display()}.",
            )
            return redirect(policy)
    show_again(request, form)
    return _policy_page(request, policy, monitoring_form=form)


# --- one version ---------------------------------------------------------------------------


@requires(MANAGE_REGISTER)
def version_edit(request, pk: int):
    version = get_object(request.user, MANAGE_REGISTER, VERSIONS, pk=pk)
    policy = version.policy
    initial = {
        "reviewed_on": version.reviewed_on,
        "next_review": version.next_review,
        "notes": version.notes,
    }
    form = CorrectVersionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.correct_version(
                    version,
                    reviewed_on=data["reviewed_on"],
                    next_review=data["next_review"],
                    notes=data["notes"],
                    upload=data["upload"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"Version {version.number} corrected.")
                return redirect(policy)
        show_again(request, form)
    return render(
        request,
        "policies/version_form.html",
        {"form": form, "version": version, "policy": policy, "signed": version.is_signed()},
    )


@requires(SIGN_AS_HEAD)
@require_POST
def version_sign(request, pk: int):
    version = get_object(request.user, SIGN_AS_HEAD, VERSIONS, pk=pk)
    policy = version.policy
    form = SignForm(request.POST, purpose="as Head of Centre")
    if form.is_valid():
        try:
            services.sign_as_head(
                version,
                user=request.user,
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"Version {version.number} signed as Head of Centre.")
            return redirect(policy)
    show_again(request, form, seen=signing.current_sha256(policy))
    return _policy_page(request, policy, sign_form=form)


@requires(MANAGE_REGISTER)
@require_POST
def version_chair(request, pk: int):
    version = get_object(request.user, MANAGE_REGISTER, VERSIONS, pk=pk)
    policy = version.policy
    form = ChairSignatureForm(request.POST)
    if form.is_valid():
        try:
            chair = services.record_chair_signature(
                version,
                chair_name=form.cleaned_data["chair_name"],
                signed_on=form.cleaned_data["signed_on"],
                by=request.user,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{chair.wording()}.")
            return redirect(policy)
    show_again(request, form)
    return _policy_page(request, policy, chair_form=form)


@requires(VIEW_REGISTER)
@require_GET
def version_file(request, pk: int):
    version = get_object(request.user, VIEW_REGISTER, VERSIONS, pk=pk)
    if not version.file or not default_storage.exists(version.file.name):
        raise Http404("This version has no file.")
    response = FileResponse(
        default_storage.open(version.file.name, "rb"),
        content_type=CONTENT_TYPES.get(version.file_type, "application/octet-stream"),
        as_attachment=True,
        filename=documents.file_name(version),
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- for Pearson ---------------------------------------------------------------------------


@requires(EXPORT_REGISTER)
@require_GET
def export_register(request):
    _, centre = _centre(request, EXPORT_REGISTER)
    if centre is None:
        raise Http404("You hold no role at an active centre.")
    data = documents.register_xlsx(centre, services.reminder_days(centre))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="policy-register-{centre.number}.xlsx"'
    return response


@requires(EXPORT_REGISTER)
@require_GET
def export_files(request):
    _, centre = _centre(request, EXPORT_REGISTER)
    if centre is None:
        raise Http404("You hold no role at an active centre.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for row in selectors.register_rows(centre):
            v = row.version
            if v is not None and v.file and default_storage.exists(v.file.name):
                with default_storage.open(v.file.name, "rb") as fh:
                    zf.writestr(documents.file_name(v), fh.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="policies-{centre.number}.zip"'
    return response
