"""What verification counts for the governors' annual report (centres/measures.py):
IV coverage, standardisation, and Pearson's SV outcomes (a status that lets claims
proceed, `"claims": "clear"` in sv_config.json, is released)."""

from django.db.models import Count, Q

from centres.measures import register_measure, register_years, tally, years_in

from .models_sampling import IVPlan, IVRecord, SampleItem
from .models_standardisation import StandardisationRecord
from .models_sv import SVVisit, sv_config


def iv_counts(centre_ids, years):
    rows = (
        SampleItem.objects.filter(
            plan__cohort__centre_id__in=centre_ids, plan__academic_year__in=years
        )
        .values("plan__cohort__centre_id", "plan__academic_year")
        .annotate(
            sampled=Count("pk"),
            decided=Count("pk", filter=Q(iv_record__isnull=False)),
            complete=Count(
                "pk",
                filter=Q(iv_record__outcome=IVRecord.Outcome.AGREE)
                | Q(iv_record__closed_at__isnull=False),
            ),
        )
        .order_by()
    )
    return tally(
        rows, "plan__cohort__centre_id", "plan__academic_year", ("sampled", "decided", "complete")
    )


for order, (part, label) in enumerate(
    (
        ("sampled", "Items sampled for internal verification"),
        ("decided", "Sampled items with an IV decision"),
        ("complete", "IV records complete (agreed, or action closed)"),
    )
):
    register_measure(
        f"verification.iv_{part}",
        label,
        "Internal verification",
        iv_counts,
        order=order,
        part=part,
    )


def standardisation_counts(centre_ids, years):
    rows = (
        StandardisationRecord.objects.filter(centre_id__in=centre_ids, academic_year__in=years)
        .values("centre_id", "academic_year")
        .annotate(
            activities=Count("pk", filter=Q(kind=StandardisationRecord.Kind.ACTIVITY)),
            training=Count("pk", filter=Q(kind=StandardisationRecord.Kind.PEARSON_TRAINING)),
        )
        .order_by()
    )
    return tally(rows, "centre_id", "academic_year", ("activities", "training"))


register_measure(
    "verification.standardisation",
    "Standardisation activities recorded",
    "Internal verification",
    standardisation_counts,
    order=10,
    part="activities",
)
register_measure(
    "verification.pearson_training",
    "Pearson standardisation training (Lead IV)",
    "Internal verification",
    standardisation_counts,
    order=11,
    part="training",
)


def sv_counts(centre_ids, years):
    released = Q(pk__in=[])
    pending = Q(pk__in=[])
    for year in years:
        statuses = sv_config(year).statuses
        clear = [s.code for s in statuses if s.claims == "clear"]
        action = [s.code for s in statuses if s.needs_action]
        released |= Q(academic_year=year, status__in=clear)
        pending |= Q(academic_year=year, status__in=action)
    rows = (
        SVVisit.objects.filter(cohort__centre_id__in=centre_ids, academic_year__in=years)
        .values("cohort__centre_id", "academic_year")
        .annotate(
            visits=Count("pk"),
            released=Count("pk", filter=released),
            first_sample=Count("pk", filter=released & Q(sample_number=1)),
            second_sample=Count("pk", filter=Q(sample_number=2)),
            pending=Count("pk", filter=pending),
        )
        .order_by()
    )
    return tally(
        rows,
        "cohort__centre_id",
        "academic_year",
        ("visits", "released", "first_sample", "second_sample", "pending"),
    )


for order, (part, label) in enumerate(
    (
        ("visits", "Cohorts under standards verification"),
        ("released", "SV reports released"),
        ("first_sample", "Released at the first sample"),
        ("second_sample", "Needed a second sample"),
        ("pending", "Certification pending (centre action required)"),
    )
):
    register_measure(
        f"verification.sv_{part}",
        label,
        "Standards verification",
        sv_counts,
        order=order,
        part=part,
    )


register_years(
    "verification.iv_plans",
    lambda ids: years_in(IVPlan.objects.filter(cohort__centre_id__in=ids), "academic_year"),
)
register_years(
    "verification.standardisation",
    lambda ids: years_in(StandardisationRecord.objects.filter(centre_id__in=ids), "academic_year"),
)
register_years(
    "verification.sv",
    lambda ids: years_in(SVVisit.objects.filter(cohort__centre_id__in=ids), "academic_year"),
)
