"""The governors' annual report (run.py: governors.report).

governors.report  annual_report() for a governor over three academic years x 2,000 learners
                  registered each year (6,000 registrations, a fifth sent late, some deleted;
                  an entry check a year with 200 discrepancies; 30 SV visits; 60 claims),
                  against the floor of the bare aggregate queries: one grouped Count per
                  source table, no per-year conditions. With its query count; then the PDF
                  (charts and tables) beside the report it prints, and the year picker's
                  one query for the years with records.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from benchmarks.harness import best_time, seconds

YEARS = ("2024/25", "2025/26", "2026/27")
LEARNERS = 2000


def _world():
    from django.contrib.auth import get_user_model

    from accounts.models import RoleAssignment
    from accounts.roles import Role
    from centres.models import Centre
    from claims.models_claims import Claim
    from learners.models import Cohort, Learner
    from qualifications.models import Qualification
    from registrations.models import (
        Discrepancy,
        EntryCheck,
        Registration,
        RegistrationRound,
        RegistrationYear,
    )
    from verification.models_sv import SVVisit

    centre = Centre.objects.create(number="79001", name="Benchmark Governors Academy")
    user = get_user_model().objects.create_user(
        "bench_governor", email="bench_governor@example.org", password="x"
    )
    RoleAssignment.objects.create(user=user, centre=centre, role=Role.GOVERNOR)
    staff = get_user_model().objects.create_user(
        "bench_gov_eo", email="bench_gov_eo@example.org", password="x"
    )
    for index, y in enumerate(YEARS):
        start = int(y[:4])
        RegistrationYear.objects.get_or_create(
            academic_year=y,
            defaults={
                "registration_deadline": dt.date(start, 11, 1),
                "fee_bands": [{"from": f"{start}-11-02", "multiplier": "1.05"}],
                "refund_window_days": 90,
            },
        )
        rnd = RegistrationRound.objects.create(centre=centre, academic_year=y, opened_by=staff)
        cohorts = []
        for i in range(10):
            q = Qualification.objects.create(
                title=f"Bench Governors Qualification {y} {i}",
                number=f"79{start % 100:02d}/{i:04d}/1",
                level="3",
                glh=360,
            )
            cohorts.append(Cohort.objects.create(qualification=q, centre=centre, start_year=y))
        learners = Learner.objects.bulk_create(
            Learner(
                centre=centre,
                first_name=f"Bench{n}",
                last_name=f"Governor{start}",
                date_of_birth=dt.date(2009, 1, 1),
                sex="F",
                candidate_number=f"{index * LEARNERS + n + 1:04d}",
            )
            for n in range(LEARNERS)
        )
        regs = []
        for n, learner in enumerate(learners):
            sent = dt.date(start, 11, 5) if n % 5 == 0 else dt.date(start, 10, 20)
            deleted = n % 50 == 0
            regs.append(
                Registration(
                    learner=learner,
                    cohort=cohorts[n % 10],
                    centre=centre,
                    round=rnd,
                    status="deleted" if deleted else "registered",
                    submitted_on=sent,
                    registered_on=sent,
                    ended_on=sent + dt.timedelta(days=100 if n % 100 else 30) if deleted else None,
                )
            )
        regs = Registration.objects.bulk_create(regs)
        check = EntryCheck.objects.create(
            round=rnd, deadline=dt.date(start, 10, 24), started_by=staff
        )
        Discrepancy.objects.bulk_create(
            Discrepancy(
                entry_check=check,
                kind="no_group",
                learner=r.learner,
                cohort=r.cohort,
                detail="Bench",
                found_by=staff,
            )
            for r in regs[:200]
        )
        SVVisit.objects.bulk_create(
            SVVisit(
                cohort=c,
                academic_year=y,
                route="standard",
                status="released" if i % 3 else "outstanding",
                created_by=staff,
            )
            for i, c in enumerate(cohorts)
        )
        Claim.objects.bulk_create(
            Claim(
                centre=centre,
                cohort=c,
                academic_year=y,
                status="submitted",
                submitted_on=dt.date(start + 1, 6 if i % 2 else 8, 1),
                created_by=staff,
            )
            for i, c in enumerate(cohorts * 2)
        )
    return user, centre


def _floor(centre_ids):
    """The same tables counted the simplest way: one grouped Count each."""
    from claims.models_claims import Claim
    from declarations.models import QualityDeclaration
    from policies.models import PolicyVersion
    from registrations.models import Discrepancy, Registration
    from verification.models_sampling import SampleItem
    from verification.models_standardisation import StandardisationRecord
    from verification.models_sv import SVVisit

    out = []
    for qs, keys in (
        (
            Registration.objects.filter(centre_id__in=centre_ids),
            ("centre_id", "round__academic_year"),
        ),
        (
            Discrepancy.objects.filter(entry_check__round__centre_id__in=centre_ids),
            ("entry_check__round__centre_id", "entry_check__round__academic_year"),
        ),
        (
            SampleItem.objects.filter(plan__cohort__centre_id__in=centre_ids),
            ("plan__cohort__centre_id", "plan__academic_year"),
        ),
        (
            StandardisationRecord.objects.filter(centre_id__in=centre_ids),
            ("centre_id", "academic_year"),
        ),
        (
            SVVisit.objects.filter(cohort__centre_id__in=centre_ids),
            ("cohort__centre_id", "academic_year"),
        ),
        (Claim.objects.filter(centre_id__in=centre_ids), ("centre_id", "academic_year")),
        (PolicyVersion.objects.filter(policy__centre_id__in=centre_ids), ("policy__centre_id",)),
        (
            QualityDeclaration.objects.filter(centre_id__in=centre_ids),
            ("centre_id", "academic_year"),
        ),
    ):
        out.append(list(qs.values(*keys).annotate(n=Count("pk")).order_by()))
    return out


def bench_report(table, _events: int) -> None:
    import time_machine

    from centres.documents import annual_report_pdf
    from centres.selectors import annual_report

    user, centre = _world()
    with time_machine.travel(dt.datetime(2027, 7, 20, 10, 0)):

        def figure():
            with CaptureQueriesContext(connection) as captured:
                report = annual_report(user)
            return report, len(captured)

        t, (report, queries) = best_time(figure, repeats=5)
        floor, _ = best_time(lambda: _floor([centre.pk]), repeats=5)
        rows = {r.code: r for s in report.sections for r in s.rows}
        on_time, sent = rows["registrations.on_time"], rows["registrations.submitted"]
        table.row(
            "governors.report 3 years x 2,000",
            t,
            floor,
            seconds,
            floor_is="bare grouped Counts",
            note=(
                f"{queries} queries; sent by year {sent.totals} (deleted left out), "
                f"on time {on_time.totals}; best of 5"
            ),
        )
        from centres.measures import all_measures

        each = {}
        for m in all_measures():
            if m.function not in each:
                each[m.function] = best_time(lambda m=m: m.function([centre.pk], list(YEARS)), 3)[0]
        slowest = sorted(each.items(), key=lambda kv: -kv[1])[:3]
        table.note(
            "slowest measures: "
            + ", ".join(f"{fn.__module__}.{fn.__name__} {seconds(t)}" for fn, t in slowest)
        )
        from centres.measures import years_with_data

        years_t, offered = best_time(lambda: years_with_data([centre.pk]), 5)
        table.note(
            f"the page's year picker: years with records {offered} in one query, {seconds(years_t)}"
        )
        pdf_t, pdf = best_time(lambda: annual_report_pdf(annual_report(user)), repeats=3)
        table.row(
            "governors.report PDF",
            pdf_t,
            t,
            seconds,
            floor_is="the report it prints",
            note=f"{len(pdf):,} bytes; best of 3",
        )
