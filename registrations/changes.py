"""Changes during the year: new starters, withdrawals, transfers and changes of details.

The second seed policy: programme leaders notify the exams officer and the
Quality Nominee of new starters; the Quality Nominee notifies the exams officer
of withdrawals (left the school, changed course, other); the awarding body is
told of withdrawals, transfers and changes to learner details. Each notice is a
ChangeRequest with a reason. The exams officer does the change on Edexcel Online
and closes the request with the date and Pearson's reference; that applies the
effect to the registrations. Every request, action and cancellation is a
RegistrationStep on each registration involved and an audit event.

Deletions: a withdrawal actioned inside Pearson's refund window (the
RegistrationYear's `refund_window_days` from registration) may be a deletion
for a refund instead; after the window it is refused, naming the date it ended. It
needs the exams officer's confirmation that no unit results were reported (btecqa holds
no unit results yet, so the confirmation is the whole check). A withdrawal records what
was reported to Pearson of the achievement to date; a withdrawn registration can be
reinstated (Pearson reactivates it), back to the status it had.

Transfers to another centre are completed by the receiving centre (Pearson's "Transfer
from another centre"): the sending exams officer reports the achievement to date and
hands over the UCI and registration number (a TransferHandover, all the receiving centre
sees); the receiving exams officer completes it, and only then is the sending
registration transferred. Or the receiving exams officer declines it, with a reason (the
learner never arrived, the wrong centre): a declined handover is final, nothing was done at
Pearson, and the sending exams officer is told why and cancels the transfer. Families
Pearson will not transfer (the 2022 Tech Awards) are refused, with the family's reason:
withdraw, then register again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import audit
from accounts.permissions import can, get_permission, require_object
from accounts.roles import Role
from centres.models import Centre, CollaborativeArrangement
from learners.models import Cohort, Learner
from learners.validators import validate_uci
from todos.services import close_todos, open_todo
from workflow import Close, step

from . import calendar, events
from .models import (
    ChangeRequest,
    Registration,
    RegistrationStep,
    RegistrationYear,
    TransferHandover,
)
from .permissions import (
    CANCEL_OWN_CHANGE,
    CHECK_ENTRIES,
    NOTIFY_DETAILS,
    NOTIFY_NEW_STARTER,
    NOTIFY_TRANSFER,
    NOTIFY_WITHDRAWAL,
    RUN_REGISTRATIONS,
)
from .services import add_step, programme_code_for

Kind = ChangeRequest.Kind
Status = Registration.Status
Achievement = ChangeRequest.Achievement
Handover = TransferHandover.Status

ACTION_TODO = "registrations.action_change"
VERIFY_NEW_STARTER_TODO = "registrations.verify_new_starter"
RECEIVE_TRANSFER_TODO = events.RECEIVE_TRANSFER
TRANSFER_DECLINED_TODO = events.TRANSFER_DECLINED_TODO
ACTION_DAYS = 5

# The permission that lets a person notify each kind of change (the seed policy's roles).
KIND_PERMISSION: dict[str, str] = {
    Kind.NEW_STARTER: NOTIFY_NEW_STARTER,
    Kind.WITHDRAWAL: NOTIFY_WITHDRAWAL,
    Kind.TRANSFER: NOTIFY_TRANSFER,
    Kind.DETAILS: NOTIFY_DETAILS,
}
AT_PEARSON = (Status.SUBMITTED, Status.REGISTERED)
HANDED_OVER_OR_DECLINED = (ChangeRequest.Status.HANDED_OVER, ChangeRequest.Status.DECLINED)


def lower_first(text: str) -> str:
    """ "Done at Pearson" -> "done at Pearson": lower-case the start, keep proper nouns."""
    return text[:1].lower() + text[1:]


# --- who may ------------------------------------------------------------------------------


def kinds_for(user, learner) -> list[str]:
    """The kinds of change this person may notify for this learner (the layer decides)."""
    return [k for k in Kind.values if can(user, KIND_PERMISSION[k], learner)]


def _roles_text(kind: str) -> str:
    roles = sorted(
        get_permission(KIND_PERMISSION[kind]).roles,
        key=lambda r: (r == Role.EXAMS_OFFICER, r.label),
    )
    names = [r.label.lower() for r in roles]
    return " or the ".join([", the ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _require_request(user, kind: str, learner) -> None:
    if not can(user, KIND_PERMISSION[kind], learner):
        raise PermissionDenied(
            f"Only the {_roles_text(kind)} may notify a {Kind(kind).label.lower()}."
        )


def may_cancel(user, cr: ChangeRequest) -> bool:
    """Open, and either the exams officer or the person who made the request; once handed
    over to a receiving centre (or declined by it), the sending exams officer alone."""
    if cr.status in HANDED_OVER_OR_DECLINED:
        return can(user, RUN_REGISTRATIONS, cr)
    return cr.status == ChangeRequest.Status.OPEN and (
        can(user, RUN_REGISTRATIONS, cr) or can(user, CANCEL_OWN_CHANGE, cr)
    )


# --- families Pearson will not transfer -----------------------------------------------------


class NotTransferable(ValidationError):
    """A transfer Pearson refuses: the page offers withdraw, then register again."""


def _family_reason(family) -> str:
    return family.transfer_note or (
        f"Pearson does not transfer {family.name} registrations: withdraw the learner, "
        "then register them again."
    )


def transfer_refusal(registration) -> str:
    """Why this registration cannot be transferred at all, or "" when it can."""
    family = registration.cohort.qualification.family
    if family is None or family.transferable:
        return ""
    return f"{registration} cannot be transferred. {_family_reason(family)}"


def _refuse_untransferable(registration=None, to_cohort=None) -> None:
    if registration is not None and (why := transfer_refusal(registration)):
        raise NotTransferable(why)
    if to_cohort is not None:
        family = to_cohort.qualification.family
        if family is not None and not family.transferable:
            raise NotTransferable(
                f"No one can be transferred into {to_cohort}: it is a {family.name} "
                f"programme. {_family_reason(family)}"
            )


# --- what may be chosen -------------------------------------------------------------------


def cohorts_open_to(learner, academic_year: str | None = None):
    """Programmes a learner may be registered on: their home centre's, a group's they are
    taught in, and the consortium programmes their home centre takes part in."""
    consortium = Q()
    arrangements = CollaborativeArrangement.objects.filter(
        partners__centre=learner.centre_id, partners__status="accepted"
    )
    for lead_id, qual_id in arrangements.filter(
        qualifications__withdrawn_on__isnull=True
    ).values_list("lead_centre_id", "qualifications__qualification_id"):
        consortium |= Q(centre_id=lead_id, qualification_id=qual_id)
    condition = Q(centre_id=learner.centre_id) | Q(teaching_groups__learners=learner)
    if consortium:
        condition |= consortium
    qs = Cohort.objects.filter(condition)
    if academic_year:
        qs = qs.covering(academic_year)
    return (
        Cohort.objects.filter(pk__in=qs.values("pk"))
        .select_related("qualification", "centre")
        .order_by("-start_year", "qualification__title")
    )


def consortium_centre_ids(centre_id: int) -> set[int]:
    """The other centres of every active arrangement this centre leads or partners in."""
    arrangements = CollaborativeArrangement.objects.filter(
        Q(lead_centre_id=centre_id) | Q(partners__centre_id=centre_id, partners__status="accepted")
    )
    ids = set(arrangements.values_list("lead_centre_id", flat=True))
    ids |= set(
        arrangements.filter(partners__status="accepted").values_list(
            "partners__centre_id", flat=True
        )
    )
    ids.discard(centre_id)
    ids.discard(None)
    return ids


def destination_centres(centre_id: int):
    return Centre.objects.filter(is_active=True).exclude(pk=centre_id).order_by("name")


# --- the refund window --------------------------------------------------------------------


@dataclass(frozen=True)
class RefundWindow:
    year: RegistrationYear
    registered_on: dt.date
    deadline: dt.date
    days_left: int

    @property
    def open(self) -> bool:
        return self.days_left >= 0


def registration_year(academic_year: str) -> RegistrationYear | None:
    return RegistrationYear.objects.filter(academic_year=academic_year).first()


def refund_window(registration: Registration, on: dt.date, year=None) -> RefundWindow | None:
    """Pearson's refund window for a registration, as it stands on `on`; None if not at Pearson."""
    start = registration.registered_on or registration.submitted_on
    if start is None:
        return None
    if year is None:
        year = registration_year(registration.cohort.start_year)
    if year is None:
        return None
    return RefundWindow(
        year=year,
        registered_on=start,
        deadline=calendar.refund_deadline(year, start),
        days_left=calendar.refund_days_left(year, start, on),
    )


