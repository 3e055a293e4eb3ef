"""The learner dossier (issue 14 part 2; policy 004 aim 3: "a secure, accurate, accessible
audit trail from each registration and claim to the certificate"): one page and one PDF per
learner following the record, each step with who and when, and the learner's audit events
checked against the keyed chain at the top."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from assessment import services_decisions as grid
from audit.models import AuditEvent
from dossier.sections import Row, register_section, sections
from registrations import services
from signatures import services as signing
from tests.factories import (
    PASSWORD,
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    TeachingGroupFactory,
    UserFactory,
    decisions_assignment,
)
from tests.pdf_reading import pdf_text
from verification import services_iv
from verification.models_sampling import IVPlan, SampleItem

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@contextmanager
def on(day: dt.date, hour: int = 10):
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)):
        yield


def person(role, centre, first, last="Tester"):
    user = UserFactory(first_name=first, last_name=last)
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


class Journey:
    """A learner of home centre H, taught in a group that centre D delivers, registered
    through the round's services, assessed on the grid and internally verified."""

    def __init__(self, n=0, learners=1, criteria=("A.P1", "A.P2", "A.M1", "A.D1")):
        self.H = CentreFactory(number=f"61{n}01", name=f"Dossier Home School {n}")
        self.D = CentreFactory(number=f"61{n}02", name=f"Dossier Delivering College {n}")
        self.U = CentreFactory(number=f"61{n}03", name=f"Dossier Unrelated Academy {n}")
        self.eo = person(Role.EXAMS_OFFICER, self.H, "Esme", "Officer")
        self.pl = person(Role.PROGRAMME_LEADER, self.H, "Pat", "Leader")
        self.d_eo = person(Role.EXAMS_OFFICER, self.D, "Dora", "Delivering")
        self.cohort = CohortFactory(
            centre=self.H,
            qualification=QualificationFactory(title=f"BTEC Dossier Studies {n}"),
            leader=self.pl,
        )
        group = TeachingGroupFactory(cohort=self.cohort, delivering_centre=self.D)
        self.learners = [
            LearnerFactory(centre=self.H, first_name="Dana", last_name=f"Zzdossier{i}")
            for i in range(learners)
        ]
        self.learner = self.learners[0]
        group.learners.add(*self.learners)
        self.register()
        self.assess(criteria)

    def register(self):
        day = dt.date(2026, 9, 14)
        with on(day):
            rnd = services.open_round(centre=self.H, academic_year="2026/27", by=self.eo)
            req = services.request_entries(rnd, cohort=self.cohort, due_date=day, by=self.eo)
            for learner in self.learners:
                services.propose_entry(req, learner=learner, by=self.pl)
            services.finish_proposals(req, by=self.pl)
            entry_list = services.entry_list_for(self.cohort, rnd)
            services.make_entries(
                entry_list, registrations=list(self.cohort.registrations.all()), by=self.eo
            )
            services.return_entry_list(entry_list, by=self.eo)
            entry_list.refresh_from_db()
            services.sign_entry_list(
                entry_list,
                user=self.pl,
                password=PASSWORD,
                seen_sha256=signing.current_sha256(entry_list),
            )
            entry_list.refresh_from_db()
            services.submit_entry_list(entry_list, by=self.eo, submitted_on=day)

    def assess(self, criteria):
        self.assessor = person(Role.ASSESSOR_IV, self.H, "Asha", "Assessor")
        self.iv = person(Role.ASSESSOR_IV, self.H, "Ivan", "Verifier")
        self.a = decisions_assignment(
            cohort=self.cohort, assessor=self.assessor, iv=self.iv, criteria=criteria
        )
        crit = list(self.a.criteria.order_by("code"))
        with on(dt.date(2026, 11, 10)):
            grid.save_grid(
                self.a,
                by=self.assessor,
                learners=self.learners,
                criteria=crit,
                rows={
                    learner.pk: grid.RowInput(
                        cells={c.pk: "achieved" for c in crit},
                        learner_declared=True,
                        assessor_declared=True,
                        submitted_on=dt.date(2026, 11, 2),
                    )
                    for learner in self.learners
                },
                decided_on=dt.date(2026, 11, 10),
            )
        lead = person(Role.LEAD_IV, self.H, "Lena", "Lead")
        plan = IVPlan.objects.create(
            cohort=self.cohort, academic_year=self.a.plan.academic_year, created_by=lead
        )
        with on(dt.date(2026, 11, 20)):
            for learner in self.learners:
                item = SampleItem.objects.create(
                    plan=plan,
                    learner=learner,
                    assignment=self.a,
                    stage="summative",
                    snapshot={"decisions": []},
                    sampled_by=lead,
                    reasons="new assessor",
                )
                services_iv.record_iv(item, by=self.iv, outcome="agree", comments="Sound")

    def url(self, name="dossier:dossier"):
        return reverse(name, args=[self.learner.pk])


