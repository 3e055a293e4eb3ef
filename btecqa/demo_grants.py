"""The demo's Standards Verifier (domain.md 3.10), told after the year's assessment.

Pearson allocates the SV from mid-January; the Quality Nominee then gives them read-only
access to the cohort being sampled until the end of March. Before mid-January the demo
shows last year's grant, expired. A second load finds the grant and stops.
"""

import datetime as dt

SV = ("nadia.pemberton@pearson.example", "Nadia", "Pemberton")


def _shift(year: str, by: int) -> str:
    start = int(year[:4]) + by
    return f"{start}/{(start + 1) % 100:02d}"


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    from accounts.models import VerifierGrant
    from accounts.services_grants import grant_verifier_access

    lead = centres["lead"]
    if VerifierGrant.objects.filter(centre=lead).exists():
        return 0
    start = int(year[:4])
    granted_on = dt.date(start + 1, 1, 15)
    if today <= granted_on:
        granted_on = dt.date(start, 1, 15)  # last year's visit
    sampled_year = _shift(year, -1) if granted_on.year == start else year
    candidates = sorted(
        (
            c
            for c in cohorts.values()
            if c.centre_id == lead.pk and c.covers(sampled_year) and c.start_year < year
        ),
        key=lambda c: (c.start_year, c.qualification.title),
    )
    if not candidates:
        return 0
    with clock.at(granted_on, 11):
        grant_verifier_access(
            centre=lead,
            email=SV[0],
            first_name=SV[1],
            last_name=SV[2],
            cohorts=candidates[:1],
            expires_on=dt.date(granted_on.year, 3, 31),
            by=users["qn"],
            today=granted_on,
        )
    return 1
