"""The tracking sheet, as a programme leader meets it (run.py: tracking.sheet, tracking.import).

tracking.sheet   The tracking sheet page (test Client, logged in as the exams officer) and its
                 XLSX export, 300 learners x 10 internal units (40 criteria, 12,000 current
                 decisions), median of REQUESTS requests with the query count, against the
                 floor of a bare view through the same Client: the learners and their
                 decisions read with the simplest querysets (values lists) and rendered
                 through a minimal Template (for the export: the same rows written by
                 openpyxl). Goal: 2x.
tracking.import  A 1,000-learner x 10-unit XLSX (10,000 grade cells) read, checked and
                 committed (ImportedUnitResult rows, an audit event per result), against
                 openpyxl read_only reading every row plus one bulk_create of the same
                 10,000 rows. Goal: 2x.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics

import openpyxl
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from openpyxl import Workbook

from benchmarks.harness import best_time, seconds

LEARNERS, UNITS, CRITERIA = 300, 10, ("A.P1", "A.P2", "B.M1", "B.D1")
IMPORT_LEARNERS = 1000
REQUESTS = 5


def _bare(request, pk):
    from assessment.models import CriterionDecision
    from learners.models import Learner

    learners = list(
        Learner.objects.filter(registrations__cohort_id=pk)
        .order_by("last_name")
        .values_list("pk", "uln", "last_name", "first_name")
    )
    decided = {}
    for lid, code, ok in CriterionDecision.objects.filter(
        assignment__plan__cohort_id=pk, current=True
    ).values_list("learner_id", "criterion__code", "achieved"):
        decided.setdefault(lid, []).append(code if ok else "")
    html = Template(
        "<table>{% for l in rows %}<tr><td>{{ l.0 }}</td><td>{{ l.1 }}</td>"
        "<td>{{ l.2 }}</td><td>{{ l.3|join:' ' }}</td></tr>{% endfor %}</table>"
    ).render(Context({"rows": [(lr[1], lr[2], lr[3], decided.get(lr[0], [])) for lr in learners]}))
    return HttpResponse(html)


def _bare_export(request, pk):
    """The same learners and decisions read with values lists, one row of 15 cells each."""
    from assessment.models import CriterionDecision
    from learners.models import Learner

    grades = {}
    for lid, unit, ok in CriterionDecision.objects.filter(
        assignment__plan__cohort_id=pk, current=True
    ).values_list("learner_id", "criterion__unit__number", "achieved"):
        grades.setdefault(lid, {})[unit] = "D" if ok else "U"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tracking sheet")
    ws.append(["ULN", "Candidate number", "Learner", *range(UNITS), "Points", "Estimated grade"])
    for lid, uln, cand, last in Learner.objects.filter(registrations__cohort_id=pk).values_list(
        "pk", "uln", "candidate_number", "last_name"
    ):
        g = grades.get(lid, {})
        ws.append([uln, cand, last, *(g.get(str(i + 1), "") for i in range(UNITS)), 0, "Est"])
    out = io.BytesIO()
    wb.save(out)
    return HttpResponse(out.getvalue())


def _urls():
    import btecqa.urls

    return [
        *btecqa.urls.urlpatterns,
        path("bench/tracking/<int:pk>/", _bare),
        path("bench/tracking/<int:pk>/export/", _bare_export),
    ]


urlpatterns = []  # filled when the benchmark runs (the project's URLs plus the bare views)


def _world(n_learners, *, decisions=True, number="699/0001/1"):
    from accounts.models import RoleAssignment
    from assessment.models import AssessmentPlan, CriterionDecision, PlannedAssignment
    from centres.models import Centre
    from learners.models import Cohort, Learner
    from qualifications.models import AssessmentCriterion, Qualification, Unit
    from registrations.models import Registration

    centre, _ = Centre.objects.get_or_create(
        number="7" + number[4:8], defaults={"name": f"Bench Tracking {number}"}
    )
    User = get_user_model()
    tag = f"{number[4:8]}_{n_learners}"
    eo = User.objects.create_user(f"bench_eo_{tag}", f"eo{tag}@example.org", "x")
    iv = User.objects.create_user(f"bench_iv_{tag}", f"iv{tag}@example.org", "x")
    RoleAssignment.objects.create(user=eo, centre=centre, role="exams_officer")
    q = Qualification.objects.create(
        title=f"Bench Qualification {number}", number=number, level="3", glh=UNITS * 60
    )
    units = [
        Unit.objects.create(
            qualification=q, number=str(i + 1), title=f"U{i}", glh=60, assessment="internal"
        )
        for i in range(UNITS)
    ]
    for u in units:
        AssessmentCriterion.objects.bulk_create(
            [AssessmentCriterion(unit=u, code=c) for c in CRITERIA]
        )
    cohort = Cohort.objects.create(qualification=q, centre=centre, start_year="2026/27")
    Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"F{i}",
                last_name=f"BENCH{i:05d}",
                date_of_birth=dt.date(2010, 1, 1),
                uln=_uln(i + 100_000 * int(number[4:8])),
                candidate_number=f"{i + 1:04d}",
            )
            for i in range(n_learners)
        ]
    )
    learners = list(Learner.objects.filter(centre=centre).order_by("pk"))
    Registration.objects.bulk_create(
        [
            Registration(learner=lr, cohort=cohort, centre=centre, status="registered")
            for lr in learners
        ]
    )
    if decisions:
        plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
        day = dt.date(2026, 10, 1)
        rows = []
        for u in units:
            a = PlannedAssignment.objects.create(
                plan=plan,
                unit=u,
                title="A",
                method="written_report",
                assessor=eo,
                internal_verifier=iv,
                hand_out=day,
                hand_in=day,
                brief_iv_by=day,
                resubmission_by=day,
                decisions_iv_by=day,
            )
            crits = list(u.criteria.all())
            a.criteria.set(crits)
            for lr in learners:
                rows += [
                    CriterionDecision(
                        learner=lr, assignment=a, criterion=c, achieved=True, assessor=eo
                    )
                    for c in crits
                ]
        CriterionDecision.objects.bulk_create(rows, batch_size=2000)
    return cohort, eo, learners, units


def _uln(n):
    while True:
        prefix = f"{700000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        # no check digit for this number: step well past every world's range (worlds are
        # 100,000 apart by their tag, tags below 500), so no two worlds' learners meet
        n += 50_000_000


def _median(fn):
    times, result = [], None
    for _ in range(REQUESTS):
        t, result = best_time(fn, repeats=1)
        times.append(t)
    return statistics.median(times), result


def bench_sheet(table, _events: int) -> None:
    global urlpatterns
    urlpatterns = _urls()
    cohort, eo, _learners, _units = _world(LEARNERS)
    client = Client()
    client.force_login(eo)
    with override_settings(ROOT_URLCONF="benchmarks.bench_tracking"):
        for name, real, bare in (
            (
                "page",
                reverse("assessment:tracking_sheet", args=[cohort.pk]),
                f"/bench/tracking/{cohort.pk}/",
            ),
            (
                "export",
                reverse("assessment:tracking_export", args=[cohort.pk]),
                f"/bench/tracking/{cohort.pk}/export/",
            ),
        ):

            def get(url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response

            get(real), get(bare)
            with CaptureQueriesContext(connection) as captured:
                get(real)
            queries = len(captured)
            figure, _ = _median(lambda u=real: get(u))
            floor, _ = _median(lambda u=bare: get(u))
            table.row(
                f"tracking.{name} {LEARNERS}x{UNITS}",
                figure,
                floor,
                seconds,
                floor_is="bare view, values lists",
                goal=2,
                note=f"{queries} queries; median of {REQUESTS}",
            )


def bench_import(table, _events: int) -> None:
    from assessment import services_tracking as services
    from assessment.models import ImportedUnitResult

    cohort, eo, learners, units = _world(IMPORT_LEARNERS, decisions=False, number="699/0002/1")
    wb = Workbook()
    ws = wb.active
    ws.append(["ULN", *(f"Unit {u.number}" for u in units)])
    for lr in learners:
        ws.append([lr.uln, *("PMD"[(lr.pk + i) % 3] for i in range(len(units)))])
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()

    def figure():
        preview = services.read_tracking_file(data, cohort, file_name="bench.xlsx")
        assert preview.ok, preview.problems[:3]
        changed = services.write_tracking_import(preview, cohort, by=eo, source="bench.xlsx")
        ImportedUnitResult.objects.filter(cohort=cohort).delete()
        return changed

    def floor():
        rd = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = list(rd.active.iter_rows(values_only=True))[1:]
        by_uln = {lr.uln: lr for lr in learners}
        made = [
            ImportedUnitResult(learner=by_uln[r[0]], cohort=cohort, unit=u, grade=g, imported_by=eo)
            for r in rows
            for u, g in zip(units, r[1:], strict=False)
        ]
        ImportedUnitResult.objects.bulk_create(made, batch_size=2000)
        ImportedUnitResult.objects.filter(cohort=cohort).delete()
        return len(made)

    t_figure, changed = best_time(figure, repeats=2)
    t_floor, cells = best_time(floor, repeats=2)
    assert changed == IMPORT_LEARNERS and cells == IMPORT_LEARNERS * UNITS
    table.row(
        f"tracking.import {cells:,} cells",
        t_figure,
        t_floor,
        seconds,
        floor_is="openpyxl read + 1 bulk insert",
        goal=2,
        note="read, check and commit with an audit event per result",
    )