# --- requests -----------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())[:500]


def _refuse_if_open_request(*, registration=None, learner=None, kind=None, cohort=None):
    qs = ChangeRequest.objects.filter(status=ChangeRequest.Status.OPEN)
    if registration is not None:
        existing = qs.filter(registration=registration).first()
        if existing:
            raise ValidationError(
                f"There is already an open {existing.get_kind_display().lower()} request for "
                f"{registration}: the exams officer actions or cancels it first."
            )
    if learner is not None and kind is not None:
        qs = qs.filter(learner=learner, kind=kind)
        if cohort is not None:
            qs = qs.filter(Q(cohort=cohort) | Q(to_cohort=cohort))
        if qs.exists():
            raise ValidationError(
                f"There is already an open {Kind(kind).label.lower()} request for {learner}."
            )


def _refuse_if_live(learner, cohort) -> None:
    if Registration.objects.filter(
        learner=learner, cohort=cohort, status__in=Registration.ACTIVE
    ).exists():
        raise ValidationError(f"{learner} already has a registration on {cohort}.")


def _at_pearson(registration: Registration, what: str) -> None:
    if registration.status not in AT_PEARSON:
        if registration.status in (Status.PROPOSED, Status.ENTERED):
            raise ValidationError(
                f"{registration} has not been submitted to Pearson yet: there is nothing to "
                f"{what} at Pearson. The exams officer takes it off the entry list instead."
            )
        raise ValidationError(
            f"{registration} is {lower_first(registration.get_status_display())}: "
            f"there is nothing to {what}."
        )


def _open(cr: ChangeRequest, *, by, title: str) -> None:
    open_todo(
        ACTION_TODO,
        centre=cr.centre,
        role=Role.EXAMS_OFFICER,
        title=title,
        due=timezone.localdate() + dt.timedelta(days=ACTION_DAYS),
        target=cr,
        actor=by,
    )
    audit.record(
        by,
        "registrations.change.requested",
        cr,
        centre=cr.centre_id,
        after={
            "kind": cr.kind,
            "registration": cr.registration_id,
            "cohort": str(cr.cohort) if cr.cohort_id else "",
            "to_cohort": str(cr.to_cohort) if cr.to_cohort_id else "",
            "to_centre": str(cr.to_centre) if cr.to_centre_id else "",
            "reason": cr.reason,
            "details": cr.details,
        },
    )


def _live(learner):
    return list(
        Registration.objects.filter(learner=learner, status__in=Registration.ACTIVE).select_related(
            "cohort__qualification"
        )
    )


@transaction.atomic
def request_new_starter(learner, cohort, *, by, details: str) -> ChangeRequest:
    """The programme leader notifies a new starter: the exams officer registers them, and the
    Quality Nominee verifies the entry once options are selected."""
    _require_request(by, Kind.NEW_STARTER, learner)
    details = _clean(details)
    if not details:
        raise ValidationError("Give the details: when they joined, the group and any options.")
    if not cohorts_open_to(learner).filter(pk=cohort.pk).exists():
        raise ValidationError(f"{cohort} is not a programme {learner} can be registered on.")
    _refuse_if_live(learner, cohort)
    _refuse_if_open_request(learner=learner, kind=Kind.NEW_STARTER, cohort=cohort)
    cr = ChangeRequest.objects.create(
        kind=Kind.NEW_STARTER,
        centre_id=learner.centre_id,
        learner=learner,
        cohort=cohort,
        details=details,
        requested_by=by,
    )
    _open(cr, by=by, title=f"Register new starter {learner} on {cohort} at Pearson")
    open_todo(
        VERIFY_NEW_STARTER_TODO,
        centre=cr.centre,
        role=Role.QUALITY_NOMINEE,
        title=f"New starter to verify: {learner} on {cohort}",
        due=timezone.localdate() + dt.timedelta(days=ACTION_DAYS),
        target=cr,
        actor=by,
    )
    return cr