@pytest.fixture
def years(db):
    call_command("load_registration_years")


@pytest.fixture
def journey(years):
    return Journey()


def page(client, user, journey, name="dossier:dossier"):
    client.force_login(user)
    return client.get(journey.url(name))


def section_of(html: str, code: str) -> str:
    start = html.index(f'id="section-{code}"')
    end = html.find("<section", start)
    return html[start : end if end > 0 else len(html)]


def test_the_home_centre_sees_each_step_with_who_and_when(client, journey):
    response = page(client, journey.eo, journey)
    assert response.status_code == 200
    html = response.content.decode()
    assert "verifies." in html and "The audit trail for this learner&#x27;s" in html
    registration = section_of(html, "registration")
    assert "Pat Leader" in registration and "Esme Officer" in registration
    assert "14/09/2026" in registration
    decisions = section_of(html, "decisions")
    for code in ("A.P1", "A.P2", "A.M1", "A.D1"):
        assert f"{code} achieved on" in decisions
    assert "Asha Assessor" in decisions and "10/11/2026" in decisions
    assert "internally verified and frozen" in decisions and "Ivan Verifier" in decisions
    iv = section_of(html, "iv")
    assert "Sampled for summative" in iv and "Lena Lead" in iv
    assert "IV agree" in iv and "Ivan Verifier" in iv and "20/11/2026" in iv
    assert reverse("verification:iv_item", args=[SampleItem.objects.get().pk]) in iv
    # the learner page links the dossier for those who may open it
    detail = client.get(reverse("learners:learner_detail", args=[journey.learner.pk]))
    assert journey.url() in detail.content.decode()


def test_the_check_counts_the_learner_s_events(client, journey):
    n = AuditEvent.objects.filter(learner_id=journey.learner.pk, centre_id=journey.H.pk).count()
    assert n > 5
    html = page(client, journey.eo, journey).content.decode()
    assert f"this learner&#x27;s {n} events verifies." in html


def test_the_delivering_centre_sees_only_its_part(client, journey):
    response = page(client, journey.d_eo, journey)
    assert response.status_code == 200
    html = response.content.decode()
    # the decisions of the group it teaches, not the home centre's registration or IV
    assert "A.P1 achieved on" in section_of(html, "decisions")
    assert "Pat Leader" not in section_of(html, "registration")
    assert "Nothing recorded that you may see." in section_of(html, "registration")
    assert "Sampled for" not in section_of(html, "iv")
    # nor the home centre's events: none were recorded at the delivering centre
    assert "no audit events for this learner that you may see" in html


def test_another_centre_gets_404_and_a_governor_403(client, journey):
    assert page(client, person(Role.EXAMS_OFFICER, journey.U, "Una"), journey).status_code == 404
    governor = person(Role.GOVERNOR, journey.H, "Gail", "Governor")
    assert page(client, governor, journey).status_code == 403
    detail = client.get(reverse("learners:learner_detail", args=[journey.learner.pk]))
    assert journey.url() not in detail.content.decode()


