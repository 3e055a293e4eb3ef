"""What the policy register counts for the governors' annual report (centres/measures.py):
reviews in the year (a version after the first), and those made by the date the previous
version said the next review was due."""

from django.db.models import Count, F, OuterRef, Q, Subquery

from centres.measures import (
    date_years_in,
    register_measure,
    register_years,
    tally,
    year_end,
    year_of,
    year_start,
)

from .models import PolicyVersion


def review_counts(centre_ids, years):
    if not years:
        return {}
    due = PolicyVersion.objects.filter(
        policy_id=OuterRef("policy_id"), number=OuterRef("number") - 1
    ).values("next_review")[:1]
    rows = (
        PolicyVersion.objects.filter(
            policy__centre_id__in=centre_ids,
            number__gt=1,
            reviewed_on__range=(min(map(year_start, years)), max(map(year_end, years))),
        )
        .annotate(year=year_of("reviewed_on", years), due=Subquery(due))
        .values("policy__centre_id", "year")
        .annotate(reviews=Count("pk"), on_time=Count("pk", filter=Q(reviewed_on__lte=F("due"))))
        .order_by()
    )
    return tally(rows, "policy__centre_id", "year", ("reviews", "on_time"))


register_measure(
    "policies.reviews",
    "Policy reviews done",
    "Policies and declaration",
    review_counts,
    order=0,
    part="reviews",
)
register_measure(
    "policies.reviews_on_time",
    "Policy reviews done by their due date",
    "Policies and declaration",
    review_counts,
    order=1,
    part="on_time",
)

register_years(
    "policies.reviews",
    lambda ids: date_years_in(
        PolicyVersion.objects.filter(policy__centre_id__in=ids, number__gt=1), "reviewed_on"
    ),
)
