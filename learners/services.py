"""Changing learner records. Every change goes on the learner's audit trail."""

from __future__ import annotations

from django.db import transaction

import audit

from .models import Learner

EDITABLE_FIELDS = [
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "uln",
    "uci",
    "candidate_number",
    "admission_number",
    "email",
    "on_roll",
    "left_on",
]


def update_learner(learner: Learner, *, by, changes: dict, reason: str = "") -> list[str]:
    """Apply field changes after full validation; returns the fields that changed."""
    with transaction.atomic():
        current = Learner.objects.select_for_update().get(pk=learner.pk)
        before = {f: getattr(current, f) for f in EDITABLE_FIELDS}
        for field, value in changes.items():
            if field not in EDITABLE_FIELDS:
                raise ValueError(f"{field} cannot be changed here")
            if field in {"uln", "uci"} and value == "":
                value = None
            setattr(current, field, value)
        current.full_clean()
        changed = [f for f in EDITABLE_FIELDS if getattr(current, f) != before[f]]
        if not changed:
            return []
        current.save(update_fields=changed)
        audit.record(
            by,
            "learners.learner.updated",
            current,
            before={f: before[f] for f in changed},
            after={f: getattr(current, f) for f in changed}
            | ({"reason": reason} if reason else {}),
        )
    learner.refresh_from_db()
    return changed


# --- programmes and teaching groups ----------------------------------------------


def _cohort_state(cohort) -> dict:
    return {
        "qualification": cohort.qualification.number,
        "centre": cohort.centre.number,
        "start_year": cohort.start_year,
        "years": cohort.years,
        "leader": str(cohort.leader) if cohort.leader_id else "",
        "optional_units": sorted(u.number for u in cohort.optional_units.all()),
    }


def check_optional_units(qualification, units) -> None:
    from django.core.exceptions import ValidationError

    wrong = [u for u in units if u.qualification_id != qualification.pk or u.mandatory]
    if wrong:
        raise ValidationError(
            f"Not an optional unit of {qualification.title}: {', '.join(str(u) for u in wrong)}."
        )


def save_cohort(cohort, *, optional_units, by):
    """Create or change a programme; the before and after go on the audit trail."""
    from .models import Cohort

    check_optional_units(cohort.qualification, optional_units)
    with transaction.atomic():
        before = None
        if cohort.pk:
            before = _cohort_state(Cohort.objects.get(pk=cohort.pk))
        cohort.full_clean()
        cohort.save()
        cohort.optional_units.set(optional_units)
        after = _cohort_state(cohort)
        if before != after:
            audit.record(
                by,
                "learners.cohort.created" if before is None else "learners.cohort.updated",
                cohort,
                before=before,
                after=after,
            )
    return cohort


def save_teaching_group(group, *, learners, by):
    """Create or change a teaching group; each learner who joins or leaves is on their trail."""
    with transaction.atomic():
        created = group.pk is None
        group.full_clean()
        group.save()
        current = set(group.learners.values_list("pk", flat=True)) if not created else set()
        wanted = {learner.pk: learner for learner in learners}
        added = [wanted[pk] for pk in wanted.keys() - current]
        removed = list(Learner.objects.filter(pk__in=current - wanted.keys()))
        group.learners.add(*added)
        group.learners.remove(*removed)
        where = f"{group.name} ({group.cohort}), taught at {group.delivering_centre.name}"
        if created:
            audit.record(
                by,
                "learners.teaching_group.created",
                group,
                centre=group.cohort.centre_id,
                after={"group": where},
            )
        for learner in added:
            audit.record(
                by,
                "learners.learner.joined_group",
                group,
                learner=learner,
                centre=learner.centre_id,
                after={"group": where},
            )
        for learner in removed:
            audit.record(
                by,
                "learners.learner.left_group",
                group,
                learner=learner,
                centre=learner.centre_id,
                before={"group": where},
            )
    return group
