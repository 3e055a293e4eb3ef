"""IV sampling (policy 000-3.2.1; domain.md 3.8): the strategy, risk ratings, the risk-based
sample, compliance and the CAMERA coverage matrix."""

import datetime as dt
import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment.models import Attempt, CriterionDecision, Submission
from audit.models import AuditEvent
from tests.factories import (
    CentreFactory,
    CohortFactory,
    RoleAssignmentFactory,
    UserFactory,
    decisions_assignment,
    decisions_class,
)
from verification import services_sampling as svc
from verification.models_sampling import (
    AssessorRating,
    DecisionFlag,
    IVPlan,
    IVRecord,
    SampleItem,
    SamplingStrategy,
)
from verification.selectors_sampling import coverage

pytestmark = pytest.mark.django_db
YEAR = "2026/27"


def person(centre, role, first="Jo", last="Smith"):
    user = UserFactory(first_name=first, last_name=last)
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


def decide(a, learner, achieved, *, attempt=Attempt.FIRST, submit=True):
    for c in a.criteria.all():
        CriterionDecision.objects.create(
            learner=learner,
            assignment=a,
            criterion=c,
            attempt=attempt,
            achieved=c.code in achieved,
            decided_on=dt.date(2026, 11, 10),
            feedback=f"Feedback on {c.code}",
            assessor=a.assessor,
        )
    if submit:
        Submission.objects.create(
            learner=learner,
            assignment=a,
            attempt=attempt,
            submitted_on=dt.date(2026, 11, 2),
            learner_declared_on=dt.date(2026, 11, 2),
            assessor_declared_on=dt.date(2026, 11, 2),
            recorded_by=a.assessor,
        )


PASS = {"A.P1", "A.P2"}
MERIT = PASS | {"A.M1"}
DIST = MERIT | {"A.D1"}


class World:
    """A cohort with one assignment (A.P1, A.P2, A.M1, A.D1) and n learners decided; with
    history, the assessor and the unit have decisions in 2025/26 (experienced, not new)."""

    def __init__(self, n=20, *, history=True, grades=None):
        self.centre = CentreFactory()
        self.lead = person(self.centre, "lead_iv", "Lee", "Lead")
        self.qn = person(self.centre, "quality_nominee", "Quinn", "Nominee")
        self.assessor = person(self.centre, "assessor_iv", "Jane", "Smith")
        self.iv = person(self.centre, "assessor_iv", "Ivy", "Verifier")
        self.cohort = CohortFactory(centre=self.centre, start_year=YEAR)
        self.a = decisions_assignment(cohort=self.cohort, assessor=self.assessor, iv=self.iv)
        if history:
            old = CohortFactory(
                centre=self.centre, start_year="2025/26", qualification=self.cohort.qualification
            )
            prev = decisions_assignment(
                cohort=old, unit=self.a.unit, assessor=self.assessor, iv=self.iv
            )
            decide(prev, decisions_class(prev, 1)[0], PASS, submit=False)
        self.learners = decisions_class(self.a, n)
        grades = grades or [PASS] * n
        for learner, achieved in zip(self.learners, grades, strict=False):
            decide(self.a, learner, achieved)
        self.plan = svc.start_plan(self.cohort, YEAR, by=self.lead)


# ---------------------------------------------------------------- strategy and ratings


def test_the_strategy_page_shows_the_defaults_until_one_is_saved(client):
    w = World(2)
    client.force_login(w.lead)
    page = client.get(reverse("verification:sampling_strategy"), {"centre": w.centre.pk})
    text = page.content.decode()
    assert page.status_code == 200
    assert "No strategy saved: these are the defaults." in text
    assert "100%" in text and "15%" in text
    assert "Save the rates" not in text  # the Lead IV cannot set rates


def test_only_the_quality_nominee_sets_the_rates_and_it_is_audited(client):
    w = World(2)
    data = {
        "centre": w.centre.pk,
        "year": YEAR,
        "rate_new": 80,
        "rate_experienced": 25,
        "rate_flagged": 90,
        "rate_new_unit": 60,
        "minimum_per_assignment": 2,
    }
    client.force_login(w.lead)
    assert client.post(reverse("verification:sampling_strategy_set"), data).status_code == 403
    client.force_login(w.qn)
    response = client.post(reverse("verification:sampling_strategy_set"), data, follow=True)
    assert "Sampling strategy saved" in response.content.decode()
    s = SamplingStrategy.objects.get(centre=w.centre)
    assert (s.rate_experienced, s.minimum_per_assignment) == (25, 2)
    assert AuditEvent.objects.filter(action="verification.sampling.strategy_set").exists()
    data["rate_new"] = 150
    response = client.post(reverse("verification:sampling_strategy_set"), data, follow=True)
    assert "New assessor (%)" in response.content.decode()
    assert SamplingStrategy.objects.get(centre=w.centre).rate_new == 80


