"""Tech Awards (2022): the shipped Tech Award, its series, and Pearson Set Assignment marks.

Components 1 and 2 are Pearson Set Assignments, marked by the centre with raw marks and
externally moderated; Component 3 is external (domain.md §2.2). Each learner's internal
component is entered in the series in which its PSA is completed (Dec/Jan or May/June):
the exams officer enters the learners (a ComponentEntry, one live entry per learner and
component across the series) before any mark is taken for that series, and an entry is
withdrawn only while it has no mark. A ComponentMark holds the raw mark and the component
grade (L1P..L2D, U below L1P) that the series' configured boundaries give. The
boundaries change every series and are data (qualifications.SeriesComponent /
ComponentBoundary, edited in the admin), never constants here; with none configured the
grade is refused, by name, not guessed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object
from qualifications import catalogue
from qualifications.models import AssessmentSeries, ComponentGrade, SeriesComponent, Unit

from . import events_tracking as events
from .models import ComponentEntry, ComponentMark
from .permissions import ENTER_SERIES

TECH_AWARD_DIR = catalogue.CATALOGUE_DIR / "tech_award"


def load_shipped_tech_awards(actor=None, directory: Path = TECH_AWARD_DIR) -> list:
    """Create or update the shipped Tech Awards and their series; idempotent."""
    results = []
    with audit.batch():
        catalogue.ensure_shipped_families()
        for path in sorted(directory.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            structure, errors = catalogue._structure(catalogue._table_from_dict(data))
            if errors:
                raise ImproperlyConfigured(f"{path.name}: " + "; ".join(str(e) for e in errors))
            result = catalogue._apply(structure, actor)
            for s in data.get("series", []):
                AssessmentSeries.objects.update_or_create(
                    qualification=result.qualification,
                    academic_year=s["academic_year"],
                    window=s["window"],
                    defaults={
                        "marks_due": dt.date.fromisoformat(s["marks_due"]),
                        "source": s.get("source", ""),
                    },
                )
            results.append(result)
    return results


def internal_components(series: AssessmentSeries):
    return Unit.objects.filter(
        qualification_id=series.qualification_id, assessment=Unit.Assessment.INTERNAL
    ).order_by("sort_key")


def configure_component(
    series, unit, *, max_mark: int, boundaries: dict, source: str, unconfirmed: str
):
    """Set one component's raw-mark maximum and grade boundaries for a series (data)."""
    if (
        unit.assessment != Unit.Assessment.INTERNAL
        or unit.qualification_id != series.qualification_id
    ):
        raise ValidationError(f"Component {unit.number} is not an internal component of {series}.")
    with transaction.atomic():
        component, _ = SeriesComponent.objects.update_or_create(
            series=series,
            unit=unit,
            defaults={"max_mark": max_mark, "source": source, "unconfirmed": unconfirmed},
        )
        component.boundaries.all().delete()
        for grade, min_mark in boundaries.items():
            ComponentGrade(grade)
            if grade == ComponentGrade.U:
                continue
            component.boundaries.create(grade=grade, min_mark=min_mark)
    return component


def grade_for_mark(component: SeriesComponent, raw_mark: int) -> str:
    """The component grade a raw mark earns in the component's series."""
    if raw_mark < 0 or raw_mark > component.max_mark:
        raise ValidationError(
            f"{raw_mark} is not a mark for {component}: marks run from 0 to {component.max_mark}."
        )
    boundaries = sorted(component.boundaries.all(), key=lambda b: b.min_mark)
    if not boundaries:
        raise ValidationError(
            f"No grade boundaries for {component}: add them in the admin from Pearson's "
            "marks converter for the series."
        )
    grade = ComponentGrade.U.value
    for b in boundaries:
        if raw_mark >= b.min_mark:
            grade = b.grade
    return grade


def _registered(cohort):
    from registrations.models import Registration

    return Registration.objects.filter(cohort=cohort, status__in=Registration.ACTIVE)


def live_entries(learners, unit_ids=None):
    """The live (not withdrawn) entries of these learners, optionally for some units."""
    qs = ComponentEntry.objects.filter(learner__in=learners, withdrawn_at__isnull=True)
    if unit_ids is not None:
        qs = qs.filter(unit__in=unit_ids)
    return qs.select_related("component__series", "component__unit", "learner")


