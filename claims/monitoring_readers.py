"""What claims reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): claims sent late (the counts are the governors' report's) and
claim lines whose internal units were not internally verified (the claims audit's own
internal-verification trace, audit_traces.py, read for the year's lines at once)."""

from __future__ import annotations

from policies.monitoring import Reading, register_reader

from .audit_traces import trace_internal_verification
from .config import claim_deadline
from .models_claims import Claim, ClaimLine
from .report_measures import SENT


def late_claims(ctx) -> Reading:
    """000-3.2.2: claims sent to Pearson after the year's claim deadline."""
    sent = ctx.measure("claims.submitted")
    if not sent:
        return Reading(evidenced=False)
    deadline = claim_deadline(ctx.academic_year)
    late = (
        Claim.objects.filter(centre=ctx.centre, academic_year=ctx.academic_year, status__in=SENT)
        .filter(submitted_on__gt=deadline)
        .select_related("cohort__qualification")
        .order_by("submitted_on", "pk")
    )
    exceptions = [
        f"{c.get_kind_display()} for {c.cohort.qualification.title} ({c.cohort.start_year} "
        f"cohort): sent {c.submitted_on:%d/%m/%Y}, after the claim deadline {deadline:%d/%m/%Y}"
        for c in late
    ]
    return Reading(
        counts=[("sent to Pearson", sent), ("by the deadline", ctx.measure("claims.on_time"))],
        exceptions=exceptions,
    )


def claims_without_iv(ctx) -> Reading:
    """000-3.1.6: each claim line's internal units internally verified when claimed."""
    lines = list(
        ClaimLine.objects.filter(
            claim__centre=ctx.centre, claim__academic_year=ctx.academic_year, claim__status__in=SENT
        )
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "last_name", "first_name", "claim__kind")
    )
    if not lines:
        return Reading(evidenced=False)
    traces = trace_internal_verification([pk for pk, *_ in lines])
    kinds = dict(Claim.Kind.choices)
    exceptions = [
        f"{last.upper()}, {first} ({kinds.get(kind, kind).lower()}): {traces[pk].text}"
        for pk, last, first, kind in lines
        if pk in traces and not traces[pk].ok
    ]
    return Reading(
        counts=[("claim lines", len(lines)), ("not internally verified", len(exceptions))],
        exceptions=exceptions,
    )


register_reader("000-3.2.2", "claims.late", "Claims sent to Pearson", late_claims, order=20)
register_reader(
    "000-3.1.6", "claims.iv", "Claim lines internally verified", claims_without_iv, order=20
)
