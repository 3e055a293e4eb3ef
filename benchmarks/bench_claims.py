"""Claim readiness, as the exams officer meets it (run.py: claims.readiness).

claims.readiness  claim_readiness() for a 300-learner cohort x 10 internal units (4 criteria
                  each, 12,000 current decisions, all registered with Pearson), the query
                  count at 30 and at 300 learners (it must not grow), and its time against
                  the floor: the same decision rows read with one bare values() query.
                  Goal: 2x. Two worlds: nothing sampled yet (every decision a blocker, the
                  most words to write), and each assignment's sample of 30 agreed by the IV
                  (every decision verified, by its own IV or its batch's, so the SQL's
                  per-row check of its own IV finds records).
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.bench_sampling import _world
from benchmarks.harness import best_time, seconds

REQUESTS = 5


def _registered(cohort):
    from learners.models import Learner
    from registrations.models import Registration

    Registration.objects.bulk_create(
        [
            Registration(
                learner=learner,
                cohort=cohort,
                centre=cohort.centre,
                status=Registration.Status.REGISTERED,
                registered_on=dt.date(2026, 10, 1),
                registration_number=f"B{learner.pk:06d}",
            )
            for learner in Learner.objects.filter(centre=cohort.centre)
        ]
    )


def _sampled_and_agreed(cohort, plan, lead, per_assignment=30):
    """A summative sample of `per_assignment` learners on each assignment, each agreed
    by the IV after the decisions were made."""
    from assessment.models import PlannedAssignment
    from learners.models import Learner
    from verification.models_sampling import IVRecord, SampleItem

    learners = list(Learner.objects.filter(centre=cohort.centre).order_by("pk"))
    step = max(len(learners) // per_assignment, 1)
    items = SampleItem.objects.bulk_create(
        [
            SampleItem(
                plan=plan,
                learner=learner,
                assignment=assignment,
                stage=SampleItem.Stage.SUMMATIVE,
                sampled_by=lead,
            )
            for assignment in PlannedAssignment.objects.filter(plan__cohort=cohort)
            for learner in learners[::step][:per_assignment]
        ]
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    IVRecord.objects.bulk_create(
        [
            IVRecord(item=item, verifier=lead, outcome=IVRecord.Outcome.AGREE, recorded_at=later)
            for item in items
        ]
    )


def _queries(cohort) -> int:
    from claims.selectors import claim_readiness

    with CaptureQueriesContext(connection) as captured:
        claim_readiness(cohort, "2026/27", today=dt.date(2027, 6, 1))
    return len(captured)


def bench_readiness(table, _events: int) -> None:
    small, _lead, _plan = _world(30, "699/0201/1")
    _registered(small)
    cohort, _lead, _plan = _world(300, "699/0202/1")
    _registered(cohort)
    _row(table, "claims.readiness 300x10", cohort, small)
    sampled, lead, plan = _world(300, "699/0203/1")
    _registered(sampled)
    _sampled_and_agreed(sampled, plan, lead)
    _row(table, "claims.readiness 300x10 sampled", sampled, small)


def _row(table, name, cohort, small) -> None:
    from assessment.models import CriterionDecision
    from claims.selectors import claim_readiness

    at_30, at_300 = _queries(small), _queries(cohort)

    def figure():
        return len(claim_readiness(cohort, "2026/27", today=dt.date(2027, 6, 1)).learners)

    def floor():
        return len(
            list(
                CriterionDecision.objects.filter(
                    assignment__plan__cohort_id=cohort.pk, current=True
                ).values_list(
                    "learner_id",
                    "assignment__unit_id",
                    "criterion__code",
                    "attempt",
                    "achieved",
                    "assignment_id",
                )
            )
        )

    figure(), floor()
    figures = [best_time(figure, repeats=1)[0] for _ in range(REQUESTS)]
    floors = [best_time(floor, repeats=1)[0] for _ in range(REQUESTS)]
    table.row(
        name,
        statistics.median(figures),
        statistics.median(floors),
        seconds,
        floor_is="decision rows, values()",
        goal=2,
        note=f"{at_300} queries at 300 learners, {at_30} at 30; median of {REQUESTS}",
    )
