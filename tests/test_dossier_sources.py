"""The dossier's own sources, each contributed by the app that owns the records (policy 004
aim 3: the audit trail from each registration and claim to the certificate, as a Pearson
standards verifier follows it for one learner): the MIS imports that made and changed the
learner, the Quality Nominee's check of the entries against the class lists, and the
certificate batch check (received, checked against the claim, differences reported to
Pearson, issued) — and all of it in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from certification import services as certs
from certification.models import (
    Certificate,
    CertificateBatch,
    CertificateException,
    CertificateIssue,
)
from claims.models_claims import Claim, ClaimLine
from learners.imports import commit_import, preview_import
from learners.models import Learner, LearnerImport, LearnerImportChange
from registrations import entry_check
from registrations.models import (
    CentreCalendar,
    Discrepancy,
    EntryCheck,
    LearnerNotice,
    RegistrationRound,
)
from tests.factories import CohortFactory, make_uln
from tests.pdf_reading import pdf_text
from tests.test_certificates import QN, batch, claim, learner, row
from tests.test_certificates import cohort as certificate_cohort  # noqa: F401
from tests.test_dossier import Journey, on, page, person, section_of, years  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def text(html: str) -> str:
    return html_lib.unescape(html)


def rows_of(section: str) -> list[str]:
    """Each table row of a section as its text."""
    import re

    return [
        " ".join(re.sub(r"<[^>]+>", " ", tr).split())
        for tr in re.findall(r"<tr>(.*?)</tr>", text(section), flags=re.S)[1:]
    ]


def csv_bytes(rows) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def imported(centre, user, data: bytes, name: str, **kw) -> LearnerImport:
    preview = preview_import(
        centre=centre, kind=kw.pop("kind", "learners"), uploaded_file=data, file_name=name,
        user=user, **kw,
    )  # fmt: skip
    assert preview.ok, [str(p) for p in preview.errors]
    commit_import(preview.import_obj, user)
    return LearnerImport.objects.get(pk=preview.import_obj.pk)


# --- 1. the MIS imports ----------------------------------------------------------------------

HEAD = ["Legal Surname", "Legal Forename", "DOB", "Gender", "Adno", "ULN", "Email"]


def test_the_mis_imports_that_created_and_changed_the_learner(client, own_centre, cast):
    eo = person(Role.EXAMS_OFFICER, own_centre, "Imogen", "Importer")
    uln = make_uln(4242)
    with on(dt.date(2026, 9, 7)):
        first = imported(
            own_centre,
            eo,
            csv_bytes([HEAD, ["Zzmis", "Dana", "01/02/2009", "F", "M1", uln, ""]]),
            "sims-september.csv",
        )
    dana = Learner.objects.get(admission_number="M1")
    with on(dt.date(2026, 9, 21)):
        second = imported(
            own_centre,
            eo,
            csv_bytes([HEAD, ["Zzmis", "Dana", "01/02/2009", "F", "M1", uln, "dana@example.org"]]),
            "sims-update.csv",
        )
        cohort = CohortFactory(centre=own_centre)
        groups = imported(
            own_centre,
            eo,
            csv_bytes([["Adno", "Surname", "Class"], ["M1", "Zzmis", "12B/Bt1"]]),
            "class-12b.csv",
            kind="class_list",
            cohort=cohort,
        )
    # previewed and never committed: it changed nothing, so it is not on the trail
    preview_import(
        centre=own_centre,
        kind="learners",
        uploaded_file=csv_bytes([HEAD, ["Zzmis", "Dana", "01/02/2009", "M", "M1", uln, ""]]),
        file_name="not-committed.csv",
        user=eo,
    )
    client.force_login(eo)
    mis = section_of(client.get(reverse("dossier:dossier", args=[dana.pk])).content.decode(), "mis")
    rows = rows_of(mis)
    assert len(rows) == 3, rows
    made, changed, grouped = rows
    assert made.startswith("07/09/2026")
    assert (
        f"MIS learners import #{first.pk} “sims-september.csv” (SHA-256 {first.file_sha256[:12]}…)"
        ": created the learner's record" in made
    )
    assert f"#{second.pk} “sims-update.csv”" in changed and "changed e-mail" in changed
    assert changed.startswith("21/09/2026")
    assert f"MIS class list import #{groups.pk} “class-12b.csv”" in grouped
    assert "added the learner to teaching group 12B/Bt1" in grouped
    assert all("Imogen Importer" in r for r in rows)
    assert "not-committed.csv" not in mis
    assert reverse("learner_imports:result", args=[first.pk]) in mis  # the officer may open it
    assert LearnerImportChange.objects.filter(learner=dana).count() == 3

    # a programme leader reads the trail, but has no import pages to open
    client.force_login(cast[Role.PROGRAMME_LEADER])
    mis = section_of(client.get(reverse("dossier:dossier", args=[dana.pk])).content.decode(), "mis")
    assert "sims-september.csv" in mis and "/learners/imports/" not in mis

    # the PDF carries the same rows
    client.force_login(eo)
    pdf = " ".join(
        pdf_text(client.get(reverse("dossier:dossier_pdf", args=[dana.pk])).content).split()
    )
    assert "MIS imports" in pdf and "sims-update.csv" in pdf and "changed e-mail" in pdf


def test_a_leaver_marked_by_an_import_is_on_their_trail(client, own_centre):
    eo = person(Role.EXAMS_OFFICER, own_centre, "Imogen", "Importer")
    both = [
        HEAD,
        ["Zzmis", "Dana", "01/02/2009", "F", "M1", make_uln(4243), ""],
        ["Zzother", "Eli", "02/03/2009", "M", "M2", make_uln(4244), ""],
    ]
    imported(own_centre, eo, csv_bytes(both), "year-12.csv")
    later = imported(own_centre, eo, csv_bytes(both[:1] + both[2:]), "year-12-spring.csv",
                     mark_leavers=True)  # fmt: skip
    dana = Learner.objects.get(admission_number="M1")
    assert not dana.on_roll
    client.force_login(eo)
    mis = text(client.get(reverse("dossier:dossier", args=[dana.pk])).content.decode())
    assert f"#{later.pk} “year-12-spring.csv”" in mis and "marked the learner as left" in mis


# --- 2. the entry check against the class lists ----------------------------------------------


def checked(j: Journey):
    """The Quality Nominee checks the round's entries: learner 0 in their group, learner 1
    taken out of it (entered, in no group): found, answered away with a note, closed."""
    j.qn = person(Role.QUALITY_NOMINEE, j.H, "Quinn", "Nominee")
    rnd = RegistrationRound.objects.get(centre=j.H, academic_year="2026/27")
    CentreCalendar.objects.create(
        centre=j.H,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    j.cohort.teaching_groups.get().learners.remove(j.learners[1])
    with on(dt.date(2026, 10, 1)):
        check = entry_check.start_entry_check(rnd, by=j.qn)
    with on(dt.date(2026, 10, 5)):
        (found,) = entry_check.run_entry_check(check, by=j.qn)
    with on(dt.date(2026, 10, 8)):
        entry_check.resolve_discrepancy(found, by=j.qn, note="Joins the group after half term")
        entry_check.close_entry_check(check, by=j.qn)
    return check, found


@pytest.fixture
def with_ulns(monkeypatch):
    """The journey's learners with ULNs, as the entry list signed them (no "no ULN")."""
    import itertools

    from tests import factories, test_dossier

    n = itertools.count(5000)
    monkeypatch.setattr(
        test_dossier,
        "LearnerFactory",
        lambda **kw: factories.LearnerFactory(uln=make_uln(next(n)), **kw),
    )


