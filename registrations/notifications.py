"""E-mails of the registration round: queued in the outbox with the work, sent by a task."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string

import audit
from accounts.roles import Role
from outbox.services import after_sent, queue_email

from .models import EntryRequest

ENTRY_REQUEST = "registrations.entry_request"


def _programme_leaders(cohort):
    if cohort.leader_id:
        return [cohort.leader] if cohort.leader.is_active and cohort.leader.email else []
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role=Role.PROGRAMME_LEADER,
            role_assignments__centre=cohort.centre_id,
        )
        .exclude(email="")
        .distinct()
    )


def queue_entry_request_email(req: EntryRequest):
    """Tell the programme leader entries are wanted, by when, and where to propose them.

    Called inside request_entries' transaction: the e-mail exists exactly when the request
    does. One per request (its outbox key); None when the programme has no leader to tell.
    """
    recipients = _programme_leaders(req.cohort)
    if not recipients:
        return None
    body = render_to_string(
        "registrations/email/entry_request.txt",
        {"req": req, "site_url": settings.BTECQA_SITE_URL},
    )
    return queue_email(
        kind=ENTRY_REQUEST,
        key=f"{ENTRY_REQUEST}:{req.pk}",
        to=[u.email for u in recipients],
        subject=(
            f"BTEC entries wanted for {req.cohort.qualification.title} by {req.due_date:%d/%m/%Y}"
        ),
        body=body,
    )


@after_sent(ENTRY_REQUEST)
def _entry_request_emailed(email) -> None:
    """The mail server took it: the request shows when, and the trail who was told."""
    req = EntryRequest.objects.select_related("cohort").get(pk=int(email.key.rsplit(":")[-1]))
    EntryRequest.objects.filter(pk=req.pk, emailed_at__isnull=True).update(emailed_at=email.sent_at)
    audit.record(
        None,
        "registrations.entry_request_emailed",
        req,
        centre=req.cohort.centre_id,
        after={"to": sorted(email.to)},
    )
