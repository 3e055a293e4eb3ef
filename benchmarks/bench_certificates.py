"""Certificates: import and check 5,000 certificate rows (XLSX) against 5,000 claim lines.

Figure: read and check the file (tabular), then write the batch and check every
certificate against the submitted claims (one audit event per certificate, one exception
and to-do per difference: 1 in 50 has an award grade that differs). Floor: openpyxl's
read of the same file plus one bulk_create of 5,000 plain certificate rows. Each run is
rolled back, so every run starts from the same claims.
"""

from __future__ import annotations

import datetime as dt
import io

from django.db import transaction
from openpyxl import Workbook, load_workbook

from .bench_learners import _centre, _officer
from .harness import best_time, seconds

N = 5_000
QN = "603/0001/9"


def _uln(n: int) -> str:
    while True:
        prefix = f"{500000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        n += 10_000_000


def _setup():
    from claims.models import Claim, ClaimLine, ClaimUnit
    from learners.models import Cohort, Learner
    from qualifications.models import Qualification, Unit

    centre = _centre(("73001", "Bench Certificates College"))
    user = _officer("bench.certificates", centre)
    q, _ = Qualification.objects.get_or_create(
        number=QN, defaults={"title": "Bench Extended Certificate", "level": "3", "glh": 360}
    )
    units = [
        Unit.objects.get_or_create(
            qualification=q,
            number=str(n),
            defaults={"title": f"Unit {n}", "glh": 60, "assessment": "internal"},
        )[0]
        for n in (1, 2, 3)
    ]
    cohort, _ = Cohort.objects.get_or_create(qualification=q, centre=centre, start_year="2025/26")
    learners = Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"Jo{i}",
                last_name="Bench",
                date_of_birth=dt.date(2008, 1, 1),
                sex="F",
                uln=_uln(i),
            )
            for i in range(N)
        ],
        batch_size=1000,
    )
    claim = Claim.objects.create(
        centre=centre,
        cohort=cohort,
        academic_year="2026/27",
        kind=Claim.Kind.FINAL,
        status=Claim.Status.SUBMITTED,
        created_by=user,
        submitted_on=dt.date(2027, 5, 1),
    )
    lines = ClaimLine.objects.bulk_create(
        [
            ClaimLine(
                claim=claim,
                learner=lr,
                qualification=q,
                uln=lr.uln,
                last_name=lr.last_name,
                first_name=lr.first_name,
                date_of_birth=lr.date_of_birth,
                award_grade="M",
            )
            for lr in learners
        ],
        batch_size=1000,
    )
    ClaimUnit.objects.bulk_create(
        [ClaimUnit(line=ln, unit=u, grade="M") for ln in lines for u in units], batch_size=2000
    )
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Certificate number",
            "ULN",
            "Surname",
            "Forenames",
            "Date of birth",
            "Qualification number",
            "Award grade",
            "Units",
        ]
    )
    for i, lr in enumerate(learners):
        grade = "D" if i % 50 == 0 else "M"
        ws.append(
            [f"B{i:07d}", lr.uln, "BENCH", f"JO{i}", "01/01/2008", QN, grade, "1 M; 2 M; 3 M"]
        )
    out = io.BytesIO()
    wb.save(out)
    return centre, user, out.getvalue()


def bench_import(table, _events: int) -> None:
    from certification import services_import
    from certification.models import Certificate, CertificateBatch

    centre, user, data = _setup()

    def figure():
        with transaction.atomic():
            preview = services_import.read_certificates_file(data, centre, file_name="c.xlsx")
            assert preview.ok, preview.problems[:3]
            batch = services_import.write_certificates(
                preview, centre, by=user, received_on=dt.date(2027, 6, 1), file_name="c.xlsx"
            )
            made = batch.certificates.count()
            exceptions = batch.exceptions.count()
            transaction.set_rollback(True)
        assert exceptions == N // 50, exceptions
        return made

    def floor():
        with transaction.atomic():
            wb = load_workbook(io.BytesIO(data), read_only=True)
            rows = list(wb.active.iter_rows(min_row=2, values_only=True))
            batch = CertificateBatch.objects.create(
                centre=centre, received_on=dt.date(2027, 6, 1), recorded_by=user, how="imported"
            )
            made = Certificate.objects.bulk_create(
                [
                    Certificate(
                        batch=batch,
                        certificate_number=r[0],
                        uln=r[1],
                        surname=r[2],
                        forenames=r[3],
                        qualification_number=r[5],
                        award_grade=r[6],
                        received_on=batch.received_on,
                    )
                    for r in rows
                ],
                batch_size=1000,
            )
            transaction.set_rollback(True)
        return len(made)

    figure()  # warm-up
    t_figure, made = best_time(figure, repeats=2)
    t_floor, plain = best_time(floor, repeats=2)
    assert made == plain == N
    table.row(
        f"certificates.import {N:,} rows",
        t_figure,
        t_floor,
        seconds,
        floor_is="openpyxl read + 1 bulk insert",
        goal=2,
        note="read, check, write, reconcile against 5,000 claim lines, audit each",
    )
