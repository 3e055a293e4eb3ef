"""Pearson's standards verification per cohort and year (policy 000-3.1.11 cooperate with
Pearson's external quality assurance; 000-3.1.13 act on the SV report before certification;
domain.md 3.10): allocation, route, the report status in Edexcel Online's words, samples,
actions, and the claims gate the Certification issue reads."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from qualifications.models import QualificationFamily
from todos.models import ToDo
from verification import models_sv, services_sv
from verification.models import SVAction, SVSample, SVVisit
from verification.selectors_sv import sv_claims_gate

from .factories import CohortFactory, LearnerFactory, QualificationFactory, register_on

R = Role
YEAR = "2026/27"


@pytest.fixture(autouse=True)
def _spring():
    with time_machine.travel(dt.datetime(2027, 2, 1, 10, 0), tick=True):
        yield


@pytest.fixture
def cohort(own_centre):
    q = QualificationFactory(title="National Extended Certificate in Verification")
    return CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)


@pytest.fixture
def learners(cohort):
    people = [
        LearnerFactory(centre=cohort.centre, first_name=f, last_name=last)
        for f, last in (("Amira", "Bell"), ("Callum", "Dunn"), ("Esme", "Fox"))
    ]
    for person in people:
        register_on(cohort, person)
    return people


@pytest.fixture
def visit(cohort, cast):
    return services_sv.record_allocation(
        cohort=cohort,
        academic_year=YEAR,
        verifier_name="Dr Imogen Quarry",
        verifier_email="i.quarry@sv.example.org",
        verifier_phone="07700 900123",
        allocated_on=dt.date(2027, 1, 20),
        by=cast[R.QUALITY_NOMINEE],
    )


def test_the_qn_records_the_allocation_and_it_starts_not_yet_fully_sampled(client, cast, cohort):
    """3.1.11: Pearson's allocation is recorded, audited, on the default route."""
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(
        reverse("verification:sv_add"),
        {
            "cohort": cohort.pk,
            "academic_year": YEAR,
            "verifier_name": "Dr Imogen Quarry",
            "verifier_email": "i.quarry@sv.example.org",
            "verifier_phone": "07700 900123",
            "allocated_on": "2027-01-20",
        },
    )
    assert response.status_code == 302
    visit = SVVisit.objects.get()
    assert (visit.route, visit.status, visit.sample_number) == ("standard", "not_yet_sampled", 1)
    page = client.get(response["Location"]).content.decode()
    assert "Dr Imogen Quarry" in page and "Not yet fully sampled" in page
    assert "Standard sampling" in page
    event = AuditEvent.objects.get(action="verification.sv.allocated")
    assert (
        event.centre_id == cohort.centre_id and event.after_data["verifier"] == "Dr Imogen Quarry"
    )
    listing = client.get(reverse("verification:sv_list"), {"year": YEAR}).content.decode()
    assert "Dr Imogen Quarry" in listing and "Not yet fully sampled" in listing


def test_a_year_the_cohort_is_not_taught_is_refused(client, cast, cohort):
    client.force_login(cast[R.LEAD_IV])
    response = client.post(
        reverse("verification:sv_add"),
        {"cohort": cohort.pk, "academic_year": "2028/29", "verifier_name": "Dr Quarry"},
    )
    assert response.status_code == 200
    assert "is not taught in 2028/29" in response.content.decode()
    assert not SVVisit.objects.exists()


def test_tech_award_2022_defaults_to_moderation_which_other_families_cannot_use(
    cast, own_centre, cohort, visit
):
    family = QualificationFamily.objects.get(code="tech-award-2022")
    q = QualificationFactory(title="Tech Award in Enterprise", family=family)
    tech = CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)
    moderated = services_sv.record_allocation(
        cohort=tech, academic_year=YEAR, verifier_name="A Moderator", by=cast[R.LEAD_IV]
    )
    assert moderated.route == "moderation"
    with pytest.raises(ValidationError) as refused:
        services_sv.set_route(visit, route="moderation", by=cast[R.LEAD_IV])
    assert "is not used for National Extended Certificate in Verification" in str(refused.value)
    services_sv.set_route(visit, route="enhanced", by=cast[R.LEAD_IV])
    visit.refresh_from_db()
    assert visit.route_label == "Enhanced sampling (Enhanced Control)"
    services_sv.set_route(visit, route="lsv", by=cast[R.LEAD_IV])  # the alternative label


