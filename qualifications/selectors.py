"""Reads of the catalogue that other apps share."""

from __future__ import annotations

from django.db.models import Prefetch

from .models import EligibilityRule, GradeThreshold, GradingTable, Qualification, UnitPoints


def grading_tables(qualification: Qualification, cohort_start_year: str | None):
    """The grading tables that apply to a cohort, read once (four queries, however used).

    Of each kind the table with the latest `from_cohort` not after the cohort's start year
    applies. With no start year (a page about the qualification, no cohort) the newest.
    """
    from .grading import Tables

    tables = GradingTable.objects.filter(qualification=qualification)
    if cohort_start_year:
        # "2020/21" <= "2026/27": academic years compare as text.
        tables = tables.filter(from_cohort__lte=cohort_start_year)
    tables = tables.order_by("kind", "-from_cohort").prefetch_related(
        Prefetch("unit_points", queryset=UnitPoints.objects.order_by("glh", "points")),
        Prefetch("thresholds", queryset=GradeThreshold.objects.order_by("min_points")),
        Prefetch("rules", queryset=EligibilityRule.objects.order_by("position", "pk")),
    )
    latest: dict[str, GradingTable] = {}
    for table in tables:
        table.qualification = qualification  # named in every caveat: no query each time
        latest.setdefault(table.kind, table)
    return Tables(
        qualification=qualification,
        cohort=cohort_start_year,
        unit_points=latest.get(GradingTable.Kind.UNIT_POINTS),
        thresholds=latest.get(GradingTable.Kind.THRESHOLDS),
        eligibility=latest.get(GradingTable.Kind.ELIGIBILITY),
    )