@transaction.atomic
def request_withdrawal(registration, *, reason: str, details: str, by) -> ChangeRequest:
    """The Quality Nominee notifies a withdrawal: left the school, changed course, or other."""
    _require_request(by, Kind.WITHDRAWAL, registration.learner)
    if reason not in ChangeRequest.Reason.values:
        raise ValidationError("Choose why the learner is withdrawing.")
    details = _clean(details)
    if reason == ChangeRequest.Reason.OTHER and not details:
        raise ValidationError("Say what the other circumstances are.")
    _at_pearson(registration, "withdraw")
    _refuse_if_open_request(registration=registration)
    cr = ChangeRequest.objects.create(
        kind=Kind.WITHDRAWAL,
        centre_id=registration.centre_id,
        learner_id=registration.learner_id,
        registration=registration,
        reason=reason,
        details=details,
        requested_by=by,
    )
    label = ChangeRequest.Reason(reason).label.lower()
    add_step(
        registration,
        by=by,
        what="Withdrawal requested",
        action=events.R_WITHDRAWAL_REQUESTED,
        detail=f"{label}: {details}" if details else label,
    )
    _open(cr, by=by, title=f"Withdraw {registration.learner} from {registration.cohort} ({label})")
    return cr


@transaction.atomic
def request_transfer(
    registration=None,
    *,
    learner=None,
    to_cohort=None,
    to_centre=None,
    details: str,
    by,
) -> ChangeRequest:
    """A transfer: between programmes, to another centre (consortium centres included), or
    (no registration here yet: pass `learner` and `to_programme`) from another centre."""
    details = _clean(details)
    if registration is not None:
        learner = registration.learner
    if learner is None:
        raise ValidationError("Say which learner is transferring.")
    _require_request(by, Kind.TRANSFER, learner)
    if bool(to_cohort) == bool(to_centre):
        raise ValidationError(
            "Choose where the learner is transferring to: another programme or another centre."
        )
    if not details:
        raise ValidationError("Give the details of the transfer: when, and why.")
    if registration is None and to_centre is not None:
        raise ValidationError("A transfer to another centre starts from a registration here.")
    if registration is not None:
        _refuse_untransferable(registration)
        _at_pearson(registration, "transfer")
        _refuse_if_open_request(registration=registration)
    if to_cohort is not None:
        _refuse_untransferable(to_cohort=to_cohort)
        year = registration.cohort.start_year if registration else None
        if registration is not None and to_cohort.pk == registration.cohort_id:
            raise ValidationError(f"{learner} is already registered on {to_cohort}.")
        if not cohorts_open_to(learner, year).filter(pk=to_cohort.pk).exists():
            raise ValidationError(
                f"{to_cohort} is not a programme {learner} can transfer to"
                + (f" (it must be a {year} programme)." if year else ".")
            )
        _refuse_if_live(learner, to_cohort)
        if registration is None:
            _refuse_if_open_request(learner=learner, kind=Kind.TRANSFER, cohort=to_cohort)
    if to_centre is not None:
        if to_centre.pk == registration.centre_id or not to_centre.is_active:
            raise ValidationError("Choose another, active centre.")
    cr = ChangeRequest.objects.create(
        kind=Kind.TRANSFER,
        centre_id=learner.centre_id,
        learner=learner,
        registration=registration,
        to_cohort=to_cohort,
        to_centre=to_centre,
        details=details,
        requested_by=by,
    )
    where = describe(cr)
    if registration is not None:
        add_step(
            registration,
            by=by,
            what="Transfer requested",
            action=events.R_TRANSFER_REQUESTED,
            detail=f"{where}: {details}",
        )
    title = f"Transfer {learner} at Pearson: {where}"
    if to_centre is not None:
        title = f"Hand {learner} over to {to_centre}: report the achievement to date"
    _open(cr, by=by, title=title)
    return cr


@transaction.atomic
def request_details_change(learner, *, details: str, by) -> ChangeRequest:
    """A change of the learner's details (name, date of birth, ULN…) to tell Pearson."""
    _require_request(by, Kind.DETAILS, learner)
    details = _clean(details)
    if not details:
        raise ValidationError("Say which details changed, from what to what.")
    _refuse_if_open_request(learner=learner, kind=Kind.DETAILS)
    cr = ChangeRequest.objects.create(
        kind=Kind.DETAILS,
        centre_id=learner.centre_id,
        learner=learner,
        details=details,
        requested_by=by,
    )
    for reg in _live(learner):
        add_step(
            reg,
            by=by,
            what="Change of details requested",
            action=events.R_DETAILS_REQUESTED,
            detail=details,
        )
    _open(cr, by=by, title=f"Tell Pearson of {learner}'s changed details")
    return cr


def describe(cr: ChangeRequest) -> str:
    """What the change is, in a few words: shown in lists, to-dos and steps."""
    if cr.kind == Kind.NEW_STARTER:
        return f"new starter on {cr.cohort}"
    if cr.kind == Kind.WITHDRAWAL:
        return f"withdrawal ({cr.get_reason_display().lower()})"
    if cr.kind == Kind.DETAILS:
        return "change of details"
    if cr.to_centre_id:
        return f"to {cr.to_centre}"
    if cr.registration_id:
        return f"from {cr.registration.cohort} to {cr.to_cohort}"
    return f"from another centre to {cr.to_cohort}"


# --- the exams officer actions or cancels -------------------------------------------------


def _lock_registration(registration: Registration, what: str) -> Registration:
    reg = (
        Registration.objects.select_for_update()
        .select_related("learner", "cohort__qualification")
        .get(pk=registration.pk)
    )
    _at_pearson(reg, what)
    return reg


def _end(reg: Registration, status: str, on: dt.date) -> None:
    reg.status = status
    reg.ended_on = on
    reg.lock_version += 1
    reg.save(update_fields=["status", "ended_on", "lock_version"])


