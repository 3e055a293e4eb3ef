"""The cohort-wide read of what counts as internally verified (`selectors_iv.CohortIV`,
used by claim readiness) gives every current decision the reason `iv_reason()` gives it
in SQL, over seeded random worlds that reach every reason: own items agreed before or
after the decision changed, open and closed disagreements, items without a record,
interim items, batches with an incomplete item, items of another cohort's IV plan on the
same assignment, decisions recorded by someone other than the assignment's assessor,
resubmissions, and open, cleared and other cohorts' flags."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from assessment.models import CriterionDecision
from claims.selectors import claim_readiness
from learners.models import Cohort
from tests.factories import (
    CohortFactory,
    UserFactory,
    decisions_assignment,
    decisions_class,
    register_on,
)
from verification import selectors_iv as sel
from verification.models_sampling import DecisionFlag, IVPlan, IVRecord, SampleItem

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))
TIMES = [T0 + dt.timedelta(days=d) for d in range(4)]  # when decisions and IV happen


def _world(seed):
    rng = random.Random(seed)
    first = decisions_assignment()
    cohort = first.plan.cohort
    second = decisions_assignment(cohort=cohort, title="Task 2")
    assignments = [first, second]
    learners = decisions_class(first, 8)
    other = UserFactory()
    made = []
    for learner in learners:
        register_on(cohort, learner)
        for a in assignments:
            for attempt in ["first"] + (["resubmission"] if rng.random() < 0.3 else []):
                made += [
                    CriterionDecision(
                        learner=learner,
                        assignment=a,
                        criterion=criterion,
                        attempt=attempt,
                        achieved=True,
                        assessor=other if rng.random() < 0.15 else a.assessor,
                        recorded_at=rng.choice(TIMES),
                    )
                    for criterion in a.criteria.all()
                ]
    CriterionDecision.objects.bulk_create(made)
    lead = UserFactory()
    plan = IVPlan.objects.create(cohort=cohort, academic_year="2026/27", created_by=lead)
    elsewhere = Cohort.objects.create(
        qualification=cohort.qualification, centre=cohort.centre, start_year="2025/26"
    )
    other_plan = IVPlan.objects.create(cohort=elsewhere, academic_year="2025/26", created_by=lead)
    records = []
    sampled = 0
    for learner in learners:
        for a in assignments:
            for attempt in ("first", "resubmission"):
                for stage in ("summative", "interim"):
                    if rng.random() < 0.65:
                        continue
                    item = SampleItem.objects.create(
                        plan=other_plan if rng.random() < 0.25 else plan,
                        learner=learner,
                        assignment=a,
                        attempt=attempt,
                        stage=stage,
                        snapshot={},
                        sampled_by=lead,
                        sampled_at=T0 + dt.timedelta(minutes=sampled),
                    )
                    sampled += 1
                    kind = rng.choice(["none", "agree", "agree", "agree", "open", "closed", "done"])
                    if kind == "none":
                        continue
                    at = rng.choice(TIMES)
                    records.append(
                        IVRecord.objects.create(
                            item=item,
                            verifier=a.internal_verifier,
                            outcome="agree" if kind == "agree" else "disagree",
                            recorded_at=at,
                            action_done_at=at if kind == "done" else None,
                            closed_at=rng.choice(TIMES) if kind == "closed" else None,
                        )
                    )
    raised = records[0] if records else None
    if raised:
        for a in assignments:
            for assessor in (a.assessor, other):
                for flag_cohort, cleared in ((cohort, None), (cohort, T0), (elsewhere, None)):
                    if rng.random() < 0.3:
                        DecisionFlag.objects.create(
                            cohort=flag_cohort,
                            assignment=a,
                            assessor=assessor,
                            raised_by=raised,
                            cleared_at=cleared,
                        )
    return cohort


def _rows(cohort):
    return list(
        CriterionDecision.objects.filter(assignment__plan__cohort=cohort, current=True)
        .annotate(sql=sel.iv_reason(), covered=sel.iv_covered(), since=sel.open_since())
        .values_list(
            "learner_id",
            "assignment_id",
            "attempt",
            "assessor_id",
            "assignment__assessor_id",
            "covered",
            "sql",
            "since",
        )
    )


def test_the_cohort_read_gives_each_decision_the_reason_iv_reason_gives_it():
    seen = set()
    for seed in range(6):
        cohort = _world(seed)
        iv = sel.cohort_iv(cohort)
        rows = _rows(cohort)
        assert rows
        for learner, assignment, attempt, by, assigned, covered, sql, since in rows:
            assert iv.reason(learner, assignment, attempt, by, assigned, covered) == sql, (
                seed,
                learner,
                assignment,
                attempt,
            )
            if sql == sel.ACTION_OPEN:
                assert iv.open_since[(learner, assignment, attempt)] == since
            seen.add(sql)
    # the worlds reach every reason, so the comparison covers each branch
    assert seen == {
        sel.VERIFIED,
        sel.FLAGGED,
        sel.NO_RECORD,
        sel.ACTION_OPEN,
        sel.CHANGED,
        sel.BATCH,
    }


def test_claim_readiness_names_the_decisions_not_yet_verified_lists():
    for seed in (1, 4):
        cohort = _world(seed)
        uniform = {}
        for learner, assignment, attempt, *_rest, sql, _since in _rows(cohort):
            if sql != sel.VERIFIED:
                uniform.setdefault((learner, assignment, attempt), set()).add(sql)
        expected = {}
        for row in sel.not_yet_verified(cohort):
            attempt = "" if row["attempt"] == "first" else f" ({row['attempt']})"
            head = f"{row['unit']}, {row['assignment']}{attempt}: not internally verified ("
            tail = f"; {', '.join(sorted(row['criteria']))})"
            expected.setdefault(row["learner_id"], []).append((head, row["why"], tail))
        result = claim_readiness(cohort, "2026/27", today=dt.date(2027, 6, 1))
        assert expected
        for item in result.learners:
            got = sorted(b.text for b in item.blockers if "not internally verified" in b.text)
            want = expected.get(item.learner_id, [])
            assert len(got) == len(want)
            for head, _why, tail in want:
                # a group whose rows differ in reason is named with its first row's
                matching = [g for g in got if g.startswith(head) and g.endswith(tail)]
                assert len(matching) == 1, (seed, head, tail, got)
        # where every row of a group has the same reason, the words are the same too
        words = {
            (item.learner_id, b.text)
            for item in result.learners
            for b in item.blockers
            if "not internally verified" in b.text
        }
        for learner_id, rows in expected.items():
            for head, why, tail in rows:
                if any(head + why + tail == text for lid, text in words if lid == learner_id):
                    continue
                groups = [g for (lid, _a, _t), g in uniform.items() if lid == learner_id]
                assert any(len(g) > 1 for g in groups), (seed, head, why, tail)


def test_an_empty_cohort_has_no_iv_state_and_two_queries(django_assert_num_queries):
    cohort = CohortFactory()
    with django_assert_num_queries(2):
        iv = sel.cohort_iv(cohort)
    assert iv.reason(1, 2, "first", 3, 3, False) == sel.BATCH
