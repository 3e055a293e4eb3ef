"""Claim readiness, as the exams officer meets it (run.py: claims.readiness).

claims.readiness  claim_readiness() for a 300-learner cohort x 10 internal units (4 criteria
                  each, 12,000 current decisions, all registered with Pearson), the query
                  count at 30 and at 300 learners (it must not grow), and its time against
                  the floor: the same decision rows read with one bare values() query.
                  Goal: 2x.
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


def _queries(cohort) -> int:
    from claims.selectors import claim_readiness

    with CaptureQueriesContext(connection) as captured:
        claim_readiness(cohort, "2026/27", today=dt.date(2027, 6, 1))
    return len(captured)


def bench_readiness(table, _events: int) -> None:
    from assessment.models import CriterionDecision
    from claims.selectors import claim_readiness

    small, _lead, _plan = _world(30, "699/0201/1")
    _registered(small)
    cohort, _lead, _plan = _world(300, "699/0202/1")
    _registered(cohort)
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
        "claims.readiness 300x10",
        statistics.median(figures),
        statistics.median(floors),
        seconds,
        floor_is="decision rows, values()",
        goal=2,
        note=f"{at_300} queries at 300 learners, {at_30} at 30; median of {REQUESTS}",
    )
