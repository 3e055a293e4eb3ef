"""Reads for the Lead IV list: a fixed number of queries."""

from __future__ import annotations

from learners.models import Cohort

from .models import LeadIVAppointment


def lead_iv_rows(centre, academic_year: str) -> list[dict]:
    """The qualifications taught at the centre this year (cohorts covering the year) and
    those with a Lead IV identified, each with its appointment; no Lead IV is flagged."""
    taught: dict[int, dict] = {}
    for cohort in (
        Cohort.objects.filter(centre=centre).covering(academic_year).select_related("qualification")
    ):
        row = taught.setdefault(
            cohort.qualification_id,
            {"qualification": cohort.qualification, "cohorts": [], "appointment": None},
        )
        row["cohorts"].append(cohort)
    for appt in LeadIVAppointment.objects.filter(
        centre=centre, academic_year=academic_year
    ).select_related("qualification", "lead_iv", "cover", "appointed_by"):
        row = taught.setdefault(
            appt.qualification_id,
            {"qualification": appt.qualification, "cohorts": [], "appointment": None},
        )
        row["appointment"] = appt
    rows = sorted(taught.values(), key=lambda r: r["qualification"].title)
    from .models_standardisation import StandardisationRecord

    last_activity, trained = {}, {}
    for qual, kind, held_on, person in StandardisationRecord.objects.filter(
        centre=centre, academic_year=academic_year
    ).values_list("qualification_id", "kind", "held_on", "attendees"):
        if kind == StandardisationRecord.Kind.PEARSON_TRAINING:
            trained.setdefault((qual, person), held_on)
        elif held_on > last_activity.get(qual, held_on.min):
            last_activity[qual] = held_on
    for row in rows:
        row["missing"] = bool(row["cohorts"]) and row["appointment"] is None
        appt, qual = row["appointment"], row["qualification"].pk
        row["last_activity"] = last_activity.get(qual)
        row["pearson_training"] = trained.get((qual, appt.lead_iv_id)) if appt else None
    return rows


def standardised_units(*, centre_id: int, qualification_id: int, academic_year: str) -> dict:
    """{person id: the unit ids they were standardised on this year, None meaning the whole
    qualification} at this centre, from the standardisation records (one query)."""
    from .models_standardisation import StandardisationRecord

    out: dict[int, set] = {}
    rows = StandardisationRecord.attendees.through.objects.filter(
        standardisationrecord__centre_id=centre_id,
        standardisationrecord__qualification_id=qualification_id,
        standardisationrecord__academic_year=academic_year,
    ).values_list("user_id", "standardisationrecord__unit_id")
    for user_id, unit_id in rows:
        out.setdefault(user_id, set()).add(unit_id)
    return out


def is_standardised(units: dict, user_id: int, unit_id: int) -> bool:
    """Did this person attend standardisation on this unit, or the whole qualification?"""
    held = units.get(user_id, ())
    return None in held or unit_id in held


def standardisation_records(user, perm: str, *, academic_year: str | None = None):
    """The records `perm` lets the user see, newest first, with what the list shows."""
    from accounts.permissions import scope

    from .models_standardisation import StandardisationRecord

    qs = StandardisationRecord.objects.select_related(
        "centre", "qualification", "unit", "recorded_by"
    ).prefetch_related("attendees")
    if academic_year:
        qs = qs.filter(academic_year=academic_year)
    return scope(user, perm, qs)


def blocks_unstandardised(centre_id: int) -> bool:
    from .models_standardisation import StandardisationRule

    return StandardisationRule.objects.filter(centre_id=centre_id, block=True).exists()


def standardisation_refusal(user, assignment, *, doing: str) -> str | None:
    """Why `user` may not record decisions or IV on `assignment` (its unit, this year), when
    the cohort's centre blocks anyone not standardised (000-3.1.5); None when they may."""
    cohort = assignment.plan.cohort
    if not blocks_unstandardised(cohort.centre_id):
        return None
    units = standardised_units(
        centre_id=cohort.centre_id,
        qualification_id=cohort.qualification_id,
        academic_year=assignment.plan.academic_year,
    )
    if is_standardised(units, user.pk, assignment.unit_id):
        return None
    return (
        f"{user.get_full_name() or user.username} has no standardisation record for unit "
        f"{assignment.unit.number} in {assignment.plan.academic_year}, and "
        f"{cohort.centre.name} lets nobody {doing} before they are standardised."
    )


def standardisation_rules(centres) -> list[tuple]:
    """(centre, blocks?) for the centres whose rule the user may set (one query)."""
    from .models_standardisation import StandardisationRule

    blocking = set(
        StandardisationRule.objects.filter(centre__in=centres, block=True).values_list(
            "centre_id", flat=True
        )
    )
    return [(c, c.pk in blocking) for c in centres]