def _new_registration(learner, cohort, *, by, **fields) -> Registration:
    reg = Registration.objects.create(
        learner=learner,
        cohort=cohort,
        centre_id=learner.centre_id,
        programme_code=programme_code_for(cohort, learner),
        proposed_by=by,
        proposed_at=timezone.now(),
        entered_at=timezone.now(),
        **fields,
    )
    reg.optional_units.set(cohort.optional_units.all())
    return reg


def _pearson_reference(pearson_reference: str) -> str:
    reference = " ".join((pearson_reference or "").split())
    if not reference:
        raise ValidationError(
            "Enter Pearson's reference for this change (the Edexcel Online case or "
            "confirmation number), so it can be traced."
        )
    if len(reference) > 50:
        raise ValidationError("Pearson's reference is at most 50 characters.")
    return reference


def _actioned_on(actioned_on: dt.date | None) -> dt.date:
    if actioned_on is None:
        raise ValidationError("Enter the date the change was made at Pearson.")
    if actioned_on > timezone.localdate():
        raise ValidationError(
            f"The date actioned at Pearson ({actioned_on:%d/%m/%Y}) is in the future: "
            f"record the change once it has been made."
        )
    return actioned_on


@dataclass(frozen=True)
class Reported:
    """The answer to "what was reported to Pearson of the achievement to date?"."""

    choice: str
    detail: str

    @property
    def text(self) -> str:
        if self.choice == Achievement.REPORTED:
            return f"achievement to date reported: {self.detail}"
        if self.choice == Achievement.NONE:
            return "achievement to date reported: nothing achieved yet"
        return f"achievement to date not reported: {self.detail}"


def _reported(choice: str, detail: str, *, handover: bool = False) -> Reported:
    detail = _clean(detail)
    if choice not in Achievement.values:
        raise ValidationError(
            "Say what was reported to Pearson of the learner's achievement to date: Pearson "
            "asks for it on a transfer or withdrawal, even when nothing was achieved."
        )
    if choice == Achievement.REPORTED and not detail:
        raise ValidationError("Say which units were achieved and the results reported so far.")
    if choice == Achievement.NOT_REPORTED:
        if handover:
            raise ValidationError(
                "Report the achievement to date to Pearson before handing over: the receiving "
                "centre carries on from it."
            )
        if not detail:
            raise ValidationError("Say why the achievement to date was not reported, and when.")
    return Reported(choice, detail)


@transaction.atomic
def action_change(
    cr: ChangeRequest,
    *,
    actioned_on: dt.date,
    pearson_reference: str,
    by,
    delete_for_refund: bool = False,
    registration_number: str = "",
    achievement: str = "",
    achievement_detail: str = "",
    no_results_confirmed: bool = False,
    uci: str = "",
) -> ChangeRequest:
    """The exams officer has made the change at Pearson: record it and apply its effect.

    A transfer to another centre is only handed over here (the receiving centre completes
    it, complete_transfer()); a withdrawal records what achievement was reported.
    """
    if not can(by, RUN_REGISTRATIONS, cr):
        raise PermissionDenied("Only the exams officer actions changes at Pearson.")
    reference = _pearson_reference(pearson_reference)
    actioned_on = _actioned_on(actioned_on)
    registration_number = (registration_number or "").strip()
    ref = f"Pearson reference {reference}, {actioned_on:%d/%m/%Y}"
    hand_over = cr.kind == Kind.TRANSFER and bool(cr.to_centre_id)

    def change(cr):
        _refuse_before_pearson(cr, actioned_on)
        if delete_for_refund and cr.kind != Kind.WITHDRAWAL:
            raise ValidationError("Only a withdrawal can be made a deletion for a refund.")
        effect = _APPLY[cr.kind](
            cr,
            by=by,
            on=actioned_on,
            ref=ref,
            reference=reference,
            delete_for_refund=delete_for_refund,
            registration_number=registration_number,
            achievement=achievement,
            achievement_detail=achievement_detail,
            no_results_confirmed=no_results_confirmed,
            uci=uci,
        )
        cr.actioned_on, cr.pearson_reference = actioned_on, reference
        if not hand_over:
            cr.closed_by, cr.closed_at = by, timezone.now()
        return {"effect": effect}

    # A new starter's to-do stays with the Quality Nominee: the policy has the exams officer
    # verify the entry with them once options are chosen (verify_new_starter closes it).
    return step(
        cr,
        by=by,
        action=events.CHANGE_ACTIONED,
        allowed=[ChangeRequest.Status.OPEN],
        refusal="This request is already closed: nothing was done",
        status=ChangeRequest.Status.HANDED_OVER if hand_over else ChangeRequest.Status.DONE,
        change=change,
        close=[Close(ACTION_TODO, note=f"done at Pearson: {reference}")],
    )


def _refuse_before_pearson(cr: ChangeRequest, actioned_on: dt.date) -> None:
    """A change to a registration cannot be made at Pearson before it reached Pearson.

    Without this a back-dated withdrawal could be recorded as a deletion inside the
    refund window, or end a registration before it started.
    """
    if cr.registration_id is None:
        return
    reg = cr.registration
    start = reg.submitted_on or reg.registered_on
    if start and actioned_on < start:
        raise ValidationError(
            f"The date actioned at Pearson ({actioned_on:%d/%m/%Y}) is before the "
            f"registration reached Pearson on {start:%d/%m/%Y}: check the date."
        )


