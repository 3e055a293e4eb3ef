"""What registrations reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py). The counts are the governors' report's (report_measures.py);
the exceptions name the registrations and discrepancies behind them."""

from __future__ import annotations

from policies.monitoring import Reading, register_reader

from .models import Discrepancy, EntryCheck, Registration, RegistrationYear
from .report_measures import SUBMITTED


def _name(learner) -> str:
    return f"{learner.last_name.upper()}, {learner.first_name}"


def late_registrations(ctx) -> Reading:
    """000-3.2.2: registrations sent to Pearson after the year's registration deadline."""
    sent = ctx.measure("registrations.submitted")
    if not sent:
        return Reading(evidenced=False)
    counts = [
        ("sent to Pearson", sent),
        ("by the deadline", ctx.measure("registrations.on_time")),
        ("paying a late fee", ctx.measure("registrations.late_fee")),
        ("refund missed", ctx.measure("registrations.refund_missed")),
    ]
    deadline = (
        RegistrationYear.objects.filter(academic_year=ctx.academic_year)
        .values_list("registration_deadline", flat=True)
        .first()
    )
    if deadline is None:
        return Reading(
            counts=counts,
            exceptions=[f"Pearson's registration deadline for {ctx.academic_year} is not loaded"],
        )
    late = (
        Registration.objects.filter(
            centre=ctx.centre,
            round__academic_year=ctx.academic_year,
            status__in=SUBMITTED,
            submitted_on__gt=deadline,
        )
        .select_related("learner", "cohort__qualification")
        .order_by("submitted_on", "learner__last_name", "pk")
    )
    exceptions = [
        f"{_name(r.learner)} ({r.cohort.qualification.title}): sent to Pearson "
        f"{r.submitted_on:%d/%m/%Y}, after the deadline {deadline:%d/%m/%Y}"
        for r in late
    ]
    return Reading(counts=counts, exceptions=exceptions)


def entry_check(ctx) -> Reading:
    """000-3.1.6: the entry check's discrepancies (each an inaccurate entry caught) and
    whether the check was closed by its deadline."""
    check = (
        EntryCheck.objects.filter(round__centre=ctx.centre, round__academic_year=ctx.academic_year)
        .order_by("pk")
        .first()
    )
    if check is None:
        return Reading(evidenced=False)
    counts = [
        ("discrepancies caught", ctx.measure("registrations.check_caught")),
        ("caught by the deadline", ctx.measure("registrations.check_caught_on_time")),
    ]
    exceptions = []
    if check.closed_at is None:
        exceptions.append(f"The entry check is not closed (deadline {check.deadline:%d/%m/%Y})")
    elif not ctx.measure("registrations.check_closed_on_time"):
        exceptions.append(
            f"The entry check was closed after its deadline ({check.deadline:%d/%m/%Y})"
        )
    for d in (
        Discrepancy.objects.filter(entry_check=check)
        .select_related("learner", "cohort__qualification")
        .order_by("found_at", "pk")
    ):
        exceptions.append(
            f"Entry check: {_name(d.learner)} ({d.cohort.qualification.title}), "
            f"{d.get_kind_display().lower()}: {d.detail} ({d.get_status_display().lower()})"
        )
    return Reading(counts=counts, exceptions=exceptions)


register_reader(
    "000-3.2.2", "registrations.late", "Registrations sent to Pearson", late_registrations
)
register_reader("000-3.1.6", "registrations.entry_check", "The entry check", entry_check)