def test_an_unrated_assessor_is_new_experienced_or_flagged_with_the_source():
    w = World(3, history=False)
    other = person(w.centre, "assessor_iv", "Old", "Hand")
    flagged = person(w.centre, "assessor_iv", "Fred", "Flagged")
    old = CohortFactory(centre=w.centre, start_year="2025/26", qualification=w.cohort.qualification)
    prev = decisions_assignment(cohort=old, assessor=other, iv=w.iv)
    decide(prev, decisions_class(prev, 1)[0], PASS, submit=False)
    prev2 = decisions_assignment(cohort=old, unit=prev.unit, assessor=flagged, iv=w.iv)
    learner = decisions_class(prev2, 1)[0]
    decide(prev2, learner, PASS, submit=False)
    old_plan = svc.start_plan(old, "2025/26", by=w.lead)
    item = SampleItem.objects.create(
        plan=old_plan, learner=learner, assignment=prev2, sampled_by=w.lead
    )
    record = IVRecord.objects.create(item=item, verifier=w.iv, outcome="disagree")
    DecisionFlag.objects.create(cohort=old, assignment=prev2, assessor=flagged, raised_by=record)

    got = svc.resolve_ratings(w.centre.pk, YEAR, [w.assessor.pk, other.pk, flagged.pk])
    assert got[w.assessor.pk].rating == "new"
    assert "no decisions at the centre in earlier years" in got[w.assessor.pk].source
    assert got[other.pk].rating == "experienced"
    assert got[flagged.pk].rating == "flagged"
    assert "flagged by IV in 2025/26" in got[flagged.pk].source

    svc.set_rating(w.centre, w.assessor, YEAR, "experienced", by=w.lead, reason="Ten years")
    got = svc.resolve_ratings(w.centre.pk, YEAR, [w.assessor.pk])
    assert got[w.assessor.pk].rating == "experienced"
    assert got[w.assessor.pk].source.startswith("set by Lee Lead")


def test_a_flagged_rating_needs_a_reason_and_the_page_sets_it(client):
    w = World(2)
    with pytest.raises(ValidationError, match="Say why"):
        svc.set_rating(w.centre, w.assessor, YEAR, "flagged", by=w.lead)
    client.force_login(w.lead)
    url = reverse("verification:sampling_rating_set")
    post = {"centre": w.centre.pk, "year": YEAR, "assessor": w.assessor.pk, "rating": "flagged"}
    response = client.post(url, {**post, "reason": "SV concerns"}, follow=True)
    assert "Rated:" in response.content.decode()
    assert AssessorRating.objects.get(assessor=w.assessor).reason == "SV concerns"
    page = client.get(reverse("verification:sampling_strategy"), {"centre": w.centre.pk})
    assert "SV concerns" in page.content.decode()


# ---------------------------------------------------------------- the builder


def test_an_experienced_assessor_is_sampled_at_the_rate_rounded_up_top_grades_first():
    grades = [DIST, {"A.P1"}, MERIT - {"A.P2"}] + [PASS] * 17
    w = World(20, grades=grades)
    new = svc.build_sample(w.plan, by=w.lead)
    assert len(new) == math.ceil(20 * 15 / 100)  # 3
    reasons = {i.learner_id: i.reasons for i in new}
    assert "top grade (D)" in reasons[w.learners[0].pk]
    assert NOT_YET_WORDS in reasons[w.learners[1].pk]
    assert all("new assessor" not in r for r in reasons.values())


NOT_YET_WORDS = "not yet achieved"


def test_a_new_assessor_is_sampled_wholly_and_the_reasons_say_so():
    w = World(6, history=False)
    new = svc.build_sample(w.plan, by=w.lead)
    assert len(new) == 6
    assert all("new assessor" in i.reasons and "unit new to the centre" in i.reasons for i in new)


def test_resubmissions_are_sampled_too_and_the_minimum_holds():
    w = World(10)
    SamplingStrategy.objects.create(
        centre=w.centre, rate_experienced=0, minimum_per_assignment=2, changed_by=w.qn
    )
    decide(w.a, w.learners[5], MERIT, attempt=Attempt.RESUBMISSION)
    new = svc.build_sample(w.plan, by=w.lead)
    assert len(new) == 2
    resub = [i for i in new if i.attempt == "resubmission"]
    assert resub and "resubmission" in resub[0].reasons


