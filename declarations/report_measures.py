"""What declarations counts for the governors' annual report (centres/measures.py): was the
year's Annual Quality Declaration submitted to Pearson (1 yes, 0 no)."""

from django.db.models import Count, Q

from centres.measures import register_measure, register_years, tally, years_in

from .models import QualityDeclaration


def declaration_counts(centre_ids, years):
    rows = (
        QualityDeclaration.objects.filter(centre_id__in=centre_ids, academic_year__in=years)
        .values("centre_id", "academic_year")
        .annotate(submitted=Count("pk", filter=Q(submitted_to_pearson_on__isnull=False)))
        .order_by()
    )
    return tally(rows, "centre_id", "academic_year", ("submitted",))


register_measure(
    "declarations.aqd_submitted",
    "Annual Quality Declaration submitted (1 = yes)",
    "Policies and declaration",
    declaration_counts,
    order=10,
    part="submitted",
)

register_years(
    "declarations.aqd",
    lambda ids: years_in(QualityDeclaration.objects.filter(centre_id__in=ids), "academic_year"),
)
