"""The September round: request, propose, enter, return, sign, amend, submit.

Every step is a RegistrationStep on the learner's registration history and an
audit event. Signing and versions go through the signatures app. Two people
acting on one list at once: each form carries the list's lock_version, and the
second to act is refused with a message (StaleRecord) instead of overwriting.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.permissions import can
from accounts.roles import Role
from btecqa.validators import validate_academic_year
from centres.models import ArrangementQualification
from signatures import services as signing
from signatures.services import StaleRecord
from todos.services import close_todos, open_todo

from . import events, notifications
from .models import (
    EntryList,
    EntryRequest,
    Registration,
    RegistrationRound,
    RegistrationStep,
    RowQuery,
)
from .permissions import PROPOSE_ENTRIES

PROPOSE_TODO = "registrations.propose_entries"
MAKE_ENTRIES_TODO = "registrations.make_entries"
SIGN_TODO = "registrations.sign_entry_list"
ANSWER_QUERY_TODO = "registrations.answer_query"
SUBMIT_TODO = "registrations.submit_entry_list"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "system"


def add_step(
    registration: Registration, *, by, what: str, action: str, detail: str = "", audited=True
):
    """One line of the learner's registration history, and the same on the audit trail.

    audited=False when the workflow step that called it has already recorded the event
    (a discrepancy's step is one event on the learner's trail, not two).
    """
    RegistrationStep.objects.create(
        registration=registration, by=by, by_repr=_name(by), what=what, detail=detail[:500]
    )
    if not audited:
        return
    audit.record(
        by,
        action,
        registration,
        centre=registration.centre_id,
        after={
            "programme": str(registration.programme),
            "status": registration.status,
            "detail": detail,
        },
    )


def _lock(entry_list: EntryList, expected: int | None) -> EntryList:
    """Re-read the list under a row lock and refuse if someone changed it meanwhile."""
    current = EntryList.objects.select_for_update().get(pk=entry_list.pk)
    if expected is not None and current.lock_version != expected:
        raise StaleRecord(
            "Someone else changed this entry list while you had it open. Nothing was done: "
            "reload the page to see their change, then try again."
        )
    return current


def _bump(entry_list: EntryList, **fields) -> None:
    entry_list.lock_version += 1
    for name, value in fields.items():
        setattr(entry_list, name, value)
    entry_list.save(update_fields=["lock_version", *fields])


# --- the round and the requests ---------------------------------------------------------


@transaction.atomic
def open_round(*, centre, academic_year: str, by) -> RegistrationRound:
    validate_academic_year(academic_year)
    if RegistrationRound.objects.filter(centre=centre, academic_year=academic_year).exists():
        raise ValidationError(f"The {academic_year} round at {centre.name} is already open.")
    try:
        with transaction.atomic():  # two people opening it at the same instant: one wins
            rnd = RegistrationRound.objects.create(
                centre=centre, academic_year=academic_year, opened_by=by
            )
    except IntegrityError:
        raise ValidationError(
            f"The {academic_year} round at {centre.name} was opened a moment ago by someone else."
        ) from None
    audit.record(by, "registrations.round.opened", rnd, after={"academic_year": academic_year})
    return rnd


@transaction.atomic
def request_entries(rnd: RegistrationRound, *, programme, due_date: dt.date, by) -> EntryRequest:
    """Ask the programme leader for entries: a dashboard to-do and an e-mail (the outbox)."""
    if programme.centre_id != rnd.centre_id or programme.academic_year != rnd.academic_year:
        raise ValidationError(f"{programme} is not a {rnd.academic_year} programme at this centre.")
    if EntryRequest.objects.filter(programme=programme).exists():
        raise ValidationError(f"Entries for {programme} have already been requested.")
    if due_date < timezone.localdate():
        raise ValidationError("The due date has already passed.")
    try:
        with transaction.atomic():  # a double click or a colleague at the same instant
            req = EntryRequest.objects.create(
                round=rnd, programme=programme, due_date=due_date, requested_by=by
            )
    except IntegrityError:
        raise ValidationError(
            f"Entries for {programme} were requested a moment ago by someone else."
        ) from None
    entry_list_for(programme, rnd)
    open_todo(
        PROPOSE_TODO,
        centre=rnd.centre,
        assignee=programme.leader,
        role="" if programme.leader else Role.PROGRAMME_LEADER,
        title=f"Propose entries for {programme}",
        due=due_date,
        target=req,
        actor=by,
    )
    audit.record(
        by,
        "registrations.entry_request.requested",
        req,
        centre=rnd.centre_id,
        after={"programme": str(programme), "due": due_date},
    )
    # In this transaction: rolled back, no e-mail; committed, the outbox sends it.
    notifications.queue_entry_request_email(req)
    return req


def _programme_code(programme) -> str:
    """The consortium programme code when the programme's qualification is on an arrangement."""
    aq = (
        ArrangementQualification.objects.filter(
            qualification=programme.qualification_id, withdrawn_on__isnull=True
        )
        .filter(arrangement__lead_centre=programme.centre_id)
        .select_related("arrangement")
        .first()
        or ArrangementQualification.objects.filter(
            qualification=programme.qualification_id,
            withdrawn_on__isnull=True,
            arrangement__partners__centre=programme.centre_id,
            arrangement__partners__status="accepted",
        )
        .select_related("arrangement")
        .first()
    )
    return aq.arrangement.programme_code if aq else ""


