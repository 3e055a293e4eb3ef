"""The Standards Verifier's account (domain.md 3.10; issue 12 part 4).

The Quality Nominee gives Pearson's SV a personal, read-only account for the cohorts being
sampled until a set date; the SV signs in with a password and an authenticator app; every
page they open is logged; after the last day the account cannot sign in; the head of centre
sees every grant.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RoleAssignment, User, VerifierGrant
from accounts.permissions import all_permissions, forget_access
from accounts.roles import Role
from assessment.models import AssessmentPlan
from audit.models import AuditEvent
from outbox.models import OutgoingEmail

from .factories import (
    PASSWORD,
    CentreFactory,
    CohortFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    UserFactory,
)

R = Role
TODAY = dt.date(2027, 2, 1)
SV_EMAIL = "sam.verifier@pearson.example"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2027, 2, 1, 10, 0), tick=False):
        yield


@pytest.fixture
def centre(db):
    return CentreFactory(number="46001", name="Verifier Test Academy")


@pytest.fixture
def other_centre(db):
    return CentreFactory(number="46002", name="Unsampled Test College")


def _staff(centre, role, name):
    user = UserFactory(username=name)
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


@pytest.fixture
def qn(centre):
    return _staff(centre, R.QUALITY_NOMINEE, "sv_test_qn")


@pytest.fixture
def head(centre):
    return _staff(centre, R.HEAD_OF_CENTRE, "sv_test_head")


def _plan(centre, title):
    cohort = CohortFactory(centre=centre, qualification=QualificationFactory(title=title))
    return AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")


@pytest.fixture
def plans(centre, other_centre):
    return {
        "sampled": _plan(centre, "Sampled Business"),
        "unsampled": _plan(centre, "Unsampled Sport"),
        "elsewhere": _plan(other_centre, "Sampled Business"),
    }


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _grant(qn, centre, cohorts, expires_on=dt.date(2027, 3, 31), email=SV_EMAIL):
    response = _client(qn).post(
        reverse("accounts:grant_new"),
        {
            "centre": centre.pk,
            "email": email,
            "first_name": "Sam",
            "last_name": "Verifier",
            "cohorts": [c.pk for c in cohorts],
            "expires_on": expires_on.isoformat(),
        },
    )
    return response


def _granted_sv(qn, centre, plans, *, device=True, expires_on=dt.date(2027, 3, 31)):
    """The QN grants the sampled cohort; the SV has set a password (and enrolled an app)."""
    response = _grant(qn, centre, [plans["sampled"].cohort], expires_on=expires_on)
    assert response.status_code == 302, response.content.decode()[:2000]
    sv = User.objects.get(email=SV_EMAIL)
    sv.set_password(PASSWORD)
    sv.save()
    if device:
        TOTPDevice.objects.create(user=sv, name="Phone", confirmed=True)
    return sv


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _plan_url(plan):
    return reverse("assessment:plan_detail", kwargs={"pk": plan.pk})


# --- granting -----------------------------------------------------------------------------


def test_the_qn_grants_and_the_sv_reads_only_the_granted_cohort(qn, centre, plans):
    sv = _granted_sv(qn, centre, plans)
    assert RoleAssignment.objects.filter(user=sv, centre=centre, role=R.STANDARDS_VERIFIER).exists()
    invitation = OutgoingEmail.objects.get(kind="accounts.verifier_invitation")
    assert invitation.to == [SV_EMAIL]
    assert "/accounts/password/reset/" in invitation.body  # the link to set a password
    assert "Sampled Business" in invitation.body and "31/03/2027" in invitation.body

    client = _client(sv)
    page = client.get(_plan_url(plans["sampled"]))
    assert page.status_code == 200
    assert "Sampled Business" in page.content.decode()
    # Another cohort at the same centre, and the same qualification at another centre:
    # they do not exist for the SV.
    assert client.get(_plan_url(plans["unsampled"])).status_code == 404
    assert client.get(_plan_url(plans["elsewhere"])).status_code == 404
    # The plan list shows the sampled cohort's plan only.
    listed = client.get(reverse("assessment:plan_list")).content.decode()
    assert "Sampled Business" in listed and "Unsampled Sport" not in listed


def test_the_sv_can_change_nothing(qn, centre, plans):
    sv = _granted_sv(qn, centre, plans)
    client = _client(sv)
    plan = plans["sampled"]
    for name in ("plan_submit", "plan_approve", "plan_return", "plan_reopen"):
        response = client.post(reverse(f"assessment:{name}", kwargs={"pk": plan.pk}), {})
        assert response.status_code == 403, name
    assert client.post(reverse("assessment:plan_start"), {}).status_code == 403
    assert client.post(reverse("accounts:grant_new"), {}).status_code == 403
    # And no permission that changes anything can ever be given to the role.
    writers = [p.code for p in all_permissions().values() if p.writes]
    assert writers
    assert [c for c in writers if R.STANDARDS_VERIFIER in all_permissions()[c].roles] == []


@pytest.mark.parametrize("role", [R.EXAMS_OFFICER, R.HEAD_OF_CENTRE, R.LEAD_IV, R.GOVERNOR])
def test_only_the_quality_nominee_grants(centre, plans, role):
    someone = _staff(centre, role, f"sv_test_{role.value}")
    client = _client(someone)
    assert client.get(reverse("accounts:grant_new")).status_code == 403
    response = _grant(someone, centre, [plans["sampled"].cohort])
    assert response.status_code == 403
    assert not VerifierGrant.objects.exists()


def test_a_grant_names_cohorts_of_its_centre_and_a_near_last_day(qn, centre, plans):
    response = _grant(qn, centre, [], expires_on=dt.date(2026, 12, 1))
    text = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" in text or "Choose the cohorts" in text
    response = _grant(qn, centre, [plans["sampled"].cohort], expires_on=dt.date(2027, 1, 31))
    assert "The last day, 31/01/2027, has already passed." in response.content.decode()
    response = _grant(qn, centre, [plans["sampled"].cohort], expires_on=dt.date(2029, 1, 1))
    assert "at most a year ahead" in response.content.decode()
    # A cohort of another centre is not even offered.
    response = _grant(qn, centre, [plans["elsewhere"].cohort])
    assert "Select a valid choice" in response.content.decode()
    assert not VerifierGrant.objects.exists()


def test_a_staff_account_cannot_be_made_a_verifier(qn, centre, plans):
    staff = _staff(centre, R.EXAMS_OFFICER, "sv_test_eo")
    staff.email = "eo@school.example"
    staff.save()
    response = _grant(qn, centre, [plans["sampled"].cohort], email="EO@school.example")
    assert "is the address of a staff account here" in response.content.decode()
    assert not VerifierGrant.objects.exists()


# --- two factors ----------------------------------------------------------------------------


def test_the_sv_enrols_an_app_at_first_sign_in(qn, centre, plans):
    sv = _granted_sv(qn, centre, plans, device=False)
    client = Client()
    response = client.post(reverse("login"), {"username": sv.username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(_plan_url(plans["sampled"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    setup = client.get(response["Location"])
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=sv)
    assert not device.confirmed
    assert "otpauth://totp/" in setup.content.decode()  # the key as text: no image service
    wrong = client.post(response["Location"], {"token": "000000"})
    assert "That code is not the one your app shows now" in wrong.content.decode()
    # The right code typed at once is held back by the throttle, and the page says so.
    device.refresh_from_db()
    too_soon = client.post(response["Location"], {"token": _code(device)})
    assert "wait a few seconds" in too_soon.content.decode()
    with time_machine.travel(dt.datetime(2027, 2, 1, 10, 0, 5), tick=False):  # past the throttle
        device.refresh_from_db()
        done = client.post(
            response["Location"], {"token": _code(device), "next": _plan_url(plans["sampled"])}
        )
        assert done.status_code == 302 and done["Location"] == _plan_url(plans["sampled"])
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(_plan_url(plans["sampled"])).status_code == 200


def test_an_sv_session_without_the_code_is_sent_to_verify(qn, centre, plans):
    sv = _granted_sv(qn, centre, plans)
    client = Client()
    client.post(reverse("login"), {"username": sv.username, "password": PASSWORD})
    for url in (_plan_url(plans["sampled"]), reverse("dashboard"), reverse("assessment:plan_list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:otp_verify")), url
    verify = reverse("accounts:otp_verify") + "?next=" + _plan_url(plans["sampled"])
    assert client.get(verify).status_code == 200
    device = TOTPDevice.objects.get(user=sv)
    response = client.post(verify, {"token": _code(device), "next": _plan_url(plans["sampled"])})
    assert response.status_code == 302 and response["Location"] == _plan_url(plans["sampled"])
    assert client.get(_plan_url(plans["sampled"])).status_code == 200


def test_staff_are_not_asked_for_a_second_factor(qn):
    client = Client()
    client.post(reverse("login"), {"username": qn.username, "password": PASSWORD})
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("accounts:otp_verify")).status_code == 404


# --- expiry and ending ------------------------------------------------------------------------


def test_after_the_last_day_the_sv_cannot_sign_in_and_an_open_session_ends(qn, centre, plans):
    sv = _granted_sv(qn, centre, plans, expires_on=TODAY)
    with time_machine.travel(dt.datetime(2027, 2, 1, 23, 50), tick=False):
        open_session = _client(sv)
        assert open_session.get(_plan_url(plans["sampled"])).status_code == 200  # the last day
    with time_machine.travel(dt.datetime(2027, 2, 2, 0, 10), tick=False):  # the session lives on
        forget_access(sv)
        response = open_session.get(_plan_url(plans["sampled"]), follow=True)
        assert response.redirect_chain[0][0] == reverse("login")
        assert "access expired on 01/02/2027" in response.content.decode()
        assert "_auth_user_id" not in open_session.session  # signed out
        refused = Client().post(reverse("login"), {"username": sv.username, "password": PASSWORD})
        assert refused.status_code == 200
        assert "access expired on 01/02/2027: it can no longer sign in" in refused.content.decode()
        assert "_auth_user_id" not in refused.wsgi_request.session
        # The attempt is on the centre's trail for the Quality Nominee.
        attempt = AuditEvent.objects.get(action="accounts.verifier.refused")
        assert attempt.centre_id == centre.pk and "expired" in attempt.after_data["reason"]


def test_the_role_stops_applying_after_the_last_day_without_any_job(qn, centre, plans):
    from accounts.permissions import scope

    sv = _granted_sv(qn, centre, plans)
    assert scope(sv, "assessment.view_plans", AssessmentPlan).count() == 1
    with time_machine.travel(dt.datetime(2027, 4, 1, 0, 1), tick=False):
        forget_access(sv)
        assert scope(sv, "assessment.view_plans", AssessmentPlan).count() == 0


def test_ending_access_ends_the_open_session(qn, head, centre, plans):
    sv = _granted_sv(qn, centre, plans)
    open_session = _client(sv)
    grant = VerifierGrant.objects.get()
    assert (
        _client(head).post(reverse("accounts:grant_revoke", kwargs={"pk": grant.pk})).status_code
        == 403
    )
    response = _client(qn).post(reverse("accounts:grant_revoke", kwargs={"pk": grant.pk}))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_by == qn
    response = open_session.get(_plan_url(plans["sampled"]), follow=True)
    assert "access was ended by the centre" in response.content.decode()
    refused = Client().post(reverse("login"), {"username": sv.username, "password": PASSWORD})
    assert "can no longer sign in" in refused.content.decode()


# --- the page log and the head's view ------------------------------------------------------------


def test_every_page_the_sv_opens_is_logged_for_the_centre(qn, head, centre, plans):
    sv = _granted_sv(qn, centre, plans)
    client = _client(sv)
    client.get(_plan_url(plans["sampled"]))
    client.get(_plan_url(plans["unsampled"]))
    client.get(reverse("assessment:plan_list") + "?year=2026/27")
    grant = VerifierGrant.objects.get()
    page = _client(qn).get(reverse("accounts:grant_detail", kwargs={"pk": grant.pk}))
    text = page.content.decode()
    assert "Pages opened (3)" in text
    assert f"<code>{_plan_url(plans['sampled'])}</code></td><td>200" in text
    assert f"<code>{_plan_url(plans['unsampled'])}</code></td><td>404" in text
    assert "/assessment/plans/?year=2026/27" in text
    assert "01/02/2027 10:00:00" in text
    # It is on the one audit trail.
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="accounts.verifier.page_viewed").count() == 3


def test_the_head_sees_every_grant_at_their_centre(qn, head, centre, other_centre, plans):
    sv = _granted_sv(qn, centre, plans)
    _client(sv).get(_plan_url(plans["sampled"]))
    with time_machine.travel(dt.datetime(2026, 11, 1, 10, 0), tick=False):
        old = _grant(
            qn,
            centre,
            [plans["unsampled"].cohort],
            expires_on=dt.date(2026, 12, 31),
            email="old.verifier@pearson.example",
        )
        assert old.status_code == 302
    other_qn = _staff(other_centre, R.QUALITY_NOMINEE, "sv_test_other_qn")
    _grant(other_qn, other_centre, [plans["elsewhere"].cohort], email="elsewhere@pearson.example")
    assert VerifierGrant.objects.count() == 3

    page = _client(head).get(reverse("accounts:grant_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert SV_EMAIL in text and "old.verifier@pearson.example" in text
    assert "elsewhere@pearson.example" not in text
    assert "Sampled Business" in text and "Unsampled Sport" in text
    assert "31/03/2027" in text and "31/12/2026" in text
    assert "Live" in text and "Expired" in text
    assert "<td>1</td>" in text  # the SV's page count
    assert "Give a Standards Verifier access" not in text  # the head reads; the QN grants
    grant = VerifierGrant.objects.get(user=sv)
    detail = _client(head).get(reverse("accounts:grant_detail", kwargs={"pk": grant.pk}))
    assert detail.status_code == 200 and "End this access now" not in detail.content.decode()
    elsewhere = VerifierGrant.objects.get(centre=other_centre)
    assert (
        _client(head).get(reverse("accounts:grant_detail", kwargs={"pk": elsewhere.pk})).status_code
        == 404
    )


def test_the_grant_list_runs_a_fixed_number_of_queries(
    qn, head, centre, plans, django_assert_max_num_queries
):
    for i in range(6):
        _grant(
            qn,
            centre,
            [plans["sampled"].cohort, plans["unsampled"].cohort],
            email=f"verifier{i}@pearson.example",
        )
    client = _client(head)
    client.get(reverse("accounts:grant_list"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("accounts:grant_list"))
    assert page.content.decode().count("verifier5@pearson.example") >= 1


def test_the_sv_reads_the_sampled_cohorts_pages_and_is_offered_no_control(qn, centre, plans):
    """What the SV opens works, and shows no button or link they cannot use."""
    from assessment.models_briefs import AssignmentBrief

    from .factories import planned_row, unit_with_criteria
    from .test_permission_matrix import _dead_controls

    plan = plans["sampled"]
    assessor = _staff(centre, R.ASSESSOR_IV, "sv_test_assessor")
    liv = _staff(centre, R.LEAD_IV, "sv_test_liv")
    unit = unit_with_criteria(plan.cohort.qualification, 7, ["A.P1", "A.M1"])
    row = planned_row(plan, unit, assessor=assessor, iv=liv, title="Sampled assignment")
    brief = AssignmentBrief.objects.create(
        assignment=row, vocational_scenario="Scenario", tasks="Task", evidence="Evidence"
    )
    sv = _granted_sv(qn, centre, plans)
    client = _client(sv)
    pages = [
        reverse("dashboard"),
        reverse("assessment:plan_list"),
        _plan_url(plan),
        reverse("assessment:brief_detail", kwargs={"pk": brief.pk}),
        reverse("assessment:decisions_grid", kwargs={"pk": row.pk}),
        reverse("verification:standardisation_list"),
        reverse("verification:lead_iv_list"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _dead_controls(client, sv, response.content.decode()) == [], url
    assert "Sampled assignment" in client.get(_plan_url(plan)).content.decode()


def test_records_without_a_cohort_show_for_the_granted_qualification_only(qn, centre, plans):
    """The Lead IV appointment has no cohort: the SV sees the sampled qualification's only."""
    from accounts.permissions import scope
    from verification import services as lead_ivs
    from verification.models import LeadIVAppointment

    liv = _staff(centre, R.LEAD_IV, "sv_test_liv")
    for plan in (plans["sampled"], plans["unsampled"]):
        lead_ivs.appoint_lead_iv(
            centre=centre,
            qualification=plan.cohort.qualification,
            academic_year="2026/27",
            lead_iv=liv,
            cover=None,
            by=qn,
        )
    sv = _granted_sv(qn, centre, plans)
    seen = scope(sv, "verification.view_lead_ivs", LeadIVAppointment)
    assert [a.qualification.title for a in seen] == ["Sampled Business"]
    # The Lead IV list page shows the granted qualification's Lead IV, and not the other's.
    page = _client(sv).get(reverse("verification:lead_iv_list")).content.decode()
    assert "Sampled Business" in page
    assert plans["unsampled"].cohort.qualification.title not in page
    assert "You hold no role" not in page
    # Nothing the grant does not name: no learner list, no registrations, no audit trail.
    client = _client(sv)
    for name in ("learners:learner_list", "registrations:round_list", "audit:event_list"):
        assert client.get(reverse(name)).status_code == 403, name


