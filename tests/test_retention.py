"""Retention (policy 004-duty-8, 3.1.10): what falls due, the Quality Nominee's approval,
legal holds, disposal that keeps a minimal record and an audit trail that still verifies."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.html import escape

import audit
from accounts.roles import Role
from assessment.models import CriterionDecision, Submission
from assessment.models_briefs import AssignmentBrief, BriefVersion
from audit.models import AuditEventDetail
from audit.services import verify_chain
from retention import clocks, services
from retention.models import LegalHold, RetentionItem
from todos.models import ToDo

from .factories import (
    LearnerFactory,
    RoleAssignmentFactory,
    TeachingGroupFactory,
    UserFactory,
    decide,
    decisions_assignment,
)

S = RetentionItem.Status
ARRIVED = dt.date(2027, 8, 20)


@pytest.fixture
def arrivals():
    """The certificates' arrival (the certification app wires its own in production)."""
    known: dict[int, dt.date] = {}

    def fn(learner_ids):
        return {i: known[i] for i in learner_ids if i in known}

    real = {name: clocks.clock_start(name) for name in ("certificates_arrived", "certified")}
    clocks.register_clock_start("certificates_arrived", fn)
    clocks.register_clock_start("certified", fn)
    yield known
    for name, start in real.items():
        if start is None:
            clocks.unregister_clock_start(name)
        else:
            clocks.register_clock_start(name, start)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def qn(own_centre, make_user):
    return make_user("qn_ret", Role.QUALITY_NOMINEE, centre=own_centre)


def _submission(learner, assignment, by):
    return Submission.objects.create(
        learner=learner, assignment=assignment, submitted_on=dt.date(2026, 11, 1), recorded_by=by
    )


@pytest.fixture
def work(own_centre, qn):
    assignment = decisions_assignment(own_centre)
    group = TeachingGroupFactory(cohort=assignment.plan.cohort)
    learner = LearnerFactory(centre=own_centre)
    group.learners.add(learner)
    return {
        "assignment": assignment,
        "learner": learner,
        "sub": _submission(learner, assignment, qn),
    }


def _items(kind="assessment.submission", **kw):
    return RetentionItem.objects.filter(kind=kind, **kw)


# --- the clocks, from configuration ----------------------------------------------------


def test_learner_work_falls_due_twelve_weeks_after_the_certificates_arrive(work, arrivals):
    arrivals[work["learner"].pk] = ARRIVED
    due = ARRIVED + dt.timedelta(weeks=12)
    with time_machine.travel(due - dt.timedelta(days=1)):
        services.sweep()
    assert not _items().exists()
    with time_machine.travel(due):
        services.sweep()
    item = _items().get()
    assert (item.object_id, item.due_on, item.status) == (work["sub"].pk, due, S.DUE)
    assert item.clock_started_on == ARRIVED


def test_the_clock_starts_when_pearsons_certificate_is_recorded(work, own_centre, qn):
    """Wired for real: certification tells retention when the certificates arrived."""
    from certification.models import Certificate, CertificateBatch

    learner = work["learner"]
    batch = CertificateBatch.objects.create(
        centre=own_centre, received_on=ARRIVED, recorded_by=qn, how="keyed"
    )
    Certificate.objects.create(
        batch=batch,
        learner=learner,
        certificate_number="9000001",
        uln=learner.uln or "",
        qualification_number="601/7159/5",
        received_on=ARRIVED,
    )
    due = ARRIVED + dt.timedelta(weeks=12)
    with time_machine.travel(due - dt.timedelta(days=1)):
        services.sweep()
    assert not _items().exists()
    with time_machine.travel(due):
        services.sweep()
    assert _items().get().clock_started_on == ARRIVED


def test_learner_work_period_comes_from_settings(work, arrivals, settings):
    settings.BTECQA_RETENTION_LEARNER_WORK_WEEKS = 4
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(ARRIVED + dt.timedelta(weeks=4)):
        services.sweep()
    assert _items().get().due_on == ARRIVED + dt.timedelta(weeks=4)


