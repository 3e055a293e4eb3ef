"""Certification claims (issue 13 part 2; 004-cert-3, 004-aim-2, 004-duty-5, 000-3.1.6).

The world is the claim readiness one (tests/test_claim_readiness.py): one cohort, one
internal unit, three ready learners registered on 1 October 2026, today 1 June 2027 and
the claim deadline 5 July 2027.
"""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import CriterionDecision
from audit.models import AuditEvent
from centres.models import CollaborativeArrangement
from claims import services_claims as services
from claims.models import Claim, ClaimFile, ClaimLine
from claims.services_claims import AWARD_CODES
from registrations.models import Registration
from signatures.services import current_sha256
from tests.factories import PASSWORD, CentreFactory, UserFactory, join
from tests.test_claim_readiness import World, _june, person  # noqa: F401  (the same world)
from todos.models import ToDo

pytestmark = pytest.mark.django_db


class Claims(World):
    def __init__(self, n=3, **kw):
        super().__init__(n, **kw)
        self.pl = person(Role.PROGRAMME_LEADER, self.centre)
        self.cohort.leader = self.pl
        self.cohort.save()
        for i, learner in enumerate(self.learners):
            Registration.objects.filter(learner=learner).update(registration_number=f"R{i:05d}")

    def prepare(self, kind="interim", **kw):
        return services.prepare_claim(self.cohort, kind, self.eo, **kw)

    def approve(self, claim, user, role):
        claim.refresh_from_db()
        return services.approve_claim(
            claim, user, role=role, password=PASSWORD, seen_sha256=current_sha256(claim)
        )

    def approved(self, kind="interim"):
        claim = self.prepare(kind)
        self.approve(claim, self.pl, Role.PROGRAMME_LEADER)
        return self.approve(claim, self.eo, Role.EXAMS_OFFICER)

    def submitted(self, kind="interim", ref="PEARSON-1"):
        claim = self.approved(kind)
        return services.submit_claim(
            claim, self.eo, submitted_on=dt.date(2027, 6, 1), pearson_reference=ref
        )


@pytest.fixture
def c():
    return Claims()


def test_award_codes_are_the_ones_edexcel_online_takes():
    assert AWARD_CODES[:4] == ("P", "M", "D", "D*")
    assert {"PP", "MP", "D*D*", "PPP", "D*DD", "D*D*D*"} <= set(AWARD_CODES)
    assert "PM" not in AWARD_CODES and len(AWARD_CODES) == 4 + 10 + 20


def test_an_interim_claim_takes_each_ready_learner_with_their_details_as_claimed(c):
    claim = c.prepare()
    lines = list(claim.lines.order_by("last_name"))
    assert len(lines) == 3 and claim.status == "draft"
    first = next(line for line in lines if line.learner_id == c.learners[0].pk)
    assert first.uln == c.learners[0].uln
    assert first.date_of_birth == c.learners[0].date_of_birth
    assert first.registration_number == "R00000"
    assert first.home_centre_number == c.centre.number
    assert [(u.unit.number, u.grade) for u in first.units.all()] == [(c.unit.number, "D")]
    assert first.award_grade == ""  # an interim claim claims units
    trail = AuditEvent.objects.filter(action="claims.claim_line.added", learner_id=c.learners[0].pk)
    assert trail.count() == 1
    todos = ToDo.objects.filter(target_id=str(claim.pk), closed_at__isnull=True)
    assert {t.kind for t in todos} == {"claims.approve_leader", "claims.approve_exams_officer"}
    assert todos.get(kind="claims.approve_leader").assignee == c.pl


def test_a_learner_not_ready_is_refused_by_name_with_their_blockers(c):
    (late,) = c.add(1)
    CriterionDecision.objects.filter(learner=late, criterion__code="A.D1").delete()
    with pytest.raises(ValidationError) as exc:
        c.prepare("final", learners=[late, c.learners[0]])
    assert exc.value.messages == [
        f"{late.first_name} {late.last_name} is not ready: Unit {c.unit.number}: no outcome yet "
        "(3 of 4 criteria decided)"
    ]
    # without a list, only the ready ones go on
    assert c.prepare("final").lines.count() == 3
    # an interim claim has nothing of theirs to claim yet
    with pytest.raises(ValidationError, match="no unit has an outcome to claim yet"):
        c.prepare(learners=[late])