@pytest.mark.usefixtures("years", "with_ulns")
def test_the_entry_check_as_it_concerns_each_learner(client):
    j = Journey(learners=2)
    check, found = checked(j)
    assert found.learner == j.learners[1]
    title = "BTEC Dossier Studies 0"

    html = page(client, j.eo, j).content.decode()
    rows = rows_of(section_of(html, "entry-check"))
    assert rows[0].startswith("01/10/2026") and "Entry check 2026/27 started" in rows[0]
    assert "Quinn Nominee" in rows[0] and "by 23/10/2026" in rows[0]
    matched = [r for r in rows if f"Entry check 2026/27, {title}:" in r]
    assert len(matched) == 1 and "the entry matches the class lists" in matched[0]
    assert matched[0].startswith("05/10/2026") and "Quinn Nominee" in matched[0]
    assert any(r.startswith("08/10/2026") and "closed" in r and "Quinn Nominee" in r for r in rows)
    assert reverse("registrations:check_detail", args=[check.pk]) in html

    # the learner taken out of their group: the discrepancy, and how it was resolved
    client.force_login(j.eo)
    other = client.get(reverse("dossier:dossier", args=[j.learners[1].pk])).content.decode()
    rows = rows_of(section_of(other, "entry-check"))
    assert any(f"{title}: discrepancy found (below)" in r for r in rows)
    assert not any("matches the class lists" in r for r in rows)
    kind = Discrepancy.Kind(found.kind).label
    assert any(f"{title}: {kind}: " in r and "Quinn Nominee" in r for r in rows)
    assert any(r.startswith("08/10/2026") and "discrepancy resolved" in r for r in rows)
    assert reverse("registrations:discrepancy_detail", args=[found.pk]) in other

    # the delivering centre reads none of the home centre's check
    html = page(client, j.d_eo, j).content.decode()
    assert "Entry check" not in text(section_of(html, "entry-check"))


