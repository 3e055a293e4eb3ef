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
from qualifications.services import check_combination, combination_problems
from signatures import services as signing
from todos.services import close_todos, open_todo
from workflow import Close, Open, step

from . import events, notifications
from .models import (
    EntryList,
    EntryRequest,
    Registration,
    RegistrationRound,
    RegistrationStep,
    RowQuery,
)
from .permissions import PROPOSE_ENTRIES, RUN_REGISTRATIONS

PROPOSE_TODO, MAKE_ENTRIES_TODO, SIGN_TODO = events.PROPOSE, events.MAKE_ENTRIES, events.SIGN
ANSWER_QUERY_TODO, SUBMIT_TODO = events.ANSWER_QUERY, events.SUBMIT
LIST_RELATED = ("cohort__qualification", "cohort__centre", "cohort__leader", "round")


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
            "cohort": str(registration.cohort),
            "status": registration.status,
            "detail": detail,
        },
    )


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


def close_round(rnd: RegistrationRound, *, by) -> RegistrationRound:
    """The September round is over: every list submitted, nothing waiting, the check closed."""

    def change(rnd):
        waiting = EntryRequest.objects.filter(round=rnd, status=EntryRequest.Status.REQUESTED)
        if waiting.exists():
            names = ", ".join(str(r.cohort) for r in waiting.select_related("cohort")[:5])
            raise ValidationError(f"Entries are still requested and not proposed: {names}.")
        open_lists = EntryList.objects.filter(round=rnd).exclude(status=EntryList.Status.SUBMITTED)
        if open_lists.exists():
            names = ", ".join(str(e.cohort) for e in open_lists.select_related("cohort")[:5])
            raise ValidationError(f"These entry lists are not submitted to Pearson yet: {names}.")
        check = getattr(rnd, "entry_check", None)
        if check is not None and check.is_open:
            raise ValidationError("The Quality Nominee's entry check is still open.")
        rnd.closed_by, rnd.closed_at = by, timezone.now()
        return {"academic_year": rnd.academic_year}

    return step(
        rnd,
        by=by,
        action=events.ROUND_CLOSED,
        permission=RUN_REGISTRATIONS,
        allowed=[RegistrationRound.Status.OPEN],
        refusal="This round is already closed",
        status=RegistrationRound.Status.CLOSED,
        change=change,
    )


def cohorts_to_start(rnd: RegistrationRound):
    """Last year's first-year cohorts whose qualification has no cohort starting this year:
    the new intake a round in September usually needs."""
    from learners.models import Cohort, _shift

    last_year = _shift(rnd.academic_year, -1)
    started = Cohort.objects.filter(centre=rnd.centre_id, start_year=rnd.academic_year)
    return (
        Cohort.objects.filter(centre=rnd.centre_id, start_year=last_year)
        .exclude(qualification__in=started.values("qualification"))
        .select_related("qualification", "leader")
        .order_by("qualification__title")
    )


@transaction.atomic
def start_cohorts(rnd: RegistrationRound, *, previous, by) -> list:
    """Start this year's cohorts like last year's: same qualification, leader, length and
    optional units, starting in the round's year."""
    from learners.models import Cohort

    if not can(by, RUN_REGISTRATIONS, rnd):
        raise PermissionDenied("The exams officer starts the year's cohorts.")
    if rnd.status != RegistrationRound.Status.OPEN:
        raise ValidationError("This round is closed.")
    allowed = {c.pk: c for c in cohorts_to_start(rnd)}
    chosen = [allowed[c.pk] for c in previous if c.pk in allowed]
    if not chosen:
        raise ValidationError("Tick at least one cohort to start.")
    created = []
    for old in chosen:
        cohort = Cohort.objects.create(
            qualification=old.qualification,
            centre=old.centre,
            start_year=rnd.academic_year,
            years=old.years,
            leader=old.leader,
        )
        cohort.optional_units.set(old.optional_units.all())
        created.append(cohort)
    audit.record(
        by,
        events.COHORTS_STARTED,
        rnd,
        after={
            "academic_year": rnd.academic_year,
            "count": len(created),
            "titles": ", ".join(c.qualification.title for c in created),
        },
    )
    return created