def test_the_snapshot_keeps_the_work_as_sampled_and_rebuilding_adds_no_duplicates():
    w = World(4, history=False)
    svc.build_sample(w.plan, by=w.lead)
    item = SampleItem.objects.get(plan=w.plan, learner=w.learners[0])
    snap = item.snapshot
    assert snap["grade"] == "P" and snap["submission"]["submitted_on"] == "2026-11-02"
    p1 = next(d for d in snap["decisions"] if d["criterion"] == "A.P1")
    assert p1 == {
        "criterion": "A.P1",
        "achieved": True,
        "feedback": "Feedback on A.P1",
        "assessor": "Jane Smith",
        "version": 1,
        "decided_on": "2026-11-10",
    }
    CriterionDecision.objects.filter(learner=w.learners[0]).update(feedback="Changed later")
    assert svc.build_sample(w.plan, by=w.lead) == []
    item.refresh_from_db()
    assert item.snapshot == snap
    assert SampleItem.objects.filter(plan=w.plan).count() == 4
    built = AuditEvent.objects.filter(action="verification.sampling.sample_built").count()
    added = AuditEvent.objects.filter(action="verification.sampling.item_added").count()
    assert (built, added) == (2, 4)


def test_interim_samples_work_in_progress_summative_only_final_decisions():
    w = World(2, history=False)
    half = decisions_class(w.a, 1)[0]
    c = w.a.criteria.get(code="A.P1")
    CriterionDecision.objects.create(
        learner=half, assignment=w.a, criterion=c, achieved=True, assessor=w.assessor
    )
    summative = svc.build_sample(w.plan, by=w.lead, stage="summative")
    assert half.pk not in {i.learner_id for i in summative}
    interim = svc.build_sample(w.plan, by=w.lead, stage="interim")
    assert half.pk in {i.learner_id for i in interim}


def test_the_lead_iv_adds_and_removes_work_by_hand(client):
    w = World(3)
    client.force_login(w.lead)
    url = reverse("verification:sampling_item_add", args=[w.plan.pk])
    page = client.get(reverse("verification:sampling_plan", args=[w.plan.pk])).content.decode()
    work = f"{w.learners[2].pk}:{w.a.pk}:first"
    assert f'value="{work}"' in page
    post = {"work": work}
    client.post(url, {**post, "stage": "summative", "reason": "asked by SV"})
    item = SampleItem.objects.get(plan=w.plan)
    assert item.reasons == "added by the Lead IV, asked by SV"
    response = client.post(url, {**post, "stage": "summative"}, follow=True)
    assert "already sampled" in response.content.decode()
    client.post(reverse("verification:sampling_item_remove", args=[item.pk]))
    assert not SampleItem.objects.filter(plan=w.plan).exists()
    assert AuditEvent.objects.filter(action="verification.sampling.item_removed").exists()


# ---------------------------------------------------------------- compliance


def test_compliance_names_what_is_short_then_says_compliant(client):
    w = World(20)
    result = svc.compliance(w.plan)
    assert not result.compliant
    assert "Assessor Jane Smith: 0 of 3 planned on Unit 1 Task 1" in result.shortfalls
    assert "Site " + w.centre.name + ": has decisions but nothing planned" in result.shortfalls
    svc.build_sample(w.plan, by=w.lead)
    client.force_login(w.lead)
    page = client.get(reverse("verification:sampling_plan", args=[w.plan.pk])).content.decode()
    assert "Compliant: the planned samples meet the strategy" in page


# ---------------------------------------------------------------- coverage


