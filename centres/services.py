"""Collaborative arrangements by consent, and each centre's own Pearson approvals.

- The lead centre's Quality Nominee (or centre administrator) creates an arrangement and
  *invites* centres. A centre becomes a partner only when its own Quality Nominee or Head
  of Centre accepts (policy 3.1.3: a lead centre coordinates; it cannot annex).
- A qualification joins only once the lead centre has recorded its own Pearson approval
  for it (3.1.2); it is shared with each partner only once that partner has too.
- Either side may withdraw. Invitations, answers and withdrawals are audited at both
  centres and put an action on both centres' dashboards.
- The Lead Centre is the single channel to Pearson (3.1.14), so every change to who is in
  the arrangement opens a "tell Pearson" action for the lead centre's Quality Nominee.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import can, has_perm, require, require_object
from accounts.roles import Role
from btecqa.validators import academic_year_problem
from todos.models import ToDo
from todos.services import close_todos, open_todo
from workflow import Close, step

from . import events  # noqa: E402
from .models import (
    ArrangementPartner,
    ArrangementQualification,
    CollaborativeArrangement,
    QualificationApproval,
)
from .permissions import (
    MANAGE_ARRANGEMENTS,
    NOTE_ARRANGEMENT_CHANGES,
    RECORD_APPROVALS,
    RESPOND_TO_ARRANGEMENT,
)
from .selectors import arrangement_staff

TELL_PEARSON, RESPOND, AWAIT_REPLY = events.TELL_PEARSON, events.RESPOND, events.AWAIT_REPLY
NOTE_CHANGE, RECORD_APPROVAL = events.NOTE_CHANGE, events.RECORD_APPROVAL
TELL_PEARSON_DAYS = 14
RESPOND_DAYS = 14
NOTE_DAYS = 7

S = ArrangementPartner.Status


def _due(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _tell_pearson(arrangement, target, what: str, by) -> None:
    open_todo(
        TELL_PEARSON,
        centre=arrangement.lead_centre,
        role=Role.QUALITY_NOMINEE,
        title=f"Tell Pearson: {what} ({arrangement.name})",
        due=_due(TELL_PEARSON_DAYS),
        target=target,
        actor=by,
    )


def _note(partner: ArrangementPartner, centre, what: str, by) -> None:
    """An action at one centre to take note of a change the other side made."""
    open_todo(
        NOTE_CHANGE,
        centre=centre,
        role=Role.QUALITY_NOMINEE,
        title=f"{what} ({partner.arrangement.name})",
        due=_due(NOTE_DAYS),
        target=partner,
        actor=by,
    )


def _audit_both(by, action: str, partner: ArrangementPartner, **values) -> None:
    """The same event on the lead centre's trail and on the partner centre's."""
    for centre_id in (partner.arrangement.lead_centre_id, partner.centre_id):
        audit.record(by, action, partner, centre=centre_id, **values)


# --- arrangements ---------------------------------------------------------------------


def _check_years(first_year: str, last_year: str) -> None:
    for label, value in (("first year", first_year), ("last year", last_year)):
        if value and (problem := academic_year_problem(value)):
            raise ValidationError(f"The {label}: {problem}.")
    if last_year and last_year < first_year:
        raise ValidationError("The last year comes before the first year.")


@transaction.atomic
def create_arrangement(
    *, lead_centre, name: str, programme_code: str, first_year: str, last_year: str = "", by
) -> CollaborativeArrangement:
    require(by, MANAGE_ARRANGEMENTS, lead_centre.pk)
    _check_years(first_year, last_year)
    arrangement = CollaborativeArrangement.objects.create(
        lead_centre=lead_centre,
        name=name,
        programme_code=programme_code,
        first_year=first_year,
        last_year=last_year,
    )
    audit.record(
        by,
        events.ARRANGEMENT_CREATED,
        arrangement,
        centre=lead_centre,
        after={
            "name": name,
            "programme_code": programme_code,
            "first_year": first_year,
            "last_year": last_year,
        },
    )
    return arrangement


@transaction.atomic
def invite_partner(arrangement, *, centre, by) -> ArrangementPartner:
    """The lead centre asks another centre to join; nothing is shared until it accepts."""
    require_object(by, MANAGE_ARRANGEMENTS, arrangement)
    if centre.pk == arrangement.lead_centre_id:
        raise ValidationError("The lead centre is already part of its own arrangement.")
    if not centre.is_active:
        raise ValidationError(f"{centre.name} is not an active centre.")
    partner, created = ArrangementPartner.objects.select_for_update().get_or_create(
        arrangement=arrangement,
        centre=centre,
        defaults={"invited_by": by, "invited_at": timezone.now(), "status": S.INVITED},
    )
    if not created:
        if partner.status in (S.INVITED, S.ACCEPTED):
            already = "invited to" if partner.status == S.INVITED else "a partner in"
            raise ValidationError(f"{centre.name} is already {already} this arrangement.")
        partner.status, partner.invited_by, partner.invited_at = S.INVITED, by, timezone.now()
        partner.responded_by = partner.responded_at = None
        partner.response_note = ""
        partner.joined_on = partner.withdrawn_on = partner.withdrawn_by = None
        partner.withdrawal_reason = ""
        partner.lock_version += 1
        partner.save()
    _audit_both(by, events.PARTNER_INVITED, partner, after={"centre": centre.number})
    open_todo(
        RESPOND,
        centre=centre,
        role=Role.QUALITY_NOMINEE,
        title=(
            f"{arrangement.lead_centre.name} invites {centre.name} into {arrangement.name}: "
            "accept or refuse"
        ),
        due=_due(RESPOND_DAYS),
        target=partner,
        actor=by,
    )
    open_todo(
        AWAIT_REPLY,
        centre=arrangement.lead_centre,
        role=Role.QUALITY_NOMINEE,
        title=f"Waiting for {centre.name} to answer the invitation into {arrangement.name}",
        due=_due(RESPOND_DAYS),
        target=partner,
        actor=by,
    )
    return partner


def _both(partner: ArrangementPartner) -> list[int]:
    return [partner.arrangement.lead_centre_id, partner.centre_id]


@transaction.atomic
def accept_invitation(
    partner: ArrangementPartner, *, by, note: str = "", expected_lock: int | None = None
) -> ArrangementPartner:
    """The invited centre's own Quality Nominee or Head of Centre agrees to join."""

    def change(p):
        p.joined_on = timezone.localdate()
        p.responded_by, p.responded_at = by, timezone.now()
        p.response_note = (note or "").strip()

    partner = step(
        partner,
        by=by,
        action=events.PARTNER_ACCEPTED,
        permission=RESPOND_TO_ARRANGEMENT,
        allowed=[S.INVITED],
        refusal="There is no open invitation to answer",
        expected_version=expected_lock,
        status=S.ACCEPTED,
        change=change,
        centre=_both(partner),
        related=["arrangement__lead_centre", "centre"],
        close=[Close(RESPOND, note="accepted"), Close(AWAIT_REPLY, note="accepted")],
    )
    arrangement = partner.arrangement
    _tell_pearson(arrangement, partner, f"{partner.centre.name} joins", by)
    _note(partner, arrangement.lead_centre, f"{partner.centre.name} accepted and is a partner", by)
    _ask_for_missing_approvals(partner, by)
    return partner


