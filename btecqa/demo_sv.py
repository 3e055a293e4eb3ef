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
        # Before this year's allocation the office still has last year's on record: the
        # cohort now in its second year, followed through a second sample to release.
        return _last_year(clock, centres=centres, cohorts=cohorts, users=users, year=year)
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


LAST_YEARS_VERIFIER = ("Mr Ansel Brightmoor", "a.brightmoor@sv-demo.example.org", "07700 900318")


def _last_year(clock, *, centres, cohorts, users, year) -> int:
    """Last year's standards verification of the cohort now in its second year: the first
    sample found the merit decisions on one assignment generous, so the report held
    certification ("Certification pending – centre action required"); the Lead IV's action
    was done, the second sample sent, and the report released in May."""
    from verification import services_sv
    from verification.models import SVVisit
    from verification.selectors_sv import cohort_learners

    start = int(year[:4]) - 1
    last = f"{start}/{str(start + 1)[-2:]}"
    spring = start + 1
    second_years = sorted(
        (c for c in cohorts.values() if c.centre == centres["lead"] and c.covers(last)),
        key=lambda c: ("Tech Award" in c.qualification.title, c.pk),
    )
    if not second_years:
        return 0
    cohort = second_years[0]
    if SVVisit.objects.filter(cohort=cohort, academic_year=last).exists():
        return 0
    learners = list(cohort_learners(cohort)[:6])
    if len(learners) < 6:
        return 0
    qn, liv = users["qn"], users["liv"]

    def at(month, day, hour=10):
        return clock.at(dt.date(spring, month, day), hour)

    with at(1, 21, 11):
        visit = services_sv.record_allocation(
            cohort=cohort,
            academic_year=last,
            verifier_name=LAST_YEARS_VERIFIER[0],
            verifier_email=LAST_YEARS_VERIFIER[1],
            verifier_phone=LAST_YEARS_VERIFIER[2],
            allocated_on=dt.date(spring, 1, 21),
            notes="Allocation e-mail passed to the Lead IV.",
            by=qn,
        )
    with at(2, 3):
        first = services_sv.request_sample(
            visit, plans_sent_on=dt.date(spring, 2, 3), deadline=dt.date(spring, 3, 13), by=liv
        )
    with at(2, 17, 9):
        services_sv.name_learners(
            first, learners=learners[:3], named_on=dt.date(spring, 2, 17), by=liv
        )
    with at(3, 11, 15):
        services_sv.record_work_submitted(first, submitted_on=dt.date(spring, 3, 11), by=liv)
    with at(4, 14, 12):
        action = services_sv.add_action(
            visit,
            description="Re-assess the merit decisions on the first assignment against the "
            "criteria, with the assessor, before the second sample",
            owner=liv,
            due_on=dt.date(spring, 4, 28),
            by=qn,
        )
        visit = services_sv.set_report_status(
            visit,
            status="certification_pending",
            report_received_on=dt.date(spring, 4, 14),
            by=qn,
        )
    with at(4, 27, 16):
        services_sv.close_action(
            action,
            note="Merit decisions re-assessed with the assessor; two changed, feedback rewritten.",
            by=liv,
        )
    with at(4, 29):
        second = services_sv.request_sample(
            visit, number=2, deadline=dt.date(spring, 5, 13), by=liv
        )
    with at(4, 30, 9):
        services_sv.name_learners(
            second, learners=learners[3:6], named_on=dt.date(spring, 4, 30), by=liv
        )
    with at(5, 12, 15):
        services_sv.record_work_submitted(second, submitted_on=dt.date(spring, 5, 12), by=liv)
    with at(5, 27, 12):
        services_sv.set_report_status(
            visit, status="released", report_received_on=dt.date(spring, 5, 27), by=qn
        )
    return 1
