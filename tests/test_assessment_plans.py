"""The Lead IV's assessment plan: its checks, the workflow to the QN, signing, the PDF."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from assessment import services_plans as services
from assessment.models import AssessmentPlan
from audit.models import AuditEvent
from signatures import services as signing
from todos.models import ToDo
from verification.models import LeadIVAppointment

from .factories import (
    PASSWORD,
    CentreFactory,
    CohortFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    TeachingGroupFactory,
    UserFactory,
    planned_row,
    unit_with_criteria,
)
from .pdf_reading import pdf_text

pytestmark = pytest.mark.django_db


class W:
    pass


def person(centre, role, name):
    user = UserFactory(username=name, first_name=name.capitalize(), last_name="Staff")
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


@pytest.fixture
def w():
    w = W()
    w.centre = CentreFactory(name="Plan Park School")
    w.qual = QualificationFactory(title="BTEC Plan Studies")
    w.u1 = unit_with_criteria(w.qual, 1, ["A.P1", "A.M1", "B.P2"])
    w.u2 = unit_with_criteria(w.qual, 2, ["A.P1", "A.D1"], mandatory=False)
    w.u3 = unit_with_criteria(w.qual, 3, ["P1"], mandatory=False)  # not chosen
    w.ext = unit_with_criteria(w.qual, 4, ["X1"], internal=False)
    w.cohort = CohortFactory(centre=w.centre, qualification=w.qual)
    w.cohort.optional_units.add(w.u2)
    w.lead = person(w.centre, Role.LEAD_IV, "lead")
    w.qn = person(w.centre, Role.QUALITY_NOMINEE, "quinn")
    w.a1 = person(w.centre, Role.ASSESSOR_IV, "asha")
    w.a2 = person(w.centre, Role.ASSESSOR_IV, "bram")
    LeadIVAppointment.objects.create(
        centre=w.centre,
        qualification=w.qual,
        academic_year="2026/27",
        lead_iv=w.lead,
        appointed_by=w.qn,
    )
    w.plan = services.start_plan(w.cohort, academic_year="2026/27", by=w.lead)
    return w


def complete(w):
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, title="Lab report")
    planned_row(w.plan, w.u2, assessor=w.a2, iv=w.a1, title="Presentation")


def submit(w):
    w.plan.refresh_from_db()
    return services.submit_plan(
        w.plan, by=w.lead, password=PASSWORD, seen_sha256=signing.current_sha256(w.plan)
    )


# --- the checks --------------------------------------------------------------------------


def test_an_uncovered_internal_unit_is_named_and_external_and_unchosen_units_are_not(w):
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2)
    problems = services.plan_problems(w.plan)
    assert any("Unit 2 (Unit 2 topic) has no assignment" in p for p in problems)
    assert not any("Unit 3" in p or "Unit 4" in p for p in problems)


def test_criteria_must_be_covered_exactly_once(w):
    u1 = list(w.u1.criteria.order_by("code"))  # A.M1, A.P1, B.P2
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, criteria=u1[:2], title="One")
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, criteria=u1[1:2], title="Two")
    planned_row(w.plan, w.u2, assessor=w.a2, iv=w.a1)
    problems = services.plan_problems(w.plan)
    assert any("criterion B.P2 is not covered" in p for p in problems)
    assert any("criterion A.P1 is covered more than once (One; Two)" in p for p in problems)
    assert not any("A.M1" in p for p in problems)


@pytest.mark.parametrize(
    "dates, message",
    [
        (
            {"brief_iv_by": dt.date(2026, 10, 5)},
            "brief must be internally verified by the hand-out",
        ),
        ({"hand_in": dt.date(2026, 10, 2)}, "hand-in date must be after the hand-out"),
        ({"resubmission_by": dt.date(2026, 10, 20)}, "resubmission window cannot end before"),
        ({"decisions_iv_by": dt.date(2026, 10, 20)}, "decisions cannot be internally verified"),
    ],
)
def test_dates_out_of_order_are_named(w, dates, message):
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, title="Lab report", **dates)
    planned_row(w.plan, w.u2, assessor=w.a2, iv=w.a1)
    problems = services.plan_problems(w.plan)
    assert [p for p in problems if message in p] == [
        p for p in problems if p.startswith("Unit 1, “Lab report”")
    ]
    assert len(problems) == 1


def test_assessor_and_iv_must_differ_in_the_form(w, client):
    client.force_login(w.lead)
    url = reverse("assessment:assignment_add", args=[w.plan.pk, w.u1.pk])
    response = client.post(
        url,
        {
            "title": "Same person",
            "criteria": [c.pk for c in w.u1.criteria.all()],
            "method": "practical",
            "assessor": w.a1.pk,
            "internal_verifier": w.a1.pk,
            "brief_iv_by": "2026-10-01",
            "hand_out": "2026-10-02",
            "hand_in": "2026-10-30",
            "resubmission_by": "2026-11-15",
            "decisions_iv_by": "2026-11-10",
        },
    )
    assert response.status_code == 200
    assert "must be someone other than the assessor" in response.content.decode()
    assert not w.plan.assignments.exists()


def test_the_form_offers_only_the_units_criteria_and_saves_a_row(w, client):
    client.force_login(w.lead)
    url = reverse("assessment:assignment_add", args=[w.plan.pk, w.u2.pk])
    page = client.get(url).content.decode()
    assert "A.D1" in page and "B.P2" not in page
    data = {
        "title": "Pitch",
        "criteria": [c.pk for c in w.u2.criteria.all()],
        "method": "presentation",
        "assessor": w.a1.pk,
        "internal_verifier": w.a2.pk,
        "brief_iv_by": "2026-10-01",
        "hand_out": "2026-10-02",
        "hand_in": "2026-10-30",
        "resubmission_by": "2026-11-15",
        "decisions_iv_by": "2026-11-10",
    }
    stranger = w.u1.criteria.first()
    bad = client.post(url, {**data, "criteria": [stranger.pk]})
    assert bad.status_code == 200 and not w.plan.assignments.exists()
    assert client.post(url, data).status_code == 302
    row = w.plan.assignments.get()
    assert sorted(c.code for c in row.criteria.all()) == ["A.D1", "A.P1"]
    assert AuditEvent.objects.filter(action="assessment.plan.assignment_saved").exists()


def test_a_consortium_plan_needs_a_row_per_delivering_site(w):
    away = CentreFactory(name="Partner Site College")
    TeachingGroupFactory(cohort=w.cohort, academic_year="2026/27", name="A")
    TeachingGroupFactory(cohort=w.cohort, academic_year="2026/27", name="B", delivering_centre=away)
    complete(w)
    problems = services.plan_problems(w.plan)
    assert any(
        "Unit 1 (Unit 1 topic) has no assignment for the delivering site Partner Site College" in p
        for p in problems
    )


def test_a_consortium_plan_with_an_assignment_per_site_can_be_submitted(w):
    """Each site assesses every criterion once: two sites' assignments on one unit are not
    "covered more than once"."""
    away = CentreFactory(name="Partner Site College")
    TeachingGroupFactory(cohort=w.cohort, academic_year="2026/27", name="A")
    TeachingGroupFactory(cohort=w.cohort, academic_year="2026/27", name="B", delivering_centre=away)
    complete(w)
    for unit, who in ((w.u1, (w.a1, w.a2)), (w.u2, (w.a2, w.a1))):
        row = planned_row(w.plan, unit, assessor=who[0], iv=who[1], title=f"Away {unit.number}")
        row.delivering_centre = away
        row.save()
    assert services.plan_problems(w.plan) == []
    submit(w)
    w.plan.refresh_from_db()
    assert w.plan.status == "submitted"
    # a criterion twice at one site is still caught, and names the site
    extra = planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, title="Second go")
    extra.delivering_centre = away
    extra.save()
    assert any(
        "criterion A.P1 is covered more than once at Partner Site College" in p
        for p in services.plan_problems(w.plan)
    )


def test_a_two_year_cohorts_units_are_planned_once_across_its_years(w):
    w.cohort.years = 2
    w.cohort.save()
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, title="Lab report")
    # Year 1 leaves unit 2 to year 2: not a problem yet.
    assert services.plan_problems(w.plan) == []
    LeadIVAppointment.objects.create(
        centre=w.centre,
        qualification=w.qual,
        academic_year="2027/28",
        lead_iv=w.lead,
        appointed_by=w.qn,
    )
    year2 = services.start_plan(w.cohort, academic_year="2027/28", by=w.lead)
    problems = services.plan_problems(year2)
    assert any(
        "Unit 2 (Unit 2 topic) has no assignment in this or an earlier" in p for p in problems
    )
    assert not any("Unit 1 " in p for p in problems)  # planned in year 1
    planned_row(year2, w.u2, assessor=w.a2, iv=w.a1, title="Presentation")
    assert services.plan_problems(year2) == []
    planned_row(year2, w.u1, assessor=w.a2, iv=w.a1, title="Lab report again")
    assert any(
        "criterion A.P1 is covered more than once (Lab report (2026/27); Lab report again)" in p
        or "criterion A.P1 is covered more than once (Lab report again; Lab report (2026/27))" in p
        for p in services.plan_problems(year2)
    )


def test_a_retake_assignment_does_not_count_as_covering_the_criteria_twice(w):
    complete(w)
    retake = planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2, title="Retake brief")
    assert any("covered more than once" in p for p in services.plan_problems(w.plan))
    retake.for_retakes = True
    retake.save()
    assert services.plan_problems(w.plan) == []


def test_an_assessor_with_no_standardisation_record_is_warned_not_refused(w, client):
    complete(w)
    client.force_login(w.lead)
    page = client.get(w.plan.get_absolute_url()).content.decode()
    assert "Asha Staff has no standardisation record for 2026/27" in page
    assert "Every check passes" in page
    submit(w)
    w.plan.refresh_from_db()
    assert w.plan.status == "submitted"


# --- the workflow ------------------------------------------------------------------------


def test_submission_is_refused_while_a_check_fails_naming_it(w, client):
    planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2)
    client.force_login(w.lead)
    w.plan.refresh_from_db()
    response = client.post(
        reverse("assessment:plan_submit", args=[w.plan.pk]),
        {
            "password": PASSWORD,
            "seen": signing.current_sha256(w.plan),
            "version": w.plan.lock_version,
        },
    )
    assert response.status_code == 400
    assert "Unit 2 (Unit 2 topic) has no assignment" in response.content.decode()
    w.plan.refresh_from_db()
    assert w.plan.status == "draft" and not signing.signatures(w.plan).exists()


def test_only_the_appointed_lead_iv_writes_the_plan(w):
    other_lead = person(w.centre, Role.LEAD_IV, "otherlead")
    with pytest.raises(PermissionDenied, match="Only the Lead IV appointed"):
        services.save_assignment(
            w.plan,
            by=other_lead,
            data={"unit": w.u1, "assessor": w.a1, "internal_verifier": w.a2},
            criteria=[],
        )


def test_a_wrong_password_signs_nothing(w):
    complete(w)
    w.plan.refresh_from_db()
    with pytest.raises(ValidationError, match="password is not right"):
        services.submit_plan(
            w.plan, by=w.lead, password="wrong", seen_sha256=signing.current_sha256(w.plan)
        )
    w.plan.refresh_from_db()
    assert w.plan.status == "draft"


def test_submit_return_resubmit_approve(w, client):
    complete(w)
    sig = submit(w)
    assert sig.role_label == "Lead Internal Verifier"
    review = ToDo.objects.get(kind="assessment.review_plan", closed_at__isnull=True)
    assert review.role == Role.QUALITY_NOMINEE
    # The Lead IV cannot change a submitted plan.
    with pytest.raises(ValidationError, match="with the Quality Nominee"):
        services.remove_assignment(w.plan, w.plan.assignments.first(), by=w.lead)

    client.force_login(w.qn)
    w.plan.refresh_from_db()
    row = w.plan.assignments.get(title="Lab report")
    response = client.post(
        reverse("assessment:plan_return", args=[w.plan.pk]),
        {
            "version": w.plan.lock_version,
            "comment": "Spread the methods",
            f"row_{row.pk}": "Use a practical here",
        },
    )
    assert response.status_code == 302
    w.plan.refresh_from_db()
    row.refresh_from_db()
    assert w.plan.status == "returned" and row.review_comment == "Use a practical here"
    assert ToDo.objects.get(kind="assessment.review_plan").closed_at is not None
    assert ToDo.objects.filter(kind="assessment.revise_plan", closed_at__isnull=True).exists()
    page = client.get(w.plan.get_absolute_url()).content.decode()
    assert "Use a practical here" in page and "Spread the methods" in page

    # Edited, then submitted again.
    row.method = "practical"
    row.save()
    submit(w)
    w.plan.refresh_from_db()
    assert w.plan.status == "submitted"
    response = client.post(
        reverse("assessment:plan_approve", args=[w.plan.pk]),
        {
            "version": w.plan.lock_version,
            "seen": signing.current_sha256(w.plan),
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    w.plan.refresh_from_db()
    assert w.plan.status == "approved" and w.plan.reviewed_by == w.qn
    roles = [s.role_label for s in signing.signatures(w.plan).order_by("signed_at", "pk")]
    assert roles == ["Lead Internal Verifier", "Lead Internal Verifier", "Quality Nominee"]
    codes = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "assessment.plan.submitted",
        "assessment.plan.returned",
        "assessment.plan.approved",
    } <= codes


def test_return_needs_a_comment_and_only_the_qn_reviews(w, client):
    complete(w)
    submit(w)
    w.plan.refresh_from_db()
    with pytest.raises(ValidationError, match="Say what must change"):
        services.return_plan(w.plan, by=w.qn, comment=" ", row_comments={})
    client.force_login(w.lead)
    response = client.post(
        reverse("assessment:plan_approve", args=[w.plan.pk]),
        {"version": w.plan.lock_version, "seen": "x", "password": PASSWORD},
    )
    assert response.status_code == 403


def approved(w):
    complete(w)
    submit(w)
    w.plan.refresh_from_db()
    services.approve_plan(
        w.plan, by=w.qn, password=PASSWORD, seen_sha256=signing.current_sha256(w.plan)
    )
    w.plan.refresh_from_db()


def test_an_approved_plan_is_immutable_and_a_change_starts_a_new_version(w, client):
    approved(w)
    with pytest.raises(ValidationError, match="approved and cannot change"):
        services.remove_assignment(w.plan, w.plan.assignments.first(), by=w.lead)
    with pytest.raises(ValidationError, match="Give the reason"):
        services.reopen_plan(w.plan, by=w.lead, reason="")
    services.reopen_plan(w.plan, by=w.lead, reason="New assessor for Unit 2")
    w.plan.refresh_from_db()
    assert w.plan.status == "draft"
    row = w.plan.assignments.get(title="Presentation")
    row.title = "Presentation (revised)"
    row.save()
    submit(w)
    client.force_login(w.qn)
    page = client.get(reverse("assessment:plan_versions", args=[w.plan.pk])).content.decode()
    assert "Signed by Quinn Staff (Quality Nominee)" in page
    assert "Presentation → Presentation (revised)" in page
    first = signing.versions(w.plan).order_by("number").first()
    assert [r["title"] for r in first.snapshot["rows"]] == ["Lab report", "Presentation"]


def test_the_pdf_names_the_units_people_and_signatures(w, client):
    approved(w)
    client.force_login(w.qn)
    response = client.get(reverse("assessment:plan_pdf", args=[w.plan.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("Unit 1: Unit 1 topic", "Unit 2: Unit 2 topic", "Lab report", "Asha Staff"):
        assert expected in text
    assert "A.M1, A.P1, B.P2" in text
    assert "Quality Nominee" in text and "Unit 4" not in text


def test_the_list_shows_only_plans_in_reach(w, client):
    other = CentreFactory(name="Elsewhere High")
    other_cohort = CohortFactory(centre=other, qualification=QualificationFactory(title="Zzz Away"))
    AssessmentPlan.objects.create(cohort=other_cohort, academic_year="2026/27")
    client.force_login(w.qn)
    page = client.get(reverse("assessment:plan_list")).content.decode()
    assert "BTEC Plan Studies" in page and "Zzz Away" not in page
    assert (
        client.get(
            reverse("assessment:plan_detail", args=[other_cohort.assessment_plans.get().pk])
        ).status_code
        == 404
    )


def test_the_plan_page_runs_the_same_queries_at_two_sizes(w, client):
    client.force_login(w.qn)
    complete(w)
    url = w.plan.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(5, 11):
        unit = unit_with_criteria(w.qual, n, ["P1", "M1"])
        planned_row(w.plan, unit, assessor=w.a1, iv=w.a2)
        planned_row(w.plan, w.u1, assessor=w.a2, iv=w.a1, title=f"Extra {n}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_the_demo_has_one_returned_plan_and_one_brief_waiting_in_december():
    from assessment.models_briefs import AssignmentBrief
    from btecqa.demo import load_demo

    load_demo(dt.date(2026, 12, 2))
    statuses = sorted(
        AssessmentPlan.objects.filter(academic_year="2026/27").values_list("status", flat=True)
    )
    assert statuses.count("returned") == 1 and set(statuses) == {"approved", "returned"}
    returned = AssessmentPlan.objects.get(status="returned")
    assert returned.assignments.exclude(review_comment="").count() == 1
    briefs = list(AssignmentBrief.objects.values_list("status", flat=True))
    assert briefs.count("awaiting_iv") == 1 and set(briefs) == {"awaiting_iv", "issued"}


def test_an_unconfirmed_criterion_is_marked_on_the_plan_and_the_class_grid(w, client):
    from django.urls import reverse

    from tests.factories import decisions_assignment, decisions_class

    complete(w)
    w.u1.criteria.filter(code="A.M1").update(unconfirmed="UNCONFIRMED: from memory")
    client.force_login(w.lead)
    page = client.get(w.plan.get_absolute_url()).content.decode()
    assert page.count('title="UNCONFIRMED: from memory">UNCONFIRMED</abbr>') == 1
    a = decisions_assignment()
    a.criteria.filter(code="A.D1").update(unconfirmed="UNCONFIRMED: not in a source")
    decisions_class(a, 1)
    client.force_login(a.assessor)
    grid = client.get(reverse("assessment:decisions_grid", kwargs={"pk": a.pk})).content.decode()
    assert grid.count(">UNCONFIRMED</abbr>") == 1 and "not in a source" in grid


def test_the_reviewers_two_forms_label_their_own_fields(w, client):
    """The approve and return forms share a page: each label must name its own field (a
    repeated id would give the return form's comment box the approval comment's label)."""
    import re

    complete(w)
    submit(w)
    client.force_login(w.qn)
    page = client.get(w.plan.get_absolute_url()).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', page):
        assert target in ids, f"a label points at the missing id {target}"
