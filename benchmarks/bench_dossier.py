"""The learner dossier (run.py: dossier.page, dossier.pdf).

A learner with EVENTS decision versions on one assignment (each a row of the dossier) and
EVENTS audit events about them (each checked against the keyed chain).

dossier.page  The dossier page (test Client, logged in as the exams officer): every section's
              queries, the chain check of the learner's events, the template; median of
              REQUESTS requests with the query count, against a bare view through the same
              Client (session and user): the same decisions read with one values() query
              and rendered through a minimal Template.
dossier.pdf   The dossier PDF (documents.Document + DataTable) built from the same dossier,
              queries included, against the same rows drawn on a bare reportlab canvas.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from benchmarks.harness import best_time, seconds

EVENTS = 1000
CRITERIA = 50
REQUESTS = 5


def _bare(request, pk):
    from assessment.models import CriterionDecision

    rows = CriterionDecision.objects.filter(learner_id=pk).values_list(
        "recorded_at", "criterion__code", "achieved", "version", "assessor__first_name"
    )
    html = Template(
        "<table>{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }} {{ r.2 }} {{ r.3 }}</td>"
        "<td>{{ r.4 }}</td></tr>{% endfor %}</table>"
    ).render(Context({"rows": list(rows)}))
    return HttpResponse(html)


urlpatterns = []


def _urls():
    import btecqa.urls

    return [*btecqa.urls.urlpatterns, path("bench/dossier/<int:pk>/", _bare)]


def _world(tag: str):
    import audit
    from accounts.models import RoleAssignment
    from assessment.models import AssessmentPlan, CriterionDecision, PlannedAssignment
    from centres.models import Centre
    from learners.models import Cohort, Learner, TeachingGroup
    from qualifications.models import AssessmentCriterion, Qualification, Unit

    centre = Centre.objects.create(number=f"860{tag}", name=f"Bench Dossier School {tag}")
    user = get_user_model().objects.create_user(
        f"bench_dossier_eo{tag}", f"eo{tag}@example.org", "x"
    )
    user.first_name, user.last_name = "Esme", "Officer"
    user.save()
    RoleAssignment.objects.create(user=user, centre=centre, role="exams_officer")
    iv = get_user_model().objects.create_user(f"bench_dossier_iv{tag}", f"iv{tag}@example.org")
    RoleAssignment.objects.create(user=iv, centre=centre, role="assessor_iv")
    q = Qualification.objects.create(
        title=f"Bench Dossier {tag}", number=f"699/02{tag}/1", level="3", glh=60
    )
    cohort = Cohort.objects.create(qualification=q, centre=centre, start_year="2026/27")
    learner = Learner.objects.create(
        centre=centre, first_name="Dana", last_name="DOSSIER", date_of_birth=dt.date(2009, 1, 1)
    )
    TeachingGroup.objects.create(cohort=cohort, name="12D", delivering_centre=centre).learners.add(
        learner
    )
    unit = Unit.objects.create(
        qualification=q, number="1", title="U1", glh=60, assessment="internal"
    )
    AssessmentCriterion.objects.bulk_create(
        [AssessmentCriterion(unit=unit, code=f"A.P{i}") for i in range(CRITERIA)]
    )
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
    day = dt.date(2026, 10, 1)
    a = PlannedAssignment.objects.create(
        plan=plan,
        unit=unit,
        title="Assignment 1",
        method="written_report",
        assessor=user,
        internal_verifier=iv,
        hand_out=day,
        hand_in=day,
        brief_iv_by=day,
        resubmission_by=day,
        decisions_iv_by=day,
    )
    crits = list(unit.criteria.all())
    versions = EVENTS // CRITERIA
    CriterionDecision.objects.bulk_create(
        [
            CriterionDecision(
                learner=learner,
                assignment=a,
                criterion=c,
                achieved=v % 2 == 0,
                assessor=user,
                version=v + 1,
                current=v == versions - 1,
                reason=f"Version {v + 1}",
            )
            for c in crits
            for v in range(versions)
        ]
    )
    with audit.batch():
        for i in range(EVENTS):
            audit.record(user, "learner.updated", learner, before={"n": i}, after={"n": i + 1})
    return learner, user


def _canvas_pdf(rows) -> bytes:
    """The floor: the same rows drawn with reportlab's canvas, no layout at all."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    y = A4[1] - 40
    for when, what, who in rows:
        if y < 40:
            pdf.showPage()
            y = A4[1] - 40
        pdf.drawString(30, y, when)
        pdf.drawString(110, y, what[:90])
        pdf.drawString(480, y, who)
        y -= 11
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _median(fn):
    return statistics.median(best_time(fn, repeats=1)[0] for _ in range(REQUESTS))


def bench_page(table, _events: int) -> None:
    global urlpatterns
    urlpatterns = _urls()
    learner, user = _world("01")
    client = Client()
    client.force_login(user)
    real = reverse("dossier:dossier", args=[learner.pk])
    bare = f"/bench/dossier/{learner.pk}/"
    with override_settings(ROOT_URLCONF="benchmarks.bench_dossier"):

        def get(url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        body = get(real).content.decode()
        assert f"{EVENTS} events verifies" in body, "the chain check did not pass"
        get(bare)
        with CaptureQueriesContext(connection) as captured:
            get(real)
        queries = len(captured)
        figure, floor = _median(lambda: get(real)), _median(lambda: get(bare))
    table.row(
        f"dossier.page {EVENTS} events",
        figure,
        floor,
        seconds,
        floor_is="bare view, one values()",
        note=f"{queries} queries; median of {REQUESTS}",
    )


def bench_pdf(table, _events: int) -> None:
    from dossier.documents import dossier_pdf
    from dossier.selectors import learner_dossier
    from learners.models import Learner

    learner, user = _world("02")
    learner = Learner.objects.select_related("centre").get(pk=learner.pk)
    made = learner_dossier(learner, user)
    rows = [(r.when_text, r.what, r.who) for part in made.sections for r in part.rows]
    assert len(rows) >= EVENTS

    def figure():
        return dossier_pdf(learner_dossier(learner, user))

    table.row(
        f"dossier.pdf {len(rows)} rows",
        _median(figure),
        _median(lambda: _canvas_pdf(rows)),
        seconds,
        floor_is="canvas, same rows",
        note=f"queries and chain check included; median of {REQUESTS}",
    )
