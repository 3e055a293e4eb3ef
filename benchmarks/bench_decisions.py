"""The class grid, as an assessor meets it (run.py: decisions.grid).

decisions.grid  One POST of the class grid (test Client, logged in as the assignment's
                assessor): 30 learners x 12 criteria, every cell decided, both authenticity
                declarations and a hand-in date per learner, saved in one transaction with
                the audit events. Median of REQUESTS saves, each onto an empty grid, with the
                query count; the floor is a bare bulk insert of the same 360 decision rows
                and 30 submission rows in one transaction. No goal is set by the issue: the
                figure is what the assessor waits for, the floor what the rows cost.
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.bench_tracking import _uln
from benchmarks.harness import best_time, seconds

LEARNERS, CRITERIA = 30, 12
REQUESTS = 9


def _world():
    from accounts.models import RoleAssignment
    from assessment.models import AssessmentPlan, PlannedAssignment
    from centres.models import Centre
    from learners.models import Cohort, Learner, TeachingGroup
    from qualifications.models import AssessmentCriterion, LearningAim, Qualification, Unit

    centre = Centre.objects.create(number="79001", name="Bench Grid College")
    User = get_user_model()
    assessor = User.objects.create_user("bench_grid_assessor", "ga@example.org", "x")
    iv = User.objects.create_user("bench_grid_iv", "gi@example.org", "x")
    for user in (assessor, iv):
        RoleAssignment.objects.create(user=user, centre=centre, role="assessor_iv")
    q = Qualification.objects.create(
        title="Bench Grid Qualification", number="699/0003/1", level="3", glh=360
    )
    unit = Unit.objects.create(
        qualification=q, number="1", title="Grid unit", glh=60, assessment="internal"
    )
    aim = LearningAim.objects.create(unit=unit, code="A", label="Aim A")
    codes = [f"A.P{i}" for i in range(1, 7)] + [f"A.M{i}" for i in range(1, 4)]
    codes += [f"A.D{i}" for i in range(1, 4)]
    AssessmentCriterion.objects.bulk_create(
        [AssessmentCriterion(unit=unit, learning_aim=aim, code=c) for c in codes]
    )
    cohort = Cohort.objects.create(qualification=q, centre=centre, start_year="2026/27")
    Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"Grid{i}",
                last_name=f"LEARNER{i:03d}",
                date_of_birth=dt.date(2009, 3, 1),
                uln=_uln(i + 3_000_000),
                candidate_number=f"{i + 1:04d}",
            )
            for i in range(LEARNERS)
        ]
    )
    learners = list(Learner.objects.filter(centre=centre).order_by("pk"))
    group = TeachingGroup.objects.create(cohort=cohort, name="12A", delivering_centre=centre)
    group.learners.set(learners)
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27", status="approved")
    day = dt.date(2026, 11, 2)
    assignment = PlannedAssignment.objects.create(
        plan=plan,
        unit=unit,
        title="Task 1",
        method="written_report",
        assessor=assessor,
        internal_verifier=iv,
        hand_out=day - dt.timedelta(days=28),
        hand_in=day,
        brief_iv_by=day - dt.timedelta(days=35),
        resubmission_by=day + dt.timedelta(days=30),
        decisions_iv_by=day + dt.timedelta(days=40),
    )
    assignment.criteria.set(unit.criteria.all())
    return assignment, assessor, learners, list(unit.criteria.order_by("pk"))


def _post_data(learners, criteria):
    data = {"attempt": "first", "decided_on": "2026-11-10", "row": [str(x.pk) for x in learners]}
    for i, learner in enumerate(learners):
        data[f"ld-{learner.pk}"] = data[f"ad-{learner.pk}"] = "1"
        data[f"sub-{learner.pk}"] = "2026-11-02"
        data[f"fb-{learner.pk}"] = "Clear report; cite your sources for the merit."
        for j, c in enumerate(criteria):
            data[f"c-{learner.pk}-{c.pk}"] = "achieved" if (i + j) % 4 else "not_yet"
    return data


def _empty(assignment):
    from assessment.models import CriterionDecision, Submission

    CriterionDecision.objects.filter(assignment=assignment).delete()
    Submission.objects.filter(assignment=assignment).delete()


def bench_grid(table, _events: int) -> None:
    from assessment.models import CriterionDecision, Submission

    assignment, assessor, learners, criteria = _world()
    assert len(criteria) == CRITERIA
    client = Client()
    client.force_login(assessor)
    url = reverse("assessment:decisions_grid", kwargs={"pk": assignment.pk})
    data = _post_data(learners, criteria)
    assert client.get(url).status_code == 200  # session and caches warmed

    def save():
        response = client.post(url, data)
        assert response.status_code == 302, response.content[:2000]
        return response

    def floor():
        with transaction.atomic():
            Submission.objects.bulk_create(
                [
                    Submission(
                        learner=lr,
                        assignment=assignment,
                        submitted_on=dt.date(2026, 11, 2),
                        learner_declared_on=dt.date(2026, 11, 3),
                        assessor_declared_on=dt.date(2026, 11, 3),
                        recorded_by=assessor,
                    )
                    for lr in learners
                ]
            )
            CriterionDecision.objects.bulk_create(
                [
                    CriterionDecision(
                        learner=lr,
                        assignment=assignment,
                        criterion=c,
                        achieved=bool((i + j) % 4),
                        decided_on=dt.date(2026, 11, 10),
                        feedback="Clear report; cite your sources for the merit.",
                        assessor=assessor,
                    )
                    for i, lr in enumerate(learners)
                    for j, c in enumerate(criteria)
                ]
            )

    _empty(assignment)
    with CaptureQueriesContext(connection) as captured:
        save()
    queries = len(captured)
    assert CriterionDecision.objects.filter(assignment=assignment).count() == LEARNERS * CRITERIA
    figures, floors = [], []
    for _ in range(REQUESTS):  # interleaved, so load on the machine falls on both alike
        _empty(assignment)
        figures.append(best_time(save, repeats=1)[0])
        _empty(assignment)
        floors.append(best_time(floor, repeats=1)[0])
    table.row(
        f"decisions.grid {LEARNERS}x{CRITERIA} save",
        statistics.median(figures),
        statistics.median(floors),
        seconds,
        floor_is="bare bulk insert",
        note=f"{queries} queries in the POST; median of {REQUESTS}",
    )
