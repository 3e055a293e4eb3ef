"""The Annual Quality Declaration (policy 000-3.1.12; btecqa issue 12 part 6): a checklist
from clauses 3.1.1-3.1.14 with the evidence drawn from the records and the gaps named, the
Quality Nominee completes it, the Head of Centre confirms it by signing, a change after
signing makes a new version, and the window's reminders."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from declarations import checks, services
from declarations.models import QualityDeclaration
from declarations.tasks import declaration_reminders
from declarations.window import aqd_window
from outbox.models import OutgoingEmail
from signatures import services as signing
from todos.models import ToDo
from verification import services as lead_ivs

from .factories import PASSWORD, CentreFactory, CohortFactory, QualificationFactory

R = Role
YEAR = "2026/27"
pytestmark = pytest.mark.usefixtures("_autumn")


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 9, 21, 10, 0), tick=True):
        yield


@pytest.fixture
def business(own_centre):
    q = QualificationFactory(title="National Extended Diploma in Business")
    CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)
    return q


@pytest.fixture
def declaration(own_centre, cast):
    return services.start_declaration(
        centre=own_centre, academic_year=YEAR, by=cast[R.QUALITY_NOMINEE]
    )


def _url(name, declaration, **extra):
    return reverse(f"declarations:{name}", kwargs={"pk": declaration.pk, **extra})


def _clause_row(page: str, clause: str) -> str:
    start = page.index(f'id="clause-{clause.replace(".", "")}"')
    return page[start : page.index("</tr>", start)]


def _all_answered(declaration, note="Checked by hand: policies on the shared drive"):
    data = {"lock": declaration.lock_version, "reason": ""}
    for check in checks.all_checks():
        key = check.clause.replace(".", "_")
        data[f"in_place_{key}"] = "on"
        data[f"note_{key}"] = note
    return data


def test_the_checklist_names_the_gap_when_no_lead_iv_is_identified_and_the_evidence_when_one_is(
    client, cast, own_centre, business, declaration
):
    """3.1.4 drawn from verification.LeadIVAppointment: no Lead IV is a named gap."""
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    row = _clause_row(page, "3.1.4")
    assert "National Extended Diploma in Business: no Lead IV identified for 2026/27" in row
    # 3.1.5 is a gap too: nobody standardised this year.
    assert "no standardisation activity recorded in 2026/27" in _clause_row(page, "3.1.5")
    # 3.1.7 has no record source: it says so honestly.
    assert "Confirm by hand" in _clause_row(page, "3.1.7")
    # 3.1.11: no standards verification is recorded for last year: a named gap.
    assert "No Standards Verification is recorded for 2025/26" in _clause_row(page, "3.1.11")

    liv, cover = cast[R.LEAD_IV], cast[R.ASSESSOR_IV]
    lead_ivs.appoint_lead_iv(
        centre=own_centre,
        qualification=business,
        academic_year=YEAR,
        lead_iv=liv,
        cover=cover,
        by=cast[R.QUALITY_NOMINEE],
    )
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    row = _clause_row(page, "3.1.4")
    assert "no Lead IV identified" not in row
    assert f"Lead IV {liv.get_full_name()}; cover {cover.get_full_name()}" in row


def _programmes(centre, cast, n, first=0):
    """n qualifications taught this year, each with a Lead IV, a plan, a verified brief."""
    from django.utils import timezone

    from assessment.models import AssessmentPlan
    from assessment.models_briefs import AssignmentBrief

    from .factories import planned_row, unit_with_criteria

    for i in range(first, first + n):
        q = QualificationFactory(title=f"Qualification {i}")
        cohort = CohortFactory(centre=centre, qualification=q, start_year=YEAR)
        lead_ivs.appoint_lead_iv(
            centre=centre,
            qualification=q,
            academic_year=YEAR,
            lead_iv=cast[R.LEAD_IV],
            cover=cast[R.ASSESSOR_IV],
            by=cast[R.QUALITY_NOMINEE],
        )
        plan = AssessmentPlan.objects.create(cohort=cohort, academic_year=YEAR)
        row = planned_row(
            plan,
            unit_with_criteria(q, 1, ["A.P1"]),
            assessor=cast[R.ASSESSOR_IV],
            iv=cast[R.LEAD_IV],
        )
        AssignmentBrief.objects.create(
            assignment=row,
            vocational_scenario="s",
            tasks="t",
            evidence="e",
            status=AssignmentBrief.Status.VERIFIED,
            verified_by=cast[R.LEAD_IV],
            verified_at=timezone.now(),
        )


def test_the_checklist_runs_the_same_number_of_queries_whatever_the_centres_size(
    client, cast, own_centre, declaration
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast[R.QUALITY_NOMINEE])
    url = _url("declaration_detail", declaration)
    _programmes(own_centre, cast, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        page = client.get(url).content.decode()
    assert (
        "Qualification 0 (2026/27 cohort), unit 1 «Assignment for Unit 1»: internally verified"
        in page
    )
    _programmes(own_centre, cast, 6, first=1)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert "Qualification 6: Lead IV" in page
    assert len(large) == len(small), [q["sql"][:120] for q in large]


def test_the_qn_completes_the_head_confirms_and_a_change_after_signing_makes_a_new_version(
    client, cast, own_centre, business, declaration
):
    qn, head = cast[R.QUALITY_NOMINEE], cast[R.HEAD_OF_CENTRE]
    client.force_login(qn)
    # Completing with items unanswered is refused, naming the item.
    response = client.post(
        _url("declaration_complete", declaration), {"lock": declaration.lock_version}
    )
    assert response.status_code == 200
    assert "3.1.7 Access to all quality assurance documentation" in response.content.decode()
    assert "tick it as in place or say in a note why not" in response.content.decode()

    response = client.post(_url("declaration_items", declaration), _all_answered(declaration))
    assert response.status_code == 302
    declaration.refresh_from_db()
    response = client.post(
        _url("declaration_complete", declaration), {"lock": declaration.lock_version}
    )
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == QualityDeclaration.Status.COMPLETED
    # The gap is frozen into the completed version.
    item = declaration.items.get(clause="3.1.4")
    assert any("no Lead IV identified" in g for g in item.gaps)
    assert ToDo.objects.filter(
        kind="declarations.confirm_aqd", role=R.HEAD_OF_CENTRE, closed_at__isnull=True
    ).exists()

    client.force_login(head)
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert "Confirm and sign as Head of Centre" in page
    response = client.post(
        _url("declaration_confirm", declaration),
        {"password": PASSWORD, "seen": signing.current_sha256(declaration)},
    )
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == QualityDeclaration.Status.CONFIRMED
    signature = signing.latest_signature(declaration)
    assert (signature.signer, signature.role, signature.version.number) == (
        head,
        R.HEAD_OF_CENTRE,
        1,
    )
    assert AuditEvent.objects.filter(action="declarations.declaration.confirmed").exists()

    # The QN changes a note after signing: a reason is needed ...
    client.force_login(qn)
    data = _all_answered(declaration)
    data["note_3_1_10"] = "Retention schedule revised by governors"
    response = client.post(_url("declaration_items", declaration), data)
    assert response.status_code == 200
    assert "This declaration is signed: say why it is changed" in response.content.decode()
    # ... with one, it goes back to draft; completed again, it is a new version.
    data["reason"] = "Retention schedule revised"
    assert client.post(_url("declaration_items", declaration), data).status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == QualityDeclaration.Status.DRAFT
    client.post(_url("declaration_complete", declaration), {"lock": declaration.lock_version})
    declaration.refresh_from_db()
    assert declaration.status == QualityDeclaration.Status.COMPLETED
    assert signing.latest_version(declaration).number == 2

    # The old version still reads as signed, with its own note; the new one is not signed.
    old = client.get(_url("declaration_version", declaration, number=1)).content.decode()
    assert f"Signed by {head.get_full_name()} (Head of Centre)" in old
    assert "Retention schedule revised by governors" not in old
    new = client.get(_url("declaration_version", declaration, number=2)).content.decode()
    assert "This version is not signed." in new
    assert "Retention schedule revised by governors" in new
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert page.count("Signed by") == 1 and "Not signed" in page


def test_someone_other_than_the_head_cannot_confirm(client, cast, declaration):
    for role in (R.QUALITY_NOMINEE, R.EXAMS_OFFICER, R.GOVERNOR):
        client.force_login(cast[role])
        response = client.post(
            _url("declaration_confirm", declaration),
            {"password": PASSWORD, "seen": signing.current_sha256(declaration)},
        )
        assert response.status_code == 403, role
    # Governors read it; they cannot change it.
    client.force_login(cast[R.GOVERNOR])
    assert client.get(_url("declaration_detail", declaration)).status_code == 200
    assert client.post(_url("declaration_items", declaration), {}).status_code == 403


def test_the_head_cannot_confirm_a_draft(client, cast, declaration):
    client.force_login(cast[R.HEAD_OF_CENTRE])
    response = client.post(
        _url("declaration_confirm", declaration),
        {"password": PASSWORD, "seen": signing.current_sha256(declaration)},
    )
    assert response.status_code == 200
    assert "Only a declaration the Quality Nominee has completed can be confirmed" in (
        response.content.decode()
    )


def test_another_centres_declaration_is_not_found(client, declaration, other_centre, make_user):
    for role in (R.QUALITY_NOMINEE, R.HEAD_OF_CENTRE, R.GOVERNOR):
        user = make_user(f"other_{role.value}", role, centre=other_centre)
        client.force_login(user)
        assert client.get(_url("declaration_detail", declaration)).status_code == 404
        listed = client.get(reverse("declarations:declaration_list")).content.decode()
        assert "Own Test Academy" not in listed


def test_the_list_shows_the_alias_and_the_window(client, cast, declaration):
    client.force_login(cast[R.HEAD_OF_CENTRE])
    page = client.get(reverse("declarations:declaration_list")).content.decode()
    assert "Annual Centre Declaration" in page
    assert "01/09/2026 to 14/10/2026" in page
    assert "Draft: the Quality Nominee is completing it" in page


def test_the_window_is_yearly_configuration(settings):
    assert aqd_window("2026/27") == (dt.date(2026, 9, 1), dt.date(2026, 10, 14))
    settings.BTECQA_AQD_WINDOW = ("09-05", "10-20")
    assert aqd_window("2031/32") == (dt.date(2031, 9, 5), dt.date(2031, 10, 20))


def test_reminders_open_in_the_window_and_not_outside_it(cast, own_centre):
    """The beat task: a to-do for the QN when the window opens, e-mails near the deadline."""
    inactive = CentreFactory(number="40009", name="Closed Test School", is_active=False)
    assert declaration_reminders("2026-08-31")["opened"] == 0
    assert not QualityDeclaration.objects.exists()
    assert not ToDo.objects.filter(kind="declarations.complete_aqd").exists()

    result = declaration_reminders("2026-09-01")
    assert result["opened"] >= 1 and result["emails"] == 0
    todo = ToDo.objects.get(kind="declarations.complete_aqd", centre=own_centre)
    assert (todo.role, todo.due_date) == (R.QUALITY_NOMINEE, dt.date(2026, 10, 14))
    assert todo.url == QualityDeclaration.objects.get(centre=own_centre).get_absolute_url()
    assert not QualityDeclaration.objects.filter(centre=inactive).exists()
    # Running again the same day opens nothing twice.
    declaration_reminders("2026-09-01")
    assert ToDo.objects.filter(kind="declarations.complete_aqd", centre=own_centre).count() == 1

    declaration_reminders("2026-09-30")  # 14 days before the deadline
    email = OutgoingEmail.objects.get(kind="declarations.reminder")
    assert email.to == [cast[R.QUALITY_NOMINEE].email]
    assert "14 days left to complete it" in email.subject
    declaration_reminders("2026-09-30")
    assert OutgoingEmail.objects.filter(kind="declarations.reminder").count() == 1
    declaration_reminders("2026-10-02")  # not a reminder day
    assert OutgoingEmail.objects.filter(kind="declarations.reminder").count() == 1

    assert declaration_reminders("2026-10-15") == {"year": YEAR, "opened": 0, "emails": 0}
    assert OutgoingEmail.objects.filter(kind="declarations.reminder").count() == 1


def _confirmed(declaration, cast):
    qn, head = cast[R.QUALITY_NOMINEE], cast[R.HEAD_OF_CENTRE]
    services.save_items(
        declaration,
        values={c.clause: (True, "Checked") for c in checks.all_checks()},
        by=qn,
    )
    declaration = services.complete_declaration(declaration, by=qn)
    services.confirm_declaration(
        declaration, user=head, password=PASSWORD, seen_sha256=signing.current_sha256(declaration)
    )
    declaration.refresh_from_db()
    return declaration


def test_the_qn_records_the_submission_to_pearson_once_confirmed(client, cast, declaration):
    """3.1.12 "complete and submit": the day it went to Pearson, and the head's EOL check."""
    url = _url("declaration_submitted", declaration)
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(url, {"submitted_on": "2026-09-20"})
    assert "once the Head of Centre has confirmed it" in response.content.decode()
    declaration = _confirmed(declaration, cast)
    signed = signing.current_sha256(declaration)
    response = client.post(url, {"submitted_on": "2026-09-30"})
    assert response.status_code == 200 and "This date is to come" in response.content.decode()
    response = client.post(url, {"submitted_on": "2026-09-21", "eol_confirmed_on": "2026-09-20"})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.submitted_to_pearson_on == dt.date(2026, 9, 21)
    assert declaration.eol_confirmed_on == dt.date(2026, 9, 20)
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert "Submitted on Edexcel Online on 21/09/2026" in page
    assert signing.current_sha256(declaration) == signed  # what was signed is unchanged
    client.force_login(cast[R.HEAD_OF_CENTRE])
    assert client.post(url, {"submitted_on": "2026-09-21"}).status_code == 403