def test_an_interim_claim_is_stopped_by_unverified_decisions_not_by_unfinished_units(c):
    (other,) = c.add(1)
    CriterionDecision.objects.filter(learner=other).update(assessor=UserFactory())
    with pytest.raises(ValidationError, match="not internally verified"):
        c.prepare(learners=[other])
    assert c.prepare().lines.count() == 3


def test_an_unreleased_sv_report_only_warns_an_interim_claim_but_blocks_a_final_one():
    c = Claims(sv_status="not_yet_sampled")
    assert c.prepare("interim").lines.count() == 3
    with pytest.raises(ValidationError, match="is not ready: Standards verification"):
        c.prepare("final", learners=[c.learners[0]])


def test_the_two_approvals_must_be_two_different_people(c):
    both = person(Role.EXAMS_OFFICER, c.centre)
    c.cohort.leader = both
    c.cohort.save()
    from accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=both, centre=c.centre, role=Role.PROGRAMME_LEADER)
    claim = c.prepare()
    c.approve(claim, both, Role.PROGRAMME_LEADER)
    with pytest.raises(ValidationError) as exc:
        c.approve(claim, both, Role.EXAMS_OFFICER)
    assert "The exams officer will meet with the programme leader" in exc.value.messages[0]
    assert "two different people" in exc.value.messages[0]
    claim.refresh_from_db()
    assert claim.status == "draft"
    c.approve(claim, c.eo, Role.EXAMS_OFFICER)
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert ToDo.objects.get(kind="claims.submit", target_id=str(claim.pk)).closed_at is None


def test_another_cohorts_leader_cannot_approve_and_a_wrong_password_signs_nothing(c):
    claim = c.prepare()
    other = person(Role.PROGRAMME_LEADER, c.centre)
    with pytest.raises(PermissionDenied):
        c.approve(claim, other, Role.PROGRAMME_LEADER)
    with pytest.raises(ValidationError, match="password is not right"):
        services.approve_claim(
            claim, c.pl, role="programme_leader", password="nope", seen_sha256=current_sha256(claim)
        )


def test_changing_a_line_after_an_approval_voids_the_approvals(c):
    claim = c.approved("final")
    line = claim.lines.first()
    services.change_line(line, c.eo, award_grade="M")
    claim.refresh_from_db()
    assert claim.status == "draft"
    with pytest.raises(ValidationError, match="must both approve"):
        services.submit_claim(claim, c.eo, submitted_on=dt.date(2027, 6, 1), pearson_reference="X")
    c.approve(claim, c.pl, Role.PROGRAMME_LEADER)
    c.approve(claim, c.eo, Role.EXAMS_OFFICER)
    claim.refresh_from_db()
    assert claim.status == "approved"
    with pytest.raises(ValidationError, match="not an award grade code"):
        services.change_line(line, c.eo, award_grade="PM")


def test_a_submitted_claim_never_changes_whatever_service_is_asked(c):
    claim = c.submitted()
    assert (claim.status, claim.pearson_reference, claim.late) == ("submitted", "PEARSON-1", False)
    assert AuditEvent.objects.filter(
        action="claims.claim_line.submitted", learner_id=c.learners[1].pk
    ).exists()
    line = claim.lines.first()
    refusals = [
        lambda: services.change_line(line, c.eo, programme_code="X"),
        lambda: services.approve_claim(
            claim, c.pl, role="programme_leader", password=PASSWORD, seen_sha256=""
        ),
        lambda: services.submit_claim(
            claim, c.eo, submitted_on=dt.date(2027, 6, 1), pearson_reference="again"
        ),
    ]
    for refuse in refusals:
        with pytest.raises(ValidationError, match="submitted to Pearson on 1 June 2027"):
            refuse()


def test_a_full_claim_waits_for_the_sv_gate_in_its_own_words():
    c = Claims()
    claim = c.approved("final")
    c.sv.status = "not_yet_sampled"
    c.sv.save()
    with pytest.raises(ValidationError, match="This full-award claim waits: Standards verif"):
        services.submit_claim(claim, c.eo, submitted_on=dt.date(2027, 6, 1), pearson_reference="X")


def test_a_submission_after_the_deadline_is_allowed_and_marked_late(c, time_machine):
    claim = c.approved()
    time_machine.move_to(dt.datetime(2027, 7, 20, 10, 0))
    claim = services.submit_claim(
        claim, c.eo, submitted_on=dt.date(2027, 7, 19), pearson_reference="LATE-1"
    )
    assert claim.late


