"""The demo's standards verification, told after the year's assessment.

Pearson allocates a standards verifier from mid-January. For the lead centre's first
cohort taught in the year, the Quality Nominee records the allocation (an invented
verifier), the Lead IV sends the assessment plans, the verifier names three learners with
a deadline in March, and the work is not all sent yet: the report stays "Not yet fully
sampled". Loaded after June, the work is sent and the report released. A second load
finds the visit and stops.
"""

import datetime as dt

VERIFIER = ("Dr Marguerite Tallis", "m.tallis@sv-demo.example.org", "07700 900461")


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from verification import services_sv
    from verification.models import SVVisit
    from verification.selectors_sv import cohort_learners

    spring = int(year[:4]) + 1
    allocated = dt.date(spring, 1, 20)
    if today <= allocated:
        return 0
    lead = centres["lead"]
    # A Nationals cohort in its second year (the 2022 Tech Awards are moderated instead).
    mine = sorted(
        (c for c in cohorts.values() if c.covers(year) and c.centre == lead),
        key=lambda c: (c.start_year == year, "Tech Award" in c.qualification.title, c.pk),
    )
    if not mine or SVVisit.objects.filter(cohort=mine[0], academic_year=year).exists():
        return 0
    cohort, qn, liv = mine[0], users["qn"], users["liv"]
    with clock.at(allocated, 11):
        visit = services_sv.record_allocation(
            cohort=cohort,
            academic_year=year,
            verifier_name=VERIFIER[0],
            verifier_email=VERIFIER[1],
            verifier_phone=VERIFIER[2],
            allocated_on=allocated,
            notes="Allocation e-mail from the verifier passed to the Lead IV.",
            by=qn,
        )
    sent = dt.date(spring, 2, 2)
    if today <= sent:
        return 1
    with clock.at(sent, 10):
        sample = services_sv.request_sample(
            visit, plans_sent_on=sent, deadline=dt.date(spring, 3, 12), by=liv
        )
    named = dt.date(spring, 2, 16)
    learners = list(cohort_learners(cohort)[:3])
    if today <= named or not learners:
        return 2
    with clock.at(named, 9):
        services_sv.name_learners(sample, learners=learners, named_on=named, by=liv)
    finished = dt.date(spring, 7, 1)
    if today <= finished:
        return 3  # part-way: the work is not all sent, "Not yet fully sampled"
    with clock.at(dt.date(spring, 3, 10), 15):
        services_sv.record_work_submitted(sample, submitted_on=dt.date(spring, 3, 10), by=liv)
    with clock.at(dt.date(spring, 4, 20), 12):
        services_sv.set_report_status(
            visit, status="released", report_received_on=dt.date(spring, 4, 20), by=qn
        )
    return 5
