"""The Quality Nominee's yearly policy monitoring report (issue 14 part 5; seed 000, section
4): each clause read from the records by the readers the owning apps register, held or
with its exceptions named, the QN's action for each, signed and then immutable, a change a
new version with its reason; a PDF for Pearson; an autumn to-do from yearly configuration."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from calendar_reminders.services import run_calendar
from declarations.models import QualityDeclaration
from policies import monitoring
from policies import services as register
from policies import services_monitoring as services
from policies.models import MonitoringClause, MonitoringRecord, PolicyMonitoringReport
from registrations.models import Registration, RegistrationRound, RegistrationYear
from signatures import services as signing
from todos.models import ToDo

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    verifier_ready,
)
from .pdf_reading import pdf_text

R = Role
YEAR = "2025/26"  # the year monitored, in the autumn of 2026/27
pytestmark = pytest.mark.usefixtures("_autumn")


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 5, 10, 0), tick=True):
        yield


@pytest.fixture
def qn(cast):
    return cast[R.QUALITY_NOMINEE]


def _policy(centre, qn, coordinator, *, title="Collaborative arrangements policy", due):
    return register.add_policy(
        centre=centre,
        title=title,
        coordinator=coordinator,
        sub_committee="Curriculum and Standards",
        reviewed_on=dt.date(2025, 3, 1),
        next_review=due,
        upload=SimpleUploadedFile("policy.pdf", b"%PDF-1.4 the policy"),
        by=qn,
    )


def _late_registration(centre, cohort, eo):
    RegistrationYear.objects.get_or_create(
        academic_year=YEAR,
        defaults={
            "registration_deadline": dt.date(2025, 11, 1),
            "fee_bands": [{"from": "2025-11-02", "multiplier": "1.05"}],
            "refund_window_days": 90,
        },
    )
    rnd, _ = RegistrationRound.objects.get_or_create(
        centre=centre, academic_year=YEAR, defaults={"opened_by": eo}
    )
    learner = LearnerFactory(centre=centre, last_name="Latimer", first_name="Ada")
    return Registration.objects.create(
        learner=learner,
        cohort=cohort,
        centre=centre,
        round=rnd,
        status="registered",
        submitted_on=dt.date(2025, 11, 12),
        registered_on=dt.date(2025, 11, 12),
    )


def _row(report, clause) -> MonitoringClause:
    return report.clauses.get(clause=clause)


def _clause_cell(page: str, clause: str) -> str:
    start = page.index(f'id="clause-{clause.replace(".", "")}"')
    return page[start : page.index("</tr>", start)]


# --- generation --------------------------------------------------------------------------


def test_generation_finds_the_seeded_exceptions_and_marks_their_clauses(own_centre, cast, qn):
    """A registration sent after Pearson's deadline (000-3.2.2), a policy overdue for review
    and not monitored (000-4), a cohort taught with no assessment plan (000-3.3)."""
    cohort = CohortFactory(
        centre=own_centre,
        qualification=QualificationFactory(title="National Diploma in Sport"),
        start_year=YEAR,
    )
    _late_registration(own_centre, cohort, cast[R.EXAMS_OFFICER])
    _policy(own_centre, qn, cast[R.EXAMS_OFFICER], due=dt.date(2026, 3, 1))

    report = services.draft_report(own_centre, YEAR, by=qn)

    late = _row(report, "000-3.2.2")
    assert late.status == MonitoringClause.Status.EXCEPTIONS
    assert late.exceptions == [
        "LATIMER, Ada (National Diploma in Sport): sent to Pearson 12/11/2025, after the "
        "deadline 01/11/2025"
    ]
    assert "Registrations sent to Pearson: sent to Pearson 1, by the deadline 0" in late.evidence[0]
    policy = _row(report, "000-4")
    assert policy.status == MonitoringClause.Status.EXCEPTIONS
    assert "Collaborative arrangements policy: overdue for review since 01/03/2026" in (
        policy.exceptions
    )
    assert (
        "Collaborative arrangements policy: not monitored by the Quality Nominee in 2025/26"
        in policy.exceptions
    )
    plans = _row(report, "000-3.3")
    assert plans.status == MonitoringClause.Status.EXCEPTIONS
    assert plans.exceptions[0].startswith(
        "National Diploma in Sport (2025/26 cohort): no assessment plan for 2025/26"
    )
    # Clauses with no record source say so: never "held" for want of looking.
    assert _row(report, "000-3.1.7").status == MonitoringClause.Status.NOT_EVIDENCED
    # Every clause of the seed's registry has its row, in the policy's order.
    assert [c.clause for c in report.clauses.order_by("position")] == [
        c.id for c in monitoring.all_clauses()
    ]
    assert AuditEvent.objects.filter(action="policies.monitoring_report.drafted").count() == 1


def test_a_deleted_registration_is_not_read_as_sent_late_and_a_withdrawn_one_is(
    own_centre, cast, qn
):
    """The registrations clause reads the governors' report's counts: a registration Pearson
    deleted was never an entry, so it is neither counted nor named; one sent late and since
    withdrawn was, and is."""
    cohort = CohortFactory(
        centre=own_centre,
        qualification=QualificationFactory(title="National Diploma in Sport"),
        start_year=YEAR,
    )
    withdrawn = _late_registration(own_centre, cohort, cast[R.EXAMS_OFFICER])
    withdrawn.status, withdrawn.ended_on = "withdrawn", dt.date(2026, 3, 2)
    withdrawn.save(update_fields=["status", "ended_on"])
    deleted = _late_registration(own_centre, cohort, cast[R.EXAMS_OFFICER])
    deleted.learner.last_name = "Deleteworth"
    deleted.learner.save(update_fields=["last_name"])
    deleted.status, deleted.ended_on = "deleted", dt.date(2025, 12, 1)
    deleted.save(update_fields=["status", "ended_on"])

    late = _row(services.draft_report(own_centre, YEAR, by=qn), "000-3.2.2")

    assert late.exceptions == [
        "LATIMER, Ada (National Diploma in Sport): sent to Pearson 12/11/2025, after the "
        "deadline 01/11/2025"
    ]
    assert (
        "sent to Pearson 1, by the deadline 0, paying a late fee 1, refund missed 0"
        in late.evidence[0]
    )


def test_a_clean_centres_clauses_are_held(own_centre, cast, qn, client):
    """Registrations on time, the policy in date and monitored, the declaration confirmed
    and submitted: those clauses are held; one whose records are empty is not evidenced."""
    cohort = CohortFactory(
        centre=own_centre, qualification=QualificationFactory(title="Sport"), start_year=YEAR
    )
    reg = _late_registration(own_centre, cohort, cast[R.EXAMS_OFFICER])
    Registration.objects.filter(pk=reg.pk).update(submitted_on=dt.date(2025, 10, 20))
    policy = _policy(own_centre, qn, cast[R.EXAMS_OFFICER], due=dt.date(2027, 3, 1))
    MonitoringRecord.objects.create(
        policy=policy,
        academic_year=YEAR,
        monitored_on=dt.date(2026, 6, 1),
        outcome=MonitoringRecord.Outcome.NO_CHANGE,
        recorded_by=qn,
    )
    QualityDeclaration.objects.create(
        centre=own_centre,
        academic_year=YEAR,
        status=QualityDeclaration.Status.CONFIRMED,
        submitted_to_pearson_on=dt.date(2025, 10, 10),
    )

    report = services.draft_report(own_centre, YEAR, by=qn)

    for clause in ("000-3.2.2", "000-4", "000-3.1.12"):
        row = _row(report, clause)
        assert row.status == MonitoringClause.Status.HELD, (clause, row.exceptions)
        assert row.exceptions == []
    assert _row(report, "000-3.1.13").status == MonitoringClause.Status.NOT_EVIDENCED
    client.force_login(qn)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Held" in _clause_cell(page, "000-4")
    assert "Nothing in the records to read" in _clause_cell(page, "000-3.1.13")


def test_another_app_adds_a_reader_without_editing_the_registry(own_centre, qn):
    def retention(ctx):
        return monitoring.Reading(counts=[("due", 1)], exceptions=["A record kept too long"])

    monitoring.register_reader("000-3.1.10", "tests.retention", "Retention", retention)
    try:
        report = services.draft_report(own_centre, YEAR, by=qn)
    finally:
        monitoring.unregister_reader("tests.retention")
    row = _row(report, "000-3.1.10")
    assert row.status == MonitoringClause.Status.EXCEPTIONS
    assert row.exceptions == ["A record kept too long"]
    assert row.evidence == ["Retention: due 1"]


# --- actions, signing, versions -------------------------------------------------------------


def _exceptional_report(centre, cast, qn):
    _policy(centre, qn, cast[R.EXAMS_OFFICER], due=dt.date(2026, 3, 1))
    return services.draft_report(centre, YEAR, by=qn)


def _act(report, qn, **actions):
    """Write an action for every clause with exceptions (the given text where named)."""
    wanted = {c: actions.get(c, f"Action on {c}") for c in services.missing_actions(report)}
    wanted.update(actions)
    services.save_actions(report, actions=wanted, by=qn)


def _sign(client, report, password=PASSWORD):
    return client.post(
        reverse("policies:monitoring_sign", args=[report.pk]),
        {"password": password, "seen": signing.current_sha256(report)},
    )


def test_the_qn_writes_actions_signs_and_the_signed_report_is_immutable_then_version_2(
    client, own_centre, cast, qn
):
    _policy(own_centre, qn, cast[R.EXAMS_OFFICER], due=dt.date(2026, 3, 1))
    client.force_login(qn)
    r = client.post(
        reverse("policies:monitoring_draft"), {"centre": own_centre.pk, "academic_year": YEAR}
    )
    report = PolicyMonitoringReport.objects.get(centre=own_centre, academic_year=YEAR)
    assert r.status_code == 302 and r["Location"] == report.get_absolute_url()
    assert _row(report, "000-4").status == MonitoringClause.Status.EXCEPTIONS
    # Drafting the same year again opens the report there is; it makes no second one.
    r = client.post(
        reverse("policies:monitoring_draft"),
        {"centre": own_centre.pk, "academic_year": YEAR},
        follow=True,
    )
    assert "already exists: here it is" in r.content.decode()
    assert PolicyMonitoringReport.objects.filter(centre=own_centre).count() == 1

    # Not signed while an exception has no action: the page says which clause.
    r = _sign(client, report)
    assert r.status_code == 200
    assert "Write the action for each clause with exceptions before signing: " in (
        r.content.decode()
    )
    assert "000-4" in r.content.decode()
    assert not signing.signatures(report).exists()

    exceptional = list(
        report.clauses.filter(status=MonitoringClause.Status.EXCEPTIONS).values_list(
            "clause", flat=True
        )
    )
    data = {"lock": report.lock_version}
    for clause in exceptional:
        data["action_" + clause.replace("-", "_").replace(".", "_")] = f"Put right: {clause}"
    r = client.post(reverse("policies:monitoring_actions", args=[report.pk]), data)
    assert r.status_code == 302
    assert _row(report, "000-4").action == "Put right: 000-4"

    # A wrong password signs nothing; the right one signs.
    assert _sign(client, report, "wrong").status_code == 200
    assert not signing.signatures(report).exists()
    assert _sign(client, report).status_code == 302
    report.refresh_from_db()
    assert report.status == PolicyMonitoringReport.Status.SIGNED
    signature = services.signature_of(report)
    assert signature.signer == qn and signature.role == R.QUALITY_NOMINEE
    assert signature.sha256 == signing.current_sha256(report)
    assert not ToDo.objects.filter(
        kind="policies.sign_monitoring_report", closed_at__isnull=True
    ).exists()

    # Signed: nothing changes it, through the service, the model or the page.
    with pytest.raises(ValidationError, match="signed"):
        services.save_actions(report, actions={"000-4": "Another"}, by=qn)
    row = _row(report, "000-4")
    row.action = "Edited behind the page"
    with pytest.raises(ValidationError, match="signed"):
        row.save()
    report.reason = "Edited"
    with pytest.raises(ValidationError, match="signed"):
        report.save()
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Save the actions" not in page and "Make a new version" in page
    r = client.post(
        reverse("policies:monitoring_actions", args=[report.pk]),
        {"lock": report.lock_version, "action_000_4": "Changed"},
    )
    assert r.status_code == 200 and "no longer changes" in r.content.decode()
    assert _row(report, "000-4").action == "Put right: 000-4"

    # A change is a new version with its reason; version 1 stays as signed.
    r = client.post(reverse("policies:monitoring_amend", args=[report.pk]), {"reason": ""})
    assert r.status_code == 200
    assert PolicyMonitoringReport.objects.filter(centre=own_centre).count() == 1
    r = client.post(
        reverse("policies:monitoring_amend", args=[report.pk]),
        {"reason": "The policy was reviewed after all: minutes found"},
    )
    v2 = PolicyMonitoringReport.objects.get(centre=own_centre, version=2)
    assert r.status_code == 302 and r["Location"] == v2.get_absolute_url()
    assert v2.previous == report and v2.is_draft
    assert v2.reason == "The policy was reviewed after all: minutes found"
    assert _row(v2, "000-4").action == "Put right: 000-4"  # carried over to edit
    event = AuditEvent.objects.get(action="policies.monitoring_report.amended")
    assert event.after_data["reason"] == "The policy was reviewed after all: minutes found"
    assert _sign(client, v2).status_code == 302
    report.refresh_from_db()
    v2.refresh_from_db()
    assert v2.status == PolicyMonitoringReport.Status.SIGNED
    assert report.status == PolicyMonitoringReport.Status.SUPERSEDED
    assert services.signature_of(report).version.snapshot["version"] == 1
    assert services.signature_of(v2).version.snapshot["version"] == 2
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Make a new version" not in page  # only the current version is amended
    codes = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "policies.monitoring_report.drafted",
        "policies.monitoring_report.actions_saved",
        "policies.monitoring_report.signed",
        "policies.monitoring_report.amended",
    } <= codes


def test_reading_again_keeps_the_actions_and_finds_what_changed(own_centre, cast, qn):
    report = _exceptional_report(own_centre, cast, qn)
    services.save_actions(report, actions={"000-4": "Review it at Curriculum and Standards"}, by=qn)
    policy = own_centre.policies.get()
    register.record_monitoring(
        policy, monitored_on=dt.date(2026, 7, 1), outcome="no_change", by=qn
    )  # monitored on 1 July 2026: still in 2025/26
    services.redraft(report, by=qn)
    row = _row(report, "000-4")
    assert row.action == "Review it at Curriculum and Standards"
    assert row.exceptions == [
        "Collaborative arrangements policy: overdue for review since 01/03/2026"
    ]


def test_the_pdf_for_pearson_holds_every_clause_id_and_the_signature(client, own_centre, cast, qn):
    report = _exceptional_report(own_centre, cast, qn)
    client.force_login(qn)
    draft = client.get(reverse("policies:monitoring_pdf", args=[report.pk]))
    assert draft["Content-Type"] == "application/pdf"
    assert "DRAFT: not yet signed" in pdf_text(draft.content)
    _act(report, qn, **{"000-4": "Review it at Curriculum and Standards"})
    signing_seen = signing.current_sha256(report)
    services.sign_report(report, by=qn, password=PASSWORD, seen_sha256=signing_seen)
    r = client.get(reverse("policies:monitoring_pdf", args=[report.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == (
        f'attachment; filename="policy-monitoring-{own_centre.number}-2025-26-v1.pdf"'
    )
    text = pdf_text(r.content)
    for clause in monitoring.all_clauses():
        assert clause.id in text
    assert "Review it at Curriculum and Standards" in text
    assert "overdue for review since 01/03/2026" in text
    assert "Signed by the Quality Nominee" in text and signing_seen in text
    assert "DRAFT" not in text
    assert AuditEvent.objects.filter(action="policies.monitoring_report.exported").count() == 2


def test_the_signed_report_is_in_the_sv_evidence_pack(own_centre, cast, qn):
    import io
    import zipfile

    from verification.evidence_pack import stream_pack

    cohort = CohortFactory(centre=own_centre, qualification=QualificationFactory(), start_year=YEAR)
    report = services.draft_report(own_centre, YEAR, by=qn)

    def names():
        data = b"".join(stream_pack(cohort, "2026/27"))
        return zipfile.ZipFile(io.BytesIO(data)).namelist()

    assert "08-policy-monitoring/monitoring-report.pdf" not in names()  # a draft is not sent
    _act(report, qn)
    services.sign_report(
        report, by=qn, password=PASSWORD, seen_sha256=signing.current_sha256(report)
    )
    assert "08-policy-monitoring/monitoring-report.pdf" in names()


# --- who may do what ------------------------------------------------------------------------


def _signed(centre, cast, qn):
    report = _exceptional_report(centre, cast, qn)
    _act(report, qn, **{"000-4": "Review it"})
    services.sign_report(
        report, by=qn, password=PASSWORD, seen_sha256=signing.current_sha256(report)
    )
    report.refresh_from_db()
    return report


def test_governors_read_the_signed_report_only_and_change_nothing(client, own_centre, cast, qn):
    report = _exceptional_report(own_centre, cast, qn)
    client.force_login(cast[R.GOVERNOR])
    url = report.get_absolute_url()
    assert client.get(url).status_code == 403  # a draft: not yet for governors
    assert client.get(reverse("policies:monitoring_pdf", args=[report.pk])).status_code == 403
    assert "2025/26" not in client.get(reverse("policies:monitoring_list")).content.decode()
    _act(report, qn, **{"000-4": "Review it"})
    services.sign_report(
        report, by=qn, password=PASSWORD, seen_sha256=signing.current_sha256(report)
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "Review it" in page.content.decode() and "Save the actions" not in page.content.decode()
    assert client.get(reverse("policies:monitoring_pdf", args=[report.pk])).status_code == 200
    assert (
        client.post(
            reverse("policies:monitoring_amend", args=[report.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert _sign(client, report).status_code == 403


@pytest.mark.parametrize("role", [R.EXAMS_OFFICER, R.LEAD_IV, R.HEAD_OF_CENTRE])
def test_staff_read_the_draft_and_only_the_qn_writes(client, own_centre, cast, qn, role):
    report = _exceptional_report(own_centre, cast, qn)
    client.force_login(cast[role])
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200
    assert "Sign the report" not in page.content.decode()
    r = client.post(
        reverse("policies:monitoring_actions", args=[report.pk]),
        {"lock": report.lock_version, "action_000_4": "Mine"},
    )
    assert r.status_code == 403
    assert _sign(client, report).status_code == 403
    assert (
        client.post(
            reverse("policies:monitoring_draft"),
            {"centre": own_centre.pk, "academic_year": "2024/25"},
        ).status_code
        == 403
    )
    assert _row(report, "000-4").action == ""


def test_another_centre_and_the_standards_verifier_do_not_find_it(
    client, own_centre, other_centre, cast, qn, make_user
):
    report = _signed(own_centre, cast, qn)
    elsewhere = make_user("qn_elsewhere", R.QUALITY_NOMINEE, centre=other_centre)
    client.force_login(elsewhere)
    assert client.get(report.get_absolute_url()).status_code == 404
    assert client.get(reverse("policies:monitoring_pdf", args=[report.pk])).status_code == 404
    assert (
        client.post(
            reverse("policies:monitoring_amend", args=[report.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert own_centre.name not in client.get(reverse("policies:monitoring_list")).content.decode()
    # The verifier's account reaches the cohorts of the grant only: the report reaches
    # them in the evidence pack, not as a page.
    cohort = CohortFactory(centre=own_centre, qualification=QualificationFactory(), start_year=YEAR)
    sv = cast[R.STANDARDS_VERIFIER]
    verifier_ready(sv, own_centre, [cohort])
    client.force_login(sv)
    assert client.get(report.get_absolute_url()).status_code in (403, 404)


# --- the autumn to-do -----------------------------------------------------------------------


def test_the_autumn_to_do_comes_from_yearly_configuration_and_closes_once_signed(
    own_centre, cast, qn, settings
):
    settings.BTECQA_POLICY_MONITORING_DUE = "11-20"
    assert services.monitoring_due("2026/27") == dt.date(2026, 11, 20)
    settings.BTECQA_POLICY_MONITORING_DUE = "10-31"
    run_calendar(dt.date(2026, 9, 20))  # more than 30 days before: nothing yet
    assert not ToDo.objects.filter(kind="calendar.policies.monitoring").exists()
    run_calendar(dt.date(2026, 10, 5))
    todo = ToDo.objects.get(kind="calendar.policies.monitoring", closed_at__isnull=True)
    assert todo.role == R.QUALITY_NOMINEE and todo.centre == own_centre
    assert todo.due_date == dt.date(2026, 10, 31)
    _signed(own_centre, cast, qn)
    run_calendar(dt.date(2026, 10, 6))
    todo.refresh_from_db()
    assert todo.closed_at is not None


def test_a_years_file_sets_the_autumn_date(monkeypatch):
    monkeypatch.setattr(
        services, "_year_data", lambda year: {"policy_monitoring_due": "2026-11-13"}
    )
    assert services.monitoring_due("2026/27") == dt.date(2026, 11, 13)


# --- a fixed number of queries ---------------------------------------------------------------


def _world(centre, cast, qn, n, first=0):
    """n policies overdue, n cohorts without a plan, n late registrations."""
    eo = cast[R.EXAMS_OFFICER]
    for i in range(first, first + n):
        _policy(centre, qn, eo, title=f"Policy {i}", due=dt.date(2026, 3, 1))
        cohort = CohortFactory(
            centre=centre, qualification=QualificationFactory(title=f"Q{i}"), start_year=YEAR
        )
        _late_registration(centre, cohort, eo)


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_drafting_and_the_pages_run_a_fixed_number_of_queries_at_two_sizes(
    client, own_centre, cast, qn, django_assert_max_num_queries
):
    _world(own_centre, cast, qn, 2)
    small = _count(lambda: monitoring.read_clauses(own_centre, YEAR))
    report = services.draft_report(own_centre, YEAR, by=qn)
    client.force_login(qn)
    url = report.get_absolute_url()
    pdf = reverse("policies:monitoring_pdf", args=[report.pk])
    page_small = _count(lambda: client.get(url))
    pdf_small = _count(lambda: client.get(pdf))

    _world(own_centre, cast, qn, 12, first=2)
    services.redraft(report, by=qn)
    large = _count(lambda: monitoring.read_clauses(own_centre, YEAR))
    page_large = _count(lambda: client.get(url))
    pdf_large = _count(lambda: client.get(pdf))
    # 14 overdue and 14 not monitored: the first 25 named, then how many more
    exceptions = _row(report, "000-4").exceptions
    assert len(exceptions) == 26 and exceptions[-1] == "… and 3 more"
    assert small == large
    assert page_small == page_large
    assert pdf_small == pdf_large
    with django_assert_max_num_queries(30):
        client.get(url)
    list_url = reverse("policies:monitoring_list")
    assert _count(lambda: client.get(list_url)) < 20