@pytest.mark.usefixtures("years")
def test_an_entry_made_after_the_check_last_ran_is_not_called_checked(client):
    j = Journey()
    rnd = RegistrationRound.objects.get(centre=j.H, academic_year="2026/27")
    qn = person(Role.QUALITY_NOMINEE, j.H, "Quinn", "Nominee")
    EntryCheck.objects.create(
        round=rnd,
        deadline=dt.date(2026, 10, 23),
        started_by=qn,
        last_run_at=timezone.make_aware(dt.datetime(2026, 9, 1, 9)),
        last_run_by=qn,
    )
    rows = rows_of(section_of(page(client, j.eo, j).content.decode(), "entry-check"))
    assert any("entered after the check last ran, so not yet checked" in r for r in rows)
    assert not any("matches" in r for r in rows)


# --- 3. the certificate batch check -------------------------------------------------------


def test_the_certificate_batch_check_for_the_learner(client, own_centre, certificate_cohort, cast):  # noqa: F811
    eo = person(Role.EXAMS_OFFICER, own_centre, "Esme", "Officer")
    witness = person(Role.PROGRAMME_LEADER, own_centre, "Pat", "Leader")
    jo = learner(own_centre, 21, last_name="Smith", first_name="Jo")
    sam = learner(own_centre, 22, last_name="Smith", first_name="Sam")
    claim(certificate_cohort, eo, [jo, sam])
    with on(dt.date(2027, 6, 1)):
        first = certs.new_batch(
            own_centre,
            received_on=dt.date(2027, 6, 1),
            by=eo,
            how=CertificateBatch.How.IMPORTED,
            file_name="pearson-june.csv",
        )
        (cert,) = certs.record_certificates(first, [row(jo, "7000001", award_grade="D")], by=eo)
        assert certs.check_missing(first, by=eo) == 1  # Sam's, claimed a month ago
    exc = CertificateException.objects.get(certificate=cert)
    with on(dt.date(2027, 6, 3)):
        certs.report_exception(exc, by=eo, reported_on=dt.date(2027, 6, 3), reference="CASE-9")
    with on(dt.date(2027, 7, 1)):
        amended = batch(own_centre, eo, on=dt.date(2027, 7, 1))
        (new,) = certs.record_certificates(amended, [row(jo, "7000002", award_grade="M")], by=eo)
        certs.issue_certificate(
            new,
            by=eo,
            how="collected",
            issued_on=dt.date(2027, 7, 1),
            signed_name="Jo Smith",
            witnessed_by=witness,
        )
    client.force_login(eo)
    rows = rows_of(
        section_of(
            client.get(reverse("dossier:dossier", args=[jo.pk])).content.decode(), "certificates"
        )
    )
    joined = "\n".join(rows)
    title = f"the final (full award) claim for {certificate_cohort.qualification.title} 2026/27"
    assert (
        "Certificate 7000001 received (601/7159/5, award D) in the delivery of 01/06/2027 "
        "(file “pearson-june.csv”)" in joined
    )
    assert f"Certificate 7000001 checked against {title} (version 1): 1 difference found" in joined
    assert f"Certificate 7000002 checked against {title} (version 1): it matches the claim" in (
        joined
    )
    assert (
        "Submitted claims checked for certificates still missing after the delivery of "
        "01/06/2027 (file “pearson-june.csv”): none of this learner's missing" in joined
    )
    assert "Difference found (award grade differs): Certificate 7000001" in joined
    assert "Reported to Pearson, case CASE-9" in joined
    assert "Resolved by the amended certificate 7000002" in joined
    assert "Certificate 7000002 issued: collected, signed Jo Smith, witnessed by Pat Leader" in (
        joined
    )
    assert all("Esme Officer" in r for r in rows if "checked" in r)

    # Sam: no certificate came; the delivery's check found it missing
    rows = rows_of(
        section_of(
            client.get(reverse("dossier:dossier", args=[sam.pk])).content.decode(), "certificates"
        )
    )
    joined = "\n".join(rows)
    assert (
        "the delivery of 01/06/2027 (file “pearson-june.csv”): 1 certificate of this "
        "learner's missing" in joined
    )
    assert "Difference found (certificate missing): No certificate for Smith, Sam" in joined