def _apply_withdrawal(
    cr,
    *,
    by,
    on,
    ref,
    delete_for_refund,
    achievement="",
    achievement_detail="",
    no_results_confirmed=False,
    **_,
) -> str:
    reg = _lock_registration(cr.registration, "withdraw")
    reason = cr.get_reason_display().lower()
    if delete_for_refund:
        # Pearson deletes for a refund only a registration with no units completed. btecqa
        # holds no unit results yet, so the exams officer's confirmation is the check.
        if not no_results_confirmed:
            raise ValidationError(
                "Confirm that no unit results have been reported to Pearson for this "
                "registration: only a registration with no units completed is deleted for a "
                "refund. If results were reported, withdraw the learner instead."
            )
        if achievement == Achievement.REPORTED:
            raise ValidationError(
                "Achievement was reported for this learner, so the registration cannot be "
                "deleted for a refund: withdraw instead."
            )
        window = refund_window(reg, on)
        if window is None:
            raise ValidationError(
                f"Pearson's figures for {reg.cohort.start_year} are not loaded, so the "
                f"refund window is unknown: withdraw instead, or load the year's figures."
            )
        if not window.open:
            raise ValidationError(
                f"Too late to delete for a refund: the {window.year.refund_window_days}-day "
                f"refund window for this registration (from {window.registered_on:%d/%m/%Y}) "
                f"closed on {window.deadline:%d/%m/%Y}. Withdraw the learner instead "
                f"(no refund)."
            )
        cr.no_results_confirmed = True
        _end(reg, Status.DELETED, on)
        add_step(
            reg,
            by=by,
            what="Deleted",
            action=events.R_DELETED,
            detail=f"for a refund ({reason}); {ref}; no unit results reported",
        )
        return "deleted"
    reported = _reported(achievement, achievement_detail)
    cr.achievement, cr.achievement_detail = reported.choice, reported.detail
    _end(reg, Status.WITHDRAWN, on)
    add_step(
        reg,
        by=by,
        what="Withdrawn",
        action=events.R_WITHDRAWN,
        detail=f"{reason}; {ref}; {reported.text}",
    )
    return "withdrawn"


def _hand_over(
    cr, *, by, on, ref, reference, registration_number, achievement, achievement_detail, uci, **_
) -> str:
    """The sending centre's side of a transfer to another centre: the registration stays
    live here until the receiving centre completes the transfer at Pearson."""
    reg = _lock_registration(cr.registration, "transfer")
    _refuse_untransferable(reg)
    learner = reg.learner
    reported = _reported(achievement, achievement_detail, handover=True)
    cr.achievement, cr.achievement_detail = reported.choice, reported.detail
    if not cr.to_centre.is_active:
        raise ValidationError(f"{cr.to_centre} is no longer an active centre: cancel instead.")
    number = registration_number or reg.registration_number
    if not number:
        raise ValidationError(
            "Enter the learner's Pearson registration number: the receiving centre needs it "
            'to do "Transfer from another centre" (import Pearson\'s numbers if not known).'
        )
    if reg.registration_number and number != reg.registration_number:
        raise ValidationError(
            f"The registration number {number} is not this registration's "
            f"({reg.registration_number})."
        )
    uci = "".join((uci or learner.uci or "").split()).upper()
    if not uci:
        raise ValidationError(
            "Enter the learner's UCI: the receiving centre must keep it (a learner has one UCI "
            "for life), never make a new one."
        )
    validate_uci(uci)
    if learner.uci and uci != learner.uci:
        raise ValidationError(
            f"The UCI {uci} is not the one on {learner}'s record ({learner.uci}): hand over "
            "the learner's own UCI."
        )
    handover = TransferHandover.objects.create(
        change=cr,
        from_centre_id=reg.centre_id,
        to_centre_id=cr.to_centre_id,
        first_name=learner.first_name,
        last_name=learner.last_name,
        preferred_name=learner.preferred_name,
        date_of_birth=learner.date_of_birth,
        sex=learner.sex,
        uci=uci,
        uln=learner.uln or "",
        registration_number=number,
        qualification_id=reg.cohort.qualification_id,
        submitted_on=reg.submitted_on,
        registered_on=reg.registered_on,
        achievement=reported.choice,
        achievement_detail=reported.detail,
        handed_over_on=on,
        handed_over_by=by,
    )
    add_step(
        reg,
        by=by,
        what="Handed over for transfer",
        action=events.R_HANDED_OVER,
        detail=(
            f"to {cr.to_centre}, which completes the transfer: UCI {uci}, registration number "
            f"{number}; {reported.text}; {ref}"
        ),
    )
    # The receiving centre's trail and to-do: the handover is all it sees.
    audit.record(
        by,
        events.TRANSFER_HANDED_OVER,
        handover,
        learner=None,
        centre=cr.to_centre_id,
        after={
            "from_centre": str(reg.centre),
            "qualification": str(reg.cohort.qualification),
            "uci": uci,
            "registration_number": number,
            "achievement": reported.text,
        },
    )
    open_todo(
        RECEIVE_TRANSFER_TODO,
        centre=cr.to_centre,
        role=Role.EXAMS_OFFICER,
        title=(
            f"Complete the transfer of {learner.last_name.upper()}, {learner.first_name} "
            f"from {reg.centre}"
        ),
        due=timezone.localdate() + dt.timedelta(days=ACTION_DAYS),
        target=handover,
        actor=by,
    )
    return f"handed over to {cr.to_centre}"


def _apply_transfer(cr, *, by, on, ref, registration_number, **_) -> str:
    if cr.registration_id is None:  # from another centre
        _refuse_untransferable(to_cohort=cr.to_cohort)
        _refuse_if_live(cr.learner, cr.to_cohort)
        fields = {"submitted_on": on, "status": Status.SUBMITTED}
        if registration_number:
            fields.update(
                status=Status.REGISTERED, registration_number=registration_number, registered_on=on
            )
        new = _new_registration(cr.learner, cr.to_cohort, by=by, **fields)
        add_step(
            new,
            by=by,
            what="Transferred in",
            action=events.R_TRANSFERRED_IN,
            detail=f"from another centre ({cr.details}); {ref}",
        )
        return f"registration {new.pk} created"
    if cr.to_centre_id:
        return _hand_over(cr, by=by, on=on, ref=ref, registration_number=registration_number, **_)
    reg = _lock_registration(cr.registration, "transfer")
    _refuse_untransferable(reg, cr.to_cohort)
    _refuse_if_live(reg.learner, cr.to_cohort)
    # A transfer keeps the registration at Pearson: same dates, and the number once registered.
    fields = {"status": Status.SUBMITTED, "submitted_on": reg.submitted_on}
    if reg.status == Status.REGISTERED or reg.registration_number:
        fields.update(
            status=Status.REGISTERED,
            registration_number=reg.registration_number,
            registered_on=reg.registered_on,
        )
    _end(reg, Status.TRANSFERRED, on)
    new = _new_registration(reg.learner, cr.to_cohort, by=by, new_starter=reg.new_starter, **fields)
    add_step(
        reg,
        by=by,
        what="Transferred",
        action=events.R_TRANSFERRED,
        detail=f"to {cr.to_cohort}; {ref}",
    )
    add_step(
        new,
        by=by,
        what="Transferred in",
        action=events.R_TRANSFERRED_IN,
        detail=f"from {reg.cohort}; {ref}",
    )
    return f"registration {new.pk} created"