def test_an_amendment_is_a_new_version_approved_and_submitted_again(c):
    old = c.submitted()
    with pytest.raises(ValidationError, match="Say why"):
        services.amend_claim(old, c.eo, reason=" ")
    new = services.amend_claim(old, c.eo, reason="Wrong unit grade for one learner")
    assert (new.version, new.amends_id, new.status) == (2, old.pk, "draft")
    assert new.lines.count() == 3
    assert sum(line.units.count() for line in new.lines.all()) == 3
    with pytest.raises(ValidationError, match="already has an amendment"):
        services.amend_claim(old, c.eo, reason="again")
    c.approve(new, c.pl, Role.PROGRAMME_LEADER)
    c.approve(new, c.eo, Role.EXAMS_OFFICER)
    new.refresh_from_db()
    services.submit_claim(new, c.eo, submitted_on=dt.date(2027, 6, 1), pearson_reference="P-2")
    old.refresh_from_db()
    assert old.status == "superseded"
    with pytest.raises(ValidationError, match="superseded"):
        services.change_line(old.lines.first(), c.eo, programme_code="X")


def _xlsx_rows(data):
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def test_the_claim_file_is_laid_out_for_edexcel_online_and_kept_on_record(c):
    claim = c.approved("final")
    c.learners[0].last_name = "=SUM(A1)"
    ClaimLine.objects.filter(learner=c.learners[0]).update(last_name="=SUM(A1)")
    data, record = services.make_claim_file(claim, c.eo, "xlsx")
    rows = _xlsx_rows(data)
    assert rows[0] == list(services.FILE_HEADINGS)
    assert len(rows) == 1 + 3 * 2  # a unit row and an award row per learner
    first = next(r for r in rows[1:] if r[4] == "=SUM(A1)")  # text, not a formula
    assert first[0] == c.centre.number and first[3] == c.learners[0].uln
    assert first[7] == c.cohort.qualification.number and first[8] == c.unit.number
    assert first[9] == "D"
    text = services.make_claim_file(claim, c.eo, "csv")[0].decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == list(services.FILE_HEADINGS)
    assert any(r[4] == "'=SUM(A1)" for r in read[1:])
    assert ClaimFile.objects.filter(claim=claim).count() == 2
    assert len(record.sha256) == 64
    assert AuditEvent.objects.filter(action="claims.claim_file.made").count() == 2


def test_a_partner_centres_learner_goes_under_the_consortium_code_or_is_refused(c):
    partner = CentreFactory()
    Registration.objects.filter(learner=c.learners[2]).update(centre=partner, programme_code="")
    claim = c.prepare()
    line = claim.lines.get(learner=c.learners[2])
    assert line.home_centre_number == partner.number and line.programme_code == ""
    name = f"{c.learners[2].first_name} {c.learners[2].last_name}"
    with pytest.raises(ValidationError, match=f"{name}: a partner centre's learner"):
        services.make_claim_file(claim, c.eo, "csv")
    # with the arrangement, the lead's consortium programme code is copied on
    arrangement = CollaborativeArrangement.objects.create(
        name="Consortium", lead_centre=c.centre, programme_code="CONS01", first_year="2026/27"
    )
    join(arrangement, partner)
    claim2 = c.prepare()
    assert claim2.lines.get(learner=c.learners[2]).programme_code == "CONS01"
    rows = list(
        csv.reader(
            io.StringIO(services.make_claim_file(claim2, c.eo, "csv")[0].decode("utf-8-sig"))
        )
    )
    assert [r[1] for r in rows[1:] if r[0] == partner.number] == ["CONS01"]


