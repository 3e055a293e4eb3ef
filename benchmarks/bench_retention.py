"""The retention sweep over N records: memory flat (peak at N/10 beside N), time vs a bare read.

The sweep reads each retained kind in keyset chunks (BTECQA_RETENTION_SWEEP_CHUNK) and
writes the items it lists per chunk, so its peak memory should not grow with N. The floor
of its time is a bare iterator over the same rows (no clock, no writes).
"""

from __future__ import annotations

import datetime as dt

from .harness import mebibytes, peak_memory, seconds, timed

ARRIVED = dt.date(2027, 8, 20)
TODAY = dt.date(2031, 1, 1)


def _world(n: int):
    from assessment.models import CriterionDecision
    from learners.models import Learner
    from qualifications.models import AssessmentCriterion
    from tests.factories import LearnerFactory, TeachingGroupFactory, decisions_assignment

    per = 100
    assignment = decisions_assignment(criteria=[f"A.P{i}" for i in range(1, per + 1)])
    centre = assignment.plan.cohort.centre
    group = TeachingGroupFactory(cohort=assignment.plan.cohort)
    criteria = list(AssessmentCriterion.objects.filter(unit=assignment.unit))
    return assignment, centre, group, criteria, per, CriterionDecision, Learner, LearnerFactory


def _add(world, learners: int) -> None:
    assignment, centre, group, criteria, per, Decision, Learner, LearnerFactory = world
    made = Learner.objects.bulk_create(LearnerFactory.build_batch(learners, centre=centre))
    group.learners.add(*made)
    Decision.objects.bulk_create(
        (
            Decision(
                learner=learner,
                assignment=assignment,
                criterion=criterion,
                achieved=True,
                assessor=assignment.assessor,
            )
            for learner in made
            for criterion in criteria
        ),
        batch_size=5000,
    )


def bench_sweep(table, n: int) -> None:
    from django.test.utils import override_settings

    from assessment.models import CriterionDecision
    from retention import clocks, services
    from retention.models import RetentionItem

    n = max(n, 100_000)
    clocks.register_clock_start("certified", lambda ids: dict.fromkeys(ids, ARRIVED))
    world = _world(n)
    small = n // 10
    _add(world, small // world[4])

    def sweep():
        # As in production (DEBUG off): with DEBUG on, Django keeps the last 9,000 SQL
        # statements, and that log, not the sweep, would grow with the number of chunks.
        with override_settings(DEBUG=False):
            return services.sweep(TODAY)

    # Clearing the items between runs is not measured: QuerySet.delete() collects every
    # row it deletes, which is the benchmark's housekeeping, not the sweep.
    RetentionItem.objects.all()._raw_delete(RetentionItem.objects.db)
    listed_small, peak_small = peak_memory(sweep)
    _add(world, (n - small) // world[4])
    RetentionItem.objects.all()._raw_delete(RetentionItem.objects.db)
    listed, peak_large = peak_memory(sweep)
    RetentionItem.objects.all().delete()
    with timed() as t:
        services.sweep(TODAY)
    with timed() as floor:
        count = sum(
            1
            for _ in CriterionDecision.objects.order_by("pk")
            .values_list("pk", "learner__centre", "assignment__plan__cohort__centre", "learner")
            .iterator(chunk_size=2000)
        )
    assert count == n and listed == n and listed_small == small, (count, listed, listed_small)
    clocks.unregister_clock_start("certified")
    table.row(
        f"retention.sweep peak x{n:,}",
        peak_large,
        peak_small,
        mebibytes,
        floor_is=f"peak at x{small:,}",
        goal=1.5,
        note="tracemalloc; flat memory is a ratio of about 1",
    )
    table.row(
        f"retention.sweep x{n:,}",
        t.seconds,
        floor.seconds,
        seconds,
        floor_is="bare iterator, same rows",
        note="lists and writes one item per record",
    )
