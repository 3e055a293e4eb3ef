"""The demo's standardisation, told before the year's assessment plans.

In the September INSET the Lead IV standardises the lead centre's team on each
qualification taught there this year, with Pearson's materials, and records their own
Pearson standardisation training. The assessor attends for the first qualification only,
so the other plans warn that she has no standardisation record (a gap the office would
chase). A second load finds the records and stops.
"""

import datetime as dt


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from verification import services
    from verification.models import StandardisationRecord

    start = int(year[:4])
    held_on = dt.date(start, 9, 3)
    if today <= held_on:
        return 0
    lead = centres["lead"]
    if StandardisationRecord.objects.filter(centre=lead, academic_year=year).exists():
        return 0
    liv, grace = users["liv"], users["assessor"]
    quals = sorted(
        {c.qualification for c in cohorts.values() if c.covers(year) and c.centre == lead},
        key=lambda q: q.title,
    )
    created = 0
    with clock.at(held_on, 14):
        for n, qual in enumerate(quals):
            services.record_standardisation(
                centre=lead,
                qualification=qual,
                unit=None,
                academic_year=year,
                held_on=held_on,
                kind=StandardisationRecord.Kind.ACTIVITY,
                attendees=[liv, grace] if n == 0 else [liv],
                materials="Pearson's standardisation materials and exemplar work for the year",
                outcome="Grade lines agreed for each unit; an assessor's feedback sheet updated",
                by=liv,
            )
            services.record_standardisation(
                centre=lead,
                qualification=qual,
                unit=None,
                academic_year=year,
                held_on=held_on - dt.timedelta(days=2),
                kind=StandardisationRecord.Kind.PEARSON_TRAINING,
                attendees=[liv],
                materials="Pearson's online Lead IV standardisation training",
                outcome="Completed; certificate kept by the Quality Nominee",
                by=liv,
            )
            created += 2
    return created
