"""The demo's certification claims, told last in the year's story.

For the lead centre's first-year cohorts, the exams officer reads each one's interim claim
readiness: the first with learners ready for an interim claim is claimed for their
finished units, approved by the programme leader and by the exams officer (two different
invented people, each re-entering their password) and submitted with an invented Pearson
reference. The other cohorts stay partly ready, their blockers on the readiness page. A
second load finds the claim and stops.
"""

import datetime as dt

REFERENCE = "DEMO-CLAIM-0001"


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from accounts.roles import Role
    from btecqa.demo import DEMO_PASSWORD
    from claims import services_claims
    from claims.models import Claim
    from claims.selectors import claim_readiness
    from signatures.services import current_sha256

    lead = centres["lead"]
    mine = sorted(
        (
            c
            for c in cohorts.values()
            if c.start_year == year and c.centre == lead  # this year's intake: year-1 units
        ),
        key=lambda c: c.pk,
    )
    if not mine or Claim.objects.filter(cohort__in=mine).exists():
        return 0
    eo, pl = users["eo"], users["pl"]
    for cohort in mine:
        if cohort.leader_id not in (None, pl.pk):
            continue
        r = claim_readiness(cohort, year, interim=True, today=today)
        if not any(services_claims.claimable(x, Claim.Kind.INTERIM) for x in r.learners):
            continue
        with clock.at(today - dt.timedelta(days=2), 10):
            claim = services_claims.prepare_claim(
                cohort, Claim.Kind.INTERIM, eo, academic_year=year, today=today
            )
        for who, role in ((pl, Role.PROGRAMME_LEADER), (eo, Role.EXAMS_OFFICER)):
            with clock.at(today - dt.timedelta(days=1), 11 if who == pl else 14):
                claim.refresh_from_db()
                claim = services_claims.approve_claim(
                    claim,
                    who,
                    role=role,
                    password=DEMO_PASSWORD,
                    seen_sha256=current_sha256(claim),
                )
        with clock.at(today, 9):
            services_claims.make_claim_file(claim, eo, "xlsx")
            services_claims.submit_claim(claim, eo, submitted_on=today, pearson_reference=REFERENCE)
        return 1 + claim.lines.count()
    return 0
