"""The cohort audit-trail report built as a background job, for a 300-learner cohort.

jobs.audit_report  time    the whole job: request_job(), then run_job() as a worker runs
                           it (claim, the learners in chunks of 50 each kept as a part with
                           a checkpoint, the PDF or XLSX built through documents/, stored in
                           media storage, the row marked done), against the floor of the
                           same events read in one values() query and written with a bare
                           csv writer. Goal: under 60 s.
                   memory  the job's peak Python memory (tracemalloc) against the floor's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib.auth import get_user_model

import audit
from accounts.models import RoleAssignment
from accounts.roles import Role
from audit.models import AuditEvent
from benchmarks.harness import best_time, mebibytes, peak_memory, seconds
from centres.models import Centre
from learners import events as learner_events
from learners.models import Cohort, Learner, TeachingGroup
from qualifications.models import Qualification

LEARNERS = 300
EVENTS_EACH = 10
REPEATS = 2


def report_cohort():
    centre, _ = Centre.objects.get_or_create(
        number="90088", defaults={"name": "Jobs Bench Academy"}
    )
    eo, _ = get_user_model().objects.get_or_create(
        username="bench.eo.jobs", defaults={"first_name": "Bench", "last_name": "Officer"}
    )
    RoleAssignment.objects.get_or_create(user=eo, centre=centre, role=Role.EXAMS_OFFICER)
    qualification, _ = Qualification.objects.get_or_create(
        number="603/0088/8",
        defaults={"title": "Pearson BTEC Level 3 National Diploma in Jobs", "level": "3",
                  "glh": 720},
    )  # fmt: skip
    cohort, created = Cohort.objects.get_or_create(
        qualification=qualification, centre=centre, start_year="2026/27", defaults={"years": 2}
    )
    if created:
        group = TeachingGroup.objects.create(
            cohort=cohort, academic_year="2026/27", name="J1", delivering_centre=centre
        )
        learners = Learner.objects.bulk_create(
            [
                Learner(centre=centre, first_name=f"Learner{i:04d}",
                        last_name=f"Surname{i % 97:02d}", date_of_birth=dt.date(2009, 1, 1))
                for i in range(LEARNERS)
            ]
        )  # fmt: skip
        group.learners.add(*learners)
        with audit.batch():
            for learner in learners:
                for n in range(EVENTS_EACH):
                    audit.record(
                        eo, learner_events.LEARNER_UPDATED, learner,
                        before={"first_name": f"Old{n}"},
                        after={"first_name": learner.first_name, "reason": f"MIS change {n}"},
                    )  # fmt: skip
    return cohort, eo


def _job(cohort, eo, fmt):
    from jobs import services
    from jobs.models import Job
    from learners.jobs_kinds import COHORT_AUDIT_REPORT

    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=eo, centre=cohort.centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": fmt},
    )  # fmt: skip
    # Outside a transaction the run task is queued at once; without REDIS_URL it runs
    # eagerly inside request_job(). run_job() after it finds the job finished already.
    services.run_job(job.pk)
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.DONE, job.error
    return job.result.size


def _floor(cohort):
    ids = list(Learner.objects.filter(teaching_groups__cohort=cohort).values_list("pk", flat=True))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in (
        AuditEvent.objects.filter(learner_id__in=ids, centre_id=cohort.centre_id)
        .order_by("learner_id", "seq")
        .values_list("learner_id", "occurred_at", "actor_repr", "action", "detail__after")
    ):
        writer.writerow(row)
    return len(out.getvalue())


def bench_report(table, _events: int) -> None:
    cohort, eo = report_cohort()
    floor, floor_size = best_time(lambda: _floor(cohort), REPEATS)
    for fmt in ("pdf", "xlsx"):
        figure, size = best_time(lambda fmt=fmt: _job(cohort, eo, fmt), REPEATS)
        table.row(
            f"jobs.audit_report {fmt} x{LEARNERS} learners",
            figure,
            floor,
            seconds,
            floor_is="values() + csv",
            note=f"{LEARNERS * EVENTS_EACH:,} events, {size / 2**10:,.0f} KiB {fmt.upper()}; "
            f"goal under 60 s; best of {REPEATS}",
        )
        _, peak = peak_memory(_job, cohort, eo, fmt)
        _, floor_peak = peak_memory(_floor, cohort)
        table.row(
            f"jobs.audit_report {fmt} peak memory",
            peak,
            floor_peak,
            mebibytes,
            floor_is="values() + csv",
        )