@transaction.atomic
def request_entries(rnd: RegistrationRound, *, cohort, due_date: dt.date, by) -> EntryRequest:
    """Ask the programme leader for entries: a dashboard to-do and an e-mail (the outbox)."""
    if rnd.status != RegistrationRound.Status.OPEN:
        raise ValidationError("This round is closed.")
    if cohort.centre_id != rnd.centre_id or not cohort.covers(rnd.academic_year):
        raise ValidationError(f"{cohort} is not taught at this centre in {rnd.academic_year}.")
    if EntryRequest.objects.filter(cohort=cohort, round=rnd).exists():
        raise ValidationError(
            f"Entries for {cohort} have already been requested for {rnd.academic_year}."
        )
    if due_date < timezone.localdate():
        raise ValidationError("The due date has already passed.")
    try:
        with transaction.atomic():  # a double click or a colleague at the same instant
            req = EntryRequest.objects.create(
                round=rnd, cohort=cohort, due_date=due_date, requested_by=by
            )
    except IntegrityError:
        raise ValidationError(
            f"Entries for {cohort} were requested a moment ago by someone else."
        ) from None
    entry_list_for(cohort, rnd)
    open_todo(
        PROPOSE_TODO,
        centre=rnd.centre,
        assignee=cohort.leader,
        role="" if cohort.leader else Role.PROGRAMME_LEADER,
        title=f"Propose entries for {cohort}",
        due=due_date,
        target=req,
        actor=by,
    )
    audit.record(
        by,
        "registrations.entry_request.requested",
        req,
        centre=rnd.centre_id,
        after={"cohort": str(cohort), "due": due_date},
    )
    # In this transaction: rolled back, no e-mail; committed, the outbox sends it.
    notifications.queue_entry_request_email(req)
    return req


def consortium_arrangement(cohort, learner_centre_id=None):
    """The arrangement the cohort's qualification is shared on (ArrangementQualification):
    led by the cohort's centre or joined by it. With `learner_centre_id` (a learner of
    another centre), only one where both centres are in it, the other an accepted partner."""
    live = ArrangementQualification.objects.filter(
        qualification=cohort.qualification_id, withdrawn_on__isnull=True
    ).select_related("arrangement")
    accepted = {"arrangement__partners__status": "accepted"}
    if learner_centre_id is None or learner_centre_id == cohort.centre_id:
        return (
            live.filter(arrangement__lead_centre=cohort.centre_id).first()
            or live.filter(arrangement__partners__centre=cohort.centre_id, **accepted).first()
        )
    return (
        live.filter(
            arrangement__lead_centre=cohort.centre_id,
            arrangement__partners__centre=learner_centre_id,
            **accepted,
        ).first()
        or live.filter(
            arrangement__lead_centre=learner_centre_id,
            arrangement__partners__centre=cohort.centre_id,
            **accepted,
        ).first()
    )


def _programme_code(cohort) -> str:
    """The consortium programme code when the programme's qualification is on an arrangement."""
    aq = consortium_arrangement(cohort)
    return aq.arrangement.programme_code if aq else ""


def programme_code_for(cohort, learner) -> str:
    """The code a learner is registered under on this cohort's list.

    A partner centre's learner is registered under the consortium programme code or
    sub-site, never silently on the lead centre's own list: without a live arrangement
    sharing the qualification between the two centres, or without its code, refused.
    """
    if learner.centre_id == cohort.centre_id:
        return _programme_code(cohort)
    home, here = learner.centre, cohort.centre
    aq = consortium_arrangement(cohort, learner.centre_id)
    if aq is None:
        raise ValidationError(
            f"{learner} is a learner of {home.name} ({home.number}), not {here.name}: no "
            f"collaborative arrangement shares {cohort.qualification.title} between the two "
            f"centres, so they cannot go on {here.name}'s own entry list. A partner's learner "
            "is registered under the consortium programme code or sub-site: add the "
            "qualification to the arrangement first, or enter them at their own centre."
        )
    if not aq.arrangement.programme_code.strip():
        raise ValidationError(
            f"{learner} is a learner of {home.name} ({home.number}): they are registered under "
            f"the consortium programme code or sub-site, and {aq.arrangement} has none "
            "recorded. Add it to the arrangement first."
        )
    return aq.arrangement.programme_code


