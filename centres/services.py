"""Collaborative arrangements: each change is audited and owes Pearson a message.

The Lead Centre is the single channel to Pearson for the arrangement, so every
change opens a "tell Pearson" to-do for the lead centre's Quality Nominee; it
stays open until someone records when Pearson was told and their reference.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.roles import Role
from btecqa.validators import academic_year_problem
from todos.models import ToDo
from todos.services import close_todos, open_todo

from .models import ArrangementPartner, ArrangementQualification, CollaborativeArrangement
from .selectors import arrangement_staff

TELL_PEARSON = "arrangement.tell_pearson"
TELL_PEARSON_DAYS = 14


def _tell_pearson(arrangement, target, what: str, by) -> None:
    open_todo(
        TELL_PEARSON,
        centre=arrangement.lead_centre,
        role=Role.QUALITY_NOMINEE,
        title=f"Tell Pearson: {what} ({arrangement.name})",
        due=timezone.localdate() + dt.timedelta(days=TELL_PEARSON_DAYS),
        target=target,
        actor=by,
    )


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
        "arrangement.created",
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
def add_partner(arrangement, *, centre, joined_on: dt.date, by) -> ArrangementPartner:
    if centre.pk == arrangement.lead_centre_id:
        raise ValidationError("The lead centre is already part of its own arrangement.")
    partner, created = ArrangementPartner.objects.get_or_create(
        arrangement=arrangement, centre=centre, defaults={"joined_on": joined_on}
    )
    if not created:
        if partner.withdrawn_on is None:
            raise ValidationError(f"{centre.name} is already a partner in this arrangement.")
        partner.withdrawn_on, partner.joined_on = None, joined_on
        partner.save(update_fields=["withdrawn_on", "joined_on"])
    audit.record(
        by,
        "arrangement.partner_added",
        partner,
        centre=arrangement.lead_centre,
        after={"centre": centre.number, "joined_on": joined_on},
    )
    _tell_pearson(arrangement, partner, f"{centre.name} joins", by)
    return partner


@transaction.atomic
def withdraw_partner(partner: ArrangementPartner, *, on: dt.date, by) -> None:
    if partner.withdrawn_on:
        raise ValidationError(f"{partner.centre.name} has already withdrawn.")
    partner.withdrawn_on = on
    partner.save(update_fields=["withdrawn_on"])
    audit.record(
        by,
        "arrangement.partner_withdrawn",
        partner,
        centre=partner.arrangement.lead_centre,
        before={"withdrawn_on": None},
        after={"withdrawn_on": on},
    )
    _tell_pearson(partner.arrangement, partner, f"{partner.centre.name} withdraws", by)


@transaction.atomic
def add_qualification(
    arrangement, *, qualification, lead_iv, added_on: dt.date, by
) -> ArrangementQualification:
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
        "arrangement.qualification_added",
        aq,
        centre=arrangement.lead_centre,
        after={"qualification": qualification.number, "lead_iv": str(lead_iv) if lead_iv else None},
    )
    _tell_pearson(arrangement, aq, f"add {qualification.title}", by)
    return aq


@transaction.atomic
def withdraw_qualification(aq: ArrangementQualification, *, on: dt.date, by) -> None:
    if aq.withdrawn_on:
        raise ValidationError("That qualification has already been withdrawn.")
    aq.withdrawn_on = on
    aq.save(update_fields=["withdrawn_on"])
    audit.record(
        by,
        "arrangement.qualification_withdrawn",
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
        "arrangement.pearson_told",
        todo.target,
        centre=todo.centre,
        after={"told_on": told_on, "reference": reference.strip()},
    )