def test_a_confirmed_declaration_is_reminded_until_submitted(cast, own_centre, declaration):
    declaration = _confirmed(declaration, cast)
    declaration_reminders("2026-10-13")
    email = OutgoingEmail.objects.get(kind="declarations.reminder")
    assert "1 day left to submit it on Edexcel Online" in email.subject
    QualityDeclaration.objects.filter(pk=declaration.pk).update(
        submitted_to_pearson_on=dt.date(2026, 9, 21)
    )
    OutgoingEmail.objects.all().delete()
    declaration_reminders("2026-10-07")
    assert not OutgoingEmail.objects.filter(kind="declarations.reminder").exists()


def test_another_app_adds_an_item_without_editing_the_checklist(
    client, cast, declaration, monkeypatch
):
    monkeypatch.setattr(checks, "_CHECKS", dict(checks._CHECKS))
    checks.register_check(
        "3.1.11",
        "Taking part in Pearson's SV",
        lambda ctx: checks.Finding(evidence=["SV report released for Business"]),
        replace=True,
    )
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert "SV report released for Business" in _clause_row(page, "3.1.11")
    with pytest.raises(Exception, match="declared twice"):
        checks.register_check("3.1.11", "Another", lambda ctx: checks.Finding())


def test_only_the_qn_starts_a_declaration(client, cast, own_centre):
    url = reverse("declarations:declaration_start")
    client.force_login(cast[R.HEAD_OF_CENTRE])
    assert client.post(url, {"centre": own_centre.pk, "academic_year": YEAR}).status_code == 403
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(url, {"centre": own_centre.pk, "academic_year": YEAR})
    declaration = QualityDeclaration.objects.get(centre=own_centre)
    assert response.status_code == 302 and response["Location"] == declaration.get_absolute_url()
    assert declaration.items.count() == len(checks.all_checks())


