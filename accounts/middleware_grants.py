"""A Standards Verifier's session (domain.md 3.10): a live grant, two factors, every page logged.

For anyone else this costs nothing: the roles it reads are the ones every page reads (kept on
the user for the request). For an account holding the Standards Verifier role:

* no live grant (all expired or ended): the session is ended and the person sent to sign in,
  with the reason;
* not verified with their authenticator app (django-otp) this session: sent to enrol a
  device (first sign-in) or to give the code, and nothing else opens;
* every request (path, method, status; the time is the event's) is written on the audit
  trail against each live grant, where the centre's Quality Nominee and head read it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

import audit

from .events import VERIFIER_PAGE_VIEWED
from .models_grants import VerifierGrant
from .permissions import roles_of
from .roles import Role

# The pages an SV may open before the second factor: enrol, give the code, sign out.
BEFORE_SECOND_FACTOR = ("accounts:otp_setup", "accounts:otp_verify", "logout")


def _has_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class VerifierSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            not user.is_authenticated
            or user.is_superuser
            or Role.STANDARDS_VERIFIER not in roles_of(user)
        ):
            return self.get_response(request)
        grants = list(VerifierGrant.objects.live().filter(user=user).only("pk", "centre_id"))
        if not grants:
            from .services_grants import verifier_refusal

            reason = verifier_refusal(user) or "This account has no access granted."
            logout(request)
            messages.error(request, reason)
            return redirect("login")
        if user.is_verified():
            response = self.get_response(request)
        else:
            response = self._second_factor(request, user)
        self._log(request, user, grants, response)
        return response

    def _second_factor(self, request, user):
        allowed = {reverse(name) for name in BEFORE_SECOND_FACTOR}
        if request.path in allowed:
            return self.get_response(request)
        target = "accounts:otp_verify" if _has_device(user) else "accounts:otp_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

    def _log(self, request, user, grants, response) -> None:
        path = request.get_full_path()[:500]
        with transaction.atomic():
            for grant in grants:
                audit.record(
                    user,
                    VERIFIER_PAGE_VIEWED,
                    grant,
                    centre=grant.centre_id,
                    object_repr=f"Standards Verifier access {grant.pk}",
                    after={"path": path, "method": request.method, "status": response.status_code},
                )
