from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import scope
from accounts.roles import STAFF_ROLES

from .models import ArrangementPartner, Centre, CollaborativeArrangement, QualificationApproval
from .permissions import VIEW_ARRANGEMENTS, VIEW_REPORTS


def centre_summaries(user):
    """Per centre: learners on roll, programmes, open and overdue actions. One query."""
    today = timezone.localdate()
    return (
        scope(user, VIEW_REPORTS, Centre.objects.filter(is_active=True))
        .annotate(
            learners_on_roll=Count("learners", filter=Q(learners__on_roll=True), distinct=True),
            cohort_count=Count("cohorts", distinct=True),
            open_actions=Count("todos", filter=Q(todos__closed_at__isnull=True), distinct=True),
            overdue_actions=Count(
                "todos",
                filter=Q(todos__closed_at__isnull=True, todos__due_date__lt=today),
                distinct=True,
            ),
        )
        .order_by("name")
    )


def arrangement_staff(arrangement):
    """Active staff holding a role at the lead centre or a current partner centre."""
    centres = [
        arrangement.lead_centre_id,
        *arrangement.partners.current().values_list("centre_id", flat=True),
    ]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__centre_id__in=centres,
            role_assignments__role__in=list(STAFF_ROLES),
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def visible_arrangements(user):
    """Arrangements the user's centres lead or were invited into (the one layer decides)."""
    return scope(
        user, VIEW_ARRANGEMENTS, CollaborativeArrangement.objects.select_related("lead_centre")
    ).order_by("name")


def sharing(arrangement, partners, quals) -> list[dict]:
    """What is shared with each partner, qualification by qualification, and why not.

    One query whatever the size: the approvals of every centre involved.
    """
    centres = {arrangement.lead_centre_id} | {p.centre_id for p in partners}
    approved = set(
        QualificationApproval.objects.filter(
            centre_id__in=centres, qualification_id__in=[q.qualification_id for q in quals]
        ).values_list("centre_id", "qualification_id")
    )
    rows = []
    for p in partners:
        cells = []
        for aq in quals:
            if aq.withdrawn_on:
                state, why = False, "withdrawn from the arrangement"
            elif p.status != ArrangementPartner.Status.ACCEPTED:
                state, why = False, p.get_status_display().lower()
            elif (arrangement.lead_centre_id, aq.qualification_id) not in approved:
                state, why = False, "the lead centre has not recorded its Pearson approval"
            elif (p.centre_id, aq.qualification_id) not in approved:
                state, why = False, f"{p.centre.name} has not recorded its Pearson approval"
            else:
                state, why = True, "shared"
            cells.append({"aq": aq, "shared": state, "why": why})
        rows.append({"partner": p, "cells": cells})
    return rows


# --- the governors' annual report -------------------------------------------------------

REPORT_YEARS = 3


def report_years(last: str | None = None, count: int = REPORT_YEARS) -> list[str]:
    """The academic years the report shows, oldest first, ending with `last` (default: now)."""
    from btecqa.validators import academic_year_for

    last = last or academic_year_for(timezone.localdate())
    start = int(last[:4])
    return [f"{y}/{str(y + 1)[2:]}" for y in range(start - count + 1, start + 1)]


@dataclass
class MeasureRow:
    code: str
    label: str
    by_centre: list[tuple[Centre, list[int]]]  # one value per year
    totals: list[int]


@dataclass
class ReportSection:
    title: str
    rows: list[MeasureRow] = field(default_factory=list)

    def alt_text(self, years) -> str:
        parts = [
            f"{r.label}: " + ", ".join(f"{y} {v}" for y, v in zip(years, r.totals, strict=True))
            for r in self.rows
        ]
        return f"{self.title}, all centres shown, by year. " + "; ".join(parts) + "."


@dataclass
class AnnualReport:
    years: list[str]
    centres: list[Centre]
    sections: list[ReportSection]


def report_centres(user, perm=VIEW_REPORTS) -> list[Centre]:
    """The centres the report covers for this user: those `perm` lets them see. One query."""
    return list(scope(user, perm, Centre.objects.filter(is_active=True)).order_by("name", "pk"))


def report_year_choices(centres) -> list[str]:
    """The years the report may be chosen for, newest first: those any of these centres has
    records for (each app's registered source, centres/measures.py), and the current one.
    One query."""
    from btecqa.validators import academic_year_for

    from .measures import years_with_data

    current = academic_year_for(timezone.localdate())
    return sorted({current, *years_with_data([c.pk for c in centres])}, reverse=True)


def annual_report(
    user, perm=VIEW_REPORTS, *, last_year: str | None = None, centres=None
) -> AnnualReport:
    """Every registered measure for the centres `perm` lets the user see, year on year.

    One query for the centres (none when given them, from `report_centres`), then each
    measure's fixed number of aggregate queries: the same count whatever the number of
    centres, years or records. Counts only."""
    from .measures import all_measures, run_measures

    years = report_years(last_year)
    if centres is None:
        centres = report_centres(user, perm)
    counts = run_measures([c.pk for c in centres], years)
    sections: dict[str, ReportSection] = {}
    for m in all_measures():
        values = counts[m.code]
        by_centre = [(c, [int(values.get((c.pk, y), 0)) for y in years]) for c in centres]
        totals = [sum(v[i] for _, v in by_centre) for i in range(len(years))]
        section = sections.setdefault(m.section, ReportSection(m.section))
        section.rows.append(MeasureRow(m.code, m.label, by_centre, totals))
    return AnnualReport(years, centres, list(sections.values()))
