"""The yearly claims audit (issue 13 part 5; policy 004-duty-6 "certificate claims audited").

The world: one cohort (2026/27) with one internal unit and an approved plan's assignment,
a verified batch (one learner sampled, the IV agreed); a final claim submitted on 20 June
2027 with Pearson's reference, approved by the programme leader and the exams officer.
Claims are made with the models directly (the claim services are another helper's).
Today is 20 July 2027, after the 2026/27 claim deadline (5 July 2027).
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import CriterionDecision
from audit.models import AuditEvent
from claims import services_audit as services
from claims.audit_traces import Trace, register_claim_trace, unregister_claim_trace
from claims.models import Claim, ClaimLine, ClaimsAudit, ClaimsAuditLine, ClaimUnit
from claims.selectors_audit import audit_report
from claims.tasks import claims_audits_due
from signatures import services as signing
from tests.factories import (
    PASSWORD,
    CentreFactory,
    RoleAssignmentFactory,
    UserFactory,
    decide,
    decisions_assignment,
    decisions_class,
    make_uln,
)
from tests.pdf_reading import pdf_text
from todos.models import ToDo
from verification import services_iv
from verification.models_sampling import IVPlan, SampleItem

pytestmark = pytest.mark.django_db
YEAR = "2026/27"


@pytest.fixture(autouse=True)
def _july():
    with time_machine.travel(dt.datetime(2027, 7, 20, 10, 0), tick=True):
        yield


def person(role, centre, **kw):
    user = UserFactory(**kw)
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


class World:
    def __init__(self, n=3):
        self.a = decisions_assignment()
        self.cohort = self.a.plan.cohort
        self.centre = self.cohort.centre
        self.unit = self.a.unit
        self.codes = list(self.a.criteria.order_by("code").values_list("code", flat=True))
        self.liv = person(Role.LEAD_IV, self.centre)
        self.eo = person(Role.EXAMS_OFFICER, self.centre, first_name="Eve", last_name="Officer")
        self.pl = person(Role.PROGRAMME_LEADER, self.centre, first_name="Pat", last_name="Leader")
        self.qn = person(Role.QUALITY_NOMINEE, self.centre)
        self.learners = []
        self.add(n)
        plan = IVPlan.objects.create(
            cohort=self.cohort, academic_year=self.a.plan.academic_year, created_by=self.liv
        )
        item = SampleItem.objects.create(
            plan=plan,
            learner=self.learners[0],
            assignment=self.a,
            attempt="first",
            stage="summative",
            snapshot={"decisions": []},
            sampled_by=self.liv,
        )
        services_iv.record_iv(item, by=self.a.internal_verifier, outcome="agree", comments="")

    def add(self, n):
        start = len(self.learners)
        made = decisions_class(self.a, n)
        for i, learner in enumerate(made):
            learner.uln = make_uln(self.centre.pk * 1000 + start + i)
            learner.save()
            decide(learner, self.a, self.codes)
        self.learners += made
        return made

    def claim(
        self,
        learners=None,
        *,
        kind="final",
        submitted=dt.date(2027, 6, 20),
        sign=True,
        pl=None,
        eo=None,
        reference="EO-12345",
    ):
        claim = Claim.objects.create(
            centre=self.centre,
            cohort=self.cohort,
            academic_year=YEAR,
            kind=kind,
            created_by=self.eo,
        )
        for learner in self.learners if learners is None else learners:
            line = ClaimLine.objects.create(
                claim=claim,
                learner=learner,
                qualification=self.cohort.qualification,
                uln=learner.uln,
                last_name=learner.last_name,
                first_name=learner.first_name,
                award_grade="P",
            )
            ClaimUnit.objects.create(line=line, unit=self.unit, grade="P")
        if sign:
            for user, role in (
                (pl or self.pl, Role.PROGRAMME_LEADER),
                (eo or self.eo, Role.EXAMS_OFFICER),
            ):
                signing.sign(
                    claim,
                    user=user,
                    password=PASSWORD,
                    role=role,
                    seen_sha256=signing.current_sha256(claim),
                )
        claim.status = Claim.Status.SUBMITTED
        claim.submitted_on = submitted
        claim.submitted_by = self.eo
        claim.pearson_reference = reference
        claim.save()
        return claim

    def audit(self):
        return services.start_audit(self.centre, YEAR, by=self.qn)


@pytest.fixture
def w():
    return World()


def _traces(audit, learner):
    report = audit_report(audit)
    (row,) = [r for r in report.lines if r.line.learner_id == learner.pk]
    return {t.code: row.traces[i] for i, t in enumerate(report.traces)}


# --- the traces -----------------------------------------------------------------------


def test_a_unit_with_a_decision_not_internally_verified_shows_the_problem_by_name(w, client):
    (other,) = w.add(1)
    # recorded by someone other than the assignment's assessor, and not sampled itself
    CriterionDecision.objects.filter(learner=other, criterion__code__in=["A.M1", "A.D1"]).update(
        assessor=UserFactory()
    )
    w.claim()
    audit = w.audit()
    bad = _traces(audit, other)["iv"]
    assert not bad.ok
    assert bad.text == f"Unit {w.unit.number}: A.D1, A.M1 not internally verified"
    good = _traces(audit, w.learners[0])["iv"]
    assert good.ok and good.text == f"Unit {w.unit.number}: all 4 decisions internally verified"
    client.force_login(w.qn)
    page = client.get(reverse("claims:audit_detail", args=[audit.pk])).content.decode()
    assert f"Unit {w.unit.number}: A.D1, A.M1 not internally verified" in page
    assert "Internal verification: 1 problem" in page


def test_a_unit_claimed_with_no_decisions_is_a_problem(w):
    (late,) = w.add(1)
    CriterionDecision.objects.filter(learner=late).delete()
    w.claim()
    trace = _traces(w.audit(), late)["iv"]
    assert not trace.ok and trace.text == f"Unit {w.unit.number}: no decisions recorded"


def test_approvers_are_named_and_two_different_people_in_their_roles(w):
    w.claim()
    trace = _traces(w.audit(), w.learners[0])["approvers"]
    assert trace.ok
    assert "Programme Leader: Pat Leader" in trace.text
    assert "Exams Officer: Eve Officer" in trace.text


def test_one_person_approving_twice_or_without_the_role_is_a_problem(w):
    both = person(Role.EXAMS_OFFICER, w.centre, first_name="Sam", last_name="Both")
    RoleAssignmentFactory(user=both, centre=w.centre, role=Role.PROGRAMME_LEADER)
    w.claim(pl=both, eo=both)
    trace = _traces(w.audit(), w.learners[0])["approvers"]
    assert not trace.ok and "the same person approved twice" in trace.text


def test_an_approver_who_does_not_hold_the_role_is_a_problem(w):
    outsider = UserFactory(first_name="Out", last_name="Sider")
    w.claim(pl=outsider)
    trace = _traces(w.audit(), w.learners[0])["approvers"]
    assert not trace.ok
    assert "Out Sider does not hold the programme leader role" in trace.text


def test_an_approval_of_content_changed_after_it_is_a_problem(w):
    claim = w.claim(sign=False)
    signing.sign(
        claim,
        user=w.pl,
        password=PASSWORD,
        role=Role.PROGRAMME_LEADER,
        seen_sha256=signing.current_sha256(claim),
    )
    ClaimLine.objects.filter(claim=claim, learner=w.learners[0]).update(award_grade="M")
    signing.sign(
        claim,
        user=w.eo,
        password=PASSWORD,
        role=Role.EXAMS_OFFICER,
        seen_sha256=signing.current_sha256(claim),
    )
    trace = _traces(w.audit(), w.learners[1])["approvers"]
    assert not trace.ok
    assert "Pat Leader approved version 1; the claim changed after" in trace.text
    assert "Eve Officer" not in trace.text.split("(")[1]


def test_an_unsigned_claim_has_no_approvals(w):
    w.claim(sign=False)
    trace = _traces(w.audit(), w.learners[0])["approvers"]
    assert (trace.ok, trace.text) == (False, "No approvals signed")


def test_submission_after_the_configured_deadline_is_a_problem(w):
    w.claim(w.learners[:1], submitted=dt.date(2027, 7, 10))
    w.claim(w.learners[1:2], kind="interim", reference="")
    audit = w.audit()
    late = _traces(audit, w.learners[0])["submission"]
    assert not late.ok
    assert late.text == (
        "Submitted 10/07/2027, Pearson reference EO-12345 (after the claim deadline 05/07/2027)"
    )
    no_ref = _traces(audit, w.learners[1])["submission"]
    assert not no_ref.ok and "no Pearson reference recorded" in no_ref.text


def test_only_submitted_and_superseded_claims_of_the_year_are_audited(w):
    submitted = w.claim(w.learners[:1])
    superseded = w.claim(w.learners[1:2], kind="interim")
    Claim.objects.filter(pk=superseded.pk).update(status=Claim.Status.SUPERSEDED)
    draft = Claim.objects.create(
        centre=w.centre, cohort=w.cohort, academic_year=YEAR, kind="interim", created_by=w.eo
    )
    report = audit_report(w.audit())
    assert {c.claim.pk for c in report.claims} == {submitted.pk, superseded.pk}
    assert draft.pk not in {c.claim.pk for c in report.claims}


def test_a_registered_trace_appears_in_the_report_and_its_missing_lines_are_problems(w, client):
    w.claim()
    first = w.learners[0]

    def certificates(line_ids):
        lines = ClaimLine.objects.filter(pk__in=line_ids, learner=first)
        return {
            pk: Trace("Certificate C-1 matched", True) for pk in lines.values_list("pk", flat=True)
        }

    register_claim_trace("test_check", "Test check", certificates, order=60)
    try:
        audit = w.audit()
        assert _traces(audit, first)["test_check"] == Trace("Certificate C-1 matched", True)
        missing = _traces(audit, w.learners[1])["test_check"]
        assert (missing.ok, missing.text) == (False, "No record found")
        client.force_login(w.qn)
        page = client.get(reverse("claims:audit_detail", args=[audit.pk])).content.decode()
        assert "<th>Test check</th>" in page and "Certificate C-1 matched" in page
    finally:
        unregister_claim_trace("test_check")


def test_each_line_is_traced_to_its_certificate_and_an_open_difference_is_a_problem(w):
    """The certificate app's trace: matched and clean, matched with a difference still open
    with Pearson, or none arrived yet."""
    from certification.models import Certificate, CertificateBatch, CertificateException

    claim = w.claim()
    lines = {line.learner_id: line for line in claim.lines.all()}
    batch = CertificateBatch.objects.create(
        centre=w.centre, received_on=dt.date(2027, 7, 10), recorded_by=w.eo, how="keyed"
    )
    for n, learner in enumerate(w.learners[:2]):
        cert = Certificate.objects.create(
            batch=batch,
            learner=learner,
            claim_line=lines[learner.pk],
            qualification=w.cohort.qualification,
            certificate_number=f"C-{n}",
            uln=learner.uln,
            qualification_number=w.cohort.qualification.number,
            award_grade="P",
            received_on=batch.received_on,
        )
    CertificateException.objects.create(
        batch=batch,
        certificate=cert,
        claim_line=lines[w.learners[1].pk],
        learner=w.learners[1],
        kind="grade",
        description="award grade M on the certificate, claimed P",
    )
    audit = w.audit()
    clean = _traces(audit, w.learners[0])["certificate"]
    assert clean.ok and clean.text == "Certificate C-0 received 10/07/2027, matches the claim"
    differs = _traces(audit, w.learners[1])["certificate"]
    assert not differs.ok and "open with Pearson: award grade M" in differs.text
    none = _traces(audit, w.learners[2])["certificate"]
    assert (none.ok, none.text) == (False, "No record found")


def test_each_line_is_traced_to_the_claim_file_made_before_its_submission(w):
    """The file keyed into Edexcel Online: a claim with none made in btecqa is a problem."""
    from claims.models import ClaimFile

    without = w.claim(w.learners[:1])
    with_file = w.claim(w.learners[1:2])
    ClaimFile.objects.create(
        claim=with_file,
        format=ClaimFile.Format.XLSX,
        sha256="ab" * 32,
        made_by=w.eo,
        made_at=dt.datetime(2027, 6, 19, 9, 0, tzinfo=dt.UTC),
    )
    # a file made after the submission is not the one that was keyed
    ClaimFile.objects.create(
        claim=without,
        format=ClaimFile.Format.CSV,
        sha256="cd" * 32,
        made_by=w.eo,
        made_at=dt.datetime(2027, 6, 25, 9, 0, tzinfo=dt.UTC),
    )
    audit = w.audit()
    traced = _traces(audit, w.learners[1])["file"]
    assert traced.ok and "made 19/06/2027 by Eve Officer" in traced.text
    assert "abababababab" in traced.text
    missing = _traces(audit, w.learners[0])["file"]
    assert (missing.ok, missing.text) == (
        False,
        "No claim file made in btecqa before the submission",
    )


# --- the sample ---------------------------------------------------------------------------


def test_the_sample_size_respects_the_rate_and_the_minimum():
    assert services.sample_size(100, 10, 5) == 10
    assert services.sample_size(101, 10, 5) == 11  # rounded up
    assert services.sample_size(30, 10, 5) == 5  # the minimum
    assert services.sample_size(3, 10, 5) == 3  # every line there is


def test_the_sample_is_reproducible_from_its_seed_and_uses_the_configured_rate(w, settings):
    settings.BTECQA_CLAIMS_AUDIT_SAMPLE_RATE = 20
    settings.BTECQA_CLAIMS_AUDIT_SAMPLE_MINIMUM = 2
    w.add(17)
    w.claim()  # 20 lines
    audit = w.audit()
    assert (audit.sample_rate, audit.sample_minimum) == (20, 2)
    drawn = services.draw_sample(audit, by=w.qn)
    assert len(drawn) == 4
    assert sorted(audit.sample.values_list("line_id", flat=True)) == drawn
    ids = list(services.year_lines(audit).values_list("pk", flat=True))
    assert services.drawn_line_ids(audit, list(reversed(ids))) == drawn  # same seed, same lines
    other = ClaimsAudit(seed=audit.seed + 1, sample_rate=20, sample_minimum=2)
    assert len(services.drawn_line_ids(other, ids)) == 4
    with pytest.raises(ValidationError, match="already drawn"):
        services.draw_sample(audit, by=w.qn)


def test_the_qn_adds_a_line_by_hand_and_only_a_line_of_the_years_claims(w):
    w.claim()
    audit = w.audit()
    line = ClaimLine.objects.filter(learner=w.learners[2]).get()
    row = services.add_line(audit, line.pk, by=w.qn)
    assert row.how == ClaimsAuditLine.How.ADDED
    with pytest.raises(ValidationError, match="already in the sample"):
        services.add_line(audit, line.pk, by=w.qn)
    draft = Claim.objects.create(
        centre=w.centre, cohort=w.cohort, academic_year=YEAR, kind="interim", created_by=w.eo
    )
    draft_line = ClaimLine.objects.create(
        claim=draft,
        learner=w.learners[0],
        qualification=w.cohort.qualification,
        last_name="X",
        first_name="Y",
    )
    with pytest.raises(ValidationError, match="not on a submitted 2026/27 claim"):
        services.add_line(audit, draft_line.pk, by=w.qn)


# --- findings, sign-off, immutability ----------------------------------------------------


def _drawn(w):
    w.claim()
    audit = w.audit()
    services.draw_sample(audit, by=w.qn)
    return audit, list(audit.sample.all())


def _sign(w, audit):
    return services.sign_off(
        audit, by=w.qn, password=PASSWORD, seen_sha256=signing.current_sha256(audit)
    )


def test_sign_off_is_refused_until_every_sampled_line_has_a_finding(w):
    audit, rows = _drawn(w)
    assert len(rows) == 3  # fewer lines than the minimum: all of them
    with pytest.raises(ValidationError, match="3 sampled lines still have no finding"):
        _sign(w, audit)
    services.record_finding(rows[0], by=w.qn, finding="traced")
    with pytest.raises(ValidationError, match="Say what the problem is"):
        services.record_finding(rows[1], by=w.qn, finding="problem")
    services.record_finding(
        rows[1],
        by=w.qn,
        finding="problem",
        note="Approval dated after submission",
        action="Exams officer to re-brief the programme leader",
    )
    with pytest.raises(ValidationError, match="1 sampled line still has no finding"):
        _sign(w, audit)
    services.record_finding(rows[2], by=w.qn, finding="traced")
    signature = _sign(w, audit)
    audit.refresh_from_db()
    assert audit.status == ClaimsAudit.Status.SIGNED
    assert signature.role == Role.QUALITY_NOMINEE
    codes = set(AuditEvent.objects.filter(object_id=str(audit.pk)).values_list("action", flat=True))
    assert {
        "claims.claims_audit.started",
        "claims.claims_audit.sample_drawn",
        "claims.claims_audit.signed_off",
    } <= codes
    assert AuditEvent.objects.filter(action="claims.claims_audit.finding_recorded").count() == 3


def test_a_signed_audit_is_immutable_and_a_change_makes_a_new_version(w):
    audit, rows = _drawn(w)
    for row in rows:
        services.record_finding(row, by=w.qn, finding="traced")
    signature = _sign(w, audit)
    audit.refresh_from_db()
    for attempt in (
        lambda: services.record_finding(rows[0], by=w.qn, finding="problem", note="n", action="a"),
        lambda: services.add_line(audit, rows[0].line_id, by=w.qn),
        lambda: _sign(w, audit),
    ):
        with pytest.raises(ValidationError, match="signed off"):
            attempt()
    rows[0].refresh_from_db()
    assert rows[0].finding == "traced"

    with pytest.raises(ValidationError, match="Say why"):
        services.reopen(audit, by=w.qn, reason=" ")
    services.reopen(audit, by=w.qn, reason="A certificate came back wrong")
    audit.refresh_from_db()
    assert (audit.version, audit.status) == (2, ClaimsAudit.Status.OPEN)
    rows[0].refresh_from_db()
    services.record_finding(rows[0], by=w.qn, finding="problem", note="Wrong grade", action="Amend")
    # what was signed is kept as signed
    kept = signature.version.snapshot["sample"]
    assert {r["finding"] for r in kept} == {"traced"}
    assert signing.current_sha256(audit) != signature.sha256
    _sign(w, audit)
    assert signing.signatures(audit).count() == 2


def test_the_signature_covers_what_each_sampled_line_was_traced_to(w):
    """The QN signs the traces as the page showed them: a trace that reads otherwise by the
    time they sign (a claim file made meanwhile) refuses the signature as out of date, and
    the signed version keeps each sampled line's traces."""
    from claims.models import ClaimFile

    audit, rows = _drawn(w)
    for row in rows:
        services.record_finding(row, by=w.qn, finding="traced")
    seen = signing.current_sha256(audit)
    ClaimFile.objects.create(
        claim=rows[0].line.claim,
        format=ClaimFile.Format.XLSX,
        sha256="ef" * 32,
        made_by=w.eo,
        made_at=dt.datetime(2027, 6, 19, 9, 0, tzinfo=dt.UTC),
    )
    with pytest.raises(ValidationError, match="changed"):
        services.sign_off(audit, by=w.qn, password=PASSWORD, seen_sha256=seen)
    signature = _sign(w, audit)
    kept = signature.version.snapshot["sample"]
    assert len(kept) == len(rows)
    for line in kept:
        assert set(line["traces"]) >= {"iv", "approvers", "submission", "file"}
        text, ok = line["traces"]["file"]
        assert ok and "efefefefefef" in text


