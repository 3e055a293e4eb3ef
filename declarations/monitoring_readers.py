"""What declarations reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): the year's Annual Quality Declaration (the count is the
governors' report's), and the declaration's own checklist items where they read the
records (checks.py): briefs, approvals, the lead centre, arrangement reviews and the
changes Pearson must be told of, each item's gaps the clause's exceptions. The checklist's
shared reads (arrangements, Lead IV rows) are made once, on the report's context."""

from __future__ import annotations

from policies.monitoring import Reading, register_reader

from . import checks
from .models import QualityDeclaration


def declaration(ctx) -> Reading:
    """000-3.1.12: the year's declaration confirmed by the head and submitted to Pearson."""
    found = QualityDeclaration.objects.filter(
        centre=ctx.centre, academic_year=ctx.academic_year
    ).first()
    submitted = ctx.measure("declarations.aqd_submitted")
    counts = [("submitted to Pearson", submitted)]
    if found is None:
        return Reading(
            counts=counts,
            exceptions=[f"No Annual Quality Declaration for {ctx.academic_year} is kept"],
        )
    exceptions = []
    if found.status != QualityDeclaration.Status.CONFIRMED:
        exceptions.append(
            f"The {ctx.academic_year} declaration is {found.get_status_display().lower()}"
        )
    if not found.submitted_to_pearson_on:
        exceptions.append(f"The {ctx.academic_year} declaration is not submitted to Pearson")
    return Reading(counts=counts, exceptions=exceptions)


def from_check(function):
    """A declaration checklist item as a reader: its evidence counted, its gaps the
    exceptions; an item that found neither (it only says 'confirm by hand', or the records
    hold nothing for it this year) reads nothing, never "held" for want of looking."""

    def reader(ctx) -> Reading:
        finding = function(ctx.check_context)
        if not finding.evidence and not finding.gaps:
            return Reading(evidenced=False)
        return Reading(counts=[("records", len(finding.evidence))], exceptions=list(finding.gaps))

    return reader


register_reader("000-3.1.12", "declarations.aqd", "Annual Quality Declaration", declaration)
for clause, code, title, function in (
    ("000-3.1.1", "declarations.briefs", "Briefs internally verified", checks._briefs),
    ("000-3.1.2", "declarations.approvals", "Pearson approvals", checks._approvals),
    ("000-3.1.3", "declarations.lead_centre", "Lead centre", checks._lead_centre),
    ("000-3.1.9", "declarations.reviews", "Arrangement reviews", checks._reviews),
    ("000-3.1.14", "declarations.tell_pearson", "Pearson told of changes", checks._tell_pearson),
):
    register_reader(clause, code, title, from_check(function))