def test_no_permission_that_writes_can_be_given_to_the_standards_verifier():
    from django.core.exceptions import ImproperlyConfigured

    from accounts.permissions import register

    with pytest.raises(ImproperlyConfigured, match="only reads"):
        register("test.sv_writes", {R.STANDARDS_VERIFIER}, writes=True)


def test_the_invitation_leads_to_a_reset_that_sets_the_sv_password(qn, centre, plans, mailoutbox):
    assert _grant(qn, centre, [plans["sampled"].cohort]).status_code == 302
    body = OutgoingEmail.objects.get(kind="accounts.verifier_invitation").body
    # no one-time token sits in the outbox's table: the invitation names the reset page
    assert "/accounts/password/reset/" in body
    assert not re.search(r"/accounts/password/reset/[^/\s]+/[^/\s]+/", body)
    page = next(line for line in body.splitlines() if "/accounts/password/reset/" in line)
    client = Client()
    sent = client.post(page.split("127.0.0.1:8000", 1)[-1], {"email": SV_EMAIL})
    assert sent.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [SV_EMAIL]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/\S+/", mailoutbox[0].body)
    form = client.get(re.sub(r"^https?://[^/]+", "", link.group(0)), follow=True)
    assert form.status_code == 200
    new = "Quartz-meadow-lantern-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302, done.content.decode()[-3000:]
    sv = User.objects.get(email=SV_EMAIL)
    assert sv.check_password(new)