def _check_units(programme, units) -> None:
    wrong = [u for u in units if u.qualification_id != programme.qualification_id or u.mandatory]
    if wrong:
        raise ValidationError(
            f"Not an optional unit of {programme.qualification.title}: "
            + ", ".join(str(u) for u in wrong)
        )


@transaction.atomic
def propose_entry(
    req: EntryRequest,
    *,
    learner,
    by,
    pathway: str = "",
    optional_units=(),
    new_starter: bool = False,
) -> Registration:
    """The programme leader proposes a learner from the programme's teaching groups."""
    programme = req.programme
    if not programme.teaching_groups.filter(learners=learner).exists():
        raise ValidationError(
            f"{learner} is not in a teaching group of {programme}: add them to a group first."
        )
    if programme.registrations.filter(learner=learner, status__in=Registration.ACTIVE).exists():
        raise ValidationError(f"{learner} is already proposed or entered for {programme}.")
    units = list(optional_units) or list(programme.optional_units.all())
    _check_units(programme, units)
    reg = Registration.objects.create(
        learner=learner,
        programme=programme,
        centre_id=learner.centre_id,
        pathway=pathway,
        new_starter=new_starter,
        programme_code=_programme_code(programme),
        proposed_by=by,
        proposed_at=timezone.now(),
    )
    reg.optional_units.set(units)
    add_step(
        reg,
        by=by,
        what="Proposed",
        action=events.R_PROPOSED,
        detail="new starter" if new_starter else f"pathway {pathway}" if pathway else "",
    )
    return reg


def _require_leader(programme, user, what: str) -> None:
    """The programme's own leader (the layer's rule on PROPOSE_ENTRIES), else 403."""
    if not can(user, PROPOSE_ENTRIES, programme):
        raise PermissionDenied(
            f"Only the programme leader of {programme}, {programme.leader}, {what}."
        )


@transaction.atomic
def choose_options(registration: Registration, *, by, pathway: str, optional_units) -> None:
    """The programme leader sets one proposed learner's pathway and optional units."""
    programme = registration.programme
    _require_leader(programme, by, "chooses its learners' options")
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != Registration.Status.PROPOSED:
        raise ValidationError(
            f"{registration.learner} has already been entered: ask the exams office to amend "
            "the entry."
        )
    units = list(optional_units)
    _check_units(programme, units)
    old = (registration.pathway, sorted(u.number for u in registration.optional_units.all()))
    new = (pathway.strip(), sorted(u.number for u in units))
    if old == new:
        raise ValidationError("Nothing was changed.")
    registration.pathway = new[0]
    registration.lock_version += 1
    registration.save(update_fields=["pathway", "lock_version"])
    registration.optional_units.set(units)
    add_step(
        registration,
        by=by,
        what="Options chosen",
        action=events.R_OPTIONS,
        detail=f"pathway {new[0] or '—'}; optional units {', '.join(new[1]) or 'none'}",
    )