def test_the_post_results_closing_date_in_the_years_file_is_waited_for(
    work, arrivals, settings, tmp_path
):
    (tmp_path / "2026-27.json").write_text(
        json.dumps({"retention": {"post_results_closes": "2027-12-20"}})
    )
    settings.BTECQA_RETENTION_YEAR_DATA_DIR = str(tmp_path)
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(ARRIVED + dt.timedelta(weeks=12)):
        services.sweep()
    assert not _items().exists()
    with time_machine.travel(dt.date(2027, 12, 20)):
        services.sweep()
    assert _items().get().due_on == dt.date(2027, 12, 20)


def test_learner_work_with_no_known_arrival_is_not_due(work, arrivals):
    with time_machine.travel(dt.date(2035, 1, 1)):
        services.sweep()
    assert not RetentionItem.objects.exists()


def test_qa_records_fall_due_years_after_certification_as_configured(work, arrivals, settings):
    decide(work["learner"], work["assignment"], ["A.P1"])
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(dt.date(2030, 8, 19)):
        services.sweep()
    assert not _items("assessment.decision").exists()
    with time_machine.travel(dt.date(2030, 8, 20)):
        services.sweep()
    assert _items("assessment.decision").get().due_on == dt.date(2030, 8, 20)
    settings.BTECQA_RETENTION_QA_RECORDS_YEARS = 1
    assert clocks.due_date(clocks.QA_RECORDS, ARRIVED) == dt.date(2028, 8, 20)


def test_a_cohorts_brief_waits_for_its_last_learner(work, arrivals, own_centre):
    brief = AssignmentBrief.objects.create(
        assignment=work["assignment"], vocational_scenario="s", tasks="t", evidence="e"
    )
    other = LearnerFactory(centre=own_centre)
    work["assignment"].plan.cohort.teaching_groups.first().learners.add(other)
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(dt.date(2031, 1, 1)):
        services.sweep()
    assert not _items("assessment.brief").exists()  # one learner has no certificates yet
    arrivals[other.pk] = ARRIVED + dt.timedelta(days=10)
    with time_machine.travel(dt.date(2031, 1, 1)):
        services.sweep()
    item = _items("assessment.brief").get()
    assert (item.object_id, item.clock_started_on) == (brief.pk, ARRIVED + dt.timedelta(days=10))


# --- idempotent, and the QN's to-do ------------------------------------------------------


def test_the_sweep_is_idempotent_and_opens_one_to_do_for_the_quality_nominee(work, arrivals):
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(dt.date(2028, 1, 1)):
        first = services.sweep()
        again = services.sweep()
        services.sweep(chunk=1)
    assert (first, again) == (1, 0)
    assert _items().count() == 1
    todos = ToDo.objects.filter(kind="retention.review_disposals", closed_at__isnull=True)
    assert todos.count() == 1 and todos.get().role == Role.QUALITY_NOMINEE


