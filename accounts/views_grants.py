"""The Standards Verifier's access: the grants (Quality Nominee, head of centre) and the SV's
second factor. Thin: rules in services_grants.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from btecqa.forms import add_refusal
from centres.models import Centre
from learners.models import Cohort

from . import services_grants as services
from .events import VERIFIER_PAGE_VIEWED
from .forms_grants import GrantForm, TokenForm
from .models_grants import VerifierGrant
from .permissions import can, get_object, has_perm, requires, scope, signed_in
from .permissions_grants import GRANT_VERIFIER_ACCESS, VIEW_VERIFIER_GRANTS

PAGE_LOG_SHOWN = 500
GRANT_TYPE = VerifierGrant._meta.label


def _page_views():
    return AuditEvent.objects.filter(object_type=GRANT_TYPE, action=VERIFIER_PAGE_VIEWED).order_by()


def _cohorts():
    return Cohort.objects.select_related("qualification", "centre").order_by(
        "centre__name", "qualification__title", "start_year"
    )


@requires(VIEW_VERIFIER_GRANTS)
def grant_list(request):
    views = (
        _page_views()
        .filter(object_id=Cast(OuterRef("pk"), CharField()))
        .values("object_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    grants = (
        scope(request.user, VIEW_VERIFIER_GRANTS, VerifierGrant)
        .select_related("user", "centre", "granted_by", "revoked_by")
        .prefetch_related(Prefetch("cohorts", queryset=_cohorts()))
        .annotate(page_views=Subquery(views))
    )
    today = timezone.localdate()
    return render(
        request,
        "accounts/grant_list.html",
        {
            "rows": [(g, g.status(today)) for g in grants],
            "can_grant": has_perm(request.user, GRANT_VERIFIER_ACCESS),
        },
    )


@requires(GRANT_VERIFIER_ACCESS)
def grant_new(request):
    centres = scope(
        request.user, GRANT_VERIFIER_ACCESS, Centre.objects.filter(is_active=True)
    ).order_by("name")
    cohorts = _cohorts().filter(centre__in=centres)
    form = GrantForm(request.POST or None, centres=centres, cohorts=cohorts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.grant_verifier_access(
                centre=data["centre"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                cohorts=data["cohorts"],
                expires_on=data["expires_on"],
                by=request.user,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"{grant.user.email} may read the chosen cohorts until "
                f"{grant.expires_on:%d/%m/%Y}; an invitation is on its way.",
            )
            return redirect("accounts:grant_detail", pk=grant.pk)
    return render(request, "accounts/grant_form.html", {"form": form})


@requires(VIEW_VERIFIER_GRANTS)
def grant_detail(request, pk):
    grant = get_object(
        request.user,
        VIEW_VERIFIER_GRANTS,
        VerifierGrant.objects.select_related("user", "centre", "granted_by", "revoked_by"),
        pk=pk,
    )
    log = _page_views().filter(object_id=str(grant.pk))
    total = log.count()
    entries = [(e, e.after_data or {}) for e in log.order_by("-seq")[:PAGE_LOG_SHOWN]]
    return render(
        request,
        "accounts/grant_detail.html",
        {
            "grant": grant,
            "status": grant.status(),
            "cohorts": list(_cohorts().filter(verifier_grants=grant)),
            "entries": entries,
            "total": total,
            "shown": PAGE_LOG_SHOWN,
            "can_revoke": grant.revoked_at is None
            and can(request.user, GRANT_VERIFIER_ACCESS, grant),
        },
    )


@require_POST
@requires(GRANT_VERIFIER_ACCESS)
def grant_revoke(request, pk):
    grant = get_object(request.user, GRANT_VERIFIER_ACCESS, VerifierGrant, pk=pk)
    try:
        services.revoke_verifier_access(grant, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{grant.user.email}'s access has ended.")
    return redirect("accounts:grant_detail", pk=grant.pk)


# --- the Standards Verifier's second factor ---------------------------------------------------


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "/"


def _verifier_only(request):
    if not services.holds_verifier_role(request.user):
        raise Http404("Two-factor sign-in is for Standards Verifier accounts.")


@signed_in
def otp_setup(request):
    """First sign-in: enrol an authenticator app (TOTP), shown as a key; no image service."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _verifier_only(request)
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(_url("accounts:otp_verify", _next(request)))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if (refusal := _code_refusal(device, form.cleaned_data["token"])) is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect(_next(request))
        form.add_error("token", refusal)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "key": _grouped(device.bin_key),
            "config_url": device.config_url,
            "next": _next(request),
        },
    )


def _code_refusal(device, token: str) -> str | None:
    """None when the code is right; else why not. django-otp holds a device back for a
    moment after each wrong code (longer each time): say so, rather than call a right code
    typed too soon wrong."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Too many wrong codes in a row: wait a few seconds, then type the code shown now."
    if device.verify_token(token):
        return None
    return "That code is not the one your app shows now: try again."


def _grouped(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _url(name, next_url):
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@signed_in
def otp_verify(request):
    """Every sign-in: the six-digit code from the enrolled app."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _verifier_only(request)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect(_url("accounts:otp_setup", _next(request)))
    if request.user.is_verified():
        return redirect(_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if (refusal := _code_refusal(device, form.cleaned_data["token"])) is None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", refusal)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request)})
