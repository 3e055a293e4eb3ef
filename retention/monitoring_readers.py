"""What retention reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): policy 000-3.1.10, assessment evidence and QA documentation kept
as Pearson requires, from the centre's own retention items (its copy of each record the
nightly sweep listed as due, services.py) and its legal holds.

Named as exceptions: a record due for disposal that the Quality Nominee neither approved
nor held within the year's grace (clocks.decision_grace_days, yearly configuration); a
record disposed of in the year before its due date; a live legal hold with no review open,
or whose review is overdue. The items carry no personal details, and neither do the lines."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.utils import timezone

from policies.monitoring import Reading, register_reader

from . import events
from .clocks import decision_grace_days
from .models import LegalHold, RetentionItem

S = RetentionItem.Status


def _day(moment) -> dt.date:
    return timezone.localdate(moment)


def _end_of(day: dt.date) -> dt.datetime:
    """The first moment after `day`, local time."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def retention(ctx) -> Reading:
    """000-3.1.10: the year's disposals decided in time, none before its due date, and
    each live legal hold under review."""
    from todos.models import ToDo

    on = min(timezone.localdate(), ctx.year_end)
    start, end = _end_of(ctx.year_start - dt.timedelta(days=1)), _end_of(ctx.year_end)
    items = RetentionItem.objects.filter(centre=ctx.centre)
    tally = items.aggregate(
        listed=Count("pk"),
        fell_due=Count("pk", filter=Q(due_on__range=(ctx.year_start, ctx.year_end))),
        disposed=Count(
            "pk", filter=Q(status=S.DISPOSED, disposed_at__gte=start, disposed_at__lt=end)
        ),
        waiting=Count("pk", filter=Q(status=S.DUE)),
    )
    holds = list(
        LegalHold.objects.filter(
            centre=ctx.centre, lifted_at__isnull=True, placed_at__lt=_end_of(on)
        ).order_by("placed_at", "pk")
    )
    if not tally["listed"] and not holds:
        return Reading(evidenced=False)

    exceptions = []
    grace = decision_grace_days(ctx.academic_year)
    cutoff = on - dt.timedelta(days=grace)
    for item in items.filter(
        status=S.DUE, due_on__lt=cutoff, listed_at__lt=_end_of(cutoff - dt.timedelta(days=1))
    ).order_by("due_on", "kind", "object_id"):
        exceptions.append(
            f"{item.label}: due for disposal since {item.due_on:%d/%m/%Y}, neither approved "
            f"nor held within {grace} days"
        )
    for item in (
        items.filter(status=S.DISPOSED, disposed_at__gte=start, disposed_at__lt=end)
        .filter(disposed_at__date__lt=F("due_on"))
        .order_by("disposed_at", "pk")
    ):
        exceptions.append(
            f"{item.label}: disposed of {_day(item.disposed_at):%d/%m/%Y}, before its due "
            f"date {item.due_on:%d/%m/%Y}"
        )
    reviews = {
        target: due
        for target, due in ToDo.objects.filter(
            kind=events.REVIEW_HOLD,
            centre=ctx.centre,
            closed_at__isnull=True,
            target_type__app_label=LegalHold._meta.app_label,
            target_type__model=LegalHold._meta.model_name,
            target_id__in=[str(h.pk) for h in holds],
        ).values_list("target_id", "due_date")
    }
    for hold in holds:
        placed = f"{hold}, placed {_day(hold.placed_at):%d/%m/%Y}"
        if str(hold.pk) not in reviews:
            exceptions.append(f"{placed}: no review of it is open for the Quality Nominee")
        elif (due := reviews[str(hold.pk)]) and due < on:
            exceptions.append(f"{placed}: its review was due {due:%d/%m/%Y} and is not done")
    return Reading(
        counts=[
            ("fell due in the year", tally["fell_due"]),
            ("disposed of in the year", tally["disposed"]),
            ("awaiting a decision", tally["waiting"]),
            ("legal holds", len(holds)),
        ],
        exceptions=exceptions,
    )


register_reader("000-3.1.10", "retention.disposals", "Retention and disposal", retention)
