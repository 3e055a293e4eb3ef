"""Reads for the monitoring report's pages: a fixed number of queries whatever the size."""

from __future__ import annotations

from accounts.permissions import scope

from .models_monitoring import MonitoringClause, PolicyMonitoringReport


def visible_reports(user, perm: str) -> list[PolicyMonitoringReport]:
    """Every version the user may read, by centre, newest year and version first."""
    return list(
        scope(user, perm, PolicyMonitoringReport.objects.select_related("centre")).order_by(
            "centre__name", "centre_id", "-academic_year", "-version"
        )
    )


def by_centre(reports) -> list[tuple[object, list]]:
    out: dict[int, tuple[object, list]] = {}
    for r in reports:
        out.setdefault(r.centre_id, (r.centre, []))[1].append(r)
    return list(out.values())


def report_clauses(report) -> list[MonitoringClause]:
    return list(report.clauses.select_related("action_by").order_by("position", "pk"))


def versions_of(report) -> list[PolicyMonitoringReport]:
    """The report's versions for its centre and year (one query)."""
    return list(
        PolicyMonitoringReport.objects.filter(
            centre_id=report.centre_id, academic_year=report.academic_year
        ).order_by("version")
    )
