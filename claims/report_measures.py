"""What claims counts for the governors' annual report (centres/measures.py): claims sent
to Pearson and those sent by the year's claim deadline (claims.config.claim_deadline).
Certificate exceptions are the certification app's to register."""

from django.db.models import Count, Q

from centres.measures import register_measure, register_years, tally, years_in

from .config import claim_deadline
from .models_claims import Claim

SENT = (Claim.Status.SUBMITTED, Claim.Status.SUPERSEDED)


def claim_counts(centre_ids, years):
    on_time = Q(pk__in=[])
    for year in years:
        on_time |= Q(academic_year=year, submitted_on__lte=claim_deadline(year))
    rows = (
        Claim.objects.filter(
            centre_id__in=centre_ids,
            academic_year__in=years,
            status__in=SENT,
            submitted_on__isnull=False,
        )
        .values("centre_id", "academic_year")
        .annotate(submitted=Count("pk"), on_time=Count("pk", filter=on_time))
        .order_by()
    )
    return tally(rows, "centre_id", "academic_year", ("submitted", "on_time"))


register_measure(
    "claims.submitted",
    "Claims sent to Pearson",
    "Claims and certificates",
    claim_counts,
    order=0,
    part="submitted",
)
register_measure(
    "claims.on_time",
    "Claims sent by the claim deadline",
    "Claims and certificates",
    claim_counts,
    order=1,
    part="on_time",
)

register_years(
    "claims.claims",
    lambda ids: years_in(Claim.objects.filter(centre_id__in=ids), "academic_year"),
)