def test_no_query_of_the_sweep_brings_back_more_than_a_chunk_of_rows(own_centre, arrivals):
    """Issue 13: the sweep's memory is flat because it reads its records a chunk at a time.
    Each query it ran, run again once everything is listed, returns at most a chunk of rows
    (finding the centres owed a to-do once read back every due item, 100,000 at 100,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learners.models import Learner
    from qualifications.models import AssessmentCriterion

    assignment = decisions_assignment(own_centre, criteria=[f"A.P{i}" for i in range(1, 21)])
    group = TeachingGroupFactory(cohort=assignment.plan.cohort)
    learners = Learner.objects.bulk_create(LearnerFactory.build_batch(3, centre=own_centre))
    group.learners.add(*learners)
    arrivals.update(dict.fromkeys((learner.pk for learner in learners), ARRIVED))
    CriterionDecision.objects.bulk_create(
        CriterionDecision(
            learner=learner,
            assignment=assignment,
            criterion=criterion,
            achieved=True,
            assessor=assignment.assessor,
        )
        for learner in learners
        for criterion in AssessmentCriterion.objects.filter(unit=assignment.unit)
    )
    with CaptureQueriesContext(connection) as ran:
        assert services.sweep(dt.date(2031, 1, 1), chunk=5) == 60
    reads = [
        q["sql"] for q in ran.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    rows = {}
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute(sql)
            rows[sql] = len(cursor.fetchall())
    assert len(reads) > 12  # one read per chunk, and more
    assert {sql: n for sql, n in rows.items() if n > 5} == {}
    assert (
        ToDo.objects.filter(kind="retention.review_disposals", closed_at__isnull=True).count() == 1
    )


# --- approval, disposal, minimal record ---------------------------------------------------


def _due(work, arrivals, when=dt.date(2028, 1, 1)):
    arrivals[work["learner"].pk] = ARRIVED
    with time_machine.travel(when):
        services.sweep()


def test_nothing_is_disposed_without_approval(work, arrivals, qn):
    _due(work, arrivals)
    assert services.dispose_approved() == 0
    assert Submission.objects.filter(pk=work["sub"].pk).exists()
    services.approve(_items(), by=qn, reason="Past the 12 weeks")
    assert services.dispose_approved() == 1
    assert not Submission.objects.filter(pk=work["sub"].pk).exists()
    item = _items().get()
    assert item.status == S.DISPOSED and item.disposed_by == qn and item.disposed_at
    assert item.record_removed_at and item.label == f"Learner's hand-in #{work['sub'].pk}"
    assert (
        ToDo.objects.filter(kind="retention.review_disposals", closed_at__isnull=True).count() == 0
    )


def test_only_the_quality_nominee_approves_and_a_reason_is_needed(work, arrivals, cast, qn):
    _due(work, arrivals)
    with pytest.raises(PermissionDenied):
        services.approve(_items(), by=cast[Role.EXAMS_OFFICER], reason="tidy")
    with pytest.raises(ValidationError):
        services.approve(_items(), by=qn, reason=" ")
    assert _items().get().status == S.DUE


def test_files_and_personal_details_go_and_the_minimal_record_stays(work, arrivals, qn, media):
    brief = AssignmentBrief.objects.create(
        assignment=work["assignment"], vocational_scenario="s", tasks="t", evidence="e"
    )
    version = BriefVersion(brief=brief, number=1, vocational_scenario="s", tasks="t", evidence="e")
    version.file.save("brief.pdf", ContentFile(b"%PDF-1.4 brief"), save=False)
    version.file_name = "brief.pdf"
    version.made_by = qn
    version.save()
    path = version.file.name
    assert default_storage.exists(path)
    (decision,) = decide(work["learner"], work["assignment"], ["A.P1"])
    CriterionDecision.objects.filter(pk=decision.pk).update(feedback="Jo wrote well")
    _due(work, arrivals, when=dt.date(2031, 1, 1))
    services.approve(RetentionItem.objects.all(), by=qn, reason="Past retention")
    services.dispose_approved()
    assert not default_storage.exists(path)
    version.refresh_from_db()
    assert (version.file.name, version.file_name) == ("", "")
    decision.refresh_from_db()
    assert decision.feedback == ""  # the grade stays for the claim; the text goes
    assert set(RetentionItem.objects.values_list("status", flat=True)) == {S.DISPOSED}


# --- legal holds ---------------------------------------------------------------------------


def test_a_hold_stops_disposal_even_after_approval(work, arrivals, qn):
    _due(work, arrivals)
    services.approve(_items(), by=qn, reason="Past the 12 weeks")
    hold = services.place_hold(
        by=qn, reason="appeal", note="Appeal lodged", learner=work["learner"]
    )
    assert services.dispose_approved() == 0
    assert Submission.objects.filter(pk=work["sub"].pk).exists()
    assert _items().get().status == S.HELD
    with pytest.raises(ValidationError):
        services.approve(_items(), by=qn, reason="again")
    services.lift_hold(hold, by=qn, note="Appeal decided")
    assert _items().get().status == S.DUE  # approval must be given again
    assert services.dispose_approved() == 0
    services.approve(_items(), by=qn, reason="Appeal over")
    assert services.dispose_approved() == 1


def test_a_hold_placed_before_the_sweep_lists_the_item_as_held(work, arrivals, qn):
    LegalHold.objects.create(
        centre=work["learner"].centre,
        learner_id=work["learner"].pk,
        reason="malpractice",
        note="Investigation",
        placed_by=qn,
    )
    _due(work, arrivals)
    assert _items().get().status == S.HELD


def test_a_hold_placed_after_approval_in_the_database_is_still_obeyed(work, arrivals, qn):
    _due(work, arrivals)
    services.approve(_items(), by=qn, reason="Past")
    LegalHold.objects.create(
        centre=work["learner"].centre,
        kind="assessment.submission",
        object_id=work["sub"].pk,
        reason="data_request",
        note="Subject access request",
        placed_by=qn,
    )
    assert services.dispose_approved() == 0
    assert Submission.objects.filter(pk=work["sub"].pk).exists()


# --- the audit trail after disposal ----------------------------------------------------------


def test_the_learners_audit_details_are_erased_and_the_chain_still_verifies(work, arrivals, qn):
    learner = work["learner"]
    audit.record(qn, "tests.event.a", learner, learner=learner, after={"name": "Jo Bloggs"})
    _due(work, arrivals)
    services.approve(_items(), by=qn, reason="Past the 12 weeks")
    services.dispose_approved()
    details = AuditEventDetail.objects.filter(event__learner_id=learner.pk)
    erased = details.filter(erased_by_seq__isnull=False)
    assert erased.exists() and all(d.learner_repr == "" and d.after == "" for d in erased)
    assert not details.filter(after__contains="Jo Bloggs").exists()
    result = verify_chain()
    assert result.ok, str(result)


def test_a_learner_with_a_record_not_yet_due_keeps_their_audit_details(work, arrivals, qn):
    learner = work["learner"]
    decide(learner, work["assignment"], ["A.P1"])  # QA record: three years, not yet due
    audit.record(qn, "tests.event.a", learner, learner=learner, after={"name": "Jo Bloggs"})
    _due(work, arrivals)
    services.approve(_items(), by=qn, reason="Past the 12 weeks")
    services.dispose_approved()
    assert AuditEventDetail.objects.filter(after__contains="Jo Bloggs").exists()
    assert verify_chain().ok


# --- consortium: the lead keeps its copy on its own clock ------------------------------------


@pytest.fixture
def consortium(own_centre, partner_centre, qn, make_user):
    """A partner's learner in the lead (own) centre's cohort: the hand-in is held by both."""
    assignment = decisions_assignment(own_centre)
    group = TeachingGroupFactory(cohort=assignment.plan.cohort)
    learner = LearnerFactory(centre=partner_centre)
    group.learners.add(learner)
    partner_qn = make_user("qn_partner", Role.QUALITY_NOMINEE, centre=partner_centre)
    return {
        "learner": learner,
        "sub": _submission(learner, assignment, qn),
        "partner_qn": partner_qn,
    }


def test_the_partners_disposal_leaves_the_leads_copy(consortium, arrivals, qn, own_centre):
    c = consortium
    arrivals[c["learner"].pk] = ARRIVED
    with time_machine.travel(dt.date(2028, 1, 1)):
        services.sweep()
    partner = _items().exclude(centre=own_centre).get()
    lead = _items().get(centre=own_centre)
    services.approve([partner], by=c["partner_qn"], reason="Our period is over")
    services.dispose_approved()
    assert Submission.objects.filter(pk=c["sub"].pk).exists()  # the lead still holds it
    partner.refresh_from_db()
    assert partner.status == S.DISPOSED and partner.record_removed_at is None
    with pytest.raises(PermissionDenied):
        services.approve([lead], by=c["partner_qn"], reason="Not theirs")
    services.approve([lead], by=qn, reason="Lead's period is over")
    services.dispose_approved()
    assert not Submission.objects.filter(pk=c["sub"].pk).exists()


def test_the_leads_disposal_leaves_the_partners_copy(consortium, arrivals, qn, own_centre):
    c = consortium
    arrivals[c["learner"].pk] = ARRIVED
    with time_machine.travel(dt.date(2028, 1, 1)):
        services.sweep()
    services.approve(_items().filter(centre=own_centre), by=qn, reason="Lead's period is over")
    services.dispose_approved()
    assert Submission.objects.filter(pk=c["sub"].pk).exists()
    services.approve(
        _items().exclude(centre=own_centre), by=c["partner_qn"], reason="Partner's over"
    )
    services.dispose_approved()
    assert not Submission.objects.filter(pk=c["sub"].pk).exists()


# --- pages ---------------------------------------------------------------------------------


def test_the_quality_nominee_approves_and_holds_from_the_pages(client, work, arrivals, qn):
    _due(work, arrivals)
    item = _items().get()
    client.force_login(qn)
    page = client.get(reverse("retention:index"))
    assert page.status_code == 200 and escape(item.label) in page.content.decode()
    response = client.post(
        reverse("retention:hold_add"), {"item": item.pk, "reason": "appeal", "note": "Appeal"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.HELD
    hold = LegalHold.objects.get()
    client.post(reverse("retention:hold_lift", args=[hold.pk]), {"note": "Decided"})
    response = client.post(reverse("retention:approve"), {"items": [item.pk], "reason": "Past"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == S.APPROVED


def test_the_exams_officer_reads_but_cannot_approve(client, work, arrivals, cast):
    _due(work, arrivals)
    client.force_login(cast[Role.EXAMS_OFFICER])
    assert client.get(reverse("retention:index")).status_code == 200
    assert client.post(reverse("retention:approve"), {"reason": "x"}).status_code == 403


def _make_items(centre, n, start):
    RetentionItem.objects.bulk_create(
        RetentionItem(
            kind="assessment.submission",
            object_id=start + i,
            centre=centre,
            learner_id=start + i,
            label=f"Learner's hand-in #{start + i}",
            clock_started_on=ARRIVED,
            due_on=ARRIVED,
        )
        for i in range(n)
    )


def test_the_page_runs_a_fixed_number_of_queries(client, qn, own_centre, django_assert_num_queries):
    client.force_login(qn)
    approver = UserFactory()
    RoleAssignmentFactory(user=approver, centre=own_centre, role=Role.QUALITY_NOMINEE)
    _make_items(own_centre, 3, 1)
    client.get(reverse("retention:index"))  # warm the session and role caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("retention:index")).status_code == 200
    _make_items(own_centre, 60, 100)
    RetentionItem.objects.filter(object_id__gt=130).update(status=S.DUE)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("retention:index")).status_code == 200
    assert len(large) == len(small)


def test_the_learners_dossier_shows_their_records_due_and_on_hold(client, work, arrivals, qn):
    """Policy 004 aim 3: the dossier follows the record to its retention."""
    import html

    from django.urls import reverse

    learner = work["learner"]
    arrivals[learner.pk] = ARRIVED
    with time_machine.travel(ARRIVED + dt.timedelta(weeks=12)):
        services.sweep()
        services.place_hold(by=qn, reason="appeal", note="Appeal lodged", learner=learner)
    client.force_login(qn)
    page = html.unescape(client.get(reverse("dossier:dossier", args=[learner.pk])).content.decode())
    label = _items().get().label
    assert f"{label}: due for disposal" in page
    assert "Legal hold placed: Appeal" in page


def test_the_menu_has_retention_for_the_office_only(client, qn, own_centre, make_user):
    from django.urls import reverse

    client.force_login(qn)
    assert reverse("retention:index") in client.get(reverse("dashboard")).content.decode()
    teacher = make_user("teacher_ret", Role.ASSESSOR_IV, centre=own_centre)
    client.force_login(teacher)
    assert reverse("retention:index") not in client.get(reverse("dashboard")).content.decode()