@transaction.atomic
def refuse_invitation(
    partner: ArrangementPartner, *, by, reason: str, expected_lock: int | None = None
) -> ArrangementPartner:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the centre refuses, so the lead centre knows.")

    def change(p):
        p.responded_by, p.responded_at, p.response_note = by, timezone.now(), reason
        return {"reason": reason}

    partner = step(
        partner,
        by=by,
        action=events.PARTNER_REFUSED,
        permission=RESPOND_TO_ARRANGEMENT,
        allowed=[S.INVITED],
        refusal="There is no open invitation to answer",
        expected_version=expected_lock,
        status=S.REFUSED,
        change=change,
        centre=_both(partner),
        related=["arrangement__lead_centre", "centre"],
        close=[Close(RESPOND, note="refused"), Close(AWAIT_REPLY, note="refused")],
    )
    _note(partner, partner.arrangement.lead_centre, f"{partner.centre.name} refused", by)
    return partner


def may_withdraw(user, partner: ArrangementPartner) -> bool:
    """Either side: the lead centre's managers, or the partner's own QN or head."""
    return can(user, MANAGE_ARRANGEMENTS, partner.arrangement) or can(
        user, RESPOND_TO_ARRANGEMENT, partner
    )


@transaction.atomic
def withdraw_partner(
    partner: ArrangementPartner,
    *,
    on: dt.date,
    by,
    reason: str = "",
    expected_lock: int | None = None,
) -> ArrangementPartner:
    """A partner leaves, at either side's request. Shared QA records stay readable to the
    lead centre for their retention period (3.1.10); nothing new is shared."""
    if not may_withdraw(by, partner):
        raise PermissionDenied(
            "Only the lead centre's Quality Nominee or administrator, or the partner's own "
            "Quality Nominee or Head of Centre, may withdraw a partner."
        )

    def change(p):
        if p.status == S.WITHDRAWN:
            raise ValidationError(f"{p.centre.name} has already withdrawn.")
        if p.status != S.ACCEPTED:
            raise ValidationError(
                f"{p.centre.name} is not a partner ({p.get_status_display().lower()})."
            )
        if p.joined_on and on < p.joined_on:
            raise ValidationError(
                f"{p.centre.name} joined on {p.joined_on:%d/%m/%Y}; it cannot withdraw before that."
            )
        if on > timezone.localdate():
            raise ValidationError("A withdrawal is recorded when it happens, not in advance.")
        p.withdrawn_on, p.withdrawn_by = on, by
        p.withdrawal_reason = (reason or "").strip()
        return {"reason": p.withdrawal_reason}

    partner = step(
        partner,
        by=by,
        action=events.PARTNER_WITHDRAWN,
        expected_version=expected_lock,
        status=S.WITHDRAWN,
        change=change,
        centre=_both(partner),
        related=["arrangement__lead_centre", "centre"],
        close=[Close(RECORD_APPROVAL, note="withdrawn")],
    )
    arrangement = partner.arrangement
    _tell_pearson(arrangement, partner, f"{partner.centre.name} withdraws", by)
    for centre in (arrangement.lead_centre, partner.centre):
        _note(partner, centre, f"{partner.centre.name} withdrew on {on:%d/%m/%Y}", by)
    return partner


