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
    for row in rows:
        row["missing"] = bool(row["cohorts"]) and row["appointment"] is None
    return rows
