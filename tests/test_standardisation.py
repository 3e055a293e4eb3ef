"""Standardisation records (policy 000-3.1.5; domain.md 3.9): the Lead IV standardises
everyone who assesses or verifies each year and keeps the record; the plan warns about an
assessor with none for the unit they assess."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from verification.models import LeadIVAppointment, StandardisationRecord, StandardisationRule

from .factories import CohortFactory, QualificationFactory, unit_with_criteria

R = Role
LIST = reverse("verification:standardisation_list")
ADD = reverse("verification:standardisation_add")


@pytest.fixture(autouse=True)
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, 0), tick=True):
        yield


@pytest.fixture
def qual(own_centre):
    q = QualificationFactory(title="National Diploma in Standards")
    q.u1 = unit_with_criteria(q, 1, ["A.P1"])
    q.u2 = unit_with_criteria(q, 2, ["A.P1"])
    CohortFactory(centre=own_centre, qualification=q, start_year="2026/27")
    return q


def _form(centre, q, attendees, **over):
    data = {
        "centre": centre.pk,
        "academic_year": "2026/27",
        "qualification": q.pk,
        "unit": q.u1.pk if hasattr(q, "u1") else "",
        "held_on": "15/09/2026",
        "kind": "activity",
        "attendees": [u.pk for u in attendees],
        "materials": "Pearson's Unit 1 exemplars, 2026",
        "outcome": "Agreed the Merit line for A.M1",
    }
    data.update(over)
    return data


def test_the_lead_iv_records_an_activity_and_it_is_listed_and_audited(
    client, cast, own_centre, qual
):
    lead, assessor = cast[R.LEAD_IV], cast[R.ASSESSOR_IV]
    client.force_login(lead)
    response = client.post(ADD, _form(own_centre, qual, [lead, assessor]))
    assert response.status_code == 302
    record = StandardisationRecord.objects.get()
    assert set(record.attendees.all()) == {lead, assessor} and record.unit == qual.u1
    page = client.get(response["Location"]).content.decode()
    assert "Agreed the Merit line for A.M1" in page and "15/09/2026" in page
    event = AuditEvent.objects.get(action="verification.standardisation.recorded")
    assert event.centre_id == own_centre.pk and "exemplars" in event.after_data["materials"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("held_on", "15/12/2026", "The date is in the future"),
        ("outcome", "   ", "This field is required"),
        ("academic_year", "2026/28", "academic year"),
    ],
)
def test_bad_input_is_named_by_its_field_and_nothing_is_saved(
    client, cast, own_centre, qual, field, value, message
):
    client.force_login(cast[R.LEAD_IV])
    response = client.post(ADD, _form(own_centre, qual, [cast[R.LEAD_IV]], **{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message.lower() in " ".join(errors[field]).lower()
    assert not StandardisationRecord.objects.exists()


def test_an_attendee_with_no_role_at_the_centre_is_refused_by_name(
    client, cast, own_centre, other_centre, qual, make_user
):
    stranger = make_user("stranger", R.ASSESSOR_IV, centre=other_centre)
    stranger.first_name, stranger.last_name = "Sal", "Stranger"
    stranger.save()
    # the form only offers the centre's people; the service refuses anyone else too
    from verification import services

    with pytest.raises(ValidationError) as refused:
        services.record_standardisation(
            centre=own_centre,
            qualification=qual,
            unit=None,
            academic_year="2026/27",
            held_on=dt.date(2026, 9, 15),
            kind="activity",
            attendees=[cast[R.LEAD_IV], stranger],
            materials="m",
            outcome="o",
            by=cast[R.LEAD_IV],
        )
    assert "Sal Stranger: no role at Own Test Academy" in str(refused.value)
    assert not StandardisationRecord.objects.exists()


def test_an_assessor_may_read_but_not_record_and_another_centre_sees_nothing(
    client, cast, own_centre, other_centre, qual, make_user
):
    client.force_login(cast[R.LEAD_IV])
    client.post(ADD, _form(own_centre, qual, [cast[R.LEAD_IV]]))
    client.force_login(cast[R.ASSESSOR_IV])
    assert client.get(ADD).status_code == 403
    assert "Merit line" in client.get(LIST).content.decode()
    client.force_login(make_user("elsewhere", R.LEAD_IV, centre=other_centre))
    assert "Merit line" not in client.get(LIST).content.decode()
    assert client.post(ADD, _form(own_centre, qual, [cast[R.LEAD_IV]])).status_code == 200
    assert StandardisationRecord.objects.count() == 1  # their form offers only their centre


def test_the_plan_warns_until_the_assessor_is_standardised_on_that_unit(
    client, cast, own_centre, qual
):
    from assessment import services_plans
    from assessment.models import AssessmentPlan

    from .factories import planned_row

    lead, assessor, iv = cast[R.LEAD_IV], cast[R.ASSESSOR_IV], cast[R.QUALITY_NOMINEE]
    from learners.models import Cohort

    cohort = Cohort.objects.get(qualification=qual)
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
    planned_row(plan, qual.u1, assessor=assessor, iv=iv, title="Lab report")
    planned_row(plan, qual.u2, assessor=assessor, iv=iv, title="Poster")
    name = assessor.get_full_name() or assessor.username
    assert services_plans.plan_warnings(plan) == [
        f"{name} has no standardisation record for 2026/27 on unit 1, 2: standardise them "
        "before they assess."
    ]
    client.force_login(lead)
    client.post(ADD, _form(own_centre, qual, [lead, assessor]))  # unit 1 only
    assert services_plans.plan_warnings(plan) == [
        f"{name} has no standardisation record for 2026/27 on unit 2: standardise them "
        "before they assess."
    ]
    client.post(ADD, _form(own_centre, qual, [assessor], unit=""))  # the whole qualification
    assert services_plans.plan_warnings(plan) == []


def test_the_lead_iv_list_shows_the_last_activity_and_pearson_training(
    client, cast, own_centre, qual
):
    lead = cast[R.LEAD_IV]
    LeadIVAppointment.objects.create(
        centre=own_centre,
        qualification=qual,
        academic_year="2026/27",
        lead_iv=lead,
        appointed_by=cast[R.QUALITY_NOMINEE],
    )
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(reverse("verification:lead_iv_list")).content.decode()
    assert "No activity recorded" in page and "No Pearson training recorded" in page
    client.force_login(lead)
    client.post(ADD, _form(own_centre, qual, [lead, cast[R.ASSESSOR_IV]]))
    client.post(ADD, _form(own_centre, qual, [lead], kind="pearson_training", held_on="02/09/2026"))
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(reverse("verification:lead_iv_list")).content.decode()
    assert "Last activity 15/09/2026" in page and "Lead IV trained by Pearson 02/09/2026" in page
    # Pearson's training is one person's record
    response = client.post(
        ADD, _form(own_centre, qual, [lead, cast[R.ASSESSOR_IV]], kind="pearson_training")
    )
    assert "recorded for one person" in response.content.decode()


@pytest.mark.parametrize("_autumn", [None], indirect=False)
def test_a_centre_that_blocks_refuses_decisions_and_iv_until_standardised(
    client, make_user, _autumn
):
    """The QN's warn-or-block rule: blocked, the grid and the IV refuse a person with no
    record for the unit this year, naming them and the unit; standardised, both go through."""
    from assessment.models import CriterionDecision

    from .factories import decisions_assignment, decisions_class
    from .test_assessment_decisions import post_grid

    a = decisions_assignment()
    learners = decisions_class(a, 1)
    centre, year = a.plan.cohort.centre, a.plan.academic_year
    qn = make_user("qn_block", R.QUALITY_NOMINEE, centre=centre)
    client.force_login(qn)
    rule = reverse("verification:standardisation_rule")
    assert client.post(rule, {"centre": centre.pk, "block": "1"}).status_code == 302
    assert "is now blocked" in client.get(LIST).content.decode()

    client.force_login(a.assessor)
    refused = post_grid(client, a, learners)
    assert refused.status_code == 400
    name = a.assessor.get_full_name() or a.assessor.username
    assert f"{name} has no standardisation record for unit {a.unit.number}" in (
        refused.content.decode()
    )
    assert not CriterionDecision.objects.exists()

    lead = make_user("lead_block", R.LEAD_IV, centre=centre)
    client.force_login(lead)
    data = _form(centre, a.plan.cohort.qualification, [a.assessor], unit=a.unit.pk)
    data["academic_year"], data["held_on"] = year, "01/09/" + year[:4]
    assert client.post(ADD, data).status_code == 302
    client.force_login(a.assessor)
    assert post_grid(client, a, learners).status_code == 302

    client.force_login(a.internal_verifier)
    verify = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": learners[0].pk})
    page = client.post(verify, follow=True).content.decode()
    assert "lets nobody verify decisions before they are standardised" in page
    assert not CriterionDecision.objects.filter(verified_at__isnull=False).exists()

    client.force_login(qn)
    client.post(rule, {"centre": centre.pk, "block": "0"})  # back to warning only
    client.force_login(a.internal_verifier)
    assert client.post(verify).status_code == 302
    assert CriterionDecision.objects.filter(verified_at__isnull=False).exists()
    assert AuditEvent.objects.filter(action="verification.standardisation.rule_set").count() == 2


def test_only_the_quality_nominee_sets_the_rule(client, cast, own_centre, other_centre):
    rule = reverse("verification:standardisation_rule")
    client.force_login(cast[R.LEAD_IV])
    assert client.post(rule, {"centre": own_centre.pk, "block": "1"}).status_code == 403
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(rule, {"centre": other_centre.pk, "block": "1"})  # not one of theirs
    assert not StandardisationRule.objects.exists()


def test_the_form_offers_only_what_the_centre_delivers(client, cast, own_centre, qual):
    """Not the whole Pearson catalogue: the qualifications of the centre's cohorts and their
    units, so a Lead IV cannot pick a unit of a course the centre does not run."""
    elsewhere = QualificationFactory(title="National Diploma in Elsewhere")
    unit_with_criteria(elsewhere, 7, ["A.P1"])
    client.force_login(cast[R.LEAD_IV])
    page = client.get(ADD).content.decode()
    assert "National Diploma in Standards" in page
    assert "Elsewhere" not in page
    refused = client.post(
        ADD, _form(own_centre, qual, [cast[R.LEAD_IV]], qualification=elsewhere.pk)
    )
    assert "qualification" in refused.context["form"].errors
    assert not StandardisationRecord.objects.exists()