def test_the_pages_prepare_approve_submit_with_estimates_labelled(c, client):
    client.force_login(c.eo)
    page = client.get(reverse("claims:readiness", args=[c.cohort.pk]))
    assert reverse("claims:cohort_claims", args=[c.cohort.pk]) in page.content.decode()
    r = client.post(reverse("claims:claim_prepare", args=[c.cohort.pk]), {"kind": "interim"})
    claim = Claim.objects.get()
    assert r.status_code == 302 and r.url == reverse("claims:claim_detail", args=[claim.pk])
    html = client.get(r.url).content.decode()
    assert "Estimated:" in html and "never Pearson" in html
    assert "Claim deadline 5 July 2027:\n  <strong>34 days left</strong>.\n" in html
    client.force_login(c.pl)
    client.post(
        reverse("claims:claim_approve", args=[claim.pk]),
        {"role": "programme_leader", "password": PASSWORD, "seen": current_sha256(claim)},
    )
    client.force_login(c.eo)
    client.post(
        reverse("claims:claim_approve", args=[claim.pk]),
        {"role": "exams_officer", "password": PASSWORD, "seen": current_sha256(claim)},
    )
    claim.refresh_from_db()
    assert claim.status == "approved"
    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert c.pl.get_full_name() in html and c.eo.get_full_name() in html
    r = client.post(reverse("claims:claim_file", args=[claim.pk]), {"format": "xlsx"})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    client.post(
        reverse("claims:claim_submit", args=[claim.pk]),
        {"submitted_on": "2027-06-01", "pearson_reference": "EO-123"},
    )
    claim.refresh_from_db()
    assert (claim.status, claim.pearson_reference) == ("submitted", "EO-123")


def test_a_governor_reads_no_claim_and_another_centre_sees_none(c, client):
    claim = c.prepare()
    client.force_login(person(Role.EXAMS_OFFICER, CentreFactory()))
    assert client.get(reverse("claims:claim_detail", args=[claim.pk])).status_code == 404
    client.force_login(person(Role.GOVERNOR, c.centre))
    assert client.get(reverse("claims:claim_detail", args=[claim.pk])).status_code == 403
    client.force_login(c.pl)
    r = client.post(reverse("claims:claim_submit", args=[claim.pk]), {})
    assert r.status_code == 403


def test_the_claim_page_runs_the_same_number_of_queries_at_two_sizes(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (2, 12):
        w = Claims(n)
        claim = w.prepare()
        client.force_login(w.eo)
        url = reverse("claims:claim_detail", args=[claim.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_the_demo_submits_an_interim_claim_and_leaves_a_cohort_partly_ready(db):
    from btecqa.demo import load_demo
    from claims.selectors import claim_readiness

    load_demo(today=dt.date(2027, 6, 20))
    # (the certificates' demo has its own, earlier claim, which Pearson has certificated)
    claim = Claim.objects.get(pearson_reference="DEMO-CLAIM-0001")
    assert (claim.kind, claim.status, claim.pearson_reference) == (
        "interim",
        "submitted",
        "DEMO-CLAIM-0001",
    )
    signers = {s.signer_id for s in __import__("signatures.services").services.signatures(claim)}
    assert len(signers) == 2
    cohort = claim.cohort
    r = claim_readiness(cohort, "2026/27", interim=True)
    blocked = [
        x
        for x in r.learners
        if x.blockers and x.learner_id not in set(claim.lines.values_list("learner_id", flat=True))
    ]
    assert claim.lines.exists() and blocked, "a cohort partly claimable, blockers shown"


def test_a_fallback_claim_is_for_a_smaller_qualification_of_the_same_suite(c):
    from qualifications.models import QualificationFamily, Unit
    from tests.factories import QualificationFactory

    family = QualificationFamily.objects.create(code="nationals-test", name="Nationals (test)")
    c.cohort.qualification.family = family
    c.cohort.qualification.save()
    smaller = QualificationFactory(family=family, glh=180)
    Unit.objects.create(qualification=smaller, number=c.unit.number, title="Same unit", glh=60)
    unrelated = QualificationFactory()
    with pytest.raises(ValidationError, match="not a smaller qualification of the same suite"):
        c.prepare("fallback", fallback_qualification=unrelated)
    with pytest.raises(ValidationError, match="Choose the smaller qualification"):
        c.prepare("fallback")
    claim = c.prepare("fallback", fallback_qualification=smaller)
    line = claim.lines.first()
    assert line.qualification == smaller
    assert [u.unit.qualification_id for u in line.units.all()] == [smaller.pk]


def test_a_programme_leader_of_another_cohort_is_not_offered_the_approval(c, client):
    claim = c.prepare()
    client.force_login(person(Role.PROGRAMME_LEADER, c.centre))
    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert reverse("claims:claim_approve", args=[claim.pk]) not in html
    client.force_login(c.pl)
    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert reverse("claims:claim_approve", args=[claim.pk]) in html