@transaction.atomic
def finish_proposals(req: EntryRequest, *, by) -> None:
    """The programme leader has proposed everyone: the exams officer makes the entries."""
    _require_leader(req.programme, by, "sends its proposals")
    req = (
        EntryRequest.objects.select_for_update(of=("self",))
        .select_related("round__centre", "programme")
        .get(pk=req.pk)
    )
    if req.status != EntryRequest.Status.REQUESTED:
        raise ValidationError("These proposals have already been sent to the exams office.")
    if not req.programme.registrations.filter(status=Registration.Status.PROPOSED).exists():
        raise ValidationError("Propose at least one learner before sending the proposals.")
    req.status = EntryRequest.Status.PROPOSED
    req.proposed_by, req.proposed_at = by, timezone.now()
    req.save(update_fields=["status", "proposed_by", "proposed_at"])
    close_todos(PROPOSE_TODO, target=req, by=by, note="proposals sent")
    open_todo(
        MAKE_ENTRIES_TODO,
        centre=req.round.centre,
        role=Role.EXAMS_OFFICER,
        title=f"Make the entries for {req.programme}",
        due=timezone.localdate() + dt.timedelta(days=7),
        target=entry_list_for(req.programme, req.round),  # the page where entries are made
        actor=by,
    )
    audit.record(by, "registrations.entry_request.proposals_sent", req, centre=req.round.centre_id)


# --- entries and the list ---------------------------------------------------------------


def entry_list_for(programme, rnd: RegistrationRound) -> EntryList:
    entry_list, _ = EntryList.objects.get_or_create(programme=programme, defaults={"round": rnd})
    return entry_list


def _refuse_if_submitted(entry_list: EntryList) -> None:
    if entry_list.status == EntryList.Status.SUBMITTED:
        raise ValidationError(
            "This list has been submitted to Pearson and is frozen: "
            "record a change request (new starter, withdrawal, transfer) instead."
        )


@transaction.atomic
def make_entries(entry_list: EntryList, *, registrations, by, expected_lock=None) -> int:
    """The exams officer enters proposed learners (Registration status 'entered')."""
    entry_list = _lock(entry_list, expected_lock)
    _refuse_if_submitted(entry_list)
    count = 0
    for reg in registrations:
        if reg.programme_id != entry_list.programme_id:
            raise ValidationError(f"{reg} is not on {entry_list.programme}.")
        if reg.status != Registration.Status.PROPOSED:
            continue
        reg.status = Registration.Status.ENTERED
        reg.entered_at = timezone.now()
        reg.lock_version += 1
        reg.save(update_fields=["status", "entered_at", "lock_version"])
        add_step(
            reg,
            by=by,
            what="Entered",
            action=events.R_ENTERED,
            detail=f"entry list for {entry_list.programme}",
        )
        count += 1
    if count and entry_list.status != EntryList.Status.DRAFT:
        _record_amendment(
            entry_list, by=by, reason=f"{count} entr{'y' if count == 1 else 'ies'} added"
        )
    else:
        _bump(entry_list)
    _close_make_entries_if_done(entry_list, by=by)
    return count


def _close_make_entries_if_done(entry_list: EntryList, *, by) -> None:
    """Proposals sent after the list was returned: their to-do closes once none is left."""
    if entry_list.status == EntryList.Status.DRAFT:
        return  # closed when the list is returned
    if entry_list.programme.registrations.filter(status=Registration.Status.PROPOSED).exists():
        return
    close_todos(MAKE_ENTRIES_TODO, target=entry_list, by=by, note="no proposals left to enter")