def test_only_the_quality_nominee_audits(w):
    w.claim()
    audit = w.audit()
    with pytest.raises(PermissionDenied):
        services.draw_sample(audit, by=w.eo)
    with pytest.raises(PermissionDenied):
        services.start_audit(w.centre, "2025/26", by=w.eo)


# --- the page, the PDF and the XLSX ---------------------------------------------------------


def test_the_page_marks_the_sample_and_counts(w, client):
    audit, rows = _drawn(w)
    services.record_finding(rows[0], by=w.qn, finding="problem", note="Odd date", action="Check")
    client.force_login(w.qn)
    page = client.get(reverse("claims:audit_detail", args=[audit.pk])).content.decode()
    assert page.count("<strong>Sampled</strong>") == 3
    assert "1 claim, 3 lines" in page
    assert "1 problem, 2 without a finding" in page
    assert "Problem: Odd date. Action: Check" in page


def test_the_pdf_and_xlsx_contain_every_row_and_the_signature(w, client):
    audit, rows = _drawn(w)
    for row in rows:
        services.record_finding(row, by=w.qn, finding="traced")
    _sign(w, audit)
    client.force_login(w.eo)
    pdf = client.get(reverse("claims:audit_pdf", args=[audit.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for learner in w.learners:
        assert f"{learner.last_name}, {learner.first_name}" in text
    assert text.count("Traced correctly") == 3
    assert "OK: Submitted 20/06/2027, Pearson reference EO-12345" in text
    assert "Signed off by the Quality Nominee" in text
    assert "SHA-256" in text
    xlsx = client.get(reverse("claims:audit_xlsx", args=[audit.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content))["Claims audit"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Claim", "Status", "Learner")
    assert len(values) == 1 + len(w.learners)
    names = {r[2] for r in values[1:]}
    assert names == {f"{lr.last_name}, {lr.first_name}" for lr in w.learners}
    assert all(r[7].startswith("OK: Unit ") for r in values[1:])
    assert AuditEvent.objects.filter(action="claims.claims_audit.downloaded").count() == 2


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_report_runs_a_fixed_number_of_queries_whatever_the_number_of_claims(w, client):
    w.claim()
    audit = w.audit()
    services.draw_sample(audit, by=w.qn)
    client.force_login(w.qn)
    urls = [reverse(f"claims:audit_{n}", args=[audit.pk]) for n in ("detail", "xlsx", "pdf")]
    small = [_queries(client, url) for url in urls]
    w.add(12)
    for kind in ("interim", "fallback"):
        w.claim(kind=kind)
    services.add_line(audit, ClaimLine.objects.filter(claim__kind="interim").first().pk, by=w.qn)
    assert len(audit_report(audit).lines) == 33
    large = [_queries(client, url) for url in urls]
    assert large == small


# --- who may see it, the to-do ----------------------------------------------------------


def test_who_sees_the_audit(w, client):
    w.claim()
    audit = w.audit()
    url = reverse("claims:audit_detail", args=[audit.pk])
    for role, code in (
        (Role.QUALITY_NOMINEE, 200),
        (Role.EXAMS_OFFICER, 200),
        (Role.HEAD_OF_CENTRE, 200),
        (Role.GOVERNOR, 403),
        (Role.ASSESSOR_IV, 403),
    ):
        client.force_login(person(role, w.centre))
        assert client.get(url).status_code == code, role
    client.force_login(person(Role.QUALITY_NOMINEE, CentreFactory()))
    assert client.get(url).status_code == 404
    client.force_login(w.eo)
    assert client.post(reverse("claims:audit_draw", args=[audit.pk])).status_code == 403
    page = client.get(url).content.decode()
    assert "Draw the sample" not in page and "Sign the audit off" not in page


def test_the_qn_starts_draws_records_and_signs_through_the_pages(w, client):
    w.claim()
    client.force_login(w.qn)
    bad = client.post(
        reverse("claims:audit_list"), {"centre": w.centre.pk, "academic_year": "2026/28"}
    )
    assert bad.status_code == 400 and "Give the academic year as 2026/27" in bad.content.decode()
    r = client.post(reverse("claims:audit_list"), {"centre": w.centre.pk, "academic_year": YEAR})
    audit = ClaimsAudit.objects.get()
    assert r.url == reverse("claims:audit_detail", args=[audit.pk])
    client.post(reverse("claims:audit_draw", args=[audit.pk]))
    row = audit.sample.first()
    refused = client.post(
        reverse("claims:audit_finding", args=[row.pk]),
        {f"s{row.pk}-finding": "problem", f"s{row.pk}-version": row.lock_version},
    )
    assert refused.status_code == 400 and "Say what the problem is." in refused.content.decode()
    sign = client.post(
        reverse("claims:audit_sign", args=[audit.pk]),
        {"password": PASSWORD, "seen": signing.current_sha256(audit)},
    )
    assert sign.status_code == 400 and "still have no finding" in sign.content.decode()
    for row in audit.sample.all():
        client.post(
            reverse("claims:audit_finding", args=[row.pk]),
            {f"s{row.pk}-finding": "traced", f"s{row.pk}-version": row.lock_version},
        )
    assert not audit.sample.filter(finding="").exists()
    sign = client.post(
        reverse("claims:audit_sign", args=[audit.pk]),
        {"password": PASSWORD, "seen": signing.current_sha256(audit)},
    )
    assert sign.status_code == 302
    audit.refresh_from_db()
    assert audit.is_signed


def test_the_qn_has_a_to_do_due_on_the_configured_date_closed_by_the_sign_off(w, settings):
    settings.BTECQA_CLAIMS_AUDIT_DUE_DAYS = 10
    w.claim()
    assert claims_audits_due("2027-07-14") == {"started": 0}  # not due yet
    assert claims_audits_due("2027-07-15") == {"started": 1}
    assert claims_audits_due("2027-07-16") == {"started": 0}  # once
    audit = ClaimsAudit.objects.get()
    assert audit.created_by is None
    todo = ToDo.objects.get(kind="claims.claims_audit_due")
    assert (todo.role, todo.due_date) == (Role.QUALITY_NOMINEE, dt.date(2027, 7, 15))
    services.draw_sample(audit, by=w.qn)
    for row in audit.sample.all():
        services.record_finding(row, by=w.qn, finding="traced")
    _sign(w, audit)
    todo.refresh_from_db()
    assert todo.closed_at is not None


def test_the_daily_calendar_task_starts_the_audit_once_due(w, settings):
    """One mechanism: the claims audit is a date of the year's calendar, not a beat job of
    its own."""
    from btecqa.celery import app as celery_app
    from calendar_reminders.tasks import calendar_reminders

    settings.BTECQA_CLAIMS_AUDIT_DUE_DAYS = 10
    w.claim()
    tasks = {e["task"] for e in celery_app.conf.beat_schedule.values()}
    assert "claims.tasks.claims_audits_due" not in tasks
    calendar_reminders("2027-07-14")
    assert not ClaimsAudit.objects.exists()
    calendar_reminders("2027-07-15")
    calendar_reminders("2027-07-15")
    assert ClaimsAudit.objects.get().centre == w.centre
    assert ToDo.objects.filter(kind="claims.claims_audit_due").count() == 1


def test_external_units_are_not_traced_to_decisions(w):
    from qualifications.models import Unit

    external = Unit.objects.create(
        qualification=w.cohort.qualification,
        number="9",
        title="Exam unit",
        glh=90,
        assessment="external",
    )
    w.claim()
    ClaimUnit.objects.create(
        line=ClaimLine.objects.get(learner=w.learners[0]), unit=external, grade="M"
    )
    trace = _traces(w.audit(), w.learners[0])["iv"]
    assert trace.ok and trace.text == f"Unit {w.unit.number}: all 4 decisions internally verified"