def test_a_certificate_nobody_claimed_says_so(client, own_centre, certificate_cohort):  # noqa: F811
    eo = person(Role.EXAMS_OFFICER, own_centre, "Esme", "Officer")
    jo = learner(own_centre, 31, last_name="Smith", first_name="Jo")
    certs.record_certificates(batch(own_centre, eo), [row(jo, "7100001")], by=eo)
    client.force_login(eo)
    section = text(
        section_of(
            client.get(reverse("dossier:dossier", args=[jo.pk])).content.decode(), "certificates"
        )
    )
    assert (
        "Certificate 7100001 checked against the submitted claims: no claim line for it" in section
    )
    assert "Difference found (certificate nobody claimed)" in section


# --- a fixed number of queries, whatever the number of rows -----------------------------------


def sources(j: Journey, k: int) -> None:
    """k of each new kind of row for the journey's learner, written with the models."""
    now = timezone.now()
    lr = j.learner
    qn = person(Role.QUALITY_NOMINEE, j.H, "Quinn", "Nominee")
    rnd = RegistrationRound.objects.get(centre=j.H, academic_year="2026/27")
    check = EntryCheck.objects.create(
        round=rnd,
        deadline=dt.date(2026, 10, 23),
        started_by=qn,
        last_run_at=now,
        last_run_by=qn,
        closed_at=now,
        closed_by=qn,
    )
    c = Claim.objects.create(
        centre=j.H,
        cohort=j.cohort,
        academic_year="2026/27",
        kind=Claim.Kind.FINAL,
        status=Claim.Status.SUBMITTED,
        created_by=j.eo,
        submitted_on=dt.date(2027, 5, 1),
    )
    line = ClaimLine.objects.create(
        claim=c,
        learner=lr,
        qualification=j.cohort.qualification,
        last_name=lr.last_name,
        first_name=lr.first_name,
    )
    for i in range(k):
        imp = LearnerImport.objects.create(
            centre=j.H,
            kind=LearnerImport.Kind.LEARNERS,
            file_name=f"mis-{i}.csv",
            file_sha256=f"{i:064d}",
            uploaded_by=j.eo,
            status=LearnerImport.Status.COMMITTED,
            committed_at=now,
        )
        LearnerImportChange.objects.create(
            learner_import=imp, learner=lr, action="updated", fields=["email"], by=j.eo
        )
        Discrepancy.objects.create(
            entry_check=check,
            kind=Discrepancy.Kind.OTHER,
            learner=lr,
            cohort=j.cohort,
            detail=f"Query {i}",
            status=Discrepancy.Status.RESOLVED,
            found_by=qn,
            answer="Fine",
            answered_by=j.pl,
            answered_at=now,
            resolved_by=qn,
            resolved_at=now,
        )
        b = CertificateBatch.objects.create(
            centre=j.H,
            received_on=dt.date(2027, 6, 1 + i),
            recorded_by=j.eo,
            how="keyed",
            checked_at=now,
            checked_by=j.eo,
        )
        cert = Certificate.objects.create(
            batch=b,
            learner=lr,
            claim_line=line,
            qualification=j.cohort.qualification,
            certificate_number=f"80000{i}",
            qualification_number=QN,
            received_on=b.received_on,
        )
        CertificateIssue.objects.create(
            certificate=cert,
            how="collected",
            issued_on=b.received_on,
            signed_name="Dana",
            witnessed_by=j.pl,
            recorded_by=j.eo,
        )
        CertificateException.objects.create(
            batch=b,
            certificate=cert,
            learner=lr,
            kind="grade",
            description=f"Grade {i}",
            reported_on=b.received_on,
            reported_by=j.eo,
            pearson_reference=f"C{i}",
            resolved_by=cert,
            resolved_on=b.received_on,
        )
        LearnerNotice.objects.create(
            learner=lr,
            round=rnd,
            method=LearnerNotice.Method.LETTER,
            sent_by=j.eo,
            content_sha256=f"{i:064d}",
            batch=f"b{i}",
        )


@pytest.mark.parametrize("name", ["dossier:dossier", "dossier:dossier_pdf"])
@pytest.mark.usefixtures("years")
def test_the_new_rows_keep_a_fixed_number_of_queries(client, name):
    counts = []
    for n, k in enumerate((1, 4)):
        j = Journey(n=n)
        sources(j, k)
        client.force_login(j.eo)
        first = client.get(j.url(name))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(j.url(name))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        shown = pdf_text(response.content) if name.endswith("pdf") else text(first.content.decode())
        shown = " ".join(shown.split())
        for i in range(k):  # every row of every new source is there
            for phrase in (
                f"“mis-{i}.csv”",
                f"Query {i}",
                f"Certificate 80000{i} checked against",
                f"Grade {i}",
                f"case C{i}",
                f"letters batch b{i}",
            ):
                assert phrase in shown, (k, phrase)
        client.logout()
    assert counts[0] == counts[1], counts
