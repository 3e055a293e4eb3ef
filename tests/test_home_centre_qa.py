"""The home centre reads its learners' QA records wherever they are taught (policy 000-3.1.7).

A partner school's learners sit in the lead centre's consortium group. The lead centre keeps
the assessment plan, the briefs, the criterion decisions, the IV sample and its records; the
partner's own staff must be able to read each of them for their own learners, from their
own side, and nothing about the lead centre's other learners or other cohorts.
"""

import pytest
from django.urls import reverse

from accounts.permissions import forget_access, scope
from accounts.roles import Role
from assessment.models import AssessmentPlan, CriterionDecision
from assessment.models_briefs import AssignmentBrief
from verification.models import IVPlan, IVRecord, SampleItem

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    decide,
    planned_row,
    unit_with_criteria,
)

R = Role


@pytest.fixture
def world(own_centre, partner_centre, other_centre, cast, make_user):
    """The lead (own) centre's cohort teaches one of its learners and one partner learner."""
    q = QualificationFactory(title="BTEC National Diploma in Home Reading")
    unit = unit_with_criteria(q, 1, ["A.P1", "A.M1"])
    cohort = CohortFactory(centre=own_centre, qualification=q)
    group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    ours = LearnerFactory(centre=own_centre, last_name="Leadsworth")
    theirs = LearnerFactory(centre=partner_centre, last_name="Homewood")
    group.learners.add(ours, theirs)
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
    row = planned_row(
        plan, unit, assessor=cast[R.ASSESSOR_IV], iv=cast[R.LEAD_IV], title="Home reading task"
    )
    brief = AssignmentBrief.objects.create(
        assignment=row, vocational_scenario="Scenario", tasks="Task", evidence="Evidence"
    )
    decide(theirs, row, ["A.P1"])
    decide(ours, row, ["A.P1"])
    iv_plan = IVPlan.objects.create(
        cohort=cohort, academic_year="2026/27", created_by=cast[R.LEAD_IV]
    )
    item_theirs = SampleItem.objects.create(
        plan=iv_plan, learner=theirs, assignment=row, sampled_by=cast[R.LEAD_IV]
    )
    item_ours = SampleItem.objects.create(
        plan=iv_plan, learner=ours, assignment=row, sampled_by=cast[R.LEAD_IV]
    )
    record = IVRecord.objects.create(item=item_theirs, verifier=cast[R.LEAD_IV], outcome="agree")
    IVRecord.objects.create(item=item_ours, verifier=cast[R.LEAD_IV], outcome="agree")
    # Another cohort at the lead centre, with none of the partner's learners in it.
    other = CohortFactory(centre=own_centre, qualification=q, start_year="2025/26")
    other_plan = AssessmentPlan.objects.create(cohort=other, academic_year="2026/27")
    partner_qn = make_user("home_qn", R.QUALITY_NOMINEE, centre=partner_centre)
    partner_assessor = make_user("home_assessor", R.ASSESSOR_IV, centre=partner_centre)
    stranger = make_user("stranger_qn", R.QUALITY_NOMINEE, centre=other_centre)
    return {
        "plan": plan,
        "row": row,
        "brief": brief,
        "theirs": theirs,
        "ours": ours,
        "group": group,
        "iv_plan": iv_plan,
        "item_theirs": item_theirs,
        "item_ours": item_ours,
        "record": record,
        "other_plan": other_plan,
        "partner_qn": partner_qn,
        "partner_assessor": partner_assessor,
        "stranger": stranger,
    }


def test_the_partner_reads_the_lead_centres_plan_for_its_learners_cohort(client, world):
    client.force_login(world["partner_qn"])
    page = client.get(reverse("assessment:plan_detail", kwargs={"pk": world["plan"].pk}))
    assert page.status_code == 200
    assert "Home reading task" in page.content.decode()
    listed = client.get(reverse("assessment:plan_list")).content.decode()
    assert reverse("assessment:plan_detail", kwargs={"pk": world["plan"].pk}) in listed
    # ...but not the lead centre's plan for a cohort holding none of its learners.
    assert reverse("assessment:plan_detail", kwargs={"pk": world["other_plan"].pk}) not in listed
    other = client.get(reverse("assessment:plan_detail", kwargs={"pk": world["other_plan"].pk}))
    assert other.status_code == 404


def test_the_partner_reads_the_brief_of_its_learners_assignment(client, world):
    client.force_login(world["partner_assessor"])
    page = client.get(reverse("assessment:brief_detail", kwargs={"pk": world["brief"].pk}))
    assert page.status_code == 200
    assert "Scenario" in page.content.decode()


def test_the_partner_reads_its_learners_decisions_and_not_the_lead_centres_learners(world):
    seen = scope(world["partner_qn"], "assessment.view_decisions", CriterionDecision)
    assert {d.learner_id for d in seen} == {world["theirs"].pk}


def test_the_partner_reads_the_iv_of_its_own_learners_work_only(world):
    user = world["partner_qn"]
    items = scope(user, "verification.view_iv_sampling", SampleItem)
    assert list(items) == [world["item_theirs"]]
    records = scope(user, "verification.view_iv_sampling", IVRecord)
    assert list(records) == [world["record"]]
    plans = scope(user, "verification.view_iv_sampling", IVPlan)
    assert list(plans) == [world["iv_plan"]]


def test_an_unrelated_centre_reads_none_of_it(client, world):
    user = world["stranger"]
    assert not scope(user, "assessment.view_plans", AssessmentPlan).exists()
    assert not scope(user, "verification.view_iv_sampling", SampleItem).exists()
    client.force_login(user)
    page = client.get(reverse("assessment:plan_detail", kwargs={"pk": world["plan"].pk}))
    assert page.status_code == 404


def test_reading_is_not_writing_the_partner_cannot_change_the_lead_centres_plan(client, world):
    client.force_login(world["partner_qn"])
    refused = client.post(reverse("assessment:plan_approve", kwargs={"pk": world["plan"].pk}))
    assert refused.status_code in (403, 404)
    world["plan"].refresh_from_db()
    assert world["plan"].status == AssessmentPlan.Status.DRAFT


def test_when_its_learners_leave_the_group_the_iv_of_their_work_stays_readable(world):
    user = world["partner_qn"]
    assert scope(user, "assessment.view_plans", AssessmentPlan).exists()
    world["group"].learners.remove(world["theirs"])
    forget_access(user)
    # The cohort's plan is the lead centre's, for the learners in it now...
    assert not scope(user, "assessment.view_plans", AssessmentPlan).exists()
    # ...but what was recorded about the partner's learner stays the partner's to read.
    assert list(scope(user, "verification.view_iv_sampling", SampleItem)) == [world["item_theirs"]]
    assert scope(user, "assessment.view_decisions", CriterionDecision).exists()


def test_the_partner_reads_the_standards_verification_of_its_learners_cohort(client, world):
    from verification.models_sv import SVVisit

    visit = SVVisit.objects.create(
        cohort=world["plan"].cohort,
        academic_year="2026/27",
        verifier_name="Dr Invented Verifier",
        created_by=world["row"].internal_verifier,
    )
    client.force_login(world["partner_qn"])
    page = client.get(reverse("verification:sv_detail", kwargs={"pk": visit.pk}))
    assert page.status_code == 200 and "Dr Invented Verifier" in page.content.decode()
    client.force_login(world["stranger"])
    assert client.get(reverse("verification:sv_detail", kwargs={"pk": visit.pk})).status_code == 404
