"""The demo's retention: one learner's hand-in due for disposal, another's on legal hold.

Certification is not yet wired to the retention clocks, so the demo lists the two items
as the nightly sweep would once the certificates' arrival is known (12 weeks after it),
then the Quality Nominee places a legal hold (an appeal) through the real service. A
second load finds the items and stops.
"""

import datetime as dt


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    from assessment.models import Submission
    from retention import services
    from retention.models import RetentionItem

    lead = centres["lead"]
    subs = list(
        Submission.objects.filter(learner__centre=lead)
        .order_by("pk")
        .values_list("pk", "learner_id")[:2]
    )
    if len(subs) < 2 or RetentionItem.objects.filter(centre=lead).exists():
        return 0
    arrived = today - dt.timedelta(weeks=13)
    items = [
        RetentionItem.objects.create(
            kind="assessment.submission",
            object_id=pk,
            centre=lead,
            learner_id=learner_id,
            label=f"Learner's hand-in #{pk}",
            clock_started_on=arrived,
            due_on=arrived + dt.timedelta(weeks=12),
        )
        for pk, learner_id in subs
    ]
    services.place_hold(
        by=users["qn"],
        reason="appeal",
        note="Learner appealed the assessment decision: keep the work until the appeal closes.",
        item=items[1],
    )
    return 2
