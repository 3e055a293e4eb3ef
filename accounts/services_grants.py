"""Granting and ending the Standards Verifier's access (domain.md 3.10).

The Quality Nominee names Pearson's SV by e-mail, the cohorts being sampled and the last day;
the SV gets a personal account (created, or their existing SV account linked) holding the
Standards Verifier role at the centre, and an invitation to set a password. Every step is on
the audit trail.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import audit
from outbox.services import queue_email

from .events import ROLE_GRANTED, VERIFIER_GRANTED, VERIFIER_REFUSED, VERIFIER_REVOKED
from .models import RoleAssignment, User
from .models_grants import VerifierGrant
from .permissions import require, require_object
from .permissions_grants import GRANT_VERIFIER_ACCESS
from .roles import Role

# A grant covers one sampling window: never more than a year ahead.
MAX_GRANT_DAYS = 366
INVITATION = "accounts.verifier_invitation"


def _ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _verifier_account(email: str, first_name: str, last_name: str) -> User:
    """The SV's own account: a new one, or the one they already use as an SV elsewhere."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(
            username=email.lower(), email=email.lower(), first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        user.save()
        return user
    staff_roles = user.role_assignments.exclude(role=Role.STANDARDS_VERIFIER)
    if user.is_superuser or user.is_staff or staff_roles.exists():
        raise ValidationError(
            {
                "email": f"{email} is the address of a staff account here. The Standards "
                "Verifier's account must be their own, used for nothing else: give their "
                "Pearson address."
            }
        )
    if not user.is_active:
        raise ValidationError({"email": f"The account for {email} has been switched off."})
    return user


def grant_verifier_access(
    *, centre, email: str, first_name: str, last_name: str, cohorts, expires_on, by, today=None
) -> VerifierGrant:
    """Give the SV read-only access to `cohorts` at `centre` until `expires_on` (inclusive)."""
    require(by, GRANT_VERIFIER_ACCESS, centre.pk)
    today = today or timezone.localdate()
    cohorts = list(cohorts)
    problems = {}
    if not cohorts:
        problems["cohorts"] = "Choose the cohorts being sampled."
    elsewhere = [c for c in cohorts if c.centre_id != centre.pk]
    if elsewhere:
        problems["cohorts"] = (
            f"{', '.join(str(c) for c in elsewhere)}: not a cohort of {centre.name}."
        )
    if expires_on < today:
        problems["expires_on"] = f"The last day, {_ddmmyyyy(expires_on)}, has already passed."
    elif expires_on > today + dt.timedelta(days=MAX_GRANT_DAYS):
        problems["expires_on"] = (
            f"The last day may be at most a year ahead (by "
            f"{_ddmmyyyy(today + dt.timedelta(days=MAX_GRANT_DAYS))}): grant again next year."
        )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        user = _verifier_account(email.strip(), first_name.strip(), last_name.strip())
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=Role.STANDARDS_VERIFIER, centre=centre
        )
        if created:
            audit.record(
                by,
                ROLE_GRANTED,
                assignment,
                centre=centre,
                after={"user": user.username, "role": assignment.role},
            )
        grant = VerifierGrant.objects.create(
            centre=centre, user=user, expires_on=expires_on, granted_by=by
        )
        grant.cohorts.set(cohorts)
        audit.record(
            by,
            VERIFIER_GRANTED,
            grant,
            after={
                "email": user.email,
                "cohorts": sorted(str(c) for c in cohorts),
                "expires_on": expires_on.isoformat(),
            },
        )
        _invite(grant, cohorts)
    return grant


def _invite(grant: VerifierGrant, cohorts) -> None:
    user = grant.user
    lines = [
        f"Dear {user.get_full_name() or user.email},",
        "",
        f"{grant.centre.name} ({grant.centre.number}) has given you read-only access to btecqa "
        "for Standards Verification of:",
        *(f"  - {c}" for c in cohorts),
        "",
        f"Your access ends at the end of {_ddmmyyyy(grant.expires_on)}.",
    ]
    if not user.has_usable_password():
        # Not a one-time link: the outbox keeps what it sends in a table, and a reset
        # token must not sit there. The reset page sends its own e-mail in the request.
        page = settings.BTECQA_SITE_URL.rstrip("/") + reverse("password_reset")
        lines += [
            "",
            "To set your password, open this page and give this e-mail address; a link to "
            "choose your password is sent to you at once:",
            page,
        ]
    lines += [
        "",
        "When you first sign in you will set up an authenticator app: every sign-in asks for "
        "its six-digit code. Every page you open is recorded.",
    ]
    queue_email(
        kind=INVITATION,
        to=[user.email],
        subject=f"Standards Verification access at {grant.centre.name}",
        body="\n".join(lines),
        key=f"{INVITATION}:{grant.pk}",
    )


def revoke_verifier_access(grant: VerifierGrant, *, by) -> VerifierGrant:
    """End a grant now; the SV's open session ends on their next request.

    The role assignment stays: it marks the account as a Standards Verifier's, whose
    sessions and sign-ins need a live grant; without one it reaches nothing."""
    require_object(by, GRANT_VERIFIER_ACCESS, grant)
    if grant.revoked_at:
        raise ValidationError(
            f"This access was already ended on {_ddmmyyyy(timezone.localtime(grant.revoked_at))}."
        )
    with transaction.atomic():
        grant.revoked_at = timezone.now()
        grant.revoked_by = by
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(by, VERIFIER_REVOKED, grant, after={"email": grant.user.email})
    return grant


def holds_verifier_role(user) -> bool:
    from .permissions import roles_of

    return Role.STANDARDS_VERIFIER in roles_of(user)


def verifier_refusal(user, today=None) -> str:
    """Why this SV account may not sign in now ("" when it may): no live grant."""
    today = today or timezone.localdate()
    grants = list(VerifierGrant.objects.filter(user=user).order_by("-expires_on"))
    is_verifier = grants or user.role_assignments.filter(role=Role.STANDARDS_VERIFIER).exists()
    if not is_verifier or any(g.status(today) == "live" for g in grants):
        return ""
    if not grants:
        return "This Standards Verifier account has no access granted: it cannot sign in."
    last = grants[0]
    if all(g.revoked_at for g in grants):
        return (
            "This Standards Verifier account's access was ended by the centre: it can no "
            "longer sign in. Ask the centre's Quality Nominee if you still need it."
        )
    return (
        f"This Standards Verifier account's access expired on {_ddmmyyyy(last.expires_on)}: "
        "it can no longer sign in. Ask the centre's Quality Nominee for a new grant."
    )


def record_refused_sign_in(user, reason: str) -> None:
    """A Standards Verifier's sign-in refused after their access ended: on the trail of the
    centre whose grant it was, so the Quality Nominee sees the attempt."""
    grant = VerifierGrant.objects.filter(user=user).order_by("-expires_on", "-pk").first()
    if grant is not None:
        audit.record(user, VERIFIER_REFUSED, grant, after={"reason": reason})
