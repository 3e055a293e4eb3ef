"""The demo's certificates: a batch of unit certificates with one difference, reported.

The lead centre's exams officer submitted an interim (unit) claim for two learners of the
first cohort at the start of November; Pearson's certificates arrived on the 20th, one of
them with a unit grade that differs from the claim, which the exams officer reported to
Pearson on the 23rd; loaded after 11 December, the amended certificate has arrived and
resolved it. The claim is made with the claims models directly: the claim workflow's
services are not on main yet. A second load finds the batch and stops.
"""

import datetime as dt


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    from certification import services
    from certification.models import CertificateBatch
    from claims.models import Claim, ClaimLine, ClaimUnit
    from registrations.models import Registration

    start = int(year[:4])
    claimed_on, received_on, reported_on = (
        dt.date(start, 11, 2),
        dt.date(start, 11, 20),
        dt.date(start, 11, 23),
    )
    lead = centres["lead"]
    if today <= received_on or CertificateBatch.objects.filter(centre=lead).exists():
        return 0
    eo = users["eo"]
    cohort = next(c for (key, _q, _y), c in cohorts.items() if key == "lead")
    units = list(cohort.qualification.units.filter(assessment="internal").order_by("sort_key")[:2])
    regs = list(
        Registration.objects.filter(cohort=cohort)
        .select_related("learner")
        .order_by("learner__last_name", "pk")[:2]
    )
    if len(units) < 2 or len(regs) < 2:
        return 0
    with clock.at(claimed_on, 14):
        claim = Claim.objects.create(
            centre=lead,
            cohort=cohort,
            academic_year=year,
            kind=Claim.Kind.INTERIM,
            status=Claim.Status.SUBMITTED,
            created_by=eo,
            submitted_on=claimed_on,
            submitted_by=eo,
            pearson_reference=f"EOL-{start}-0417",
        )
        for reg in regs:
            learner = reg.learner
            line = ClaimLine.objects.create(
                claim=claim,
                learner=learner,
                registration=reg,
                qualification=cohort.qualification,
                uln=learner.uln,
                last_name=learner.last_name,
                first_name=learner.first_name,
                date_of_birth=learner.date_of_birth,
                registration_number=reg.registration_number or "",
            )
            for unit in units:
                ClaimUnit.objects.create(line=line, unit=unit, grade="M")
    rows = []
    for i, reg in enumerate(regs):
        learner = reg.learner
        second = "P" if i == 0 else "M"  # Pearson printed a Pass for the first learner
        rows.append(
            {
                "certificate_number": f"{start % 100}0{4170 + i}",
                "uln": learner.uln,
                "registration_number": reg.registration_number or "",
                "surname": learner.last_name.upper(),
                "forenames": learner.first_name.upper(),
                "date_of_birth": learner.date_of_birth,
                "qualification_number": cohort.qualification.number,
                "award_grade": "",
                "units": [[units[0].number, "M"], [units[1].number, second]],
            }
        )
    with clock.at(received_on, 10):
        batch = services.new_batch(
            lead, received_on=received_on, by=eo, how=CertificateBatch.How.KEYED
        )
        services.record_certificates(batch, rows, by=eo)
    with clock.at(reported_on, 9):
        for exc in batch.exceptions.all():
            services.report_exception(
                exc, by=eo, reported_on=reported_on, reference=f"CAS-{start}-88231"
            )
    amended_on = dt.date(start, 12, 11)
    if today <= amended_on:
        return 1 + len(rows)
    # Pearson's amended certificate arrives and resolves the difference (and its to-do).
    fixed = dict(rows[0], certificate_number=f"{start % 100}0{4190}")
    fixed["units"] = [[units[0].number, "M"], [units[1].number, "M"]]
    with clock.at(amended_on, 10):
        later = services.new_batch(
            lead, received_on=amended_on, by=eo, how=CertificateBatch.How.KEYED
        )
        services.record_certificates(later, [fixed], by=eo)
    return 2 + len(rows) + 1