@transaction.atomic
def note_change(todo: ToDo, *, by) -> None:
    """Someone at the centre has read about the change: the action closes."""
    if todo.kind != NOTE_CHANGE or todo.closed_at:
        raise ValidationError("That is not an open note about an arrangement change.")
    if not has_perm(by, NOTE_ARRANGEMENT_CHANGES, todo.centre_id):
        raise PermissionDenied("The Quality Nominee or Head of Centre notes arrangement changes.")
    close_todos(NOTE_CHANGE, target=todo.target, by=by, note="noted", centre=todo.centre)


# --- qualifications -------------------------------------------------------------------


def missing_approvals(arrangement, qualification) -> list:
    """The arrangement's centres (lead first, then current partners) with no Pearson approval
    recorded for the qualification."""
    centres = [arrangement.lead_centre] + [
        p.centre for p in arrangement.partners.current().select_related("centre")
    ]
    approved = set(
        QualificationApproval.objects.filter(
            qualification=qualification, centre__in=centres
        ).values_list("centre_id", flat=True)
    )
    return [c for c in centres if c.pk not in approved]


def _ask_for_missing_approvals(partner: ArrangementPartner, by) -> None:
    quals = partner.arrangement.qualifications.filter(withdrawn_on__isnull=True).select_related(
        "qualification"
    )
    approved = set(
        QualificationApproval.objects.filter(centre=partner.centre).values_list(
            "qualification_id", flat=True
        )
    )
    lacking = [aq.qualification for aq in quals if aq.qualification_id not in approved]
    if lacking:
        open_todo(
            RECORD_APPROVAL,
            centre=partner.centre,
            role=Role.QUALITY_NOMINEE,
            title=(
                "Record your Pearson approval for "
                + ", ".join(q.title for q in lacking)
                + f": nothing of it is shared in {partner.arrangement.name} until you do"
            ),
            due=_due(TELL_PEARSON_DAYS),
            target=partner,
            actor=by,
        )


