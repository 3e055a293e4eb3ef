"""Tech Awards (2022): the shipped Tech Award, its series, and Pearson Set Assignment marks.

Components 1 and 2 are Pearson Set Assignments, marked by the centre with raw marks and
externally moderated; Component 3 is external (domain.md §2.2). Each learner's internal
component is entered in the series in which its PSA is completed (Dec/Jan or May/June):
a ComponentMark holds the raw mark and the component grade (L1P..L2D, U below L1P) that
the series' configured boundaries give. The boundaries change every series and are data
(qualifications.SeriesComponent / ComponentBoundary, edited in the admin), never
constants here; with none configured the grade is refused, by name, not guessed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction

import audit
from qualifications import catalogue
from qualifications.models import AssessmentSeries, ComponentGrade, SeriesComponent, Unit

from . import events_tracking as events
from .models import ComponentMark

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


def record_component_mark(learner, cohort, component: SeriesComponent, raw_mark: int, *, by):
    """Enter (or correct) a learner's raw mark for a component in a series; audited."""
    from registrations.models import Registration

    if component.series.qualification_id != cohort.qualification_id:
        raise ValidationError(f"{component.series} is not a series of {cohort.qualification}.")
    if not Registration.objects.filter(
        learner=learner, cohort=cohort, status__in=Registration.ACTIVE
    ).exists():
        raise ValidationError(f"{learner} is not registered on {cohort}.")
    grade = grade_for_mark(component, raw_mark)
    with transaction.atomic():
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