def test_certification_pending_needs_an_action_and_opens_the_second_sample(client, cast, visit):
    """3.1.13: the verifier found inaccurate assessment: actions, then a second sample."""
    client.force_login(cast[R.LEAD_IV])
    url = reverse("verification:sv_status", args=[visit.pk])
    refused = client.post(url, {"status": "certification_pending"})
    assert refused.status_code == 400
    assert "needs the actions agreed with the verifier" in refused.content.decode()
    visit.refresh_from_db()
    assert visit.status == "not_yet_sampled" and not visit.samples.exists()

    services_sv.add_action(
        visit,
        description="Reassess Unit 3 A.M1 for the named learners",
        owner=cast[R.ASSESSOR_IV],
        due_on=dt.date(2027, 2, 20),
        by=cast[R.LEAD_IV],
    )
    response = client.post(
        url, {"status": "certification_pending", "report_received_on": "2027-01-30"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.sample_number == 2 and visit.samples.filter(number=2).exists()
    assert visit.status_label == "Certification pending – centre action required"
    page = client.get(response["Location"]).content.decode()
    assert "Second sample" in page and "Certification pending – centre action required" in page
    assert AuditEvent.objects.filter(action="verification.sv.status_set").count() == 1


def test_a_second_sample_is_refused_before_the_report_asks_for_one(cast, visit):
    with pytest.raises(ValidationError) as refused:
        services_sv.request_sample(visit, number=2, by=cast[R.LEAD_IV])
    assert "second sample is asked for only after" in str(refused.value)


def test_the_verifier_names_learners_only_from_the_cohort(client, cast, visit, learners):
    sample = services_sv.request_sample(
        visit, plans_sent_on=dt.date(2027, 1, 25), deadline=dt.date(2027, 2, 12), by=cast[R.LEAD_IV]
    )
    stranger = LearnerFactory(centre=visit.cohort.centre, first_name="Zed", last_name="Outsider")
    with pytest.raises(ValidationError) as refused:
        services_sv.name_learners(sample, learners=[learners[0], stranger], by=cast[R.LEAD_IV])
    assert "Zed Outsider: not on" in str(refused.value)
    assert not sample.learners.exists()

    client.force_login(cast[R.LEAD_IV])
    url = reverse("verification:sv_learners", args=[sample.pk])
    form = client.get(url).content.decode()
    assert "Amira" in form and "Zed" not in form  # only the cohort is offered
    response = client.post(url, {"learners": [learners[0].pk, learners[1].pk]}, follow=True)
    assert "Sample 1: 2 learners named." in response.content.decode()
    assert set(sample.learners.all()) == {learners[0], learners[1]}
    page = client.get(reverse("verification:sv_detail", args=[visit.pk])).content.decode()
    assert "Amira Bell" in page and "due in 11 days (Friday 12 February 2027)" in page
    event = AuditEvent.objects.get(action="verification.sv.learners_named")
    assert event.after_data["learners"] == "Amira Bell, Callum Dunn"


def test_work_sent_needs_named_learners_and_late_is_recorded(cast, visit, learners):
    sample = services_sv.request_sample(visit, deadline=dt.date(2027, 1, 29), by=cast[R.LEAD_IV])
    with pytest.raises(ValidationError) as refused:
        services_sv.record_work_submitted(
            sample, submitted_on=dt.date(2027, 1, 30), by=cast[R.LEAD_IV]
        )
    assert "No learners are named" in str(refused.value)
    services_sv.name_learners(sample, learners=learners[:1], by=cast[R.LEAD_IV])
    services_sv.record_work_submitted(sample, submitted_on=dt.date(2027, 1, 30), by=cast[R.LEAD_IV])
    event = AuditEvent.objects.get(action="verification.sv.work_submitted")
    assert event.after_data["late_by_days"] == 1


def test_a_refused_work_sent_date_gives_its_reason_in_the_banner(client, cast, visit, learners):
    """The visit page draws the work-sent form afresh, so the banner carries the reason."""
    sample = services_sv.request_sample(visit, deadline=dt.date(2027, 2, 12), by=cast[R.LEAD_IV])
    client.force_login(cast[R.LEAD_IV])
    url = reverse("verification:sv_submitted", args=[sample.pk])
    page = client.post(url, {"submitted_on": "2027-02-01"}, follow=True).content.decode()
    assert "Nothing was saved: No learners are named for this sample yet: name them first." in page
    named = client.post(
        reverse("verification:sv_learners", args=[sample.pk]),
        {"learners": [learners[0].pk]},
        follow=True,
    ).content.decode()
    assert "Sample 1: 1 learner named." in named
    page = client.post(url, {"submitted_on": "2027-03-01"}, follow=True).content.decode()
    assert "Nothing was saved: The date is in the future." in page
    page = client.post(url, {"submitted_on": ""}, follow=True).content.decode()
    assert "Nothing was saved: This field is required." in page
    sample.refresh_from_db()
    assert sample.work_submitted_on is None


def test_an_action_owner_gets_a_todo_and_closing_names_what_changed(client, cast, visit):
    owner = cast[R.ASSESSOR_IV]
    action = services_sv.add_action(
        visit,
        description="Reassess Unit 3 A.M1",
        owner=owner,
        due_on=dt.date(2027, 2, 20),
        by=cast[R.LEAD_IV],
    )
    todo = ToDo.objects.get(kind="verification.sv_action", closed_at__isnull=True)
    assert todo.assignee == owner and todo.due_date == dt.date(2027, 2, 20)
    changed = AuditEvent.objects.get(action="verification.sv.action_added")

    client.force_login(cast[R.LEAD_IV])
    url = reverse("verification:sv_action_close", args=[action.pk])
    refused = client.post(url, {"note": "Regraded", "changed_events": "999999"})
    assert "No event 999999 on Own Test Academy" in refused.content.decode()
    response = client.post(
        url, {"note": "Regraded A.M1 for two learners", "changed_events": f"{changed.seq}"}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.closed_by == cast[R.LEAD_IV] and action.changed_events == [changed.seq]
    todo.refresh_from_db()
    assert todo.closed_at is not None
    closed = AuditEvent.objects.get(action="verification.sv.action_closed")
    assert f"event {changed.seq}" in closed.after_data["changed"]
    page = client.get(reverse("verification:sv_detail", args=[visit.pk])).content.decode()
    assert "Regraded A.M1 for two learners" in page and f"event {changed.seq}" in page


def test_an_action_owner_must_work_at_the_centre(cast, visit, make_user, other_centre):
    outsider = make_user("outsider", R.LEAD_IV, centre=other_centre)
    with pytest.raises(ValidationError) as refused:
        services_sv.add_action(
            visit, description="x", owner=outsider, due_on=dt.date(2027, 3, 1), by=cast[R.LEAD_IV]
        )
    assert "holds no role at Own Test Academy" in str(refused.value)


def test_claims_gate_warns_until_released_and_says_why(cast, cohort, visit):
    """3.1.13 / domain 3.10: warn, don't hard-stop, for interim claims; Released is clear."""
    other = CohortFactory(
        centre=cohort.centre, qualification=QualificationFactory(), start_year=YEAR
    )
    none = sv_claims_gate(other, YEAR)
    assert not none.clear and none.allows(interim=True) and not none.allows(interim=False)
    assert "No standards verification is recorded" in none.warning

    gate = sv_claims_gate(cohort, YEAR)
    assert not gate.may_proceed and gate.allows(interim=True)
    assert gate.warning.startswith("Standards verification 2026/27: Not yet fully sampled.")

    services_sv.add_action(
        visit,
        description="Fix",
        owner=cast[R.LEAD_IV],
        due_on=dt.date(2027, 3, 1),
        by=cast[R.LEAD_IV],
    )
    services_sv.set_report_status(visit, status="certification_pending", by=cast[R.LEAD_IV])
    gate = sv_claims_gate(cohort, YEAR)
    assert "Certification pending – centre action required" in gate.warning
    assert "1 action open" in gate.warning and gate.sample_number == 2

    services_sv.set_report_status(visit, status="released", by=cast[R.LEAD_IV])
    gate = sv_claims_gate(cohort, YEAR)
    assert gate.clear and gate.may_proceed and gate.warning == ""


def test_routes_and_statuses_are_configuration(tmp_path, monkeypatch, cast, cohort):
    """The statuses' words and meaning come from the config file, per year."""
    data = json.loads(models_sv.CONFIG_FILE.read_text())
    data["years"] = {
        YEAR: {
            "statuses": [
                *data["statuses"],
                {
                    "code": "held",
                    "label": "Held by Pearson",
                    "claims": "block",
                    "reason": "Pearson is holding results.",
                },
            ]
        }
    }
    path = tmp_path / "sv.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(models_sv, "CONFIG_FILE", path)
    models_sv.sv_config.cache_clear()
    try:
        visit = services_sv.record_allocation(
            cohort=cohort, academic_year=YEAR, verifier_name="Dr Quarry", by=cast[R.LEAD_IV]
        )
        services_sv.set_report_status(visit, status="held", by=cast[R.LEAD_IV])
        gate = sv_claims_gate(cohort, YEAR)
        assert gate.blocks and not gate.allows(interim=True) and "Held by Pearson" in gate.warning
        with pytest.raises(ValidationError) as refused:
            services_sv.set_report_status(visit, status="nonsense", by=cast[R.LEAD_IV])
        assert "“Held by Pearson”" in str(refused.value)
    finally:
        models_sv.sv_config.cache_clear()


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "due today (Monday 1 February 2027)"),
        (1, "due tomorrow (Tuesday 2 February 2027)"),
        (11, "due in 11 days (Friday 12 February 2027)"),
        (15, "due in 15 days, 2 weeks (Tuesday 16 February 2027)"),
        (-3, "3 days overdue (was due Friday 29 January 2027)"),
    ],
)
def test_deadlines_read_as_an_exams_officer_says_them(days, words):
    today = dt.date(2027, 2, 1)
    assert services_sv.deadline_in_words(today + dt.timedelta(days=days), today) == words
    assert services_sv.deadline_in_words(None, today) == "no deadline set"