def test_the_pdf_holds_the_same_rows(client, journey):
    html = page(client, journey.eo, journey).content.decode()
    response = client.get(journey.url("dossier:dossier_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "verifies." in text
    for phrase in ("Pat Leader", "Asha Assessor", "Ivan Verifier", "Lena Lead", "14/09/2026"):
        assert phrase in html and phrase in text
    for code in ("A.P1", "A.P2", "A.M1", "A.D1"):
        assert f"{code} achieved on" in text


def test_a_role_without_the_export_gets_no_pdf(client, journey):
    assessor = journey.assessor
    assert page(client, assessor, journey).status_code == 200
    assert "Download as PDF" not in page(client, assessor, journey).content.decode()
    assert client.get(journey.url("dossier:dossier_pdf")).status_code == 403


def test_a_section_registered_later_plugs_in(client, journey):
    from registrations.permissions import VIEW_REGISTRATIONS

    def certificate(learner, viewer):
        return [Row("Certificate received", "Esme Officer", dt.date(2027, 8, 20))]

    before = {s.code for s in sections()}
    register_section("zz-test", "Certificate", 999, certificate, permission=VIEW_REGISTRATIONS)
    try:
        html = page(client, journey.eo, journey).content.decode()
        assert "Certificate received" in section_of(html, "zz-test")
    finally:
        from dossier import sections as registry

        registry._SECTIONS.pop("zz-test")
    assert {s.code for s in sections()} == before


@pytest.mark.parametrize("who", ["home", "delivering"])
def test_a_fixed_number_of_queries_whatever_the_events(
    client, years, django_assert_max_num_queries, who
):
    counts = []
    for n, (learners, criteria) in enumerate(((1, ("A.P1",)), (6, ("A.P1", "A.P2", "A.M1")))):
        j = Journey(n=n, learners=learners, criteria=criteria)
        user = j.eo if who == "home" else j.d_eo
        client.force_login(user)
        client.get(j.url())
        with django_assert_max_num_queries(40) as ctx:
            response = client.get(j.url())
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        client.logout()
    assert counts[0] == counts[1], counts


# --- the chain check against tampering -------------------------------------------------------


def tamper(*statements):
    """Raw SQL as the tables' owner: on PostgreSQL with the triggers lifted
    (tests/test_audit_tamper.py); SQLite has none to lift."""
    if connection.vendor == "postgresql":
        from tests.test_audit_tamper import tamper as as_owner

        return as_owner(*statements)
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def test_the_check_reports_an_edited_event(client, journey):
    event = AuditEvent.objects.filter(learner_id=journey.learner.pk).order_by("seq")[2]
    tamper(
        (
            "UPDATE audit_auditevent SET actor_repr = %s WHERE seq = %s",
            ["Someone Else", event.seq],
        )
    )
    html = page(client, journey.eo, journey).content.decode()
    assert "does NOT verify" in html
    assert f"event #{event.seq}" in html and "edited or forged" in html


def test_the_check_reports_a_deleted_event(client, journey):
    event = AuditEvent.objects.filter(learner_id=journey.learner.pk).order_by("seq")[1]
    tamper(
        ("DELETE FROM audit_auditeventdetail WHERE seq = %s", [event.seq]),
        ("DELETE FROM audit_auditevent WHERE seq = %s", [event.seq]),
    )
    html = page(client, journey.eo, journey).content.decode()
    assert "does NOT verify" in html
    assert "events were deleted" in html  # the trail is shorter than its head
    neighbours = AuditEvent.objects.filter(
        learner_id=journey.learner.pk, seq__in=[event.seq - 1, event.seq + 1]
    )
    if neighbours.exists():  # and the learner's event beside the gap names it
        assert f"(#{event.seq}) is missing: deleted" in html


def test_the_check_reports_edited_personal_details(client, journey):
    event = AuditEvent.objects.filter(learner_id=journey.learner.pk).order_by("seq")[3]
    edit = (
        "UPDATE audit_auditeventdetail SET learner_repr = %s WHERE seq = %s",
        ["ZZ Someone, Else", event.seq],
    )
    tamper(edit)
    html = page(client, journey.eo, journey).content.decode()
    assert "does NOT verify" in html
    assert f"event #{event.seq}" in html and "personal details were edited" in html


def test_the_check_still_verifies_once_personal_details_are_erased(client, journey):
    import audit

    audit.erase_personal_details(journey.learner.pk, by=journey.eo, reason="Retention ended")
    html = page(client, journey.eo, journey).content.decode()
    assert "verifies." in html and "does NOT verify" not in html


def test_results_and_the_claim_with_its_two_approvals(client, journey):
    """The claim services are being built: the claim is made with its models and approved
    through signatures.sign, as they will do."""
    from claims.models import ExternalResult
    from claims.models_claims import Claim, ClaimLine

    ExternalResult.objects.create(
        learner=journey.learner,
        unit=journey.a.unit,
        series="January 2027",
        grade="Near Pass",
        imported_by=journey.eo,
        source="results-jan.csv",
    )
    claim = Claim.objects.create(
        centre=journey.H,
        cohort=journey.cohort,
        academic_year="2026/27",
        kind=Claim.Kind.INTERIM,
        created_by=journey.eo,
    )
    ClaimLine.objects.create(
        claim=claim,
        learner=journey.learner,
        qualification=journey.cohort.qualification,
        last_name=journey.learner.last_name,
        first_name=journey.learner.first_name,
    )
    for user, role in ((journey.pl, Role.PROGRAMME_LEADER), (journey.eo, Role.EXAMS_OFFICER)):
        signing.sign(
            claim,
            user=user,
            password=PASSWORD,
            role=role,
            seen_sha256=signing.current_sha256(claim),
        )
    html = page(client, journey.eo, journey).content.decode()
    results = section_of(html, "results")
    assert "January 2027: Near Pass" in results and "Esme Officer" in results
    claims = section_of(html, "claims")
    from claims.models_claims import ClaimFile

    ClaimFile.objects.create(claim=claim, format="csv", sha256="ab12" * 16, made_by=journey.eo)
    html = page(client, journey.eo, journey).content.decode()
    claims = section_of(html, "claims")
    title = "the interim (unit) claim for BTEC Dossier Studies 0 2026/27 (version 1)"
    assert f"Claim file (CSV) made for {title}, SHA-256 ab12ab12ab12…" in claims
    assert f"Put on {title}" in claims and "claim claim" not in claims
    assert f"Approved {title} as Programme Leader" in claims
    assert "as Programme Leader" in claims and "Pat Leader" in claims
    assert "as Exams Officer" in claims
    # the delivering centre reads no claims: they are the home centre's
    assert "Put on" not in section_of(
        page(client, journey.d_eo, journey).content.decode(), "claims"
    )


def test_the_standards_verifier_s_sample_naming_the_learner(client, journey):
    from verification.models_sv import SVSample, SVVisit

    visit = SVVisit.objects.create(
        cohort=journey.cohort,
        academic_year="2026/27",
        route="sample",
        status="allocated",
        created_by=journey.eo,
    )
    sample = SVSample.objects.create(
        visit=visit, requested_by=journey.eo, learners_named_on=dt.date(2027, 2, 3)
    )
    sample.learners.add(journey.learner)
    sv = section_of(page(client, journey.eo, journey).content.decode(), "sv")
    assert "Named in the standards verifier&#x27;s first sample" in sv and "03/02/2027" in sv
    assert reverse("verification:sv_detail", args=[visit.pk]) in sv

    from verification.services_sv import record_work_submitted

    qn = person(Role.QUALITY_NOMINEE, journey.H, "Quinn", "Nominee")
    record_work_submitted(sample, submitted_on=dt.date(2026, 12, 1), by=qn)
    sv = section_of(page(client, journey.eo, journey).content.decode(), "sv")
    sent = sv.index("Work sent for the standards verifier&#x27;s first sample")
    row = sv[sv.rindex("<tr>", 0, sent) : sv.index("</tr>", sent)]
    assert "01/12/2026" in row and "Quinn Nominee" in row  # who, not a blank


def test_the_standards_verifier_s_report_released_once_with_who_and_when(client, journey):
    from verification.models_sv import SVSample, SVVisit

    visit = SVVisit.objects.create(
        cohort=journey.cohort,
        academic_year="2026/27",
        verifier_name="Dr Aurelia Marchbank",
        route="standard",
        status="outstanding",
        created_by=journey.eo,
    )
    for number in (1, 2):
        sample = SVSample.objects.create(visit=visit, number=number, requested_by=journey.eo)
        sample.learners.add(journey.learner)
    released = "report for BTEC Dossier Studies 0 2026/27 released"
    assert released not in section_of(page(client, journey.eo, journey).content.decode(), "sv")
    SVVisit.objects.filter(pk=visit.pk).update(
        status="released", report_received_on=dt.date(2027, 3, 5)
    )
    sv = section_of(page(client, journey.eo, journey).content.decode(), "sv")
    assert sv.count(released) == 1  # once for the visit, not once a sample
    row = sv[sv.rindex("<tr>", 0, sv.index(released)) : sv.index("</tr>", sv.index(released))]
    assert "05/03/2027" in row and "Dr Aurelia Marchbank" in row
    assert "(Released): certification can proceed" in row


def test_the_check_reports_a_trail_behind_its_checkpoint(client, journey, settings, tmp_path):
    """The newest events deleted and the head rolled back to match: only the checkpoint kept
    outside the database shows it."""
    from audit import checkpoints

    settings.MEDIA_ROOT = tmp_path / "media"
    checkpoints.write()  # as after each commit, and every 15 minutes
    assert "verifies." in page(client, journey.eo, journey).content.decode()
    top = AuditEvent.objects.order_by("-seq").values_list("seq", "prev_hash").first()
    tamper(
        ("DELETE FROM audit_auditeventdetail WHERE seq = %s", [top[0]]),
        ("DELETE FROM audit_auditevent WHERE seq = %s", [top[0]]),
        ("UPDATE audit_auditchainhead SET count = %s, last_hash = %s", [top[0] - 1, top[1]]),
    )
    html = page(client, journey.eo, journey).content.decode()
    assert "does NOT verify" in html and "BEHIND the checkpoint" in html