def enter_for_series(cohort, component: SeriesComponent, learners=None, *, by) -> list:
    """Enter learners for a Tech Award internal component in its series (the series in
    which the Pearson Set Assignment is completed); audited, one event per learner.

    By default the cohort's registered learners not yet entered for the component in any
    series. A learner named who is not registered on the cohort, or who is already entered
    for the component in another series (withdraw that entry first), is refused by name
    and nothing is entered; one already entered in this series is left as they are.
    Returns the new entries."""
    from learners.models import Learner

    require_object(by, ENTER_SERIES, cohort)
    if component.series.qualification_id != cohort.qualification_id:
        raise ValidationError(f"{component.series} is not a series of {cohort.qualification}.")
    registered = Learner.objects.filter(pk__in=_registered(cohort).values("learner_id")).order_by(
        "last_name", "first_name", "pk"
    )
    with transaction.atomic():
        if learners is None:
            chosen = list(
                registered.exclude(
                    component_entries__unit=component.unit_id,
                    component_entries__withdrawn_at__isnull=True,
                )
            )
        else:
            wanted = {lr.pk for lr in learners}
            chosen = list(registered.filter(pk__in=wanted))
            missing = wanted - {lr.pk for lr in chosen}
            problems = [
                f"{lr} is not registered on {cohort}."
                for lr in Learner.objects.filter(pk__in=missing).order_by("last_name", "pk")
            ]
            already = {
                e.learner_id: e
                for e in live_entries(
                    [lr.pk for lr in chosen], [component.unit_id]
                ).select_for_update(of=("self",))
            }
            for lr in chosen:
                entry = already.get(lr.pk)
                if entry is not None and entry.component_id != component.pk:
                    problems.append(
                        f"{lr} is already entered for Component {component.unit.number} in "
                        f"the {entry.component.series}: withdraw that entry first."
                    )
            if problems:
                raise ValidationError(problems)
            chosen = [lr for lr in chosen if lr.pk not in already]
        now = timezone.now()
        entries = [
            ComponentEntry(
                learner=lr,
                cohort=cohort,
                component=component,
                unit_id=component.unit_id,
                entered_by=by,
                entered_at=now,
            )
            for lr in chosen
        ]
        try:
            with transaction.atomic():
                ComponentEntry.objects.bulk_create(entries)
        except IntegrityError:  # entered by someone else since this began
            raise ValidationError(
                f"Someone else entered learners for Component {component.unit.number} while "
                "you were doing so. Nothing was entered: reload the page and try again."
            ) from None
        with audit.batch():
            for entry in entries:
                audit.record(
                    by,
                    events.COMPONENT_ENTERED,
                    entry,
                    after={"series": str(component.series), "cohort": str(cohort)},
                )
    return entries


def withdraw_entry(entry: ComponentEntry, *, by) -> ComponentEntry:
    """Withdraw a learner's series entry, while no mark is recorded for it; audited."""
    from workflow.steps import step

    def change(locked):
        if locked.withdrawn_at is not None:
            raise ValidationError(f"{locked.learner}'s entry for {locked} is already withdrawn.")
        if ComponentMark.objects.filter(
            learner_id=locked.learner_id, component_id=locked.component_id
        ).exists():
            raise ValidationError(
                f"{locked.learner} has a mark recorded for {locked}: an entry with a mark "
                "cannot be withdrawn."
            )
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), by
        return {"series": str(locked.component.series)}

    return step(
        entry,
        by=by,
        action=events.COMPONENT_ENTRY_WITHDRAWN,
        permission=ENTER_SERIES,
        change=change,
        related=("learner", "component__series", "component__unit"),
    )


def record_component_mark(learner, cohort, component: SeriesComponent, raw_mark: int, *, by):
    """Enter (or correct) a learner's raw mark for a component in a series; audited. The
    learner must be entered for the component in that series."""
    if component.series.qualification_id != cohort.qualification_id:
        raise ValidationError(f"{component.series} is not a series of {cohort.qualification}.")
    if not _registered(cohort).filter(learner=learner).exists():
        raise ValidationError(f"{learner} is not registered on {cohort}.")
    grade = grade_for_mark(component, raw_mark)
    with transaction.atomic():
        # The entry is locked so that it cannot be withdrawn while the mark goes in.
        entry = (
            ComponentEntry.objects.select_for_update()
            .filter(learner=learner, component=component, withdrawn_at__isnull=True)
            .first()
        )
        if entry is None:
            raise ValidationError(
                f"{learner} is not entered for {component}: the exams officer must enter "
                f"them for {component.series} first."
            )
        mark = (
            ComponentMark.objects.select_for_update()
            .filter(learner=learner, component=component)
            .first()
        )
        before = {"raw_mark": mark.raw_mark, "grade": mark.grade} if mark else None
        if mark is None:
            mark = ComponentMark(learner=learner, cohort=cohort, component=component)
        elif (mark.raw_mark, mark.grade) == (raw_mark, grade):
            return mark
        mark.raw_mark, mark.grade, mark.entered_by = raw_mark, grade, by
        mark.save()
        audit.record(
            by,
            events.COMPONENT_MARK_RECORDED,
            mark,
            before=before,
            after={
                "raw_mark": raw_mark,
                "grade": grade,
                "series": str(component.series),
                "unconfirmed": component.unconfirmed,
            },
        )
    return mark