def _apply_new_starter(cr, *, by, on, ref, **_) -> str:
    existing = Registration.objects.filter(
        learner=cr.learner, cohort=cr.cohort, status__in=Registration.ACTIVE
    ).first()
    if existing:
        add_step(
            existing,
            by=by,
            what="New starter confirmed",
            action=events.R_NEW_STARTER_CONFIRMED,
            detail=ref,
        )
        return f"registration {existing.pk} already live"
    reg = _new_registration(
        cr.learner,
        cr.cohort,
        by=by,
        status=Status.SUBMITTED,
        submitted_on=on,
        new_starter=True,
    )
    add_step(
        reg,
        by=by,
        what="New starter submitted",
        action=events.R_NEW_STARTER,
        detail=f"{cr.details}; {ref}",
    )
    return f"registration {reg.pk} created"


def _apply_details(cr, *, by, on, ref, **_) -> str:
    regs = _live(cr.learner)
    for reg in regs:
        add_step(
            reg,
            by=by,
            what="Details changed at Pearson",
            action=events.R_DETAILS_CHANGED,
            detail=f"{cr.details}; {ref}",
        )
    return f"{len(regs)} registration(s) noted"


_APPLY = {
    Kind.WITHDRAWAL: _apply_withdrawal,
    Kind.TRANSFER: _apply_transfer,
    Kind.NEW_STARTER: _apply_new_starter,
    Kind.DETAILS: _apply_details,
}


VERIFIED = "Verified with the Quality Nominee"


def awaiting_verification(cr: ChangeRequest) -> bool:
    """A new starter registered at Pearson whose entry the QN has not yet verified."""
    if cr.kind != Kind.NEW_STARTER or cr.status != ChangeRequest.Status.DONE:
        return False
    return not RegistrationStep.objects.filter(
        registration__learner=cr.learner_id,
        registration__cohort=cr.cohort_id,
        what=VERIFIED,
    ).exists()


@transaction.atomic
def verify_new_starter(cr: ChangeRequest, *, by, note: str = "") -> Registration:
    """The QN and the exams officer agree the new starter's entry (options chosen)."""
    if not can(by, CHECK_ENTRIES, cr):
        raise PermissionDenied("The Quality Nominee verifies new starters' entries.")
    cr = ChangeRequest.objects.select_for_update().get(pk=cr.pk)
    if cr.kind != Kind.NEW_STARTER:
        raise ValidationError("Only a new starter's entry is verified here.")
    if cr.status != ChangeRequest.Status.DONE:
        raise ValidationError(
            "The exams officer has not registered this new starter at Pearson yet: verify the "
            "entry once it is made."
        )
    if not awaiting_verification(cr):
        raise ValidationError("This new starter's entry has already been verified.")
    reg = (
        Registration.objects.filter(
            learner=cr.learner_id, cohort=cr.cohort_id, status__in=Registration.ACTIVE
        )
        .order_by("-pk")
        .first()
    )
    if reg is None:
        raise ValidationError("The new starter has no live registration on that programme.")
    units = ", ".join(sorted(u.number for u in reg.optional_units.all())) or "none"
    detail = f"pathway {reg.pathway or '—'}; optional units {units}"
    add_step(
        reg,
        by=by,
        what=VERIFIED,
        action=events.R_NEW_STARTER_VERIFIED,
        detail=f"{detail}. {_clean(note)}".strip(),
    )
    close_todos(VERIFY_NEW_STARTER_TODO, target=cr, by=by, note="verified")
    return reg


@transaction.atomic
def cancel_change(cr: ChangeRequest, *, by, why: str) -> ChangeRequest:
    """Withdraw a request not yet actioned: the person who made it, or the exams officer.
    A handover the receiving centre has not completed is cancelled by the sending
    exams officer (the learner did not arrive): the receiving centre's to-do closes."""
    if not may_cancel(by, cr) and cr.status in (
        ChangeRequest.Status.OPEN,
        *HANDED_OVER_OR_DECLINED,
    ):
        if cr.status in HANDED_OVER_OR_DECLINED:
            raise PermissionDenied("Only the exams officer may cancel a transfer handed over.")
        raise PermissionDenied("Only the person who made the request or the exams officer may.")
    why = _clean(why)
    if not why:
        raise ValidationError("Say why the request is cancelled.")
    handover = TransferHandover.objects.filter(change=cr).first()

    def change(cr):
        cr.closed_by, cr.closed_at = by, timezone.now()
        regs = [cr.registration] if cr.registration_id else []
        if cr.kind == Kind.DETAILS:
            regs = _live(cr.learner)
        for reg in regs:
            add_step(
                reg,
                by=by,
                what="Change request cancelled",
                action=events.R_CHANGE_CANCELLED,
                detail=f"{cr.get_kind_display().lower()}: {why}",
            )
        if handover is not None:
            # A declined handover stays as the receiving centre left it (final).
            TransferHandover.objects.filter(pk=handover.pk, status=Handover.WAITING).update(
                status=Handover.CANCELLED
            )
            close_todos(RECEIVE_TRANSFER_TODO, target=handover, by=by, note=f"cancelled: {why}")
        return {"why": why}

    return step(
        cr,
        by=by,
        action=events.CHANGE_CANCELLED,
        allowed=[ChangeRequest.Status.OPEN, *HANDED_OVER_OR_DECLINED],
        refusal="This request is already closed: nothing was done",
        status=ChangeRequest.Status.CANCELLED,
        change=change,
        close=[
            Close(ACTION_TODO, note=f"cancelled: {why}"),
            Close(VERIFY_NEW_STARTER_TODO, note=f"cancelled: {why}"),
            Close(TRANSFER_DECLINED_TODO, note=f"cancelled: {why}"),
        ],
    )