@transaction.atomic
def return_entry_list(entry_list: EntryList, *, by, expected_lock=None) -> None:
    """Send the entries to the programme leader to check, sign and date."""
    entry_list = _lock(entry_list, expected_lock)
    if entry_list.status != EntryList.Status.DRAFT:
        raise ValidationError("This list has already been returned to the programme leader.")
    if not entry_list.rows().exists():
        raise ValidationError("There are no entries on this list yet.")
    signing.freeze_version(entry_list, by=by, reason="returned to the programme leader")
    _bump(entry_list, status=EntryList.Status.AWAITING_SIGNATURE, returned_at=timezone.now())
    programme = entry_list.programme
    close_todos(MAKE_ENTRIES_TODO, target=entry_list, by=by)
    open_todo(
        SIGN_TODO,
        centre=programme.centre,
        assignee=programme.leader,
        role="" if programme.leader else Role.PROGRAMME_LEADER,
        title=f"Check, sign and date the entry list for {programme}",
        due=timezone.localdate() + dt.timedelta(days=5),
        target=entry_list,
        actor=by,
    )
    audit.record(by, "registrations.entry_list.returned", entry_list, centre=programme.centre_id)


@transaction.atomic
def query_row(entry_list: EntryList, *, registration, reason: str, by) -> RowQuery:
    _require_leader(entry_list.programme, by, "queries its rows")
    if not reason.strip():
        raise ValidationError("Say what is wrong with the row.")
    _refuse_if_submitted(entry_list)
    if (
        registration.programme_id != entry_list.programme_id
        or registration.status not in Registration.ON_LIST
    ):
        raise ValidationError(f"{registration.learner} is not on this list.")
    query = RowQuery.objects.create(
        entry_list=entry_list, registration=registration, reason=reason.strip(), raised_by=by
    )
    add_step(registration, by=by, what="Queried", action=events.R_QUERIED, detail=reason.strip())
    open_todo(
        ANSWER_QUERY_TODO,
        centre=entry_list.programme.centre,
        role=Role.EXAMS_OFFICER,
        title=f"Answer the programme leader's query on {registration.learner}",
        due=timezone.localdate() + dt.timedelta(days=3),
        target=query,
        actor=by,
    )
    return query


@transaction.atomic
def answer_query(query: RowQuery, *, answer: str, by) -> None:
    if not answer.strip():
        raise ValidationError("Write the answer.")
    query = (
        RowQuery.objects.select_for_update(of=("self",))
        .select_related("registration__learner", "registration__programme")
        .get(pk=query.pk)
    )
    if query.answered_at:
        raise ValidationError("That query has already been answered.")
    query.answer, query.answered_by, query.answered_at = answer.strip(), by, timezone.now()
    query.save(update_fields=["answer", "answered_by", "answered_at"])
    add_step(
        query.registration,
        by=by,
        what="Query answered",
        action=events.R_QUERY_ANSWERED,
        detail=answer.strip(),
    )
    close_todos(ANSWER_QUERY_TODO, target=query, by=by, note="answered")


