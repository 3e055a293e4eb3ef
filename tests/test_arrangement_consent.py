"""Consortium by consent, and the multi-step access cases found when btecqa was tried.

- A centre cannot make itself lead of another centre's learners: the partner's own QN or
  Head of Centre must accept, and each centre must have its own Pearson approval.
- An export is scoped by the export permission, not by what the user may view.
- A delivering centre sees what it teaches, not the home centre's records.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

import audit
from accounts.permissions import can, forget_access, get_object, scope
from accounts.roles import Role
from audit.models import AuditEvent
from centres import services as arrangements
from centres.models import ArrangementPartner
from centres.permissions import VIEW_SHARED_QA_RECORDS
from learners.models import Learner
from todos.models import ToDo

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    approve,
    centre_qn,
)

R = Role
S = ArrangementPartner.Status


@pytest.fixture
def q(db):
    return QualificationFactory(title="BTEC National Extended Certificate in Consent")


@pytest.fixture
def lead_qn(cast):
    return cast[R.QUALITY_NOMINEE]


@pytest.fixture
def partner_qn(partner_centre):
    return centre_qn(partner_centre)


@pytest.fixture
def partner_learner(partner_centre, q):
    group = TeachingGroupFactory(cohort=CohortFactory(centre=partner_centre, qualification=q))
    learner = LearnerFactory(centre=partner_centre, last_name="Kestrelson")
    group.learners.add(learner)
    return learner


@pytest.fixture
def invited(own_centre, partner_centre, lead_qn, q):
    """The lead centre grants itself nothing: it creates, invites and adds a qualification."""
    approve(own_centre, q)
    a = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Self-made",
        programme_code="SM1",
        first_year="2026/27",
        by=lead_qn,
    )
    partner = arrangements.invite_partner(a, centre=partner_centre, by=lead_qn)
    arrangements.add_qualification(
        a, qualification=q, lead_iv=None, added_on=dt.date(2026, 9, 1), by=lead_qn
    )
    return partner


def _sees(client, user, learner) -> int:
    client.force_login(user)
    return client.get(reverse("learners:learner_detail", args=[learner.pk])).status_code


def test_a_centre_cannot_make_itself_lead_of_another_centres_learners(
    client, invited, lead_qn, partner_learner
):
    assert invited.status == S.INVITED
    assert _sees(client, lead_qn, partner_learner) == 404
    listing = client.get(reverse("learners:learner_list")).content.decode()
    assert "KESTRELSON" not in listing
    export = client.get(reverse("learners:learners_export")).content
    assert b"Kestrelson" not in export
    # Nor can it accept on the partner's behalf, through the page or the service.
    url = reverse("centres:partner_answer", args=[invited.arrangement_id, invited.pk])
    assert client.post(url, {"decision": "accept"}).status_code == 403
    with pytest.raises(PermissionDenied):
        arrangements.accept_invitation(invited, by=lead_qn)
    invited.refresh_from_db()
    assert invited.status == S.INVITED


def test_the_invited_centre_is_told_on_its_own_trail_and_dashboard(
    invited, partner_centre, own_centre
):
    assert AuditEvent.objects.filter(
        action="centres.partner.invited", centre_id=partner_centre.pk
    ).exists()
    assert AuditEvent.objects.filter(
        action="centres.partner.invited", centre_id=own_centre.pk
    ).exists()
    respond = ToDo.objects.get(kind=arrangements.RESPOND, closed_at__isnull=True)
    assert respond.centre == partner_centre and respond.role == R.QUALITY_NOMINEE
    assert ToDo.objects.filter(
        kind=arrangements.AWAIT_REPLY, centre=own_centre, closed_at__isnull=True
    ).exists()


def test_access_flows_only_once_the_partner_accepts_and_has_its_own_approval(
    client, invited, lead_qn, partner_qn, partner_learner, partner_centre, q
):
    client.force_login(partner_qn)
    url = reverse("centres:partner_answer", args=[invited.arrangement_id, invited.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "accept", "note": "", "lock": invited.lock_version})
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.status == S.ACCEPTED and invited.joined_on is not None
    # Accepted, but the partner has not recorded its own Pearson approval for Q yet.
    assert _sees(client, lead_qn, partner_learner) == 404
    detail = client.get(reverse("centres:arrangement_detail", args=[invited.arrangement_id]))
    assert "has not recorded its Pearson approval" in detail.content.decode()
    assert ToDo.objects.filter(
        kind=arrangements.RECORD_APPROVAL, centre=partner_centre, closed_at__isnull=True
    ).exists()
    arrangements.record_approval(
        centre=partner_centre,
        qualification=q,
        approved_on=dt.date(2025, 6, 1),
        reference="PEARSON-77",
        by=partner_qn,
    )
    assert not ToDo.objects.filter(
        kind=arrangements.RECORD_APPROVAL, closed_at__isnull=True
    ).exists()
    assert _sees(client, lead_qn, partner_learner) == 200
    # Both trails record the acceptance; the lead centre owes Pearson a message.
    accepted = AuditEvent.objects.filter(action="centres.partner.accepted")
    assert set(accepted.values_list("centre_id", flat=True)) == {
        invited.arrangement.lead_centre_id,
        partner_centre.pk,
    }
    assert ToDo.objects.filter(kind=arrangements.TELL_PEARSON, target_id=str(invited.pk)).exists()


def test_a_refusal_needs_a_reason_and_tells_the_lead_centre(
    client, invited, partner_qn, own_centre, lead_qn, partner_learner
):
    client.force_login(partner_qn)
    url = reverse("centres:partner_answer", args=[invited.arrangement_id, invited.pk])
    page = client.post(url, {"decision": "refuse", "note": ""}).content.decode()
    assert "Say why the centre refuses" in page
    client.post(url, {"decision": "refuse", "note": "We teach it ourselves."})
    invited.refresh_from_db()
    assert invited.status == S.REFUSED
    note = ToDo.objects.get(kind=arrangements.NOTE_CHANGE, centre=own_centre)
    assert "refused" in note.title
    assert _sees(client, lead_qn, partner_learner) == 404
    # A refused invitation cannot be accepted later by the back door.
    with pytest.raises(ValidationError, match="no open invitation"):
        arrangements.accept_invitation(invited, by=partner_qn)


def _accepted(invited, partner_qn, q):
    approve(invited.centre, q)
    return arrangements.accept_invitation(invited, by=partner_qn)


def test_either_side_can_withdraw_and_both_are_told(
    client, invited, partner_qn, lead_qn, q, own_centre, partner_centre, partner_learner
):
    partner = _accepted(invited, partner_qn, q)
    assert _sees(client, lead_qn, partner_learner) == 200
    client.force_login(partner_qn)
    url = reverse("centres:partner_withdraw", args=[partner.arrangement_id, partner.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Withdraw the partner" in page.content.decode()
    today = dt.date.today().strftime("%d/%m/%Y")
    response = client.post(
        url, {"on": today, "reason": "Course closed", "lock": partner.lock_version}
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.status == S.WITHDRAWN
    assert set(
        ToDo.objects.filter(kind=arrangements.NOTE_CHANGE, closed_at__isnull=True).values_list(
            "centre_id", flat=True
        )
    ) == {own_centre.pk, partner_centre.pk}
    assert set(
        AuditEvent.objects.filter(action="centres.partner.withdrawn").values_list(
            "centre_id", flat=True
        )
    ) == {own_centre.pk, partner_centre.pk}
    assert _sees(client, lead_qn, partner_learner) == 404
    # Someone at a third centre can do neither.
    assert not arrangements.may_withdraw(centre_qn(LearnerFactory().centre), partner)


def test_shared_qa_records_stay_readable_to_the_lead_for_their_retention_period(
    invited, partner_qn, lead_qn, q, partner_learner, settings
):
    partner = _accepted(invited, partner_qn, q)
    memberships = Learner.teaching_groups.through.objects.filter(learner=partner_learner)
    forget_access(lead_qn)  # the lead's next request
    assert scope(lead_qn, VIEW_SHARED_QA_RECORDS, memberships).count() == 1
    arrangements.withdraw_partner(partner, on=dt.date.today(), by=lead_qn, reason="Ended")
    forget_access(lead_qn)
    # Learner records stop flowing; the QA records shared stay readable...
    assert not can(lead_qn, "learners.view_learners", partner_learner)
    assert scope(lead_qn, VIEW_SHARED_QA_RECORDS, memberships).count() == 1
    # ...until the retention period has passed.
    years = settings.BTECQA_SHARED_RECORDS_RETENTION_YEARS
    later = dt.datetime.now() + dt.timedelta(days=365 * years + 2)
    with time_machine.travel(later):
        forget_access(lead_qn)
        assert scope(lead_qn, VIEW_SHARED_QA_RECORDS, memberships).count() == 0


def test_qualification_approval_comes_before_collaborative_approval(own_centre, lead_qn):
    a = arrangements.create_arrangement(
        lead_centre=own_centre, name="X", programme_code="", first_year="2026/27", by=lead_qn
    )
    unapproved = QualificationFactory(title="Unapproved Diploma")
    with pytest.raises(ValidationError, match="has not recorded its own Pearson approval"):
        arrangements.add_qualification(
            a, qualification=unapproved, lead_iv=None, added_on=dt.date(2026, 9, 1), by=lead_qn
        )


def test_the_pearson_approvals_page_records_and_lists_each_centres_own(client, cast, own_centre, q):
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("centres:approvals")
    response = client.post(
        url,
        {
            "centre": own_centre.pk,
            "qualification": q.pk,
            "approved_on": "01/06/2025",
            "reference": "",
        },
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    client.post(
        url,
        {
            "centre": own_centre.pk,
            "qualification": q.pk,
            "approved_on": "01/06/2025",
            "reference": "APP-1",
        },
    )
    assert "APP-1" in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="centres.approval.recorded").exists()
    client.force_login(cast[R.ASSESSOR_IV])
    page = client.get(url)
    assert page.status_code == 200 and "Record an approval" not in page.content.decode()
    assert client.post(url, {}).status_code == 403


# --- the cross-role export ---------------------------------------------------------------


def test_an_export_is_scoped_by_the_export_permission_not_by_viewing(
    client, own_centre, partner_centre, make_user
):
    """Exams officer at one centre, assessor (view only) at another: exports only the first."""
    person = make_user("two_hats", R.EXAMS_OFFICER, centre=own_centre)
    from accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=person, centre=partner_centre, role=R.ASSESSOR_IV)
    ours = LearnerFactory(centre=own_centre, last_name="Ownsworth")
    theirs = LearnerFactory(centre=partner_centre, last_name="Viewonly")
    their_cohort = CohortFactory(centre=partner_centre)
    TeachingGroupFactory(cohort=their_cohort).learners.add(theirs)
    TeachingGroupFactory(cohort=CohortFactory(centre=own_centre)).learners.add(ours)
    client.force_login(person)
    listing = client.get(reverse("learners:learner_list")).content.decode()
    assert "OWNSWORTH" in listing and "VIEWONLY" in listing  # may view both
    rows = load_workbook(
        io.BytesIO(client.get(reverse("learners:learners_export")).content)
    ).active.iter_rows(values_only=True)
    surnames = {r[1] for r in rows}
    assert "Ownsworth" in surnames and "Viewonly" not in surnames
    cohorts = client.get(reverse("learners:cohorts_export")).content
    assert partner_centre.number.encode() not in cohorts
    # The partner programme's class list: seen, so 403 rather than 404.
    url = reverse("learners:class_list_export", args=[their_cohort.pk])
    assert client.get(url).status_code == 403


# --- the delivering centre's view --------------------------------------------------------


def test_a_delivering_centre_sees_only_what_it_teaches(
    client, cast, own_centre, partner_centre, make_user
):
    partner_eo = make_user("kestrel_eo", R.EXAMS_OFFICER, centre=partner_centre)
    student = LearnerFactory(centre=partner_centre, last_name="Crossley", first_name="Ada")
    taught_here = TeachingGroupFactory(
        cohort=CohortFactory(centre=partner_centre),
        delivering_centre=own_centre,
        name="12CON",
    )
    home_group = TeachingGroupFactory(cohort=CohortFactory(centre=partner_centre), name="12HOME")
    taught_here.learners.add(student)
    home_group.learners.add(student)
    audit.record(
        partner_eo,
        "learners.learner.updated",
        student,
        before={"last_name": "Crosley"},
        after={"last_name": "Crossley", "reason": "Private family matter"},
    )
    twin = LearnerFactory(
        centre=partner_centre,
        first_name="Ada",
        last_name="Crossley",
        date_of_birth=student.date_of_birth,
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(reverse("learners:learner_detail", args=[student.pk])).content.decode()
    assert "12CON" in page and "12HOME" not in page
    assert "Private family matter" not in page
    assert "Possible duplicate" not in page and f"/learners/{twin.pk}/" not in page
    assert "Correct details" not in page  # the home centre corrects, not us
    client.force_login(partner_eo)
    page = client.get(reverse("learners:learner_detail", args=[student.pk])).content.decode()
    assert "12CON" in page and "12HOME" in page
    assert "Private family matter" in page and "Possible duplicate" in page


# --- the layer's answers --------------------------------------------------------------


def test_404_when_out_of_sight_403_when_the_role_is_too_weak(cast, own_centre, other_centre):
    from django.http import Http404

    ours = LearnerFactory(centre=own_centre)
    elsewhere = LearnerFactory(centre=other_centre)
    assert get_object(cast[R.EXAMS_OFFICER], "learners.change_learners", Learner, pk=ours.pk)
    with pytest.raises(PermissionDenied):
        get_object(cast[R.PROGRAMME_LEADER], "learners.change_learners", Learner, pk=ours.pk)
    with pytest.raises(PermissionDenied):  # governors know the centre's learners exist
        get_object(cast[R.GOVERNOR], "learners.view_learners", Learner, pk=ours.pk)
    with pytest.raises(Http404):
        get_object(cast[R.EXAMS_OFFICER], "learners.change_learners", Learner, pk=elsewhere.pk)
    with pytest.raises(Http404):
        get_object(cast[R.EXAMS_OFFICER], "learners.view_learners", Learner, pk=10**9)


def test_buttons_a_role_cannot_use_are_not_shown(client, cast, own_centre):
    learner = LearnerFactory(centre=own_centre)
    client.force_login(cast[R.ASSESSOR_IV])
    assert (
        "Correct details"
        not in client.get(reverse("learners:learner_detail", args=[learner.pk])).content.decode()
    )
    assert (
        "Download these learners"
        not in client.get(reverse("learners:learner_list")).content.decode()
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    assert (
        "Correct details"
        in client.get(reverse("learners:learner_detail", args=[learner.pk])).content.decode()
    )