# --- the receiving centre completes a transfer --------------------------------------------


def handover_refusal(handover: TransferHandover) -> str:
    """Why nothing more can be done with this handover (completed, cancelled or declined:
    each is final), or "" while it waits for the receiving centre."""
    if handover.status == Handover.WAITING:
        return ""
    return (
        f"This transfer is already {lower_first(handover.get_status_display())}: nothing was done."
    )


def _refuse_unless_waiting(handover: TransferHandover) -> None:
    refusal = handover_refusal(handover)
    if refusal:
        raise ValidationError(refusal)


def receiving_cohorts(handover: TransferHandover):
    """The receiving centre's programmes being taught now, whose family may be transferred."""
    year = calendar.academic_year_for(timezone.localdate())
    return (
        Cohort.objects.filter(centre_id=handover.to_centre_id)
        .covering(year)
        .exclude(qualification__family__transferable=False)
        .select_related("qualification", "centre")
        .order_by("qualification__title", "-start_year")
    )


def learners_like(handover: TransferHandover):
    """The receiving centre's learners who may be the same person: their UCI or ULN, or
    their last name and date of birth. The exams officer chooses; never merged unasked."""
    same = Q(last_name__iexact=handover.last_name, date_of_birth=handover.date_of_birth)
    same |= Q(uci=handover.uci)
    if handover.uln:
        same |= Q(uln=handover.uln)
    return Learner.objects.filter(same, centre_id=handover.to_centre_id).order_by(
        "last_name", "first_name", "pk"
    )


def _place_identifiers(handover, target: Learner, sender: Learner | None, *, by) -> None:
    """The UCI and ULN go with the learner (one UCI for life, unique in btecqa): the
    receiving centre's record takes them; the sending record gives them up, its values
    kept on the handover, the change request's step and this audit event."""
    wanted = {"uci": handover.uci, "uln": handover.uln or None}
    for field, value in wanted.items():
        mine = getattr(target, field)
        if mine and value and mine != value:
            raise ValidationError(
                f"{target} has the {field.upper()} {mine} here, and the sending centre handed "
                f"over {value}: check they are the same person. A learner keeps one UCI for "
                "life; if they have two, Pearson is asked to merge them."
            )
    holders = Learner.objects.filter(
        Q(uci=handover.uci) | (Q(uln=handover.uln) if handover.uln else Q(pk__in=[]))
    ).exclude(pk=target.pk)
    for holder in holders:
        if sender is None or holder.pk != sender.pk:
            raise ValidationError(
                "The UCI or ULN handed over is held by another learner record in btecqa: "
                "nothing was done. Ask the system administrator to check the two records."
            )
        others = Registration.objects.filter(
            learner=holder, status__in=Registration.ACTIVE
        ).exclude(pk=handover.change.registration_id)
        if others.exists():
            raise ValidationError(
                "The learner is still registered on another programme at the sending centre, "
                "whose record keeps their UCI: the sending centre transfers or withdraws that "
                "registration first."
            )
        before = {"uci": holder.uci, "uln": holder.uln}
        Learner.objects.filter(pk=holder.pk).update(uci=None, uln=None)
        audit.record(
            by,
            events.TRANSFER_IDS_MOVED,
            holder,
            centre=holder.centre_id,
            before=before,
            after={"uci": None, "uln": None, "detail": f"to {handover.to_centre}"},
        )
    changed = {f: v for f, v in wanted.items() if v and getattr(target, f) != v}
    if changed:
        before = {f: getattr(target, f) for f in changed}
        Learner.objects.filter(pk=target.pk).update(**changed)
        for f, v in changed.items():
            setattr(target, f, v)
        audit.record(
            by,
            events.TRANSFER_IDS_MOVED,
            target,
            centre=target.centre_id,
            before=before,
            after={**changed, "detail": f"from {handover.from_centre}"},
        )


@transaction.atomic
def complete_transfer(
    handover: TransferHandover,
    *,
    cohort,
    learner: Learner | None,
    actioned_on: dt.date,
    pearson_reference: str,
    by,
) -> Registration:
    """The receiving centre has done "Transfer from another centre" at Pearson: the learner
    (found here, or added from the handover, keeping their UCI and ULN) is registered on
    one of this centre's programmes with the handed-over number; only now is the sending
    centre's registration transferred."""
    if not can(by, RUN_REGISTRATIONS, handover):
        raise PermissionDenied("Only the receiving centre's exams officer completes a transfer.")
    handover = (
        TransferHandover.objects.select_for_update(of=("self",))
        .select_related("change__registration__cohort", "from_centre", "to_centre")
        .get(pk=handover.pk)
    )
    _refuse_unless_waiting(handover)
    reference = _pearson_reference(pearson_reference)
    actioned_on = _actioned_on(actioned_on)
    if actioned_on < handover.handed_over_on:
        raise ValidationError(
            f"The date done at Pearson ({actioned_on:%d/%m/%Y}) is before the sending centre "
            f"handed over on {handover.handed_over_on:%d/%m/%Y}: check the date."
        )
    if cohort is None or cohort.centre_id != handover.to_centre_id:
        raise ValidationError(f"Choose one of {handover.to_centre}'s programmes.")
    _refuse_untransferable(to_cohort=cohort)
    cr = handover.change
    sending = _lock_registration(cr.registration, "transfer")
    if learner is not None and learner.centre_id != handover.to_centre_id:
        raise ValidationError(f"Choose a learner at {handover.to_centre}, or add them.")
    if learner is not None:
        _refuse_if_live(learner, cohort)
    ref = f"Pearson reference {reference}, {actioned_on:%d/%m/%Y}"
    added = learner is None
    if added:
        learner = Learner.objects.create(
            centre_id=handover.to_centre_id,
            first_name=handover.first_name,
            last_name=handover.last_name,
            preferred_name=handover.preferred_name,
            date_of_birth=handover.date_of_birth,
            sex=handover.sex,
        )
    _place_identifiers(handover, learner, sending.learner, by=by)
    if added:
        audit.record(
            by,
            events.TRANSFER_LEARNER_ADDED,
            learner,
            centre=learner.centre_id,
            after={"from_centre": str(handover.from_centre), "uci": learner.uci},
        )
    new = _new_registration(
        learner,
        cohort,
        by=by,
        status=Status.REGISTERED,
        registration_number=handover.registration_number,
        submitted_on=handover.submitted_on or actioned_on,
        registered_on=handover.registered_on or actioned_on,
    )
    reported = Reported(handover.achievement, handover.achievement_detail)
    add_step(
        new,
        by=by,
        what="Transferred in",
        action=events.R_TRANSFERRED_IN,
        detail=(
            f"from {handover.from_centre}: registration number {handover.registration_number}, "
            f"UCI {handover.uci}; {reported.text}; {ref}"
        ),
    )
    _end(sending, Status.TRANSFERRED, actioned_on)
    add_step(
        sending,
        by=by,
        what="Transferred",
        action=events.R_TRANSFERRED,
        detail=f"to {handover.to_centre}, completed there; {ref}",
    )
    handover.status = Handover.DONE
    handover.completed_on, handover.pearson_reference = actioned_on, reference
    handover.completed_by, handover.completed_at = by, timezone.now()
    handover.learner, handover.registration = learner, new
    handover.save()
    audit.record(
        by,
        events.TRANSFER_COMPLETED,
        handover,
        learner=learner,
        centre=handover.to_centre_id,
        after={
            "completed_on": actioned_on,
            "pearson_reference": reference,
            "cohort": str(cohort),
            "learner_added": added,
        },
    )
    ChangeRequest.objects.filter(pk=cr.pk).update(
        status=ChangeRequest.Status.DONE, closed_by=by, closed_at=timezone.now()
    )
    audit.record(
        by,
        events.TRANSFER_COMPLETED,
        cr,
        centre=cr.centre_id,
        before={"status": ChangeRequest.Status.HANDED_OVER},
        after={
            "status": ChangeRequest.Status.DONE,
            "completed_on": actioned_on,
            "pearson_reference": reference,
        },
    )
    close_todos(RECEIVE_TRANSFER_TODO, target=handover, by=by, note=f"done at Pearson: {reference}")
    return new


