"""Certificates received from Pearson: checked against the submitted claims, differences
reported and resolved by the amended certificate, issued, and unclaimed ones held then
destroyed (004-cert-5, 004-cert-6, 004-duty-7)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from certification import services, services_import
from certification.models import Certificate, CertificateBatch, CertificateException
from certification.selectors import certificates_arrived
from claims.models import Claim, ClaimLine, ClaimUnit
from documents.xlsx import xlsx_bytes
from qualifications.models import Unit
from tests.factories import CohortFactory, LearnerFactory, QualificationFactory, make_uln
from todos.models import ToDo

pytestmark = pytest.mark.django_db
K = CertificateException.Kind
QN = "601/7159/5"


@pytest.fixture
def cohort(own_centre):
    q = QualificationFactory(number=QN)
    for n in ("1", "2", "3"):
        Unit.objects.create(
            qualification=q, number=n, title=f"Unit {n}", glh=60, assessment="internal"
        )
    return CohortFactory(centre=own_centre, qualification=q)


def claim(cohort, by, learners, *, status=Claim.Status.SUBMITTED, grade="M", units=None):
    """A submitted final claim of these learners, made with the models (the claim workflow
    is another helper's)."""
    c = Claim.objects.create(
        centre=cohort.centre,
        cohort=cohort,
        academic_year="2026/27",
        kind=Claim.Kind.FINAL,
        status=status,
        created_by=by,
        submitted_on=dt.date(2027, 5, 1),
        submitted_by=by,
        pearson_reference="CLM1",
    )
    units = units or [("1", "M"), ("2", "M"), ("3", "P")]
    by_number = {u.number: u for u in cohort.qualification.units.all()}
    for learner in learners:
        line = ClaimLine.objects.create(
            claim=c,
            learner=learner,
            qualification=cohort.qualification,
            uln=learner.uln,
            last_name=learner.last_name,
            first_name=learner.first_name,
            date_of_birth=learner.date_of_birth,
            registration_number=f"RN{learner.pk}",
            award_grade=grade,
        )
        for n, g in units:
            ClaimUnit.objects.create(line=line, unit=by_number[n], grade=g)
    return c


def learner(centre, n, **kw):
    return LearnerFactory(centre=centre, uln=make_uln(n), **kw)


def row(lr, number, **kw):
    r = {
        "certificate_number": number,
        "uln": lr.uln,
        "registration_number": "",
        "surname": lr.last_name.upper(),
        "forenames": lr.first_name.upper(),
        "date_of_birth": lr.date_of_birth,
        "qualification_number": QN,
        "award_grade": "M",
        "units": [["1", "M"], ["2", "M"], ["3", "P"]],
    }
    r.update(kw)
    return r


def batch(centre, by, on=dt.date(2027, 6, 1)):
    return services.new_batch(centre, received_on=on, by=by, how=CertificateBatch.How.KEYED)


@pytest.fixture
def eo(exams_officer):
    return exams_officer


def test_a_matching_certificate_has_no_difference_even_with_accents(own_centre, cohort, eo):
    zoe = learner(own_centre, 1, first_name="Zoë", last_name="O’Neill")
    claim(cohort, eo, [zoe])
    b = batch(own_centre, eo)
    (cert,) = services.record_certificates(
        b, [row(zoe, "1000001", surname="O'NEILL", forenames="ZOE")], by=eo
    )
    assert cert.learner == zoe and cert.claim_line is not None
    assert not b.exceptions.exists()


def test_each_kind_of_difference_in_the_officers_words(own_centre, cohort, eo):
    a, b_, c, d = (
        learner(own_centre, n, last_name="Smith", first_name=f"Jo{n}") for n in range(2, 6)
    )
    claim(cohort, eo, [a, b_, c, d])
    stranger = learner(own_centre, 9)
    b = batch(own_centre, eo)
    services.record_certificates(
        b,
        [
            row(a, "1234567", award_grade="D"),
            row(b_, "1234568", surname="SMYTH"),
            row(c, "1234569", date_of_birth=dt.date(2009, 5, 18)),
            row(d, "1234570", units=[["1", "D"], ["2", "M"], ["4", "P"]]),
            row(stranger, "1234571"),
        ],
        by=eo,
    )
    found = {e.kind: e.description for e in b.exceptions.all()}
    assert (
        found[K.GRADE]
        == "Certificate 1234567 for SMITH, JO2: award grade D on the certificate, claimed M"
    )
    assert "name SMYTH, JO3 on the certificate, claimed Smith, Jo3" in found[K.NAME]
    assert (
        "date of birth 18/05/2009 on the certificate, claimed 17/05/2009" in found[K.DATE_OF_BIRTH]
    )
    assert found[K.UNITS].endswith(
        "unit 1 grade D on the certificate, claimed M; unit 3 claimed (P), not on the "
        "certificate; unit 4 on the certificate (P), not claimed"
    )
    assert "nobody claimed qualification 601/7159/5" in found[K.UNCLAIMED]
    # one to-do per open difference, for the exams officer
    assert (
        ToDo.objects.filter(kind="certification.report_exception", closed_at__isnull=True).count()
        == 5
    )


def test_a_superseded_claim_is_not_what_the_certificate_answers(own_centre, cohort, eo):
    jo = learner(own_centre, 10)
    claim(cohort, eo, [jo], status=Claim.Status.SUPERSEDED, grade="D")
    b = batch(own_centre, eo)
    services.record_certificates(b, [row(jo, "2000001", award_grade="D")], by=eo)
    assert [e.kind for e in b.exceptions.all()] == [K.UNCLAIMED]


def test_missing_certificate_after_the_batch_then_resolved_by_its_arrival(own_centre, cohort, eo):
    a, m = learner(own_centre, 11), learner(own_centre, 12, last_name="Missing")
    claim(cohort, eo, [a, m])
    b = batch(own_centre, eo)
    services.record_certificates(b, [row(a, "3000001")], by=eo)
    assert services.check_missing(b, by=eo) == 1
    exc = b.exceptions.get()
    assert exc.kind == K.MISSING and exc.description.startswith(
        f"No certificate for Missing, {m.first_name}"
    )
    assert services.check_missing(b, by=eo) == 0  # told once
    later = batch(own_centre, eo, dt.date(2027, 6, 20))
    services.record_certificates(later, [row(m, "3000002")], by=eo)
    exc.refresh_from_db()
    assert exc.status == "resolved" and exc.resolved_by.certificate_number == "3000002"


def test_reported_to_pearson_then_resolved_by_the_amended_certificate(own_centre, cohort, eo):
    jo = learner(own_centre, 13, last_name="Smith", first_name="Jo")
    claim(cohort, eo, [jo])
    first = batch(own_centre, eo)
    services.record_certificates(first, [row(jo, "4000001", award_grade="D")], by=eo)
    exc = first.exceptions.get()
    with time_machine.travel(dt.datetime(2027, 6, 3, 10)):
        services.report_exception(exc, by=eo, reported_on=dt.date(2027, 6, 2), reference="CAS-123")
        exc.refresh_from_db()
        assert (exc.status, exc.pearson_reference) == ("reported", "CAS-123")
        with pytest.raises(ValidationError, match="reported to Pearson already"):
            services.report_exception(
                exc, by=eo, reported_on=dt.date(2027, 6, 2), reference="CAS-9"
            )
    todo = ToDo.objects.get(kind="certification.report_exception")
    assert todo.closed_at is None
    amended = batch(own_centre, eo, dt.date(2027, 7, 1))
    services.record_certificates(amended, [row(jo, "4000002")], by=eo)
    exc.refresh_from_db()
    todo.refresh_from_db()
    assert exc.status == "resolved" and exc.resolved_by.certificate_number == "4000002"
    assert todo.closed_at is not None
    assert not amended.exceptions.exists()
    assert certificates_arrived([jo.pk, 999999]) == {jo.pk: dt.date(2027, 7, 1)}


def test_issue_on_collection_once_on_the_learners_trail(own_centre, cohort, eo, cast):
    jo = learner(own_centre, 14, last_name="Smith", first_name="Jo")
    claim(cohort, eo, [jo])
    (cert,) = services.record_certificates(batch(own_centre, eo), [row(jo, "5000001")], by=eo)
    with time_machine.travel(dt.datetime(2027, 6, 10, 10)):
        with pytest.raises(ValidationError) as refused:
            services.issue_certificate(
                cert,
                by=eo,
                how="collected",
                issued_on=dt.date(2027, 6, 10),
                signed_name="Someone Else",
                witnessed_by=eo,
            )
        assert "signed_name" in refused.value.message_dict
        services.issue_certificate(
            cert,
            by=eo,
            how="collected",
            issued_on=dt.date(2027, 6, 10),
            signed_name="Jo Smith",
            witnessed_by=cast[Role.PROGRAMME_LEADER],
        )
        cert.refresh_from_db()
        assert cert.status == "issued" and cert.issue.signed_name == "Jo Smith"
        with pytest.raises(ValidationError, match="cannot be issued again"):
            services.issue_certificate(
                cert, by=eo, how="posted", issued_on=dt.date(2027, 6, 10), address_line="1 High St"
            )
    assert AuditEvent.objects.filter(
        action="certification.certificate.issued", learner_id=jo.pk
    ).exists()


@pytest.mark.parametrize("months,years", [(12, 4), (6, 1)])
def test_unclaimed_held_then_destroyed_then_log_details_removed(
    own_centre, cohort, eo, settings, months, years
):
    settings.BTECQA_CERTIFICATE_HOLD_MONTHS = months
    settings.BTECQA_CERTIFICATE_LOG_YEARS = years
    jo = learner(own_centre, 15, last_name="Smith", first_name="Jo")
    claim(cohort, eo, [jo])
    received = dt.date(2027, 6, 1)
    (cert,) = services.record_certificates(
        batch(own_centre, eo, received), [row(jo, "6000001")], by=eo
    )
    due = (
        received.replace(year=2027 + (months // 12), month=6 + months % 12)
        if months % 12 == 0
        else dt.date(2027, 12, 1)
    )
    day_before = due - dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(day_before, dt.time(7))):
        services.retention_sweep()
        assert not ToDo.objects.filter(kind="certification.destroy_unclaimed").exists()
        with pytest.raises(ValidationError, match="held until"):
            services.destroy_certificates([cert], by=eo, destroyed_on=day_before, how="shredded")
    with time_machine.travel(dt.datetime.combine(due, dt.time(7))):
        from certification.tasks import certificate_retention

        certificate_retention.delay()
        todo = ToDo.objects.get(kind="certification.destroy_unclaimed")
        services.destroy_certificates([cert], by=eo, destroyed_on=due, how="cross-cut shredded")
        todo.refresh_from_db()
        assert todo.closed_at is not None
    cert.refresh_from_db()
    assert (cert.status, cert.destroyed_by, cert.surname) == ("destroyed", eo, "SMITH")
    removal = due.replace(year=due.year + years)
    with time_machine.travel(dt.datetime.combine(removal - dt.timedelta(days=1), dt.time(7))):
        assert services.retention_sweep()["details_removed"] == 0
    with time_machine.travel(dt.datetime.combine(removal, dt.time(7))):
        assert services.retention_sweep()["details_removed"] == 1
    cert.refresh_from_db()
    assert (cert.certificate_number, cert.received_on, cert.destroyed_on) == (
        "6000001",
        received,
        due,
    )
    assert (cert.surname, cert.uln, cert.date_of_birth, cert.learner) == ("", "", None, None)


def _xlsx(rows):
    head = [
        "Certificate number",
        "ULN",
        "Surname",
        "Forenames",
        "Date of birth",
        "Qualification number",
        "Award grade",
        "Units",
    ]
    return xlsx_bytes([("Certificates", [head, *rows])]) if False else _sheet([head, *rows])


def _sheet(rows):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_bad_rows_named_and_nothing_half_written(own_centre, cohort, eo, tmp_path):
    jo = learner(own_centre, 16)
    claim(cohort, eo, [jo])
    data = _sheet(
        [
            [
                "Certificate number",
                "ULN",
                "Surname",
                "Forenames",
                "Date of birth",
                "Qualification number",
                "Award grade",
                "Units",
            ],
            [
                "7000001",
                jo.uln,
                "EXAMPLE",
                jo.first_name.upper(),
                "17/05/2009",
                QN,
                "M",
                "1 M; 2 M; 3 P",
            ],
            ["7000001", jo.uln, "EXAMPLE", "X", "17/05/2009", QN, "M", "1 M"],
            ["7000003", "123", "EXAMPLE", "X", "17/05/2009", "60171", "M", "1 M; two"],
        ]
    )
    preview = services_import.read_certificates_file(data, own_centre, file_name="c.xlsx")
    said = [str(p) for p in preview.problems]
    assert any(
        s.startswith("row 3, column Certificate number: certificate 7000001 is also on row 2")
        for s in said
    )
    assert any(s.startswith("row 4, column ULN") for s in said)
    assert any(s.startswith("row 4, column Qualification number") for s in said)
    assert any("row 4, column Units" in s and "cannot read the unit" in s for s in said)
    path = tmp_path / "c.xlsx"
    path.write_bytes(data)
    with pytest.raises(SystemExit):
        call_command(
            "import_certificates",
            str(path),
            "--centre",
            own_centre.number,
            "--commit",
            "--user",
            eo.username,
        )
    assert not Certificate.objects.exists() and not CertificateBatch.objects.exists()


def test_import_page_preview_then_confirm_once(client, own_centre, cohort, eo):
    jo = learner(own_centre, 17)
    claim(cohort, eo, [jo])
    data = _sheet(
        [
            [
                "Certificate number",
                "ULN",
                "Surname",
                "Forenames",
                "Date of birth",
                "Qualification number",
                "Award grade",
                "Units",
            ],
            [
                "8000001",
                jo.uln,
                "EXAMPLE",
                jo.first_name.upper(),
                "17/05/2009",
                QN,
                "D",
                "1 M; 2 M; 3 P",
            ],
        ]
    )
    with time_machine.travel(dt.datetime(2027, 6, 2, 10), tick=True):
        client.force_login(eo)
        r = client.post(
            reverse("certification:import"),
            {
                "centre": own_centre.pk,
                "received_on": "2027-06-01",
                "file": SimpleUploadedFile("c.xlsx", data),
            },
        )
        assert r.status_code == 200 and b"Confirm the import" in r.content
        record = r.context["record"]
        r = client.post(reverse("certification:import_confirm", args=[record.pk]))
        assert r.status_code == 302
        client.post(reverse("certification:import_confirm", args=[record.pk]))
        assert Certificate.objects.count() == 1
        b = CertificateBatch.objects.get()
        page = client.get(reverse("certification:batch", args=[b.pk]))
    assert "award grade D on the certificate, claimed M" in page.content.decode()


def test_keyed_entry_names_the_field(client, own_centre, cohort, eo):
    b = batch(own_centre, eo)
    client.force_login(eo)
    r = client.post(
        reverse("certification:batch_add", args=[b.pk]),
        {"certificate_number": "9000001", "surname": "SMITH", "qualification_number": "12"},
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert (
        "qualification_number" in errors
        and "12 is not a qualification number" in errors["qualification_number"][0]
    )
    assert not Certificate.objects.exists()


def test_keyed_entry_refuses_a_grade_no_certificate_gives(client, own_centre, cohort, eo):
    b = batch(own_centre, eo)
    client.force_login(eo)
    r = client.post(
        reverse("certification:batch_add", args=[b.pk]),
        {
            "certificate_number": "9000002",
            "uln": make_uln(16),
            "surname": "SMITH",
            "qualification_number": QN,
            "award_grade": "N",
            "units": "1 M; 1 D",
        },
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert errors["award_grade"] == [
        "N is not an award grade (P to D*D*D* for a National, L1P to L2D* for a Tech Award or "
        "First)."
    ]
    assert errors["units"] == ["Unit 1 is listed twice."]
    assert not Certificate.objects.exists()


def test_batch_page_queries_fixed_at_two_sizes(
    client, own_centre, cohort, eo, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(eo)
    counts = []
    for size, start in ((2, 100), (12, 200)):
        people = [learner(own_centre, start + i) for i in range(size)]
        claim(cohort, eo, people, grade="M") if size == 2 else None
        b = batch(own_centre, eo)
        services.record_certificates(
            b, [row(p, f"{start}{i:04d}", award_grade="D") for i, p in enumerate(people)], by=eo
        )
        client.get(reverse("certification:batch", args=[b.pk]))
        with CaptureQueriesContext(connection) as q:
            assert client.get(reverse("certification:batch", args=[b.pk])).status_code == 200
        counts.append(len(q))
    assert counts[0] == counts[1]


def test_the_learners_dossier_shows_the_certificate_its_difference_and_its_issue(
    client, own_centre, cohort, eo, cast
):
    """Policy 004 aim 3: the dossier follows the record to the certificate."""
    jo = learner(own_centre, 21, last_name="Smith", first_name="Jo")
    claim(cohort, eo, [jo])
    (cert,) = services.record_certificates(
        batch(own_centre, eo), [row(jo, "7000001", award_grade="D")], by=eo
    )
    with time_machine.travel(dt.datetime(2027, 6, 10, 10)):
        services.issue_certificate(
            cert, by=eo, how="posted", issued_on=dt.date(2027, 6, 10), address_line="1 High St"
        )
    client.force_login(eo)
    page = client.get(reverse("dossier:dossier", args=[jo.pk])).content.decode()
    assert "Certificate 7000001 received" in page
    assert "Difference found (award grade differs):" in page
    assert "award grade D on the certificate" in page
    assert "Certificate 7000001 issued: posted" in page


def test_recording_runs_the_same_queries_whatever_the_number_of_certificates(
    own_centre, cohort, eo
):
    """Matching reads the claim lines (with their learners and units) once: a batch of 8
    runs no more queries than a batch of 2, and each certificate is on its learner's trail."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = [learner(own_centre, 100 + n) for n in range(10)]
    claim(cohort, eo, people)
    counts = []
    for start, size in ((0, 2), (2, 8)):
        b = batch(own_centre, eo)
        rows = [row(lr, f"Q{start + i:06d}") for i, lr in enumerate(people[start : start + size])]
        with CaptureQueriesContext(connection) as q:
            certs = services.record_certificates(b, rows, by=eo)
        counts.append(len(q.captured_queries))
        assert not b.exceptions.exists()
        for cert in certs:
            assert cert.learner_id and cert.claim_line_id
            assert AuditEvent.objects.filter(
                action="certification.certificate.received",
                learner_id=cert.learner_id,
                object_id=str(cert.pk),
            ).exists()
    assert counts[1] == counts[0], counts
