"""Setting up programmes and teaching groups: who may, what is checked, what is audited."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from centres import services as arrangements
from learners.models import Cohort
from qualifications.models import Unit

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    approve,
    join,
)

R = Role
MANAGERS = {R.EXAMS_OFFICER, R.QUALITY_NOMINEE, R.CENTRE_ADMIN}


@pytest.fixture
def qualification(db):
    q = QualificationFactory(title="BTEC National Extended Certificate in Testing")
    Unit.objects.create(qualification=q, number="1", title="Core", glh=90, assessment="external")
    Unit.objects.create(
        qualification=q,
        number="8",
        title="Option A",
        glh=60,
        assessment="internal",
        mandatory=False,
    )
    Unit.objects.create(
        qualification=q,
        number="9",
        title="Option B",
        glh=60,
        assessment="internal",
        mandatory=False,
    )
    return q


@pytest.fixture
def cohort(own_centre, qualification):
    return CohortFactory(centre=own_centre, qualification=qualification)


@pytest.mark.parametrize("role", list(Role))
def test_edit_cohort_pages_by_role(client, cast, cohort, role):
    client.force_login(cast[role])
    for name, kwargs in [
        ("learners:cohort_edit", {"pk": cohort.pk}),
        ("learners:group_create", {"pk": cohort.pk}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        expected = 200 if role in MANAGERS else (403 if role != R.GOVERNOR else 403)
        assert response.status_code == expected, (name, role)


def test_another_centres_cohort_is_a_404(client, cast, other_centre, qualification):
    theirs = CohortFactory(centre=other_centre, qualification=qualification)
    group = TeachingGroupFactory(cohort=theirs)
    client.force_login(cast[R.EXAMS_OFFICER])
    for name, kwargs in [
        ("learners:cohort_edit", {"pk": theirs.pk}),
        ("learners:group_create", {"pk": theirs.pk}),
        ("learners:group_edit", {"pk": theirs.pk, "group_pk": group.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404
        assert client.post(reverse(name, kwargs=kwargs), {"name": "x"}).status_code == 404


def test_exams_officer_sets_up_a_cohort_with_leader_and_optional_units(
    client, cast, own_centre, qualification
):
    option_a = qualification.units.get(number="8")
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("learners:cohort_create"),
        {
            "qualification": qualification.pk,
            "centre": own_centre.pk,
            "start_year": "2027/28",
            "leader": cast[R.PROGRAMME_LEADER].pk,
            "optional_units": [option_a.pk],
        },
        follow=True,
    )
    cohort = Cohort.objects.get(start_year="2027/28")
    assert cohort.leader == cast[R.PROGRAMME_LEADER]
    assert list(cohort.optional_units.all()) == [option_a]
    assert "Option A" in response.content.decode()
    event = AuditEvent.objects.get(action="learners.cohort.created")
    assert event.centre_id == own_centre.pk
    assert event.actor_id == cast[R.EXAMS_OFFICER].pk


def test_cohort_form_refuses_a_leader_from_elsewhere_and_a_wrong_year(
    client, cast, own_centre, other_centre, qualification, make_user
):
    outsider = make_user("outsider_pl", R.PROGRAMME_LEADER, centre=other_centre)
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("learners:cohort_create"),
        {
            "qualification": qualification.pk,
            "centre": own_centre.pk,
            "start_year": "2027/29",
            "leader": outsider.pk,
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Select a valid choice" in text  # the outsider is not offered at all
    assert not Cohort.objects.filter(start_year="2027/29").exists()


def test_mandatory_or_foreign_units_are_not_optional_units(client, cast, cohort):
    other = QualificationFactory()
    foreign = Unit.objects.create(
        qualification=other,
        number="8",
        title="Elsewhere",
        glh=60,
        assessment="internal",
        mandatory=False,
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("learners:cohort_edit", args=[cohort.pk]),
        {"start_year": cohort.start_year, "optional_units": [foreign.pk]},
    )
    assert response.status_code == 200
    assert "Not an optional unit of" in response.content.decode()
    assert cohort.optional_units.count() == 0


def test_edit_records_before_and_after(client, cast, cohort):
    option_b = cohort.qualification.units.get(number="9")
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        reverse("learners:cohort_edit", args=[cohort.pk]),
        {
            "start_year": cohort.start_year,
            "leader": cast[R.PROGRAMME_LEADER].pk,
            "optional_units": [option_b.pk],
        },
    )
    event = AuditEvent.objects.get(action="learners.cohort.updated")
    assert event.before_data["optional_units"] == []
    assert event.after_data["optional_units"] == ["9"]
    assert event.after_data["leader"] == str(cast[R.PROGRAMME_LEADER])


def test_teaching_group_at_a_partner_centre_and_membership_on_each_learners_trail(
    client, cast, own_centre, partner_centre, other_centre, cohort
):
    qn = cast[R.QUALITY_NOMINEE]
    a = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Test Consortium",
        programme_code="C1",
        first_year="2026/27",
        by=qn,
    )
    join(a, partner_centre)
    ours = LearnerFactory(centre=own_centre, last_name="Ashdown")
    theirs = LearnerFactory(centre=other_centre, last_name="Outsider")
    client.force_login(cast[R.EXAMS_OFFICER])
    url = reverse("learners:group_create", args=[cohort.pk])
    page = client.get(url).content.decode()
    assert partner_centre.name in page and other_centre.name not in page
    assert "Ashdown" in page and "Outsider" not in page

    refused = client.post(
        url, {"name": "12X", "delivering_centre": other_centre.pk, "learners": [theirs.pk]}
    )
    assert refused.status_code == 200 and not cohort.teaching_groups.exists()

    client.post(
        url,
        {
            "academic_year": cohort.start_year,
            "name": "12X",
            "delivering_centre": partner_centre.pk,
            "learners": [ours.pk],
        },
    )
    group = cohort.teaching_groups.get()
    assert group.delivering_centre == partner_centre
    assert list(group.learners.all()) == [ours]
    assert AuditEvent.objects.filter(
        action="learners.learner.joined_group", learner_id=ours.pk
    ).exists()

    client.post(
        reverse("learners:group_edit", args=[cohort.pk, group.pk]),
        {
            "academic_year": cohort.start_year,
            "name": "12X",
            "delivering_centre": partner_centre.pk,
            "learners": [],
        },
    )
    assert not group.learners.exists()
    assert AuditEvent.objects.filter(
        action="learners.learner.left_group", learner_id=ours.pk
    ).exists()


def test_lead_iv_must_be_staff_of_the_arrangement(cast, own_centre, other_centre, make_user):
    from django.core.exceptions import ValidationError

    qn = cast[R.QUALITY_NOMINEE]
    a = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Test Consortium",
        programme_code="C1",
        first_year="2026/27",
        by=qn,
    )
    stranger = make_user("stranger_liv", R.LEAD_IV, centre=other_centre)
    q1, q2 = QualificationFactory(), QualificationFactory()
    approve(own_centre, q1, q2)
    with pytest.raises(ValidationError, match="not on the staff"):
        arrangements.add_qualification(
            a,
            qualification=q1,
            lead_iv=stranger,
            added_on=dt.date(2026, 9, 1),
            by=qn,
        )
    arrangements.add_qualification(
        a,
        qualification=q2,
        lead_iv=cast[R.LEAD_IV],
        added_on=dt.date(2026, 9, 1),
        by=qn,
    )