# --- the receiving centre declines a transfer ---------------------------------------------


@transaction.atomic
def decline_transfer(handover: TransferHandover, *, reason: str, by) -> TransferHandover:
    """The receiving centre will not complete a handover (the learner never arrived, or it
    was sent to the wrong centre). Nothing was done at Pearson, so the sending centre's
    registration stays live; its exams officer is told why and decides what next (cancel
    the transfer, which closes their to-do). A declined handover is final."""
    if not can(by, RUN_REGISTRATIONS, handover):
        raise PermissionDenied("Only the receiving centre's exams officer declines a transfer.")
    reason = _clean(reason)
    if not reason:
        raise ValidationError(
            {"reason": "Say why the transfer is declined: the sending centre is told."}
        )
    # The change request first, then the handover: the order cancel_change locks them in.
    cr = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("centre", "learner", "registration__cohort")
        .get(pk=handover.change_id)
    )

    def change(h):
        _refuse_unless_waiting(h)
        h.declined_by, h.declined_at, h.decline_reason = by, timezone.now(), reason
        return {"reason": reason}

    def tell_the_sending_centre(h):
        ChangeRequest.objects.filter(pk=cr.pk).update(status=ChangeRequest.Status.DECLINED)
        audit.record(
            by,
            events.TRANSFER_DECLINED,
            cr,
            centre=cr.centre_id,
            before={"status": cr.status},
            after={
                "status": ChangeRequest.Status.DECLINED,
                "to_centre": str(h.to_centre),
                "reason": reason,
            },
        )
        add_step(
            cr.registration,
            by=by,
            what="Transfer declined by the receiving centre",
            action=events.R_TRANSFER_DECLINED,
            detail=f"{h.to_centre}: {reason}",
        )
        learner = cr.learner
        open_todo(
            TRANSFER_DECLINED_TODO,
            centre=cr.centre,
            role=Role.EXAMS_OFFICER,
            title=(
                f"{h.to_centre} declined the transfer of {learner.last_name.upper()}, "
                f"{learner.first_name}: decide what next"
            ),
            target=cr,
            actor=by,
        )

    return step(
        handover,
        by=by,
        action=events.TRANSFER_DECLINED,
        status=Handover.DECLINED,
        change=change,
        close=[Close(RECEIVE_TRANSFER_TODO, note=f"declined: {reason}")],
        history=tell_the_sending_centre,
        related=("to_centre", "from_centre"),
    )


# --- reinstating a withdrawal -------------------------------------------------------------


@transaction.atomic
def reinstate_registration(registration: Registration, *, reason: str, by) -> Registration:
    """Pearson reactivates a withdrawn registration (domain 4.4): it returns to the live
    status it had, registered when Pearson had given it a number, else submitted."""
    require_object(by, RUN_REGISTRATIONS, registration)
    reason = _clean(reason)
    if not reason:
        raise ValidationError("Say why the registration is reinstated.")
    if registration.status == Status.DELETED:
        raise ValidationError(
            f"{registration} was deleted at Pearson, not withdrawn: register the learner again."
        )

    def change(reg):
        if Registration.objects.filter(
            learner=reg.learner_id, cohort=reg.cohort_id, status__in=Registration.ACTIVE
        ).exists():
            raise ValidationError(
                f"{reg.learner} already has a live registration on {reg.cohort}: "
                "there is nothing to reinstate."
            )
        live = reg.registration_number or reg.registered_on
        reg.status = Status.REGISTERED if live else Status.SUBMITTED
        reg.ended_on = None
        return {"reason": reason}

    def history(reg):
        add_step(
            reg,
            by=by,
            what="Reinstated",
            action=events.R_REINSTATED,
            detail=f"{lower_first(reg.get_status_display())} again: {reason}",
            audited=False,  # the step's own event
        )

    return step(
        registration,
        by=by,
        action=events.R_REINSTATED,
        allowed=[Status.WITHDRAWN],
        refusal=f"Only a withdrawn registration can be reinstated: {registration} was not",
        change=change,
        history=history,
        related=("learner", "cohort__qualification"),
        learner=registration.learner,
        centre=registration.centre_id,
    )
