"""The governors' annual report (issue 14 part 4): counts per centre and year, three years
side by side, on the centre summary page and as a PDF; never a learner's name."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from centres.measures import register_measure, run_measures
from centres.selectors import annual_report, report_years
from claims.models_claims import Claim
from declarations import services as declaration_services
from registrations.models import (
    CentreCalendar,
    Discrepancy,
    EntryCheck,
    Registration,
    RegistrationRound,
    RegistrationYear,
)
from verification import services_sv

from .factories import CentreFactory, CohortFactory, LearnerFactory, QualificationFactory
from .pdf_reading import pdf_text

R = Role
YEARS = ["2024/25", "2025/26", "2026/27"]
SECRET = "Quillonby"  # every learner's surname here: it must never be shown


@pytest.fixture(autouse=True)
def _summer():
    with time_machine.travel(dt.datetime(2027, 7, 20, 10, 0), tick=True):
        yield


@pytest.fixture
def years(db):
    for y in YEARS:
        start = int(y[:4])
        RegistrationYear.objects.get_or_create(
            academic_year=y,
            defaults={
                "registration_deadline": dt.date(start, 11, 1),
                "fee_bands": [{"from": f"{start}-11-02", "multiplier": "1.05"}],
                "refund_window_days": 90,
            },
        )
    return YEARS


def _cohort(centre, year, n=0):
    q = QualificationFactory(title=f"National Certificate in Report Studies {n}")
    return CohortFactory(centre=centre, qualification=q, start_year=year)


def _registrations(centre, year, *, on_time, late, refund_missed=0, by):
    """Registrations sent on time (31 October), late (3 November), and deleted ones."""
    cohort = _cohort(centre, year)
    rnd, _ = RegistrationRound.objects.get_or_create(
        centre=centre, academic_year=year, defaults={"opened_by": by}
    )
    start = int(year[:4])
    plan = [(dt.date(start, 10, 31), "registered")] * on_time
    plan += [(dt.date(start, 11, 3), "registered")] * late
    plan += [(dt.date(start, 10, 1), "deleted")] * refund_missed
    for i, (sent, status) in enumerate(plan):
        learner = LearnerFactory(centre=centre, last_name=SECRET, first_name=f"Zeph{year[:4]}{i}")
        Registration.objects.create(
            learner=learner,
            cohort=cohort,
            centre=centre,
            round=rnd,
            status=status,
            submitted_on=sent,
            registered_on=sent,
            ended_on=sent + dt.timedelta(days=120) if status == "deleted" else None,
        )
    return rnd


def _values(centre, code):
    return [run_measures([centre.pk], YEARS)[code].get((centre.pk, y), 0) for y in YEARS]


def test_the_report_shows_the_last_three_academic_years():
    assert report_years() == YEARS
    assert report_years("2030/31") == ["2028/29", "2029/30", "2030/31"]


def test_registrations_on_time_late_fees_and_refunds_missed(own_centre, cast, years):
    eo = cast[R.EXAMS_OFFICER]
    _registrations(own_centre, "2024/25", on_time=2, late=1, by=eo)
    _registrations(own_centre, "2026/27", on_time=3, late=0, refund_missed=1, by=eo)
    # The deleted one (sent on time) is no entry: only the refund measure counts it
    assert _values(own_centre, "registrations.on_time") == [2, 0, 3]
    assert _values(own_centre, "registrations.late_fee") == [1, 0, 0]
    assert _values(own_centre, "registrations.refund_missed") == [0, 0, 1]
    # Another centre's registrations are its own
    other = CentreFactory(number="40999", name="Elsewhere")
    assert run_measures([other.pk], YEARS)["registrations.on_time"] == {}


def _one(centre, year, status, *, sent, ended=None, by):
    """One registration of `status`, sent to Pearson on `sent` (None: never sent)."""
    rnd, _ = RegistrationRound.objects.get_or_create(
        centre=centre, academic_year=year, defaults={"opened_by": by}
    )
    cohort = CohortFactory(centre=centre, qualification=QualificationFactory(), start_year=year)
    return Registration.objects.create(
        learner=LearnerFactory(centre=centre, last_name=SECRET),
        cohort=cohort,
        centre=centre,
        round=rnd,
        status=status,
        submitted_on=sent,
        registered_on=sent,
        ended_on=ended,
    )


def test_a_deleted_registration_is_no_entry_and_a_withdrawn_one_still_is(own_centre, cast, years):
    """Pearson deleted it (within the refund window, refunded): it was never an entry, so it
    counts neither as sent, nor on time, nor paying a late fee. A withdrawn or transferred
    learner was entered and paid for: they count. One taken off the list was never sent."""
    eo = cast[R.EXAMS_OFFICER]
    S = Registration.Status
    on_time, late = dt.date(2025, 10, 20), dt.date(2025, 11, 5)
    _one(own_centre, "2025/26", S.REGISTERED, sent=on_time, by=eo)
    _one(own_centre, "2025/26", S.WITHDRAWN, sent=late, ended=dt.date(2026, 3, 1), by=eo)
    _one(own_centre, "2025/26", S.TRANSFERRED, sent=on_time, ended=dt.date(2026, 1, 9), by=eo)
    _one(own_centre, "2025/26", S.DROPPED, sent=None, by=eo)
    before = {
        code: _values(own_centre, f"registrations.{code}")
        for code in ("submitted", "on_time", "late_fee", "refund_missed")
    }
    assert before == {
        "submitted": [0, 3, 0],
        "on_time": [0, 2, 0],
        "late_fee": [0, 1, 0],
        "refund_missed": [0, 0, 0],
    }
    # Deleted within the 90-day window, one sent on time and one late: nothing changes
    _one(own_centre, "2025/26", S.DELETED, sent=on_time, ended=dt.date(2025, 12, 1), by=eo)
    _one(own_centre, "2025/26", S.DELETED, sent=late, ended=dt.date(2025, 12, 1), by=eo)
    assert {code: _values(own_centre, f"registrations.{code}") for code in before} == before
    # Deleted after the window: still no entry, but it is the refund missed
    _one(own_centre, "2025/26", S.DELETED, sent=late, ended=dt.date(2026, 4, 1), by=eo)
    assert _values(own_centre, "registrations.submitted") == [0, 3, 0]
    assert _values(own_centre, "registrations.late_fee") == [0, 1, 0]
    assert _values(own_centre, "registrations.refund_missed") == [0, 1, 0]


def test_discrepancies_caught_and_caught_by_the_deadline(own_centre, cast, years):
    qn = cast[R.QUALITY_NOMINEE]
    rnd = _registrations(own_centre, "2025/26", on_time=1, late=0, by=qn)
    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2025/26",
        term_starts=dt.date(2025, 9, 3),
        october_half_term_starts=dt.date(2025, 10, 27),
    )
    check = EntryCheck.objects.create(round=rnd, deadline=dt.date(2025, 10, 24), started_by=qn)
    reg = Registration.objects.get(round=rnd)
    for found in (
        dt.datetime(2025, 10, 10, 9),
        dt.datetime(2025, 10, 20, 9),
        dt.datetime(2025, 11, 5, 9),
    ):
        Discrepancy.objects.create(
            entry_check=check,
            kind=Discrepancy.Kind.NO_GROUP,
            learner=reg.learner,
            cohort=reg.cohort,
            detail="Not in a group",
            found_by=qn,
            found_at=dt.datetime.combine(found.date(), found.time(), tzinfo=dt.UTC),
        )
    assert _values(own_centre, "registrations.check_caught") == [0, 3, 0]
    assert _values(own_centre, "registrations.check_caught_on_time") == [0, 2, 0]
    assert _values(own_centre, "registrations.check_closed_on_time") == [0, 0, 0]


def test_sv_released_at_the_first_sample_and_after_a_second(own_centre, cast, years):
    lead = cast[R.LEAD_IV]
    first = services_sv.record_allocation(
        cohort=_cohort(own_centre, "2026/27", 1),
        academic_year="2026/27",
        verifier_name="Dr Quarry",
        by=lead,
    )
    services_sv.set_report_status(first, status="released", by=lead)
    second = services_sv.record_allocation(
        cohort=_cohort(own_centre, "2026/27", 2),
        academic_year="2026/27",
        verifier_name="Dr Quarry",
        by=lead,
    )
    services_sv.add_action(
        second, description="Re-mark unit 2", owner=lead, due_on=dt.date(2027, 8, 1), by=lead
    )
    services_sv.set_report_status(second, status="certification_pending", by=lead)
    assert _values(own_centre, "verification.sv_visits") == [0, 0, 2]
    assert _values(own_centre, "verification.sv_released") == [0, 0, 1]
    assert _values(own_centre, "verification.sv_first_sample") == [0, 0, 1]
    assert _values(own_centre, "verification.sv_pending") == [0, 0, 1]
    services_sv.set_report_status(second, status="released", by=lead)
    assert _values(own_centre, "verification.sv_released") == [0, 0, 2]
    assert _values(own_centre, "verification.sv_first_sample") == [0, 0, 1]
    assert _values(own_centre, "verification.sv_second_sample") == [0, 0, 1]


def test_claims_sent_by_the_claim_deadline(own_centre, cast, years, settings):
    eo = cast[R.EXAMS_OFFICER]
    cohort = _cohort(own_centre, "2025/26")
    # 2025/26's deadline is in its year file; 2024/25's is the settings' default (July)
    for year, sent in (
        ("2025/26", dt.date(2026, 6, 1)),
        ("2025/26", dt.date(2026, 8, 20)),
        ("2024/25", dt.date(2025, 6, 30)),
    ):
        Claim.objects.create(
            centre=own_centre,
            cohort=cohort,
            academic_year=year,
            created_by=eo,
            status=Claim.Status.SUBMITTED,
            submitted_on=sent,
        )
    Claim.objects.create(centre=own_centre, cohort=cohort, academic_year="2026/27", created_by=eo)
    assert _values(own_centre, "claims.submitted") == [1, 2, 0]
    assert _values(own_centre, "claims.on_time") == [1, 1, 0]


def test_certificates_received_and_their_exceptions_found_and_still_open(own_centre, cast, years):
    """The certification app registers its counts like any other: by the year the batch
    arrived, exceptions found and those not yet resolved by an amended certificate."""
    from certification.models import Certificate, CertificateBatch, CertificateException

    eo = cast[R.EXAMS_OFFICER]
    for received, n, exceptions in (
        (dt.date(2025, 12, 1), 2, ["resolved"]),
        (dt.date(2026, 11, 20), 3, ["open", "reported"]),
    ):
        batch = CertificateBatch.objects.create(
            centre=own_centre, received_on=received, recorded_by=eo, how="keyed"
        )
        for i in range(n):
            Certificate.objects.create(
                batch=batch,
                certificate_number=f"{received:%y%m}{i}",
                received_on=received,
                qualification_number="601/7159/5",
            )
        for status in exceptions:
            CertificateException.objects.create(
                batch=batch, kind="grade", description="differs", status=status
            )
    assert _values(own_centre, "certification.received") == [0, 2, 3]
    assert _values(own_centre, "certification.exceptions") == [0, 1, 2]
    assert _values(own_centre, "certification.exceptions_open") == [0, 0, 2]


def test_the_aqd_submitted_counts_once_it_is_recorded(own_centre, cast, years):
    qn = cast[R.QUALITY_NOMINEE]
    declaration = declaration_services.start_declaration(
        centre=own_centre, academic_year="2026/27", by=qn
    )
    assert _values(own_centre, "declarations.aqd_submitted") == [0, 0, 0]
    declaration.submitted_to_pearson_on = dt.date(2026, 10, 10)
    declaration.save(update_fields=["submitted_to_pearson_on"])
    assert _values(own_centre, "declarations.aqd_submitted") == [0, 0, 1]


def test_another_app_registers_a_measure_and_it_appears(client, own_centre, cast, years):
    def exceptions(centre_ids, years):
        return {(centre_ids[0], years[-1]): 7}

    register_measure(
        "certification.test_exceptions",
        "Certificate exceptions (test)",
        "Claims and certificates",
        exceptions,
        replace=True,
    )
    try:
        client.force_login(cast[R.GOVERNOR])
        html = client.get(reverse("centres:summary")).content.decode()
        assert "Certificate exceptions (test)" in html
        report = annual_report(cast[R.GOVERNOR])
        row = next(
            r for s in report.sections for r in s.rows if r.code == "certification.test_exceptions"
        )
        assert row.totals == [0, 0, 7]
    finally:
        from centres import measures

        measures._MEASURES.pop("certification.test_exceptions")


def _fill(centre, cast, n):
    _registrations(centre, "2024/25", on_time=n, late=1, by=cast[R.EXAMS_OFFICER])
    _registrations(centre, "2025/26", on_time=n, late=0, by=cast[R.EXAMS_OFFICER])
    _registrations(centre, "2026/27", on_time=n, late=2, refund_missed=1, by=cast[R.EXAMS_OFFICER])


def test_governors_read_counts_and_no_learner_name_on_the_page_or_pdf(
    client, own_centre, cast, years
):
    _fill(own_centre, cast, 3)
    elsewhere = CentreFactory(number="40998", name="Elsewhere Grammar")
    _registrations(elsewhere, "2026/27", on_time=2, late=0, by=cast[R.EXAMS_OFFICER])
    client.force_login(cast[R.GOVERNOR])
    response = client.get(reverse("centres:summary"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Governors' annual report, 2024/25 to 2026/27" in html
    assert 'src="data:image/svg+xml;base64,' in html and 'alt="Registrations' in html
    assert "Registered by Pearson&#x27;s deadline" in html
    assert "<script" not in html.split("<main")[-1]
    assert SECRET not in html and "Zeph" not in html
    pdf = client.get(reverse("centres:summary_pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Registered by Pearson's deadline" in text and own_centre.name in text
    assert SECRET not in text and "Zeph" not in text
    assert "Elsewhere Grammar" not in html and "Elsewhere Grammar" not in text


@pytest.mark.parametrize("role", [R.GOVERNOR, R.HEAD_OF_CENTRE, R.QUALITY_NOMINEE, R.EXAMS_OFFICER])
def test_governors_and_the_centre_leads_read_and_export(client, cast, role, years):
    client.force_login(cast[role])
    assert client.get(reverse("centres:summary")).status_code == 200
    assert client.get(reverse("centres:summary_pdf")).status_code == 200


@pytest.mark.parametrize("role", [R.ASSESSOR_IV, R.PROGRAMME_LEADER, R.LEAD_IV])
def test_teaching_staff_do_not_read_the_report(client, cast, role, years):
    client.force_login(cast[role])
    assert client.get(reverse("centres:summary")).status_code == 403
    assert client.get(reverse("centres:summary_pdf")).status_code == 403


def test_governors_reach_no_learner_page(client, own_centre, cast, years):
    _fill(own_centre, cast, 1)
    client.force_login(cast[R.GOVERNOR])
    reg = Registration.objects.filter(centre=own_centre).first()
    assert client.get(reverse("learners:learner_list")).status_code in (403, 404)
    assert client.get(reverse("learners:learner_detail", args=[reg.learner_id])).status_code in (
        403,
        404,
    )
    assert client.get(reverse("registrations:register")).status_code in (403, 404)


def _queries(client, django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["centres:summary", "centres:summary_pdf"])
def test_a_fixed_number_of_queries_with_one_or_three_years_at_two_sizes(
    client, own_centre, cast, years, url, django_assert_max_num_queries
):
    client.force_login(cast[R.GOVERNOR])
    path = reverse(url)
    _registrations(own_centre, "2026/27", on_time=1, late=0, by=cast[R.EXAMS_OFFICER])
    one_year_small = _queries(client, django_assert_max_num_queries, path)
    _registrations(own_centre, "2026/27", on_time=12, late=3, by=cast[R.EXAMS_OFFICER])
    one_year_big = _queries(client, django_assert_max_num_queries, path)
    _fill(own_centre, cast, 2)
    three_small = _queries(client, django_assert_max_num_queries, path)
    _fill(own_centre, cast, 15)
    three_big = _queries(client, django_assert_max_num_queries, path)
    assert one_year_small == one_year_big == three_small == three_big
    with django_assert_max_num_queries(30):
        client.get(path)
    # A year chosen, at two sizes and more years offered: the same count again
    chosen = _queries(client, django_assert_max_num_queries, f"{path}?year=2025/26")
    _registrations(own_centre, "2023/24", on_time=9, late=2, by=cast[R.EXAMS_OFFICER])
    _fill(own_centre, cast, 5)
    chosen_big = _queries(client, django_assert_max_num_queries, f"{path}?year=2025/26")
    assert chosen == chosen_big == three_big


def _picker_options(html: str) -> list[str]:
    import re

    form = html[html.index('aria-label="Choose the report\'s year"') :]
    form = form[: form.index("</form>")]
    return re.findall(r'<option value="([^"]+)"', form)


def test_the_year_picker_shows_another_years_figures_and_its_pdf(client, own_centre, cast, years):
    """Without JavaScript: a GET form of the years the centre has records for, and the
    current one; the report (and its PDF link) then runs up to the year chosen."""
    eo = cast[R.EXAMS_OFFICER]
    RegistrationYear.objects.create(
        academic_year="2022/23",
        registration_deadline=dt.date(2022, 11, 1),
        fee_bands=[],
        refund_window_days=90,
    )
    _registrations(own_centre, "2022/23", on_time=4, late=0, by=eo)
    _registrations(own_centre, "2024/25", on_time=2, late=0, by=eo)
    _registrations(own_centre, "2026/27", on_time=5, late=0, by=eo)
    # A centre the governor cannot see lends the list no year of its own
    elsewhere = CentreFactory(number="40997", name="Elsewhere College")
    _registrations(elsewhere, "2019/20", on_time=1, late=0, by=eo)
    client.force_login(cast[R.GOVERNOR])

    html = client.get(reverse("centres:summary")).content.decode()
    assert _picker_options(html) == ["2026/27", "2024/25", "2022/23"]
    assert '<option value="2026/27" selected>' in html
    assert "Governors' annual report, 2024/25 to 2026/27" in html

    response = client.get(reverse("centres:summary"), {"year": "2024/25"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Governors' annual report, 2022/23 to 2024/25" in html
    assert '<option value="2024/25" selected>' in html
    report = annual_report(cast[R.GOVERNOR], last_year="2024/25")
    on_time = next(r for s in report.sections for r in s.rows if r.code == "registrations.on_time")
    assert on_time.totals == [4, 0, 2]
    cells = html[html.index("Registered by Pearson&#x27;s deadline</th>") :].split("</tr>")[0]
    assert ">4</td>" in cells and ">2</td>" in cells and ">5</td>" not in cells
    pdf_url = reverse("centres:summary_pdf") + "?year=2024/25"
    assert f'href="{pdf_url}"' in html

    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert 'filename="governors-report-2024-25.pdf"' in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert "2022/23 to 2024/25" in text and "2026/27" not in text


def test_the_years_offered_come_from_every_apps_records(own_centre, cast, years):
    """Claims, SV, IV plans, declarations by their year; certificates by the academic year
    the batch arrived in, policy reviews by the academic year they were done in."""
    from centres.measures import years_with_data
    from centres.selectors import report_year_choices
    from certification.models import CertificateBatch
    from verification.models_sampling import IVPlan

    eo = cast[R.EXAMS_OFFICER]
    cohort = _cohort(own_centre, "2021/22")
    assert years_with_data([own_centre.pk]) == []
    assert report_year_choices([own_centre]) == ["2026/27"]
    Claim.objects.create(centre=own_centre, cohort=cohort, academic_year="2021/22", created_by=eo)
    IVPlan.objects.create(cohort=cohort, academic_year="2020/21", created_by=eo)
    CertificateBatch.objects.create(
        centre=own_centre, received_on=dt.date(2019, 8, 31), recorded_by=eo, how="keyed"
    )
    CertificateBatch.objects.create(
        centre=own_centre, received_on=dt.date(2027, 9, 1), recorded_by=eo, how="keyed"
    )
    assert years_with_data([own_centre.pk]) == ["2027/28", "2021/22", "2020/21", "2018/19"]
    assert report_year_choices([own_centre]) == [
        "2027/28",
        "2026/27",
        "2021/22",
        "2020/21",
        "2018/19",
    ]
    assert years_with_data([CentreFactory(number="40996").pk]) == []


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("next year", "&#x27;next year&#x27; is not an academic year: write it like 2026/27"),
        ("2025/27", "2025/27 is not an academic year: the second part follows the first"),
        ("2021/22", "There are no records for 2021/22 at the centres shown"),
        ("1999/00", "1999/00 is outside the years btecqa accepts today"),
        ("2026/27" * 50, "is not an academic year"),
    ],
)
def test_a_bad_year_is_refused_with_a_message(client, own_centre, cast, years, bad, reason):
    _registrations(own_centre, "2025/26", on_time=1, late=0, by=cast[R.EXAMS_OFFICER])
    client.force_login(cast[R.GOVERNOR])
    response = client.get(reverse("centres:summary"), {"year": bad})
    html = response.content.decode()
    assert response.status_code == 200
    assert reason in html
    assert "Report year refused" in html  # the banner, as well as beside the list
    assert "Governors' annual report, 2024/25 to 2026/27" in html  # the current year's
    assert '<option value="2026/27" selected>' in html
    # The PDF is not made for it: back to the page, which says why
    pdf = client.get(reverse("centres:summary_pdf"), {"year": bad})
    assert pdf.status_code == 302
    assert pdf["Location"].startswith(reverse("centres:summary") + "?year=")
    assert reason in client.get(pdf["Location"]).content.decode()


def test_iv_coverage_counts_sampled_decided_and_complete(own_centre, cast, years):
    from verification.models_sampling import IVPlan, IVRecord, SampleItem

    from .factories import planned_assignment, unit_with_criteria

    cohort = _cohort(own_centre, "2025/26")
    unit = unit_with_criteria(cohort.qualification, 1, ["A.P1"])
    assignment = planned_assignment(
        cohort, unit, ["A.P1"], assessor=cast[R.ASSESSOR_IV], verifier=cast[R.LEAD_IV]
    )
    plan = IVPlan.objects.create(cohort=cohort, academic_year="2025/26", created_by=cast[R.LEAD_IV])
    items = [
        SampleItem.objects.create(
            plan=plan,
            learner=LearnerFactory(centre=own_centre, last_name=SECRET),
            assignment=assignment,
            sampled_by=cast[R.LEAD_IV],
        )
        for _ in range(4)
    ]
    IVRecord.objects.create(item=items[0], verifier=cast[R.LEAD_IV], outcome="agree")
    IVRecord.objects.create(item=items[1], verifier=cast[R.LEAD_IV], outcome="disagree")
    IVRecord.objects.create(
        item=items[2],
        verifier=cast[R.LEAD_IV],
        outcome="disagree",
        closed_at=dt.datetime.now(dt.UTC),
    )
    assert _values(own_centre, "verification.iv_sampled") == [0, 4, 0]
    assert _values(own_centre, "verification.iv_decided") == [0, 3, 0]
    assert _values(own_centre, "verification.iv_complete") == [0, 2, 0]


def test_policy_reviews_done_and_done_by_their_due_date(own_centre, cast, years):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from policies import services as policy_services

    qn = cast[R.QUALITY_NOMINEE]

    def pdf():
        return SimpleUploadedFile("p.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")

    on_time = policy_services.add_policy(
        centre=own_centre,
        title="Assessment policy",
        coordinator=qn,
        sub_committee="C",
        reviewed_on=dt.date(2025, 3, 1),
        next_review=dt.date(2026, 3, 1),
        upload=pdf(),
        by=qn,
    )
    late = policy_services.add_policy(
        centre=own_centre,
        title="Malpractice policy",
        coordinator=qn,
        sub_committee="C",
        reviewed_on=dt.date(2025, 3, 1),
        next_review=dt.date(2026, 1, 1),
        upload=pdf(),
        by=qn,
    )
    policy_services.record_review(
        on_time, reviewed_on=dt.date(2026, 2, 20), next_review=dt.date(2027, 2, 20), by=qn
    )
    policy_services.record_review(
        late, reviewed_on=dt.date(2026, 2, 20), next_review=dt.date(2027, 2, 1), by=qn
    )
    assert _values(own_centre, "policies.reviews") == [0, 2, 0]
    assert _values(own_centre, "policies.reviews_on_time") == [0, 1, 0]