def sign_entry_list(entry_list: EntryList, *, user, password: str, seen_sha256: str):
    """The programme leader signs and dates the list they checked (password re-entered)."""
    _refuse_unless_signable(entry_list)
    if not can(user, PROPOSE_ENTRIES, entry_list):
        raise ValidationError(
            f"Only the programme leader, {entry_list.programme.leader}, signs this list."
        )
    with transaction.atomic():
        # The status again under the row lock: a double-click, or a second tab, signs once.
        current = EntryList.objects.select_for_update().get(pk=entry_list.pk)
        _refuse_unless_signable(current)
        signature = signing.sign(
            entry_list,
            user=user,
            password=password,
            role=entry_list.signing_role,
            seen_sha256=seen_sha256,
        )
        _bump(current, status=EntryList.Status.SIGNED)
        for reg in current.rows():
            add_step(
                reg,
                by=user,
                what="Signed",
                action=events.R_SIGNED,
                detail=f"entry list version {signature.version.number}",
            )
        close_todos(SIGN_TODO, target=current, by=user, note="signed")
        open_todo(
            SUBMIT_TODO,
            centre=current.programme.centre,
            role=Role.EXAMS_OFFICER,
            title=f"Make any amendments and submit the entries for {current.programme}",
            due=timezone.localdate() + dt.timedelta(days=5),
            target=current,
            actor=user,
        )
    entry_list.refresh_from_db()
    return signature


def _refuse_unless_signable(entry_list: EntryList) -> None:
    if entry_list.status not in (EntryList.Status.AWAITING_SIGNATURE, EntryList.Status.AMENDED):
        if entry_list.status == EntryList.Status.SIGNED:
            raise ValidationError("This list is already signed.")
        if entry_list.status == EntryList.Status.SUBMITTED:
            raise ValidationError("This list has been submitted to Pearson.")
        raise ValidationError("The exams officer has not returned this list for signing yet.")


def _record_amendment(entry_list: EntryList, *, by, reason: str) -> None:
    if not reason.strip():
        raise ValidationError("Give the reason for the amendment: it is kept with the new version.")
    signing.freeze_version(entry_list, by=by, reason=reason.strip())
    status = entry_list.status
    if status == EntryList.Status.SIGNED:
        status = EntryList.Status.AMENDED
    _bump(entry_list, status=status)


@transaction.atomic
def amend_registration(
    registration: Registration,
    *,
    by,
    reason: str,
    expected_lock=None,
    pathway=None,
    optional_units=None,
    programme_code=None,
) -> None:
    """Change a row: a new version of the list with the reason, shown against the signed one."""
    entry_list = _lock(registration.programme.entry_list, expected_lock)
    _refuse_if_submitted(entry_list)
    registration = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    if registration.status not in (Registration.Status.PROPOSED, Registration.Status.ENTERED):
        raise ValidationError(
            f"{registration} is {registration.get_status_display().lower()}: it is not "
            "changed in place. Record a change request (transfer or change of details) instead."
        )
    on_list = registration.status == Registration.Status.ENTERED
    changes = {}
    if pathway is not None and pathway != registration.pathway:
        changes["pathway"] = (registration.pathway, pathway)
        registration.pathway = pathway
    if programme_code is not None and programme_code != registration.programme_code:
        changes["programme code"] = (registration.programme_code, programme_code)
        registration.programme_code = programme_code
    if optional_units is not None:
        _check_units(registration.programme, optional_units)
        old = sorted(u.number for u in registration.optional_units.all())
        new = sorted(u.number for u in optional_units)
        if old != new:
            changes["optional units"] = (", ".join(old), ", ".join(new))
            registration.optional_units.set(optional_units)
    if not changes:
        raise ValidationError("Nothing was changed.")
    registration.lock_version += 1
    registration.save()
    detail = "; ".join(f"{k}: {a or '—'} → {b or '—'}" for k, (a, b) in changes.items())
    add_step(
        registration, by=by, what="Amended", action=events.R_AMENDED, detail=f"{detail} ({reason})"
    )
    if on_list and entry_list.status != EntryList.Status.DRAFT:
        _record_amendment(entry_list, by=by, reason=reason)
    else:
        _bump(entry_list)