def test_a_reset_reaches_an_invited_sv_only_while_their_access_is_live(
    qn, centre, plans, mailoutbox
):
    from accounts.services_grants import revoke_verifier_access

    assert _grant(qn, centre, [plans["sampled"].cohort]).status_code == 302
    # someone else with no password and no grant is not sent a link
    User.objects.create_user("nopassword", "nobody@example.org", None)
    client = Client()
    client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert mailoutbox == []
    revoke_verifier_access(VerifierGrant.objects.get(user__email=SV_EMAIL), by=qn)
    client.post(reverse("password_reset"), {"email": SV_EMAIL})
    assert mailoutbox == []


def test_the_sv_reads_their_cohorts_visit_and_downloads_its_evidence_pack(qn, centre, plans):
    """The verifier sees the standards verification of the cohort they were granted and
    can take the evidence pack; another cohort's visit does not exist for them."""
    from verification import services_sv

    visits = {
        key: services_sv.record_allocation(
            cohort=plans[key].cohort, academic_year="2026/27", verifier_name="Dr Oriel Fenn", by=qn
        )
        for key in ("sampled", "unsampled")
    }
    client = _client(_granted_sv(qn, centre, plans))
    page = client.get(reverse("verification:sv_detail", args=[visits["sampled"].pk]))
    assert page.status_code == 200 and "Dr Oriel Fenn" in page.content.decode()
    pack = client.get(reverse("verification:sv_pack", args=[visits["sampled"].pk]))
    assert pack.status_code == 200 and b"".join(pack.streaming_content)[:2] == b"PK"
    other = client.get(reverse("verification:sv_detail", args=[visits["unsampled"].pk]))
    assert other.status_code == 404
