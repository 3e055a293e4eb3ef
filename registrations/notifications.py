"""E-mails of the registration round. Sent from Celery tasks; each send is recorded."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

import audit
from accounts.roles import Role

from .models import EntryRequest


def _programme_leaders(programme):
    if programme.leader_id:
        return [programme.leader] if programme.leader.is_active and programme.leader.email else []
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role=Role.PROGRAMME_LEADER,
            role_assignments__centre=programme.centre_id,
        )
        .exclude(email="")
        .distinct()
    )


def send_entry_request_email(request_id: int) -> int:
    """Tell the programme leader entries are wanted, by when, and where to propose them."""
    req = EntryRequest.objects.select_related(
        "programme__qualification", "programme__centre", "programme__leader", "requested_by"
    ).get(pk=request_id)
    if req.emailed_at:
        return 0  # a retried task never sends twice
    recipients = _programme_leaders(req.programme)
    if not recipients:
        return 0
    body = render_to_string(
        "registrations/email/entry_request.txt",
        {"req": req, "site_url": settings.BTECQA_SITE_URL},
    )
    send_mail(
        f"BTEC entries wanted for {req.programme.qualification.title} by {req.due_date:%d/%m/%Y}",
        body,
        None,
        [u.email for u in recipients],
    )
    EntryRequest.objects.filter(pk=req.pk).update(emailed_at=timezone.now())
    audit.record(
        None,
        "registrations.entry_request_emailed",
        req,
        centre=req.programme.centre_id,
        after={"to": sorted(u.email for u in recipients)},
    )
    return len(recipients)
