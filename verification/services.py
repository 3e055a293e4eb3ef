"""Identifying the Lead IV: one per qualification per centre per year, with cover.

Each change is audited at the centre. The people chosen must hold a role at that centre
(a Lead IV from elsewhere cannot run this centre's internal verification), and the cover
is someone else. A mid-year replacement must complete the centre's standardisation
materials (Pearson's Lead IV article), so changing the Lead IV asks for the note.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.models import RoleAssignment
from accounts.permissions import require, require_object
from btecqa.validators import academic_year_problem
from todos.services import close_todos, open_todo

from . import events
from .models import LeadIVAppointment
from .permissions import MANAGE_LEAD_IVS


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _check_people(centre, lead_iv, cover) -> None:
    errors = {}
    holders = set(
        RoleAssignment.objects.filter(centre=centre, user__in=[u for u in (lead_iv, cover) if u])
        .values_list("user_id", flat=True)
        .distinct()
    )
    if lead_iv is None:
        errors["lead_iv"] = "Choose the Lead IV."
    elif lead_iv.pk not in holders:
        errors["lead_iv"] = f"{_person(lead_iv)} holds no role at {centre.name}."
    if cover is not None:
        if lead_iv is not None and cover.pk == lead_iv.pk:
            errors["cover"] = "The cover must be a different person from the Lead IV."
        elif cover.pk not in holders:
            errors["cover"] = f"{_person(cover)} holds no role at {centre.name}."
    if errors:
        raise ValidationError(errors)


def _state(appt: LeadIVAppointment) -> dict:
    return {
        "qualification": appt.qualification.number,
        "academic_year": appt.academic_year,
        "lead_iv": _person(appt.lead_iv),
        "cover": _person(appt.cover),
        "standardisation_note": appt.standardisation_note,
    }


@transaction.atomic
def appoint_lead_iv(
    *, centre, qualification, academic_year: str, lead_iv, cover=None, note: str = "", by
) -> LeadIVAppointment:
    """The Quality Nominee identifies the Lead IV (and cover) for the year."""
    require(by, MANAGE_LEAD_IVS, centre.pk)
    if problem := academic_year_problem(academic_year):
        raise ValidationError({"academic_year": problem})
    _check_people(centre, lead_iv, cover)
    if LeadIVAppointment.objects.filter(
        centre=centre, qualification=qualification, academic_year=academic_year
    ).exists():
        raise ValidationError(
            {
                "qualification": (
                    f"{qualification.title} already has a Lead IV at {centre.name} for "
                    f"{academic_year}: change that one (one Lead IV per qualification a year)."
                )
            }
        )
    try:
        with transaction.atomic():
            appt = LeadIVAppointment.objects.create(
                centre=centre,
                qualification=qualification,
                academic_year=academic_year,
                lead_iv=lead_iv,
                cover=cover,
                standardisation_note=note.strip(),
                appointed_by=by,
            )
    except IntegrityError as exc:  # a second tab won the race
        raise ValidationError(f"{qualification.title} already has a Lead IV.") from exc
    audit.record(by, events.LEAD_IV_APPOINTED, appt, centre=centre.pk, after=_state(appt))
    _open_standardise_todo(appt, by)
    return appt


def _standardised(appt: LeadIVAppointment) -> bool:
    from .models_standardisation import StandardisationRecord

    return StandardisationRecord.objects.filter(
        centre=appt.centre_id,
        qualification=appt.qualification_id,
        academic_year=appt.academic_year,
        kind=StandardisationRecord.Kind.ACTIVITY,
    ).exists()


def _open_standardise_todo(appt: LeadIVAppointment, by) -> None:
    """The Lead IV owes the year's standardisation for the qualification, unless it is
    recorded already."""
    if _standardised(appt):
        return
    open_todo(
        events.STANDARDISE_TODO,
        centre=appt.centre,
        title=f"Standardise the team on {appt.qualification.title} for {appt.academic_year}",
        assignee=appt.lead_iv,
        target=appt,
        actor=by,
    )


def open_waiting_standardise_todos(today) -> None:
    """Backfill (todos.backfill): each Lead IV of this year or a later one, at an active
    centre, whose standardisation is not yet recorded, owes it (as appoint_lead_iv opens)."""
    from btecqa.validators import academic_year_for

    for appt in LeadIVAppointment.objects.filter(
        academic_year__gte=academic_year_for(today), centre__is_active=True
    ).select_related("centre", "qualification", "lead_iv"):
        _open_standardise_todo(appt, None)


@transaction.atomic
def change_lead_iv(
    appt: LeadIVAppointment, *, lead_iv, cover=None, note: str = "", by, expected_lock=None
) -> LeadIVAppointment:
    """A new Lead IV (mid-year replacement), a new cover, or the standardisation note."""
    require_object(by, MANAGE_LEAD_IVS, appt)
    appt = (
        LeadIVAppointment.objects.select_for_update(of=("self",))
        .select_related("centre", "qualification", "lead_iv", "cover")
        .get(pk=appt.pk)
    )
    if expected_lock is not None and expected_lock != appt.lock_version:
        raise ValidationError(
            "Someone changed this Lead IV record after you opened it: reload and check."
        )
    _check_people(appt.centre, lead_iv, cover)
    before = _state(appt)
    replaced = lead_iv.pk != appt.lead_iv_id
    note = note.strip()
    if replaced and (not note or note == appt.standardisation_note):
        raise ValidationError(
            {
                "standardisation_note": (
                    f"A replacement Lead IV must complete the centre standardisation "
                    f"materials: say when {_person(lead_iv)} did, or will."
                )
            }
        )
    appt.lead_iv, appt.cover, appt.standardisation_note = lead_iv, cover, note
    if replaced:
        appt.appointed_by, appt.appointed_on = by, timezone.localdate()
    after = _state(appt)
    if after == before:
        raise ValidationError("Nothing was changed.")
    appt.lock_version += 1
    appt.save()
    if replaced:  # the new Lead IV owes the standardisation now
        close_todos(events.STANDARDISE_TODO, target=appt, by=by, note="Lead IV replaced")
        _open_standardise_todo(appt, by)
    audit.record(
        by,
        events.LEAD_IV_CHANGED,
        appt,
        centre=appt.centre_id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return appt


# --- standardisation (000-3.1.5) ---------------------------------------------------------


@transaction.atomic
def record_standardisation(
    *,
    centre,
    qualification,
    unit,
    academic_year: str,
    held_on,
    kind: str,
    attendees,
    materials: str,
    outcome: str,
    by,
):
    """The Lead IV records a standardisation activity (who attended, the materials, the
    outcome) or their own Pearson standardisation training, for one year at the centre."""
    from .models_standardisation import StandardisationRecord
    from .permissions import RECORD_STANDARDISATION

    require(by, RECORD_STANDARDISATION, centre.pk)
    errors = {}
    if problem := academic_year_problem(academic_year):
        errors["academic_year"] = problem
    if held_on > timezone.localdate():
        errors["held_on"] = "The date is in the future: record an activity once it has happened."
    if unit is not None and unit.qualification_id != qualification.pk:
        errors["unit"] = f"Unit {unit.number} is not a unit of {qualification.title}."
    attendees = list(attendees)
    if not attendees:
        errors["attendees"] = "Name who attended."
    holders = set(
        RoleAssignment.objects.filter(centre=centre, user__in=attendees).values_list(
            "user_id", flat=True
        )
    )
    if strangers := [_person(u) for u in attendees if u.pk not in holders]:
        errors["attendees"] = f"{', '.join(strangers)}: no role at {centre.name}."
    if kind == StandardisationRecord.Kind.PEARSON_TRAINING and not errors:
        if len(attendees) != 1:
            errors["attendees"] = "Pearson's training is recorded for one person, the Lead IV."
    for field, text in (("materials", materials), ("outcome", outcome)):
        if not text.strip():
            errors[field] = "Required."
    if errors:
        raise ValidationError(errors)
    record = StandardisationRecord.objects.create(
        centre=centre,
        qualification=qualification,
        unit=unit,
        academic_year=academic_year,
        held_on=held_on,
        kind=kind,
        materials=materials.strip(),
        outcome=outcome.strip(),
        recorded_by=by,
    )
    record.attendees.set(attendees)
    audit.record(
        by,
        events.STANDARDISATION_RECORDED,
        record,
        centre=centre.pk,
        after={
            "qualification": qualification.number,
            "unit": unit.number if unit else "whole qualification",
            "academic_year": academic_year,
            "held_on": held_on.isoformat(),
            "kind": kind,
            "attendees": ", ".join(sorted(_person(u) for u in attendees)),
            "materials": record.materials,
            "outcome": record.outcome,
        },
    )
    if kind == StandardisationRecord.Kind.ACTIVITY:
        for appt in LeadIVAppointment.objects.filter(
            centre=centre, qualification=qualification, academic_year=academic_year
        ):
            close_todos(events.STANDARDISE_TODO, target=appt, by=by, note="standardised")
    return record


@transaction.atomic
def set_standardisation_rule(*, centre, block: bool, by):
    """The Quality Nominee chooses whether the centre warns about or blocks an assessor or
    IV who has not standardised this year on the unit (000-3.1.5)."""
    from .models_standardisation import StandardisationRule
    from .permissions import SET_STANDARDISATION_RULE

    require(by, SET_STANDARDISATION_RULE, centre.pk)
    rule, _ = StandardisationRule.objects.select_for_update().get_or_create(
        centre=centre, defaults={"changed_by": by}
    )
    before = rule.block
    rule.block, rule.changed_by, rule.changed_at = block, by, timezone.now()
    rule.save()
    audit.record(
        by,
        events.STANDARDISATION_RULE_SET,
        rule,
        centre=centre.pk,
        before={"block": before},
        after={"block": block},
    )
    return rule