def test_the_demo_has_a_draft_declaration_with_named_gaps_and_a_review_held(client, db):
    from btecqa.demo import LEAD, load_demo
    from declarations.models import ArrangementReview

    load_demo(dt.date(2026, 10, 1))
    declaration = QualityDeclaration.objects.get(centre__number=LEAD[0], academic_year=YEAR)
    assert declaration.status == QualityDeclaration.Status.DRAFT
    assert declaration.items.filter(clause="3.1.4", in_place=True).exists()
    review = ArrangementReview.objects.get(academic_year=YEAR)
    assert review.attendance.filter(attended=True).count() == 2
    assert review.actions.filter(closed_on__isnull=True).count() == 1
    client.force_login(declaration.centre.role_assignments.get(role=R.QUALITY_NOMINEE).user)
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert "gaps named" in page and "Confirm by hand" in page
    assert "reviewed 25/09/2026" in _clause_row(page, "3.1.9")


def test_the_sv_items_read_last_years_report_and_the_open_actions(
    client, cast, own_centre, business, declaration
):
    """3.1.11 and 3.1.13 from the SV records: last year's report not released is a gap, and
    so is an action agreed with the verifier that is still open; released and closed are
    evidence."""
    from learners.models import Cohort
    from verification.models_sv import SVAction, SVVisit

    cohort = Cohort.objects.filter(centre=own_centre, qualification=business).first()
    visit = SVVisit.objects.create(
        cohort=cohort,
        academic_year="2025/26",
        verifier_name="Dr Wren Hollowell",
        status="certification_pending",
        created_by=cast[R.QUALITY_NOMINEE],
    )
    action = SVAction.objects.create(
        visit=visit,
        description="Reassess Unit 2 against the merit criteria",
        owner=cast[R.LEAD_IV],
        due_on=dt.date(2026, 7, 1),
        created_by=cast[R.QUALITY_NOMINEE],
    )
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    sv = _clause_row(page, "3.1.11")
    assert "Dr Wren Hollowell" in sv and "last year&#x27;s report is not released" in sv
    assert "Reassess Unit 2 against the merit criteria" in _clause_row(page, "3.1.13")
    assert "still open" in _clause_row(page, "3.1.13")

    SVVisit.objects.filter(pk=visit.pk).update(status="released")
    SVAction.objects.filter(pk=action.pk).update(
        closed_at=dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    )
    page = client.get(_url("declaration_detail", declaration)).content.decode()
    assert "not released" not in _clause_row(page, "3.1.11")
    assert "Released" in _clause_row(page, "3.1.11")
    assert "closed 01/07/2026" in _clause_row(page, "3.1.13")