@transaction.atomic
def add_qualification(
    arrangement, *, qualification, lead_iv, added_on: dt.date, by
) -> ArrangementQualification:
    require_object(by, MANAGE_ARRANGEMENTS, arrangement)
    if not QualificationApproval.objects.filter(
        centre=arrangement.lead_centre, qualification=qualification
    ).exists():
        raise ValidationError(
            f"{arrangement.lead_centre.name} has not recorded its own Pearson approval for "
            f"{qualification.title}. Qualification approval comes before collaborative approval: "
            "record it under Arrangements → Pearson approvals first."
        )
    if lead_iv is not None and not arrangement_staff(arrangement).filter(pk=lead_iv.pk).exists():
        raise ValidationError(
            f"{lead_iv} is not on the staff of a centre in this arrangement, "
            "so cannot be its Lead Internal Verifier."
        )
    aq, created = ArrangementQualification.objects.get_or_create(
        arrangement=arrangement,
        qualification=qualification,
        defaults={"added_on": added_on, "lead_iv": lead_iv},
    )
    if not created:
        if aq.withdrawn_on is None:
            raise ValidationError(f"{qualification.title} is already covered by this arrangement.")
        aq.withdrawn_on, aq.added_on, aq.lead_iv = None, added_on, lead_iv
        aq.save(update_fields=["withdrawn_on", "added_on", "lead_iv"])
    audit.record(
        by,
        events.QUALIFICATION_ADDED,
        aq,
        centre=arrangement.lead_centre,
        after={"qualification": qualification.number, "lead_iv": str(lead_iv) if lead_iv else None},
    )
    _tell_pearson(arrangement, aq, f"add {qualification.title}", by)
    for partner in arrangement.partners.current().select_related("centre", "arrangement"):
        _ask_for_missing_approvals(partner, by)
    return aq


@transaction.atomic
def withdraw_qualification(aq: ArrangementQualification, *, on: dt.date, by) -> None:
    require_object(by, MANAGE_ARRANGEMENTS, aq.arrangement)
    if aq.withdrawn_on:
        raise ValidationError("That qualification has already been withdrawn.")
    if on < aq.added_on:
        raise ValidationError(
            f"It was added on {aq.added_on:%d/%m/%Y}; it cannot be withdrawn before that."
        )
    aq.withdrawn_on = on
    aq.save(update_fields=["withdrawn_on"])
    audit.record(
        by,
        events.QUALIFICATION_WITHDRAWN,
        aq,
        centre=aq.arrangement.lead_centre,
        before={"withdrawn_on": None},
        after={"withdrawn_on": on},
    )
    _tell_pearson(aq.arrangement, aq, f"withdraw {aq.qualification.title}", by)


@transaction.atomic
def record_pearson_told(todo: ToDo, *, told_on: dt.date, reference: str, by) -> None:
    if todo.kind != TELL_PEARSON or todo.closed_at:
        raise ValidationError("That action is not an open 'tell Pearson' action.")
    if not reference.strip():
        raise ValidationError(
            "Give Pearson's reference (case number or e-mail date) so the trail can be followed."
        )
    note = f"Pearson told {told_on:%d/%m/%Y}, reference {reference.strip()}"
    close_todos(TELL_PEARSON, target=todo.target, by=by, note=note, centre=todo.centre)
    audit.record(
        by,
        events.PEARSON_TOLD,
        todo.target,
        centre=todo.centre,
        after={"told_on": told_on, "reference": reference.strip()},
    )


# --- each centre's own approvals ------------------------------------------------------


@transaction.atomic
def record_approval(
    *, centre, qualification, approved_on: dt.date, reference: str, by
) -> QualificationApproval:
    """The centre's own Pearson approval for a qualification (policy 3.1.2)."""
    require(by, RECORD_APPROVALS, centre.pk)
    if not (reference or "").strip():
        raise ValidationError("Give Pearson's reference for the approval.")
    if approved_on > timezone.localdate():
        raise ValidationError("An approval is recorded once Pearson has given it.")
    approval, created = QualificationApproval.objects.get_or_create(
        centre=centre,
        qualification=qualification,
        defaults={"approved_on": approved_on, "reference": reference.strip(), "recorded_by": by},
    )
    if not created:
        raise ValidationError(
            f"{centre.name}'s approval for {qualification.title} is already recorded "
            f"({approval.approved_on:%d/%m/%Y}, {approval.reference})."
        )
    audit.record(
        by,
        events.APPROVAL_RECORDED,
        approval,
        centre=centre,
        after={
            "qualification": qualification.number,
            "approved_on": approved_on,
            "reference": reference.strip(),
        },
    )
    approved = set(
        QualificationApproval.objects.filter(centre=centre).values_list(
            "qualification_id", flat=True
        )
    )
    for partner in ArrangementPartner.objects.current().filter(centre=centre):
        needed = partner.arrangement.qualifications.filter(withdrawn_on__isnull=True)
        if set(needed.values_list("qualification_id", flat=True)) <= approved:
            close_todos(RECORD_APPROVAL, target=partner, by=by, note="approvals recorded")
    return approval