def test_coverage_shows_gaps_until_an_iv_record_exists(client):
    w = World(4, grades=[DIST, PASS, PASS, PASS])
    svc.build_sample(w.plan, by=w.lead)
    cov = coverage(w.plan)
    assert len(cov["gaps"]) == 1
    item = SampleItem.objects.filter(plan=w.plan).first()
    IVRecord.objects.create(item=item, verifier=w.iv, outcome="agree")
    cov = coverage(w.plan)
    assert cov["gaps"] == []
    graded = {g["grade"]: g for g in cov["grades"]}
    assert graded["P"]["works"] == 3 and graded["D"]["works"] == 1
    assert (graded[item.snapshot["grade"]]["verified"]) == 1
    client.force_login(w.iv)
    page = client.get(reverse("verification:sampling_coverage", args=[w.plan.pk]))
    assert page.status_code == 200
    assert "Access arrangements" in page.content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_the_coverage_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, n):
    w = World(n)
    svc.build_sample(w.plan, by=w.lead)
    client.force_login(w.lead)
    url = reverse("verification:sampling_coverage", args=[w.plan.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    url = reverse("verification:sampling_plan", args=[w.plan.pk])
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------- access


def test_other_centres_get_404_and_weak_roles_403(client):
    w = World(2)
    stranger = person(CentreFactory(), "lead_iv")
    client.force_login(stranger)
    assert client.get(reverse("verification:sampling_plan", args=[w.plan.pk])).status_code == 404
    assert (
        client.get(reverse("verification:sampling_coverage", args=[w.plan.pk])).status_code == 404
    )
    client.force_login(w.assessor)
    assert client.get(reverse("verification:sampling_plan", args=[w.plan.pk])).status_code == 200
    assert client.post(reverse("verification:sampling_build", args=[w.plan.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        svc.build_sample(w.plan, by=w.assessor)
    assert IVPlan.objects.count() == 1


# ---------------------------------------------------------------- the demo


def test_in_december_the_demo_has_a_built_sample_whose_coverage_shows_gaps(client):
    from btecqa.demo import load_demo

    load_demo(dt.date(2026, 12, 2))
    # this year's intake's plan (the second-year class's is demo_readiness's, all agreed)
    plan = IVPlan.objects.get(cohort__start_year="2026/27")
    items = list(SampleItem.objects.filter(plan=plan))
    # The Lead IV's three hand-picked items (demo_iv) come first; the builder adds the rest,
    # every one for the same risk: the assessor is new.
    built = [i for i in items if not i.reasons.startswith("added by the Lead IV")]
    assert len(built) > 3 and all("new assessor" in i.reasons for i in built)
    assert items[0].sampled_at.date() < dt.date(2026, 12, 2)
    cov = coverage(plan)
    # The IV so far (demo_iv) covers the assignment, but not its top grades or not yet achieved.
    assert cov["grade_gaps"], "the grade range is not yet covered"
    load_demo(dt.date(2026, 12, 2))
    assert SampleItem.objects.filter(plan=plan).count() == len(items)
    client.force_login(plan.created_by)
    page = client.get(reverse("verification:sampling_coverage", args=[plan.pk]))
    assert "with no IV yet" in page.content.decode()


def test_a_unit_new_to_the_centre_is_sampled_at_least_at_the_new_unit_rate():
    w = World(10, history=False)
    svc.set_rating(w.centre, w.assessor, YEAR, "experienced", by=w.lead, reason="Known")
    new = svc.build_sample(w.plan, by=w.lead)
    assert len(new) == 5  # 50% of 10, not 15%
    assert all("unit new to the centre" in i.reasons for i in new)


def test_work_with_an_iv_record_cannot_be_taken_out_of_the_sample(client):
    w = World(2, history=False)
    svc.build_sample(w.plan, by=w.lead)
    item = SampleItem.objects.filter(plan=w.plan).first()
    IVRecord.objects.create(item=item, verifier=w.iv, outcome="agree")
    client.force_login(w.lead)
    response = client.post(
        reverse("verification:sampling_item_remove", args=[item.pk]), follow=True
    )
    assert "its IV record stays" in response.content.decode()
    assert SampleItem.objects.filter(pk=item.pk).exists()


def test_compliance_names_a_grade_with_decisions_but_nothing_planned():
    w = World(10, grades=[DIST] + [PASS] * 9)
    lone = w.learners[3]
    svc.add_item(w.plan, lone, w.a, by=w.lead)
    svc.add_item(w.plan, w.learners[4], w.a, by=w.lead)
    svc.add_item(w.plan, w.learners[5], w.a, by=w.lead)
    result = svc.compliance(w.plan)
    assert result.shortfalls == ["Grade D: has decisions but nothing planned"]


@pytest.mark.parametrize("n", [2, 12])
def test_the_strategy_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, n):
    w = World(2)
    for i in range(n):
        other = person(w.centre, "assessor_iv", f"A{i}", "Assessor")
        decisions_assignment(cohort=w.cohort, assessor=other, iv=w.iv, title=f"Task {i + 2}")
    client.force_login(w.qn)
    url = reverse("verification:sampling_strategy")
    client.get(url, {"centre": w.centre.pk})
    with django_assert_max_num_queries(16):
        page = client.get(url, {"centre": w.centre.pk})
    assert page.status_code == 200 and "Save the rates" in page.content.decode()
