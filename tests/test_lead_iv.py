"""The Lead IV: identified per qualification, per centre, per year, with succession cover,
kept by the Quality Nominee (domain.md 3.1, 3.9; issue 10 item 6)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from verification import services
from verification.models import LeadIVAppointment

from .factories import CohortFactory, QualificationFactory

R = Role
pytestmark = pytest.mark.usefixtures("_autumn")


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, 0), tick=True):
        yield


@pytest.fixture
def taught(own_centre):
    """Two qualifications taught at the centre in 2026/27 (one started last year)."""
    business = QualificationFactory(title="National Diploma in Business")
    sport = QualificationFactory(title="National Diploma in Sport")
    CohortFactory(centre=own_centre, qualification=business, start_year="2026/27")
    CohortFactory(centre=own_centre, qualification=sport, start_year="2025/26", years=2)
    return business, sport


LIST = reverse("verification:lead_iv_list")
ADD = reverse("verification:lead_iv_add")


def _name(user) -> str:
    return user.get_full_name() or user.username


def _form(centre, q, lead_iv, cover=None, note="", year="2026/27"):
    return {
        "centre": centre.pk,
        "academic_year": year,
        "qualification": q.pk,
        "lead_iv": lead_iv.pk,
        "cover": cover.pk if cover else "",
        "standardisation_note": note,
    }


def test_the_quality_nominee_identifies_a_lead_iv_and_cover_and_the_list_flags_the_rest(
    client, cast, own_centre, taught
):
    business, sport = taught
    qn, liv, cover = cast[R.QUALITY_NOMINEE], cast[R.LEAD_IV], cast[R.ASSESSOR_IV]
    client.force_login(qn)
    page = client.get(LIST).content.decode()
    assert page.count("No Lead IV") == 2 and "taught this year: identify one" in page
    response = client.post(
        ADD, _form(own_centre, business, liv, cover, note="Standardised 10/09/2026"), follow=True
    )
    page = response.content.decode()
    appt = LeadIVAppointment.objects.get()
    assert (appt.lead_iv, appt.cover, appt.appointed_by) == (liv, cover, qn)
    assert (appt.centre, appt.academic_year) == (own_centre, "2026/27")
    assert _name(liv) in page and _name(cover) in page and "Standardised 10/09/2026" in page
    assert page.count("No Lead IV") == 1  # Sport, still taught and without one
    event = AuditEvent.objects.get(action="verification.lead_iv.appointed")
    assert event.centre_id == own_centre.pk
    assert event.after_data["lead_iv"] == _name(liv)


def test_one_lead_iv_per_qualification_centre_and_year(client, cast, own_centre, taught):
    business, _ = taught
    qn = cast[R.QUALITY_NOMINEE]
    services.appoint_lead_iv(
        centre=own_centre,
        qualification=business,
        academic_year="2026/27",
        lead_iv=cast[R.LEAD_IV],
        by=qn,
    )
    client.force_login(qn)
    page = client.post(ADD, _form(own_centre, business, cast[R.ASSESSOR_IV])).content.decode()
    assert "already has a Lead IV at Own Test Academy for 2026/27" in page
    assert LeadIVAppointment.objects.count() == 1
    # Next year is a new identification.
    client.post(ADD, _form(own_centre, business, cast[R.ASSESSOR_IV], year="2027/28"))
    assert LeadIVAppointment.objects.filter(academic_year="2027/28").count() == 1


def test_the_people_hold_a_role_at_the_centre_and_the_cover_is_someone_else(
    client, cast, own_centre, other_centre, make_user, taught
):
    business, _ = taught
    qn = cast[R.QUALITY_NOMINEE]
    client.force_login(qn)
    page = client.post(ADD, _form(own_centre, business, cast[R.LEAD_IV], cast[R.LEAD_IV]))
    assert "The cover must be a different person from the Lead IV." in page.content.decode()
    stranger = make_user("stranger_liv", R.LEAD_IV, centre=other_centre)
    with pytest.raises(ValidationError) as refused:
        services.appoint_lead_iv(
            centre=own_centre,
            qualification=business,
            academic_year="2026/27",
            lead_iv=stranger,
            by=qn,
        )
    assert "holds no role at Own Test Academy" in str(refused.value)
    assert not LeadIVAppointment.objects.exists()


def test_a_replacement_lead_iv_needs_the_standardisation_note_and_is_audited(
    client, cast, own_centre, taught
):
    business, _ = taught
    qn = cast[R.QUALITY_NOMINEE]
    appt = services.appoint_lead_iv(
        centre=own_centre,
        qualification=business,
        academic_year="2026/27",
        lead_iv=cast[R.LEAD_IV],
        cover=cast[R.ASSESSOR_IV],
        by=qn,
    )
    url = reverse("verification:lead_iv_edit", args=[appt.pk])
    client.force_login(qn)
    replacement = cast[R.ASSESSOR_IV]
    form = {"lead_iv": replacement.pk, "cover": cast[R.LEAD_IV].pk, "lock": 0}
    page = client.post(url, {**form, "standardisation_note": ""}).content.decode()
    assert "A replacement Lead IV must complete the centre standardisation materials" in page
    appt.refresh_from_db()
    assert appt.lead_iv == cast[R.LEAD_IV]
    client.post(url, {**form, "standardisation_note": "Completed the materials 30/09/2026"})
    appt.refresh_from_db()
    assert (appt.lead_iv, appt.cover) == (replacement, cast[R.LEAD_IV])
    event = AuditEvent.objects.get(action="verification.lead_iv.changed")
    assert set(event.after_data) == {"lead_iv", "cover", "standardisation_note"}


def test_only_the_quality_nominee_manages_and_only_at_their_centre(
    client, cast, own_centre, other_centre, make_user, taught
):
    business, _ = taught
    appt = services.appoint_lead_iv(
        centre=own_centre,
        qualification=business,
        academic_year="2026/27",
        lead_iv=cast[R.LEAD_IV],
        by=cast[R.QUALITY_NOMINEE],
    )
    url = reverse("verification:lead_iv_edit", args=[appt.pk])
    # The exams officer sees the list, without the buttons, and cannot change it.
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(LIST).content.decode()
    assert _name(cast[R.LEAD_IV]) in page and "Identify the Lead IV" not in page
    assert client.get(ADD).status_code == 403
    assert client.get(url).status_code == 403
    # Another centre's Quality Nominee: the record does not exist for them.
    other_qn = make_user("other_qn", R.QUALITY_NOMINEE, centre=other_centre)
    client.force_login(other_qn)
    assert client.get(url).status_code == 404
    page = client.get(LIST, {"centre": own_centre.pk}).content.decode()
    assert "National Diploma in Business" not in page  # their own centre's list instead
    with pytest.raises(PermissionDenied):  # at the service too
        services.appoint_lead_iv(
            centre=own_centre,
            qualification=business,
            academic_year="2027/28",
            lead_iv=cast[R.LEAD_IV],
            by=other_qn,
        )