def _check_units(cohort, units, *, learner=None, rule: bool = True) -> None:
    """Optional units of the cohort's qualification that follow its rule of combination."""
    check_combination(cohort.qualification, units, learner=learner, rule=rule)


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
    cohort, year = req.cohort, req.round.academic_year
    if not cohort.teaching_groups.filter(learners=learner, academic_year=year).exists():
        raise ValidationError(
            f"{learner} is not in a {year} teaching group of {cohort}: add them to a group first."
        )
    if cohort.registrations.filter(learner=learner, status__in=Registration.ACTIVE).exists():
        raise ValidationError(f"{learner} is already proposed or entered for {cohort}.")
    # A choice made now follows the rule of combination; the cohort's defaults may still
    # be completed per learner (signing refuses a list whose rows break the rule).
    units = list(optional_units) or list(cohort.optional_units.all())
    _check_units(cohort, units, learner=learner, rule=bool(optional_units))
    reg = Registration.objects.create(
        learner=learner,
        cohort=cohort,
        centre_id=learner.centre_id,
        pathway=pathway,
        new_starter=new_starter,
        programme_code=programme_code_for(cohort, learner),
        round=req.round,
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


def continuing_registrations(cohort, rnd) -> list[Registration]:
    """Learners registered on the cohort in an earlier round and still on it: in a later
    year they are continuing, never 'not entered' and never to be registered again."""
    return list(
        cohort.registrations.filter(status__in=Registration.ON_LIST)
        .exclude(round=rnd)
        .exclude(round__isnull=True, cohort__start_year=rnd.academic_year)
        .select_related("learner")
        .order_by("learner__last_name", "learner__first_name")
    )


def _require_leader(cohort, user, what: str) -> None:
    """The programme's own leader (the layer's rule on PROPOSE_ENTRIES), else 403."""
    if not can(user, PROPOSE_ENTRIES, cohort):
        raise PermissionDenied(f"Only the programme leader of {cohort}, {cohort.leader}, {what}.")


def choose_options(registration: Registration, *, by, pathway: str, optional_units) -> None:
    """The programme leader sets one proposed learner's pathway and optional units."""
    cohort = registration.cohort
    _require_leader(cohort, by, "chooses its learners' options")
    units = list(optional_units)
    _check_units(cohort, units, learner=registration.learner)

    def change(reg):
        old = (reg.pathway, sorted(u.number for u in reg.optional_units.all()))
        new = (pathway.strip(), sorted(u.number for u in units))
        if old == new:
            raise ValidationError("Nothing was changed.")
        reg.pathway = new[0]
        reg.optional_units.set(units)
        detail = f"pathway {new[0] or '—'}; optional units {', '.join(new[1]) or 'none'}"
        RegistrationStep.objects.create(
            registration=reg, by=by, by_repr=_name(by), what="Options chosen", detail=detail
        )
        return {"detail": detail}

    step(
        registration,
        by=by,
        action=events.R_OPTIONS,
        allowed=[Registration.Status.PROPOSED],
        refusal=(
            f"{registration.learner} has already been entered: ask the exams office to amend "
            "the entry"
        ),
        change=change,
        centre=registration.centre_id,
    )


def finish_proposals(req: EntryRequest, *, by) -> None:
    """The programme leader has proposed everyone: the exams officer makes the entries."""

    def change(req):
        proposed = req.cohort.registrations.filter(
            status=Registration.Status.PROPOSED, round=req.round
        )
        continuing = continuing_registrations(req.cohort, req.round)
        if not proposed.exists() and not continuing:
            raise ValidationError("Propose at least one learner before sending the proposals.")
        year = req.round.academic_year
        for reg in continuing:  # confirmed by the leader, never entered again
            add_step(
                reg,
                by=by,
                what=f"Continuing in {year}",
                action=events.R_CONTINUING,
                detail=f"confirmed by the programme leader for year {req.cohort.year_number(year)}",
            )
        req.proposed_by, req.proposed_at = by, timezone.now()
        return {"continuing": len(continuing), "proposed": proposed.count()}

    step(
        req,
        by=by,
        action=events.PROPOSALS_SENT,
        permission=PROPOSE_ENTRIES,  # the programme's own leader
        allowed=[EntryRequest.Status.REQUESTED],
        refusal="These proposals have already been sent to the exams office",
        status=EntryRequest.Status.PROPOSED,
        change=change,
        related=["round__centre", "cohort"],
        close=[Close(PROPOSE_TODO, note="proposals sent")],
        open=[
            Open(
                MAKE_ENTRIES_TODO,
                title=f"Make the entries for {req.cohort}",
                target=entry_list_for(req.cohort, req.round),  # where entries are made
            )
        ],
    )


# --- entries and the list ---------------------------------------------------------------


def entry_list_for(cohort, rnd: RegistrationRound) -> EntryList:
    """The cohort's entry list for the round: the first year's new entries, or a later
    year's continuing learners (and any new starters) for the leader to confirm."""
    entry_list, _ = EntryList.objects.get_or_create(cohort=cohort, round=rnd)
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
    entered = []

    def change(el):
        _refuse_if_submitted(el)
        for reg in registrations:
            if reg.cohort_id != el.cohort_id:
                raise ValidationError(f"{reg} is not on {el.cohort}.")
            if reg.status != Registration.Status.PROPOSED:
                continue
            if reg.centre_id != el.cohort.centre_id and not reg.programme_code.strip():
                # A partner's learner proposed before the arrangement had a code: given
                # it now, or refused (never entered on the lead's own list).
                reg.programme_code = programme_code_for(el.cohort, reg.learner)
            reg.status = Registration.Status.ENTERED
            reg.entered_at = timezone.now()
            reg.lock_version += 1
            reg.save(update_fields=["status", "entered_at", "lock_version", "programme_code"])
            add_step(
                reg,
                by=by,
                what="Entered",
                action=events.R_ENTERED,
                detail=f"entry list for {el.cohort}",
            )
            entered.append(reg)
        if entered and el.status != EntryList.Status.DRAFT:
            n = len(entered)
            _mark_amended(el, by=by, reason=f"{n} entr{'y' if n == 1 else 'ies'} added")
        return {"entered": len(entered)}

    entry_list = step(
        entry_list,
        by=by,
        action=events.ENTRIES_MADE,
        permission=RUN_REGISTRATIONS,
        expected_version=expected_lock,
        change=change,
        related=LIST_RELATED,
    )
    _close_make_entries_if_done(entry_list, by=by)
    return len(entered)


def _close_make_entries_if_done(entry_list: EntryList, *, by) -> None:
    """Proposals sent after the list was returned: their to-do closes once none is left."""
    if entry_list.status == EntryList.Status.DRAFT:
        return  # closed when the list is returned
    if entry_list.cohort.registrations.filter(
        status=Registration.Status.PROPOSED, round=entry_list.round
    ).exists():
        return
    close_todos(MAKE_ENTRIES_TODO, target=entry_list, by=by, note="no proposals left to enter")


def return_entry_list(entry_list: EntryList, *, by, expected_lock=None) -> None:
    """Send the entries to the programme leader to check, sign and date."""

    def change(el):
        if not el.rows().exists():
            raise ValidationError("There are no entries on this list yet.")
        signing.freeze_version(el, by=by, reason="returned to the programme leader")
        el.returned_at = timezone.now()

    cohort = entry_list.cohort
    step(
        entry_list,
        by=by,
        action=events.LIST_RETURNED,
        permission=RUN_REGISTRATIONS,
        allowed=[EntryList.Status.DRAFT],
        refusal="This list has already been returned to the programme leader",
        expected_version=expected_lock,
        status=EntryList.Status.AWAITING_SIGNATURE,
        change=change,
        related=LIST_RELATED,
        close=[Close(MAKE_ENTRIES_TODO)],
        open=[
            Open(
                SIGN_TODO,
                title=f"Check, sign and date the entry list for {cohort}",
                assignee=cohort.leader,
                role="" if cohort.leader else Role.PROGRAMME_LEADER,
            )
        ],
    )


@transaction.atomic
def query_row(entry_list: EntryList, *, registration, reason: str, by) -> RowQuery:
    _require_leader(entry_list.cohort, by, "queries its rows")
    if not reason.strip():
        raise ValidationError("Say what is wrong with the row.")
    _refuse_if_submitted(entry_list)
    registration = Registration.objects.select_related("learner").get(pk=registration.pk)
    if (
        registration.cohort_id != entry_list.cohort_id
        or registration.status not in Registration.ON_LIST
    ):
        raise ValidationError(f"{registration.learner} is not on this list.")
    query = RowQuery.objects.create(
        entry_list=entry_list, registration=registration, reason=reason.strip(), raised_by=by
    )
    add_step(registration, by=by, what="Queried", action=events.R_QUERIED, detail=reason.strip())
    open_todo(
        ANSWER_QUERY_TODO,
        centre=entry_list.cohort.centre,
        role=Role.EXAMS_OFFICER,
        title=f"Answer the programme leader's query on {registration.learner}",
        due=timezone.localdate() + dt.timedelta(days=3),
        target=query,
        actor=by,
    )
    return query


def answer_query(query: RowQuery, *, answer: str, by) -> None:
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("Write the answer.")

    def change(query):
        if query.answered_at:
            raise ValidationError("That query has already been answered.")
        query.answer, query.answered_by, query.answered_at = answer, by, timezone.now()

    step(
        query,
        by=by,
        action=events.QUERY_ANSWERED,
        permission=RUN_REGISTRATIONS,
        change=change,
        related=["registration__learner", "registration__cohort"],
        close=[Close(ANSWER_QUERY_TODO, note="answered")],
        history=lambda q: add_step(
            q.registration,
            by=by,
            what="Query answered",
            action=events.R_QUERY_ANSWERED,
            detail=answer,
            audited=False,
        ),
    )


def combination_breaches(entry_list: EntryList) -> list[str]:
    """Each learner on the list whose optional units break the rule of combination."""
    qualification = entry_list.cohort.qualification
    if not qualification.has_combination_rule:
        return []
    mandatory = sum(u.glh for u in qualification.units.filter(mandatory=True))
    out = []
    for reg in entry_list.rows():
        for problem in combination_problems(
            qualification, list(reg.optional_units.all()), mandatory_glh=mandatory
        ):
            out.append(f"{reg.learner}: {problem}")
    return out


def sign_entry_list(entry_list: EntryList, *, user, password: str, seen_sha256: str):
    """The programme leader signs and dates the list they checked (password re-entered)."""
    _refuse_unless_signable(entry_list)
    if breaches := combination_breaches(entry_list):
        raise ValidationError(
            "The list cannot be signed: these learners' optional units break the rule of "
            "combination (ask the exams office to amend them): " + "; ".join(breaches) + "."
        )
    if not can(user, PROPOSE_ENTRIES, entry_list):
        raise ValidationError(
            f"Only the programme leader, {entry_list.cohort.leader}, signs this list."
        )
    signed = {}

    def change(el):
        _refuse_unless_signable(el)  # again under the lock: a double-click signs once
        signature = signing.sign(
            el, user=user, password=password, role=el.signing_role, seen_sha256=seen_sha256
        )
        signed["signature"] = signature
        for reg in el.rows():
            add_step(
                reg,
                by=user,
                what="Signed",
                action=events.R_SIGNED,
                detail=f"entry list version {signature.version.number}",
            )
        return {"version": signature.version.number, "sha256": signature.sha256}

    # The status again under the row lock: a double-click, or a second tab, signs once.
    step(
        entry_list,
        by=user,
        action=events.LIST_SIGNED,
        status=EntryList.Status.SIGNED,
        change=change,
        related=LIST_RELATED,
        close=[Close(SIGN_TODO, note="signed")],
        open=[
            Open(
                SUBMIT_TODO,
                title=f"Make any amendments and submit the entries for {entry_list.cohort}",
            )
        ],
    )
    entry_list.refresh_from_db()
    return signed["signature"]


def _refuse_unless_signable(entry_list: EntryList) -> None:
    if entry_list.status not in (EntryList.Status.AWAITING_SIGNATURE, EntryList.Status.AMENDED):
        if entry_list.status == EntryList.Status.SIGNED:
            raise ValidationError("This list is already signed.")
        if entry_list.status == EntryList.Status.SUBMITTED:
            raise ValidationError("This list has been submitted to Pearson.")
        raise ValidationError("The exams officer has not returned this list for signing yet.")


def _mark_amended(entry_list: EntryList, *, by, reason: str) -> None:
    """A change to a returned list: a new version with the reason; a signed list is now
    'amended since signing' (the page shows the difference from the signed version)."""
    if not reason.strip():
        raise ValidationError("Give the reason for the amendment: it is kept with the new version.")
    signing.freeze_version(entry_list, by=by, reason=reason.strip())
    if entry_list.status == EntryList.Status.SIGNED:
        entry_list.status = EntryList.Status.AMENDED


def _list_of(registration: Registration) -> EntryList:
    """The entry list the row is on: the round it was proposed or entered in."""
    lists = EntryList.objects.filter(cohort=registration.cohort_id)
    if registration.round_id:
        lists = lists.filter(round=registration.round_id)
    entry_list = lists.order_by("-round__academic_year").first()
    if entry_list is None:
        raise ValidationError(f"{registration} is not on an entry list.")
    return entry_list


def _change_row(registration: Registration, *, by, reason: str, expected_lock, apply) -> None:
    """One row of the list changes: the list is locked and versioned as one step."""
    detail = {}

    def change(el):
        _refuse_if_submitted(el)
        reg = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
        was_on_list = reg.status == Registration.Status.ENTERED
        detail["text"] = apply(reg)
        if was_on_list and el.status != EntryList.Status.DRAFT:
            _mark_amended(el, by=by, reason=reason)
        return {"detail": detail["text"], "reason": reason}

    entry_list = step(
        _list_of(registration),
        by=by,
        action=events.LIST_AMENDED,
        permission=RUN_REGISTRATIONS,
        expected_version=expected_lock,
        change=change,
        related=LIST_RELATED,
        learner=registration.learner,
    )
    _close_make_entries_if_done(entry_list, by=by)


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

    def apply(reg) -> str:
        if reg.status not in (Registration.Status.PROPOSED, Registration.Status.ENTERED):
            raise ValidationError(
                f"{reg} is {reg.get_status_display().lower()}: it is not changed in place. "
                "Record a change request (transfer or change of details) instead."
            )
        changes = {}
        if pathway is not None and pathway != reg.pathway:
            changes["pathway"] = (reg.pathway, pathway)
            reg.pathway = pathway
        if programme_code is not None and not programme_code.strip():
            if reg.centre_id != reg.cohort.centre_id:  # a partner's learner keeps a code
                raise ValidationError(
                    f"{reg.learner} is a learner of {reg.centre.name}: their entry keeps the "
                    "consortium programme code or sub-site; it cannot be blank."
                )
        if programme_code is not None and programme_code != reg.programme_code:
            changes["programme code"] = (reg.programme_code, programme_code)
            reg.programme_code = programme_code
        if optional_units is not None:
            _check_units(reg.cohort, optional_units, learner=reg.learner)
            old = sorted(u.number for u in reg.optional_units.all())
            new = sorted(u.number for u in optional_units)
            if old != new:
                changes["optional units"] = (", ".join(old), ", ".join(new))
                reg.optional_units.set(optional_units)
        if not changes:
            raise ValidationError("Nothing was changed.")
        reg.lock_version += 1
        reg.save()
        text = "; ".join(f"{k}: {a or '—'} → {b or '—'}" for k, (a, b) in changes.items())
        add_step(reg, by=by, what="Amended", action=events.R_AMENDED, detail=f"{text} ({reason})")
        return text

    _change_row(registration, by=by, reason=reason, expected_lock=expected_lock, apply=apply)


def remove_from_list(registration: Registration, *, by, reason: str, expected_lock=None) -> None:
    """Take an entry off the list before submission (status 'not entered')."""

    def apply(reg) -> str:
        if reg.status not in (Registration.Status.PROPOSED, Registration.Status.ENTERED):
            raise ValidationError("Only an entry not yet submitted can be taken off the list.")
        reg.status = Registration.Status.DROPPED
        reg.lock_version += 1
        reg.save(update_fields=["status", "lock_version"])
        add_step(reg, by=by, what="Removed from the list", action=events.R_REMOVED, detail=reason)
        return f"{reg.learner} taken off the list"

    _change_row(registration, by=by, reason=reason, expected_lock=expected_lock, apply=apply)


def submit_entry_list(
    entry_list: EntryList, *, by, submitted_on: dt.date, order_number: str = "", expected_lock=None
) -> None:
    """Record that the entries went to Pearson. Refused for a list nobody has signed."""
    # Already submitted first: a double-click is not "someone else changed this list".
    if EntryList.objects.filter(pk=entry_list.pk, status=EntryList.Status.SUBMITTED).exists():
        raise ValidationError("This list has already been submitted.")

    def change(el):
        if el.status == EntryList.Status.SUBMITTED:
            raise ValidationError("This list has already been submitted.")
        signature = signing.latest_signature(el)
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
            el.cohort.registrations.filter(status=Registration.Status.PROPOSED, round=el.round)
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
        version = signing.freeze_version(el, by=by, reason="submitted to Pearson")
        for reg in el.rows().filter(status=Registration.Status.ENTERED):
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
        el.submitted_on, el.submitted_by, el.pearson_order_number = submitted_on, by, order_number
        return {"version": version.number}

    step(
        entry_list,
        by=by,
        action=events.LIST_SUBMITTED,
        permission=RUN_REGISTRATIONS,
        expected_version=expected_lock,
        status=EntryList.Status.SUBMITTED,
        change=change,
        related=LIST_RELATED,
        close=[Close(SUBMIT_TODO, note="submitted")],
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