def test_staff_see_but_only_the_qn_and_lead_iv_change(client, cast, visit, make_user, other_centre):
    url = reverse("verification:sv_detail", args=[visit.pk])
    client.force_login(cast[R.ASSESSOR_IV])
    page = client.get(url)
    assert page.status_code == 200 and "Set the status" not in page.content.decode()
    assert (
        client.post(
            reverse("verification:sv_route", args=[visit.pk]), {"route": "enhanced"}
        ).status_code
        == 403
    )
    client.force_login(cast[R.GOVERNOR])
    assert client.get(url).status_code == 403
    client.force_login(make_user("elsewhere", R.QUALITY_NOMINEE, centre=other_centre))
    assert client.get(url).status_code == 404


def test_the_visit_page_runs_a_fixed_number_of_queries(
    client, cast, visit, cohort, django_assert_max_num_queries
):
    def grow(n):
        people = [LearnerFactory(centre=cohort.centre) for _ in range(n)]
        for p in people:
            register_on(cohort, p)
        sample = SVSample.objects.filter(
            visit=visit, number=1
        ).first() or services_sv.request_sample(visit, by=cast[R.LEAD_IV])
        sample.learners.add(*people)
        for i in range(n):
            SVAction.objects.create(
                visit=visit,
                description=f"Action {i}",
                owner=cast[R.ASSESSOR_IV],
                due_on=dt.date(2027, 3, 1),
                created_by=cast[R.LEAD_IV],
            )

    client.force_login(cast[R.LEAD_IV])
    url = reverse("verification:sv_detail", args=[visit.pk])
    grow(2)
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    grow(25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_demo_in_march_has_a_verification_part_way():
    from btecqa.demo import load_demo

    load_demo(dt.date(2027, 3, 1))
    visit = SVVisit.objects.get(academic_year=YEAR)
    assert visit.verifier_name == "Dr Marguerite Tallis" and visit.status == "not_yet_sampled"
    sample = visit.samples.get()
    assert (
        sample.plans_sent_on and sample.learners.count() == 3 and sample.work_submitted_on is None
    )
    assert visit.cohort.start_year == "2025/26" and visit.route == "standard"


def test_the_list_runs_a_fixed_number_of_queries(
    client, cast, own_centre, django_assert_max_num_queries
):
    def grow(n):
        for _ in range(n):
            c = CohortFactory(
                centre=own_centre, qualification=QualificationFactory(), start_year=YEAR
            )
            services_sv.record_allocation(
                cohort=c, academic_year=YEAR, verifier_name="Dr Quarry", by=cast[R.LEAD_IV]
            )
            CohortFactory(centre=own_centre, qualification=QualificationFactory(), start_year=YEAR)

    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("verification:sv_list")
    grow(2)
    client.get(url, {"year": YEAR})
    with django_assert_max_num_queries(30) as small:
        client.get(url, {"year": YEAR})
    grow(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url, {"year": YEAR})
    assert page.content.decode().count("Dr Quarry") == 14


@pytest.mark.django_db
def test_the_demo_in_december_shows_last_years_verification_through_its_second_sample():
    """Before this year's allocation (from mid-January) the office has last year's on
    record: held at "certification pending", the action closed, a second sample, released."""
    from btecqa.demo import load_demo

    load_demo(dt.date(2026, 12, 3))
    visit = SVVisit.objects.get(academic_year="2025/26")
    assert visit.status == "released" and visit.sample_number == 2
    assert [s.number for s in visit.samples.order_by("number")] == [1, 2]
    assert all(s.work_submitted_on for s in visit.samples.all())
    action = visit.actions.get()
    assert action.closed_at is not None and "merit" in action.description
    assert not SVVisit.objects.filter(academic_year=YEAR).exists()