@transaction.atomic
def remove_from_list(registration: Registration, *, by, reason: str, expected_lock=None) -> None:
    """Take an entry off the list before submission (status 'not entered')."""
    entry_list = _lock(registration.programme.entry_list, expected_lock)
    _refuse_if_submitted(entry_list)
    if registration.status not in (Registration.Status.PROPOSED, Registration.Status.ENTERED):
        raise ValidationError("Only an entry not yet submitted can be taken off the list.")
    was_on_list = registration.status == Registration.Status.ENTERED
    registration.status = Registration.Status.DROPPED
    registration.lock_version += 1
    registration.save(update_fields=["status", "lock_version"])
    add_step(
        registration, by=by, what="Removed from the list", action=events.R_REMOVED, detail=reason
    )
    if was_on_list and entry_list.status != EntryList.Status.DRAFT:
        _record_amendment(entry_list, by=by, reason=reason)
    else:
        _bump(entry_list)
    _close_make_entries_if_done(entry_list, by=by)


@transaction.atomic
def submit_entry_list(
    entry_list: EntryList, *, by, submitted_on: dt.date, order_number: str = "", expected_lock=None
) -> None:
    """Record that the entries went to Pearson. Refused for a list nobody has signed."""
    # Already submitted first: a double-click is not "someone else changed this list".
    if EntryList.objects.filter(pk=entry_list.pk, status=EntryList.Status.SUBMITTED).exists():
        raise ValidationError("This list has already been submitted.")
    entry_list = _lock(entry_list, expected_lock)
    if entry_list.status == EntryList.Status.SUBMITTED:
        raise ValidationError("This list has already been submitted.")
    signature = signing.latest_signature(entry_list)
    if signature is None:
        raise ValidationError(
            "The programme leader has not signed this list, so it cannot be submitted. "
            "Return it for checking and signing first."
        )
    if submitted_on > timezone.localdate():
        raise ValidationError("The submission date is in the future.")
    signed_on = timezone.localdate(signature.signed_at)
    if submitted_on < signed_on:
        raise ValidationError(
            f"The submission date ({submitted_on:%d/%m/%Y}) is before the programme leader "
            f"signed the list on {signed_on:%d/%m/%Y}: an unsigned list is not submitted."
        )
    proposed = list(
        entry_list.programme.registrations.filter(status=Registration.Status.PROPOSED)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name")
    )
    if proposed:
        names = ", ".join(str(r.learner) for r in proposed[:10])
        more = f" and {len(proposed) - 10} more" if len(proposed) > 10 else ""
        raise ValidationError(
            f"{len(proposed)} proposed learner{'s are' if len(proposed) != 1 else ' is'} "
            f"neither entered nor taken off the list ({names}{more}): enter them or take "
            "them off first, so nobody is left proposed on a submitted list."
        )
    version = signing.freeze_version(entry_list, by=by, reason="submitted to Pearson")
    for reg in entry_list.rows().filter(status=Registration.Status.ENTERED):
        reg.status = Registration.Status.SUBMITTED
        reg.submitted_on = submitted_on
        reg.lock_version += 1
        reg.save(update_fields=["status", "submitted_on", "lock_version"])
        add_step(
            reg,
            by=by,
            what="Submitted",
            action=events.R_SUBMITTED,
            detail=f"to Pearson on {submitted_on:%d/%m/%Y} (list version {version.number})",
        )
    _bump(
        entry_list,
        status=EntryList.Status.SUBMITTED,
        submitted_on=submitted_on,
        submitted_by=by,
        pearson_order_number=order_number,
    )
    close_todos(SUBMIT_TODO, target=entry_list, by=by, note="submitted")
    audit.record(
        by,
        "registrations.entry_list.submitted",
        entry_list,
        centre=entry_list.programme.centre_id,
        after={"submitted_on": submitted_on, "version": version.number},
    )


def changes_since_signed(entry_list: EntryList, rows=None, signature=None) -> dict | None:
    """The difference between the signed version and the list as it is now.

    A page that already has the current rows and the latest signature passes them in.
    """
    signature = signature or signing.latest_signature(entry_list)
    if signature is None:
        return None
    current = entry_list.snapshot(rows)["rows"]
    diff = signing.diff_rows(signature.version.snapshot["rows"], current)
    return diff if any(diff.values()) else None
