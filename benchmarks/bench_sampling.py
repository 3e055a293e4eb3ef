"""IV sampling, as the Lead IV meets it (run.py: sampling.coverage, sampling.build).

sampling.coverage  The CAMERA coverage matrix page (test Client, logged in as the Lead IV)
                   for 300 learners x 10 internal units (4 criteria each, 12,000 current
                   decisions) assessed by 6 assessors, after a built sample with some IV
                   records; median of REQUESTS requests with the query count, against a
                   bare view through the same Client (session and user): the same decisions
                   read with one values list and rendered through a minimal Template.
                   Goal: 2x.
sampling.build     build_sample() on an empty plan over 3,000 current decisions (75 learners x
                   10 units x 4 criteria), in one transaction with its audit events, against
                   the floor of reading the same decisions in one query (values list).
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from benchmarks.bench_tracking import _uln
from benchmarks.harness import best_time, seconds

UNITS, ASSESSORS, CRITERIA = 10, 6, ("A.P1", "A.P2", "B.M1", "B.D1")
PAGE_LEARNERS, BUILD_LEARNERS = 300, 75
REQUESTS = 5


def _bare(request, pk):
    from assessment.models import CriterionDecision

    cells = {}
    for _lid, aid, ok in CriterionDecision.objects.filter(
        assignment__plan__cohort_id=pk, current=True
    ).values_list("learner_id", "assignment_id", "achieved"):
        cells.setdefault(aid, [0, 0])[ok] += 1
    html = Template(
        "<table>{% for k, v in rows %}<tr><td>{{ k }}</td><td>{{ v.0 }}</td><td>{{ v.1 }}</td>"
        "</tr>{% endfor %}</table>"
    ).render(Context({"rows": sorted(cells.items())}))
    return HttpResponse(html)


urlpatterns = []


def _urls():
    import btecqa.urls

    return [*btecqa.urls.urlpatterns, path("bench/coverage/<int:pk>/", _bare)]


def _world(n_learners, number):
    from accounts.models import RoleAssignment
    from assessment.models import AssessmentPlan, CriterionDecision, PlannedAssignment
    from centres.models import Centre
    from learners.models import Cohort, Learner, TeachingGroup
    from qualifications.models import AssessmentCriterion, Qualification, Unit
    from verification.services_sampling import start_plan

    tag = number[4:8]
    centre = Centre.objects.create(number="8" + tag, name=f"Bench Sampling {tag}")
    User = get_user_model()
    lead = User.objects.create_user(f"bench_lead_{tag}", f"l{tag}@example.org", "x")
    RoleAssignment.objects.create(user=lead, centre=centre, role="lead_iv")
    assessors = []
    for i in range(ASSESSORS):
        a = User.objects.create_user(f"bench_as_{tag}_{i}", f"a{i}{tag}@example.org", "x")
        RoleAssignment.objects.create(user=a, centre=centre, role="assessor_iv")
        assessors.append(a)
    q = Qualification.objects.create(
        title=f"Bench Sampling {number}", number=number, level="3", glh=UNITS * 60
    )
    cohort = Cohort.objects.create(qualification=q, centre=centre, start_year="2026/27")
    Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"S{i}",
                last_name=f"SAMPLE{i:05d}",
                date_of_birth=dt.date(2009 + i % 3, 1 + i % 12, 1),
                sex="MF"[i % 2],
                uln=_uln(i + 100_000 * int(tag)),
                candidate_number=f"{i + 1:04d}",
            )
            for i in range(n_learners)
        ]
    )
    learners = list(Learner.objects.filter(centre=centre).order_by("pk"))
    group = TeachingGroup.objects.create(cohort=cohort, name="12S", delivering_centre=centre)
    group.learners.set(learners)
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
    day = dt.date(2026, 10, 1)
    rows = []
    for u_i in range(UNITS):
        unit = Unit.objects.create(
            qualification=q, number=str(u_i + 1), title=f"U{u_i}", glh=60, assessment="internal"
        )
        AssessmentCriterion.objects.bulk_create(
            [AssessmentCriterion(unit=unit, code=c) for c in CRITERIA]
        )
        a = PlannedAssignment.objects.create(
            plan=plan,
            unit=unit,
            title=f"Assignment {u_i + 1}",
            method="written_report",
            assessor=assessors[u_i % ASSESSORS],
            internal_verifier=lead,
            hand_out=day,
            hand_in=day,
            brief_iv_by=day,
            resubmission_by=day,
            decisions_iv_by=day,
        )
        crits = list(unit.criteria.all())
        a.criteria.set(crits)
        for i, lr in enumerate(learners):
            rows += [
                CriterionDecision(
                    learner=lr,
                    assignment=a,
                    criterion=c,
                    achieved=(i + j + u_i) % 5 != 0,
                    assessor=a.assessor,
                )
                for j, c in enumerate(crits)
            ]
    CriterionDecision.objects.bulk_create(rows, batch_size=2000)
    return cohort, lead, start_plan(cohort, "2026/27", by=lead)


def _median(fn):
    times = []
    for _ in range(REQUESTS):
        times.append(best_time(fn, repeats=1)[0])
    return statistics.median(times)


def bench_coverage(table, _events: int) -> None:
    global urlpatterns
    from verification.models_sampling import IVRecord, SampleItem
    from verification.services_sampling import build_sample

    urlpatterns = _urls()
    cohort, lead, plan = _world(PAGE_LEARNERS, "699/0101/1")
    build_sample(plan, by=lead)
    IVRecord.objects.bulk_create(
        [
            IVRecord(item=item, verifier=lead, outcome="agree")
            for item in SampleItem.objects.filter(plan=plan)[::2]
        ]
    )
    client = Client()
    client.force_login(lead)
    real = reverse("verification:sampling_coverage", args=[plan.pk])
    bare = f"/bench/coverage/{cohort.pk}/"
    with override_settings(ROOT_URLCONF="benchmarks.bench_sampling"):

        def get(url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        get(real), get(bare)
        with CaptureQueriesContext(connection) as captured:
            get(real)
        queries = len(captured)
        with CaptureQueriesContext(connection) as captured:
            get(bare)
        bare_queries = len(captured)
        figure = _median(lambda: get(real))
        floor = _median(lambda: get(bare))
    table.row(
        f"sampling.coverage {PAGE_LEARNERS}x{UNITS}x{ASSESSORS}",
        figure,
        floor,
        seconds,
        floor_is="bare view, one values list",
        goal=2,
        note=f"{queries} queries (bare {bare_queries}); median of {REQUESTS}",
    )


def bench_build(table, _events: int) -> None:
    from assessment.models import CriterionDecision
    from verification.models_sampling import SampleItem
    from verification.services_sampling import build_sample

    cohort, lead, plan = _world(BUILD_LEARNERS, "699/0102/1")
    assert CriterionDecision.objects.filter(assignment__plan__cohort=cohort).count() == 3000

    def figure():
        with CaptureQueriesContext(connection) as captured:
            made = build_sample(plan, by=lead)
        return len(made), len(captured)

    def floor():
        return len(
            list(
                CriterionDecision.objects.filter(
                    assignment__plan__cohort_id=cohort.pk, current=True
                ).values_list(
                    "learner_id", "assignment_id", "attempt", "criterion__code", "achieved"
                )
            )
        )

    figures, floors, made, queries = [], [], 0, 0
    for _ in range(REQUESTS):
        SampleItem.objects.filter(plan=plan).delete()
        t, (made, queries) = best_time(figure, repeats=1)
        figures.append(t)
        floors.append(best_time(floor, repeats=1)[0])
    table.row(
        "sampling.build 3,000 decisions",
        statistics.median(figures),
        statistics.median(floors),
        seconds,
        floor_is="the decisions in one query",
        note=f"{made} items, {queries} queries; median of {REQUESTS}",
    )
