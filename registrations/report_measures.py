"""What the registrations app counts for the governors' annual report (centres/measures.py).

Pearson's deadline, late-fee bands and refund window come from the year's RegistrationYear
(registrations/calendar.py): one query for the years, then one aggregate for all of them.
A family's own deadline is not applied here: the year's deadline decides "on time".

Entries count what stands at Pearson: a registration sent and since withdrawn or transferred
was still an entry made (and its fee paid), but one Pearson deleted never was, and one taken
off the list before it was sent ("not entered") was never sent. Deleted registrations are
counted once, by the measure about them: deleted after the refund window.
"""

import datetime as dt

from django.db import models
from django.db.models import Count, ExpressionWrapper, F, Q

from centres.measures import register_measure, register_years, tally, years_in

from .calendar import fee_bands
from .models import EntryCheck, Registration, RegistrationRound, RegistrationYear

SECTION = "Registrations"
S = Registration.Status
# Sent to Pearson and still standing there (withdrawn and transferred included); not deleted.
SUBMITTED = (S.SUBMITTED, S.REGISTERED, S.WITHDRAWN, S.TRANSFERRED)


def _any(parts):
    q = Q(pk__in=[])
    for part in parts:
        q |= part
    return q


def registration_counts(centre_ids, years):
    rows = {y.academic_year: y for y in RegistrationYear.objects.filter(academic_year__in=years)}
    on_time, late, refund_missed = [], [], []
    for year, row in rows.items():
        in_year = Q(round__academic_year=year)
        on_time.append(in_year & Q(submitted_on__lte=row.registration_deadline))
        late_from = [b.starts for b in fee_bands(row) if b.multiplier != 1]
        if late_from:
            late.append(in_year & Q(submitted_on__gte=min(late_from)))
        window = ExpressionWrapper(
            F("registered_on") + dt.timedelta(days=row.refund_window_days),
            output_field=models.DateField(),
        )
        refund_missed.append(in_year & Q(ended_on__gt=window))
    # The status first: the database stops there for most rows, before the date arithmetic.
    entered, deleted = Q(status__in=SUBMITTED), Q(status=S.DELETED)
    result = (
        Registration.objects.filter(
            centre_id__in=centre_ids,
            round__academic_year__in=years,
            submitted_on__isnull=False,
            status__in=(*SUBMITTED, S.DELETED),
        )
        .values("centre_id", "round__academic_year")
        .annotate(
            submitted=Count("pk", filter=entered),
            on_time=Count("pk", filter=entered & _any(on_time)),
            late_fee=Count("pk", filter=entered & _any(late)),
            refund_missed=Count("pk", filter=deleted & _any(refund_missed)),
        )
        .order_by()
    )
    return tally(
        result,
        "centre_id",
        "round__academic_year",
        ("submitted", "on_time", "late_fee", "refund_missed"),
    )


for order, (part, label) in enumerate(
    (
        ("submitted", "Registrations sent to Pearson"),
        ("on_time", "Registered by Pearson's deadline"),
        ("late_fee", "Registrations paying a late fee"),
        ("refund_missed", "Deleted after the refund window (refund missed)"),
    )
):
    register_measure(
        f"registrations.{part}", label, SECTION, registration_counts, order=order, part=part
    )


def entry_check_counts(centre_ids, years):
    """Per entry check: discrepancies caught, caught by the centre's deadline, and whether the
    check was closed by its deadline (taken from the CentreCalendar when it was started)."""
    checks = (
        EntryCheck.objects.filter(round__centre_id__in=centre_ids, round__academic_year__in=years)
        .values("round__centre_id", "round__academic_year")
        .annotate(
            checks=Count("pk", distinct=True),
            closed_on_time=Count("pk", filter=Q(closed_at__date__lte=F("deadline")), distinct=True),
            caught=Count("discrepancies", distinct=True),
            caught_on_time=Count(
                "discrepancies",
                filter=Q(discrepancies__found_at__date__lte=F("deadline")),
                distinct=True,
            ),
        )
        .order_by()
    )
    return tally(
        checks,
        "round__centre_id",
        "round__academic_year",
        ("caught", "caught_on_time", "closed_on_time"),
    )


for order, (part, label) in enumerate(
    (
        ("caught", "Entry-check discrepancies caught"),
        ("caught_on_time", "Discrepancies caught by the entry-check deadline"),
        ("closed_on_time", "Entry check closed by its deadline"),
    )
):
    register_measure(
        f"registrations.check_{part}",
        label,
        "Entry check",
        entry_check_counts,
        order=order,
        part=part,
    )


register_years(
    "registrations.rounds",
    lambda centre_ids: years_in(
        RegistrationRound.objects.filter(centre_id__in=centre_ids), "academic_year"
    ),
)
