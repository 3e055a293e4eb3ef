"""The claims pages: a cohort's claims (prepare one), a claim (approve, file, submit,
amend). Thin: each reads through the permission layer and calls a service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, has_perm, requires
from learners.models import Cohort

from . import services_claims as services
from .forms_claims import (
    AmendClaimForm,
    ApproveClaimForm,
    ClaimFileForm,
    PrepareClaimForm,
    SubmitClaimForm,
)
from .models import Claim, ClaimFile
from .permissions import (
    APPROVE_CLAIMS,
    EXPORT_CLAIM_FILE,
    PREPARE_CLAIMS,
    SUBMIT_CLAIMS,
    VIEW_CLAIMS,
)
from .selectors_claims import claim_page, cohort_claims

COHORT_QS = Cohort.objects.select_related("qualification", "centre", "leader")
CLAIM_QS = Claim.objects.select_related(
    "cohort__qualification", "cohort__centre", "cohort__leader", "centre", "submitted_by"
)
CONTENT_TYPES = {
    ClaimFile.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ClaimFile.Format.CSV: "text/csv; charset=utf-8",
}


def _refused(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@requires(VIEW_CLAIMS)
def cohort_claim_list(request, pk):
    cohort = get_object(request.user, VIEW_CLAIMS, COHORT_QS, pk=pk)
    return render(
        request,
        "claims/claim_list.html",
        {
            "cohort": cohort,
            "claims": cohort_claims(cohort),
            "form": PrepareClaimForm(cohort=cohort),
            "may_prepare": has_perm(request.user, PREPARE_CLAIMS, cohort.centre_id),
        },
    )


@requires(PREPARE_CLAIMS)
@require_POST
def claim_prepare(request, pk):
    cohort = get_object(request.user, PREPARE_CLAIMS, COHORT_QS, pk=pk)
    form = PrepareClaimForm(request.POST, cohort=cohort)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("claims:cohort_claims", cohort.pk)
    try:
        claim = services.prepare_claim(
            cohort,
            form.cleaned_data["kind"],
            request.user,
            fallback_qualification=form.cleaned_data["fallback_qualification"],
        )
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("claims:cohort_claims", cohort.pk)
    messages.success(request, "Claim prepared: it now needs the two approvals.")
    return redirect(claim)


@requires(VIEW_CLAIMS)
def claim_detail(request, pk):
    claim = get_object(request.user, VIEW_CLAIMS, CLAIM_QS, pk=pk)
    page = claim_page(claim)
    centre = claim.centre_id
    as_roles = [
        role
        for role, perm in services.ROLE_PERMISSION.items()
        if role.value in page.missing and can(request.user, perm, claim)
    ]
    approve_form = ApproveClaimForm(initial={"seen": page.sha256})
    approve_form.fields["role"].choices = [(r.value, r.label) for r in as_roles]
    may = {
        "approve": bool(as_roles),
        "submit": has_perm(request.user, SUBMIT_CLAIMS, centre),
        "prepare": has_perm(request.user, PREPARE_CLAIMS, centre),
        "export": has_perm(request.user, EXPORT_CLAIM_FILE, centre),
    }
    return render(
        request,
        "claims/claim_detail.html",
        {
            "p": page,
            "claim": claim,
            "may": may,
            "approve_form": approve_form,
            "submit_form": SubmitClaimForm(),
            "amend_form": AmendClaimForm(),
            "file_form": ClaimFileForm(),
        },
    )


@requires(APPROVE_CLAIMS)
@require_POST
def claim_approve(request, pk):
    claim = get_object(request.user, APPROVE_CLAIMS, CLAIM_QS, pk=pk)
    form = ApproveClaimForm(request.POST)
    if form.is_valid():
        try:
            services.approve_claim(
                claim,
                request.user,
                role=form.cleaned_data["role"],
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
            )
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, "Approved, signed and dated.")
    else:
        messages.error(request, "Choose the role and re-enter your password to approve.")
    return redirect(claim)


@requires(SUBMIT_CLAIMS)
@require_POST
def claim_submit(request, pk):
    claim = get_object(request.user, SUBMIT_CLAIMS, CLAIM_QS, pk=pk)
    form = SubmitClaimForm(request.POST)
    if form.is_valid():
        try:
            services.submit_claim(claim, request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, "Submission recorded with Pearson's reference.")
    else:
        messages.error(request, "Enter the date submitted and Pearson's reference.")
    return redirect(claim)


@requires(PREPARE_CLAIMS)
@require_POST
def claim_amend(request, pk):
    claim = get_object(request.user, PREPARE_CLAIMS, CLAIM_QS, pk=pk)
    form = AmendClaimForm(request.POST)
    if form.is_valid():
        try:
            new = services.amend_claim(claim, request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"Amendment opened as version {new.version}.")
            return redirect(new)
    else:
        messages.error(request, "Say why the claim is being amended.")
    return redirect(claim)


@requires(EXPORT_CLAIM_FILE)
@require_POST
def claim_file(request, pk):
    claim = get_object(request.user, EXPORT_CLAIM_FILE, CLAIM_QS, pk=pk)
    form = ClaimFileForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose XLSX or CSV.")
        return redirect(claim)
    fmt = form.cleaned_data["format"]
    try:
        data, _record = services.make_claim_file(claim, request.user, fmt)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(claim)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{services.file_name(claim, fmt)}"'
    return response
