"""External assessment entries per series (policy 004-cert-4; issue 13 part 3).

Why its own model and not Tech Award's ComponentEntry: a ComponentEntry hangs on a
SeriesComponent (a per-qualification series row with raw-mark maxima and boundaries for an
*internal* component) and allows one live entry per learner and unit whatever the series,
which forbids the resit an external unit needs. External entries name the series as the
configured string (claims.config.external_series), the same string Pearson's results file
gives, so ExternalResult joins on learner, unit and series.

Deadlines: an entry made after the series' entry deadline is marked late (with the
configured late fee, if any); after the late deadline it is refused unless the exams officer
confirms it (Pearson may still accept a very late entry by arrangement), and is then kept
marked late.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object
from documents.xlsx import xlsx_bytes

from . import config, events
from .models import ExternalEntry, ExternalResult
from .permissions import MAKE_EXTERNAL_ENTRIES


def _registered_learner_ids(cohort) -> set[int]:
    from registrations.models import Registration

    return set(
        Registration.objects.filter(cohort=cohort, status__in=Registration.ON_LIST).values_list(
            "learner_id", flat=True
        )
    )


def external_units(cohort):
    from qualifications.models import Unit

    return Unit.objects.filter(
        qualification=cohort.qualification_id, assessment=Unit.Assessment.EXTERNAL
    ).order_by("sort_key")


def make_entries(
    cohort,
    academic_year: str,
    series_name: str,
    pairs,
    *,
    by,
    today: dt.date | None = None,
    confirm_very_late: bool = False,
) -> list[ExternalEntry]:
    """Enter (learner, unit) pairs of the cohort for the series, in one transaction; each
    refusal names the learner, the unit and why, and then nothing is entered. A pair
    already entered live in this series is left as it is. Returns the new entries."""
    from learners.models import Learner
    from qualifications.models import Unit

    require_object(by, MAKE_EXTERNAL_ENTRIES, cohort)
    series = config.external_series_named(academic_year, series_name)
    if series is None:
        raise ValidationError(f"{series_name} is not an external series of {academic_year}.")
    today = today or timezone.localdate()
    lateness = series.lateness(today)
    if lateness == "too_late" and not confirm_very_late:
        raise ValidationError(
            f"The late-entry deadline for {series.name} was {series.late_deadline:%d %B %Y}: "
            "confirm to enter anyway (Pearson must agree to a very late entry)."
        )
    pairs = [(int(lr), int(u)) for lr, u in pairs]
    learners = Learner.objects.in_bulk({lr for lr, _ in pairs})
    units = Unit.objects.in_bulk({u for _, u in pairs})
    registered = _registered_learner_ids(cohort)
    problems = []
    for lr_id, unit_id in pairs:
        learner, unit = learners.get(lr_id), units.get(unit_id)
        if learner is None or unit is None:
            problems.append(f"Learner {lr_id}, unit {unit_id}: no such learner or unit.")
            continue
        where = f"{learner}, Unit {unit.number} {unit.title}"
        if lr_id not in registered:
            problems.append(f"{where}: {learner} is not registered (or is withdrawn) on {cohort}.")
        if unit.qualification_id != cohort.qualification_id:
            problems.append(f"{where}: the unit is not in {cohort.qualification}.")
        elif unit.assessment != Unit.Assessment.EXTERNAL:
            problems.append(f"{where}: the unit is internally assessed, not external.")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        live = set(
            ExternalEntry.objects.filter(
                learner__in=list(learners), series=series.name, withdrawn_at__isnull=True
            ).values_list("learner_id", "unit_id")
        )
        now = timezone.now()
        late = lateness != "on_time"
        entries = [
            ExternalEntry(
                learner=learners[lr],
                cohort=cohort,
                unit=units[u],
                academic_year=academic_year,
                series=series.name,
                late=late,
                late_fee=series.late_fee if late else "",
                entered_by=by,
                entered_at=now,
            )
            for lr, u in dict.fromkeys(pairs)
            if (lr, u) not in live
        ]
        try:
            with transaction.atomic():
                ExternalEntry.objects.bulk_create(entries)
        except IntegrityError:
            raise ValidationError(
                "Someone else made entries for this series while you were doing so. Nothing "
                "was entered: reload the page and try again."
            ) from None
        with audit.batch():
            for entry in entries:
                audit.record(
                    by,
                    events.EXTERNAL_ENTERED,
                    entry,
                    after={"series": entry.series, "late": entry.late, "cohort": str(cohort)},
                )
    return entries


def withdraw_entry(entry: ExternalEntry, *, by) -> ExternalEntry:
    """Withdraw an external entry; kept, with who and when; audited."""
    from workflow.steps import step

    def change(locked):
        if locked.withdrawn_at is not None:
            raise ValidationError(f"{locked.learner}'s entry for {locked} is already withdrawn.")
        if ExternalResult.objects.filter(
            learner_id=locked.learner_id, unit_id=locked.unit_id, series=locked.series, current=True
        ).exists():
            raise ValidationError(
                f"{locked.learner}'s entry for {locked} has a result from Pearson already: "
                "it was sat, so it cannot be withdrawn."
            )
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), by
        return {"series": locked.series}

    return step(
        entry,
        by=by,
        action=events.EXTERNAL_ENTRY_WITHDRAWN,
        permission=MAKE_EXTERNAL_ENTRIES,
        change=change,
        related=("learner", "unit"),
    )


def entries_with_results(entries):
    """Each entry with its imported result (or None), earlier results of the same unit (a
    resit's history), and the imported results that have no entry (warnings): 2 queries."""
    entries = list(entries)
    learner_ids = {e.learner_id for e in entries}
    results = list(
        ExternalResult.objects.filter(learner__in=learner_ids, current=True).select_related(
            "unit", "learner"
        )
    )
    by_key = {(r.learner_id, r.unit_id, r.series): r for r in results}
    rows = []
    entered = set()
    for e in entries:
        key = (e.learner_id, e.unit_id, e.series)
        entered.add(key)
        earlier = [
            r
            for r in results
            if r.learner_id == e.learner_id and r.unit_id == e.unit_id and r.series != e.series
        ]
        rows.append((e, by_key.get(key), earlier))
    unmatched = [r for k, r in by_key.items() if k not in entered]
    return rows, unmatched


HEADINGS = [
    "Centre number",
    "Candidate number",
    "UCI",
    "ULN",
    "Surname",
    "Forenames",
    "Date of birth",
    "Unit/entry code",
    "Series",
]


def entries_file(entries) -> bytes:
    """The series' live entries laid out for keying into Edexcel Online."""
    rows = [
        [
            e.learner.centre.number,
            e.learner.candidate_number,
            e.learner.uci or "",
            e.learner.uln or "",
            e.learner.last_name.upper(),
            e.learner.first_name.upper(),
            e.learner.date_of_birth.strftime("%d/%m/%Y"),
            e.unit.number,
            e.series,
        ]
        for e in entries
        if e.withdrawn_at is None
    ]
    return xlsx_bytes([("Entries", HEADINGS, rows)])
