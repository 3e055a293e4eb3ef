"""Assignment brief pages: write or upload, see versions, the IV's check, issue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can, get_object, requires
from btecqa.forms import add_refusal
from signatures import services as signing
from signatures.forms import SignVersionForm

from . import services_briefs as services
from .forms_plans import BriefCheckForm, BriefForm, IssueForm
from .models import PlannedAssignment
from .models_briefs import AssignmentBrief, BriefVersion
from .permissions import VERIFY_BRIEFS, VIEW_DECISIONS, VIEW_PLANS, WRITE_BRIEFS

BRIEFS = AssignmentBrief.objects.select_related(
    "assignment__plan__cohort__qualification",
    "assignment__unit",
    "assignment__internal_verifier",
    "assignment__assessor",
)


@requires(WRITE_BRIEFS)
def brief_edit(request, row: int):
    assignment = get_object(
        request.user,
        WRITE_BRIEFS,
        PlannedAssignment.objects.select_related("plan__cohort", "unit", "internal_verifier"),
        pk=row,
    )
    brief = AssignmentBrief.objects.filter(assignment=assignment).first()
    initial = (
        {
            "vocational_scenario": brief.vocational_scenario,
            "tasks": brief.tasks,
            "evidence": brief.evidence,
            "pearson_authorised": brief.pearson_authorised,
            "paab_amended": brief.paab_amended,
        }
        if brief
        else {}
    )
    form = BriefForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            version = services.save_brief(
                assignment,
                by=request.user,
                scenario=d["vocational_scenario"],
                tasks=d["tasks"],
                evidence=d["evidence"],
                pearson_authorised=d["pearson_authorised"],
                paab_amended=d["paab_amended"],
                upload=d["upload"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Brief saved. Its internal verifier has a to-do to check it.")
            return redirect(version.brief)
    return render(
        request,
        "assessment/plans/brief_form.html",
        {"assignment": assignment, "brief": brief, "form": form},
    )


def _assessor_sign_form(*args, **kwargs) -> SignVersionForm:
    return SignVersionForm(*args, purpose="as the assignment's assessor", **kwargs)


def _brief_page(request, brief, status=200, **forms):
    seen = signing.current_sha256(brief)
    both = services.current_signatures(brief)
    ctx = {
        "brief": brief,
        "assignment": brief.assignment,
        "versions": list(brief.versions.select_related("made_by").order_by("-number")),
        "signatures": list(signing.signatures(brief).order_by("signed_at", "pk")),
        "check_form": BriefCheckForm(initial={"version": brief.lock_version, "seen": seen}),
        "issue_form": IssueForm(initial={"version": brief.lock_version}),
        "sign_form": _assessor_sign_form(initial={"version": brief.lock_version, "seen": seen}),
        "both": both,
        "may_check": request.user.pk == brief.assignment.internal_verifier_id
        and can(request.user, VERIFY_BRIEFS, brief),
        "may_sign": request.user.pk == brief.assignment.assessor_id
        and brief.status == AssignmentBrief.Status.VERIFIED
        and both.iv is not None
        and both.assessor is None
        and can(request.user, WRITE_BRIEFS, brief),
        "may_write": can(request.user, WRITE_BRIEFS, brief),
        # Once issued, the assignment's class grid is where its decisions are recorded.
        "may_see_grid": brief.status == AssignmentBrief.Status.ISSUED
        and can(request.user, VIEW_DECISIONS, brief.assignment),
        **forms,
    }
    return render(request, "assessment/plans/brief_detail.html", ctx, status=status)


@requires(VIEW_PLANS)
@require_GET
def brief_detail(request, pk: int):
    return _brief_page(request, get_object(request.user, VIEW_PLANS, BRIEFS, pk=pk))


@requires(VERIFY_BRIEFS)
@require_POST
def brief_verify(request, pk: int):
    brief = get_object(request.user, VERIFY_BRIEFS, BRIEFS, pk=pk)
    form = BriefCheckForm(request.POST)
    if not form.is_valid():
        return _brief_page(request, brief, 400, check_form=form)
    try:
        signature = services.verify_brief(
            brief,
            by=request.user,
            answers=form.answers(),
            actions_required=form.cleaned_data["actions_required"],
            actions_taken=form.cleaned_data["actions_taken"],
            password=form.cleaned_data["password"],
            seen_sha256=form.cleaned_data["seen"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        add_refusal(form, exc)
        return _brief_page(request, brief, 400, check_form=form)
    messages.success(
        request,
        "Verified and signed: the brief can be issued."
        if signature
        else "Checked: the actions required are recorded.",
    )
    return redirect(brief)


@requires(WRITE_BRIEFS)
@require_POST
def brief_sign(request, pk: int):
    """The assignment's assessor signs the verified brief (domain.md 3.3: both sign)."""
    brief = get_object(request.user, WRITE_BRIEFS, BRIEFS, pk=pk)
    form = _assessor_sign_form(request.POST)
    if not form.is_valid():
        return _brief_page(request, brief, 400, sign_form=form)
    try:
        services.sign_brief_as_assessor(
            brief,
            by=request.user,
            password=form.cleaned_data["password"],
            seen_sha256=form.cleaned_data["seen"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        add_refusal(form, exc)
        return _brief_page(request, brief, 400, sign_form=form)
    messages.success(request, "Signed as the assessor: the brief can be issued to learners.")
    return redirect(brief)


@requires(WRITE_BRIEFS)
@require_POST
def brief_issue(request, pk: int):
    brief = get_object(request.user, WRITE_BRIEFS, BRIEFS, pk=pk)
    form = IssueForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Reload the page and try again.")
        services.issue_brief(brief, by=request.user, version=form.cleaned_data["version"])
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, "Issued to learners.")
    return redirect(brief)


@requires(VIEW_PLANS)
@require_GET
def brief_file(request, pk: int):
    version = get_object(
        request.user, VIEW_PLANS, BriefVersion.objects.select_related("brief"), pk=pk
    )
    if not version.file or not default_storage.exists(version.file.name):
        raise Http404("This version has no file.")
    content_type = (
        "application/pdf"
        if version.file_type == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = FileResponse(
        default_storage.open(version.file.name, "rb"),
        content_type=content_type,
        as_attachment=True,
        filename=f"brief-{version.brief_id}-v{version.number}.{version.file_type}",
    )
    response["Cache-Control"] = "private, no-store"
    return response
