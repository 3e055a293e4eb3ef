"""The certification commands as a new user meets them (issue 13): `import_results`,
`import_certificates` and `claim_readiness` on bad input. Each bad file in
tests/data/bad_results/ and tests/data/bad_certificates/ (written by
tests/data/build_certification_corpus.py) gives a message naming the row, the column and
the reason, exits 1 and writes nothing, even with --commit; the odd but good files in
good_results/ and good_certificates/ (a BOM, blank rows in a workbook, a Near Pass as
Pearson gives it) import.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from certification.models import Certificate, CertificateBatch, CertificateException
from claims.models import ExternalResult
from qualifications.models import Qualification, Unit
from tests.data.build_certification_corpus import NATIONAL, TECH_AWARD, uln
from tests.factories import CohortFactory, LearnerFactory, QualificationFactory, register_on

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def world(own_centre, exams_officer):
    return make_world(own_centre, exams_officer)


def make_world(own_centre, exams_officer):
    """A National (internal unit 1, external units 2 and 3) with two learners and a Tech
    Award (external component 3) with one, at the tests' own centre 40001."""
    national = QualificationFactory(number=NATIONAL)
    tech = QualificationFactory(
        number=TECH_AWARD, grading_scheme=Qualification.GradingScheme.TECH_AWARD, level="1/2"
    )
    for number, kind in (("1", "internal"), ("2", "external"), ("3", "external")):
        Unit.objects.create(
            qualification=national, number=number, title=f"Unit {number}", glh=90,
            assessment=kind,
        )  # fmt: skip
    Unit.objects.create(
        qualification=tech, number="3", title="Component 3", glh=48, assessment="external"
    )
    on_national = CohortFactory(centre=own_centre, qualification=national)
    on_tech = CohortFactory(centre=own_centre, qualification=tech)
    for n, first, last, cohort in (
        (1, "Amara", "Okafor", on_national),
        (2, "Ben", "O'Neill", on_national),
        (3, "Tomo", "Tanaka", on_tech),
    ):
        learner = LearnerFactory(centre=own_centre, first_name=first, last_name=last, uln=uln(n))
        register_on(cohort, learner)
    return own_centre, exams_officer


def run(command, *args):
    out = StringIO()
    code = 0
    try:
        call_command(command, *map(str, args), stdout=out, stderr=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def nothing_written():
    return not (
        ExternalResult.objects.exists()
        or Certificate.objects.exists()
        or CertificateBatch.objects.exists()
        or AuditEvent.objects.filter(
            action__in=["claims.external_result.imported", "certification.certificate.recorded"]
        ).exists()
    )


def commit(command, folder, name, centre, eo, *extra):
    return run(
        command, DATA / folder / name, "--centre", centre.number, "--commit",
        "--user", eo.username, *extra,
    )  # fmt: skip


NOT_RESULTS_GRADE = "is not a unit grade Pearson gives (U, N or Near Pass, P, M, D; L1P to L2D*"
BAD_RESULTS = {
    "empty.csv": ["the file is empty"],
    "header_only.csv": ["row 1: the results file is empty: there are no rows below the headings"],
    "missing_columns.csv": [
        "row 1: missing required columns: series (e.g. “Series”); grade (e.g. “Unit grade”). "
        "Headings found: ULN, Surname, Unit"
    ],
    "bad_grade.csv": [f"row 2, column Grade: unknown grade code: Dist {NOT_RESULTS_GRADE}"],
    "bom_bad_grade.csv": [f"row 2, column Grade: unknown grade code: X {NOT_RESULTS_GRADE}"],
    "grade_of_another_scheme.csv": [
        "row 2, column Grade: wrong grade for the qualification: L2D is not a grade of unit 2 "
        f"of {NATIONAL} (its grades: U, N or Near Pass, P, M, D)",
        "row 3, column Grade: wrong grade for the qualification: D is not a grade of unit 3 of "
        f"{TECH_AWARD} (its grades: U, L1P to L2D)",
        "row 4, column Grade: wrong grade for the qualification: Near Pass is not a grade of "
        f"unit 3 of {TECH_AWARD}",
    ],
    "duplicate_row.csv": [
        # "may/jun 2027" is the configured May/June 2027
        "row 3, column Unit: duplicate row: Okafor, Amara's unit 2 in May/June 2027 is also on "
        "row 2"
    ],
    "uln_not_on_roll.csv": [
        f"row 2, column ULN: unknown learner: no learner at centre 40001 has ULN {uln(9)}"
    ],
    "bad_uln.csv": ["row 2, column ULN: ULN 1234567890: the check digit should be 9, not 0"],
    "internal_unit.csv": [
        f"row 2, column Unit: unit not external: unit 1 of {NATIONAL} is internally assessed"
    ],
    "series_without_year.csv": [
        "row 2, column Series: Summer is not an exam series: give the month and the year"
    ],
    "bad_points_and_mark.csv": [
        "row 2, column Points: abc is not a number of points (a whole number, 0 to 1000)",
        "row 2, column Mark: -3 is not a raw mark (a whole number, 0 to 1000)",
    ],
    # the row as Excel numbers it, blank rows counted
    "blank_rows_bad.xlsx": [f"row 7, column Grade: unknown grade code: Q {NOT_RESULTS_GRADE}"],
    "a_pdf.pdf": ["this is not a CSV or XLSX file (it looks like a PDF document)"],
    # what the file is, never what it is called
    "a_pdf_called.csv": ["this is not a CSV or XLSX file (it looks like a PDF document)"],
    "a_document.docx": ["this is not a CSV or XLSX file (it is a zip archive but not an Excel"],
}


def test_every_bad_results_file_is_in_the_table():
    assert sorted(p.name for p in (DATA / "bad_results").iterdir()) == sorted(BAD_RESULTS)


@pytest.mark.parametrize("name", sorted(BAD_RESULTS))
def test_a_bad_results_file_names_row_field_and_reason_and_writes_nothing(world, name):
    centre, eo = world
    code, out = commit("import_results", "bad_results", name, centre, eo)
    assert code == 1
    for said in BAD_RESULTS[name]:
        assert said in out
    lines = out.strip().splitlines()
    assert lines[-1].endswith(f"{len(BAD_RESULTS[name])} problem(s): nothing was written.")
    assert nothing_written()


NOT_AWARD = "is not an award grade (P to D*D*D* for a National, L1P to L2D* for a Tech Award"
BAD_CERTIFICATES = {
    "empty.csv": ["the file is empty"],
    "header_only.csv": [
        "row 1: the certificates file is empty: there are no rows below the headings"
    ],
    "missing_columns.csv": [
        "row 1: missing required columns: qualification number (e.g. “Qualification number”); "
        "a learner identifier (ULN or Registration number)"
    ],
    "bad_dates.csv": [
        "row 2, column Date of birth: 2009-13-45 is not a real date",
        "row 3, column Date of birth: 17/05/09: write the year in full (dd/mm/yyyy)",
        "row 4, column Date of birth: 31/02/2009 is not a real date",
        "row 5, column Date of birth: 17th May 2009 is not a date: use dd/mm/yyyy",
    ],
    "bad_award_grade.csv": [
        f"row 2, column Award grade: Q {NOT_AWARD}",
        f"row 3, column Award grade: N {NOT_AWARD}",  # a Near Pass is a unit grade only
    ],
    "bom_bad_grade.csv": [f"row 2, column Award grade: Q {NOT_AWARD}"],
    "bad_unit_grade.csv": ["row 2, column Units: unit 2: X is not a unit grade"],
    "unit_listed_twice.csv": ["row 2, column Units: unit 1 is listed twice"],
    "unreadable_units.csv": ["row 2, column Units: cannot read the unit 'two'"],
    "no_learner_identifier.csv": [
        "row 2, column ULN: no learner identifier: give the ULN or the registration number"
    ],
    "no_grade.csv": [
        "row 2, column Award grade: no grade: a certificate gives its award grade or its units"
    ],
    "duplicate_row.csv": ["row 3, column Certificate number: certificate C171 is also on row 2"],
    "bad_uln.csv": ["row 2, column ULN: ULN 1234567890: the check digit should be 9, not 0"],
    "bad_qualification.csv": [
        "row 2, column Qualification number: 60171 is not a qualification number"
    ],
    "blank_rows_bad.xlsx": ["row 6, column Date of birth: 31/02/2009 is not a real date"],
    "a_pdf.pdf": ["this is not a CSV or XLSX file (it looks like a PDF document)"],
}


def test_every_bad_certificates_file_is_in_the_table():
    assert sorted(p.name for p in (DATA / "bad_certificates").iterdir()) == sorted(BAD_CERTIFICATES)


@pytest.mark.parametrize("name", sorted(BAD_CERTIFICATES))
def test_a_bad_certificates_file_names_row_field_and_reason_and_writes_nothing(world, name):
    centre, eo = world
    code, out = commit("import_certificates", "bad_certificates", name, centre, eo)
    assert code == 1
    for said in BAD_CERTIFICATES[name]:
        assert said in out
    lines = out.strip().splitlines()
    assert lines[-1].endswith(f"{len(BAD_CERTIFICATES[name])} problem(s): nothing was written.")
    assert nothing_written()


def test_a_certificate_number_recorded_already_is_refused_on_its_row(world):
    centre, eo = world
    assert commit("import_certificates", "good_certificates", "bom.csv", centre, eo)[0] == 0
    code, out = commit("import_certificates", "good_certificates", "bom.csv", centre, eo)
    assert code == 1
    assert (
        "row 2, column Certificate number: certificate C301 is recorded already at centre 40001"
        in out
    )
    assert Certificate.objects.count() == 1 and CertificateBatch.objects.count() == 1


# --- odd but good files import -------------------------------------------------------------


def test_a_bom_and_blank_rows_in_a_workbook_import_results(world):
    centre, eo = world
    code, out = commit("import_results", "good_results", "bom.csv", centre, eo)
    assert code == 0, out
    code, out = commit("import_results", "good_results", "blank_rows.xlsx", centre, eo)
    assert code == 0, out
    assert "2 row(s) read: 1 result(s) new or changed, 1 unchanged" in out  # Amara's again
    got = sorted(ExternalResult.objects.values_list("learner__uln", "unit__number", "grade"))
    assert got == [(uln(1), "2", "D"), (uln(2), "3", "M")]


def test_a_near_pass_is_kept_the_way_pearsons_file_gives_it(world):
    centre, eo = world
    code, out = commit("import_results", "good_results", "near_pass.csv", centre, eo)
    assert code == 0, out
    got = {r.learner.uln: (r.grade, r.grade_code) for r in ExternalResult.objects.all()}
    assert got == {uln(1): ("N", "N"), uln(2): ("Near Pass", "N")}


def test_a_bom_and_blank_rows_in_a_workbook_import_certificates(world):
    centre, eo = world
    for name in ("bom.csv", "blank_rows.xlsx"):
        code, out = commit("import_certificates", "good_certificates", name, centre, eo)
        assert code == 0, out
    assert sorted(Certificate.objects.values_list("certificate_number", flat=True)) == [
        "C301", "C311", "C312"
    ]  # fmt: skip


def test_a_certificate_for_a_uln_not_on_the_roll_is_recorded_as_nobody_claimed_it(world):
    """Pearson sent it: it is kept and reported, not refused (004-cert-6)."""
    centre, eo = world
    code, out = commit(
        "import_certificates", "good_certificates", "uln_not_on_roll.csv", centre, eo
    )
    assert code == 0 and "1 difference(s) found" in out
    found = CertificateException.objects.get()
    assert found.kind == CertificateException.Kind.UNCLAIMED
    assert uln(9) in str(found)


# --- the commands themselves ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["import_results", "import_certificates"])
def test_a_file_that_does_not_exist_or_a_wrong_centre_is_named(world, command, tmp_path):
    centre, eo = world
    with pytest.raises(CommandError, match=r"Cannot read .*nothere.csv: .*No such file"):
        run(command, tmp_path / "nothere.csv", "--centre", centre.number)
    with pytest.raises(CommandError, match="No centre number 99999."):
        run(command, DATA / "good_results" / "bom.csv", "--centre", "99999")
    assert nothing_written()


def test_a_received_date_after_today_or_wrongly_written_is_refused(world):
    centre, eo = world
    path = DATA / "good_certificates" / "bom.csv"
    with pytest.raises(CommandError, match="--received 2027-06-01: give a date as DD/MM/YYYY"):
        run("import_certificates", path, "--centre", centre.number, "--received", "2027-06-01")
    with pytest.raises(CommandError, match="cannot be received after today"):
        run("import_certificates", path, "--centre", centre.number, "--received", "01/01/2999")
    assert nothing_written()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--centre", "99999"), "No centre number 99999."),
        (("--qualification", "601/9999/9"), "No qualification 601/9999/9 in the catalogue."),
        (("--cohort", "2019/20"), "No 601/7159/5 cohort starting 2019/20 at centre 40001"),
        (("--cohort", "2026"), "--cohort 2026: '2026' is not an academic year"),
        (("--year", "2020/21"), "--year 2020/21: the cohort starting 2026/27 is taught from"),
    ],
)
def test_claim_readiness_names_what_it_cannot_find(world, args, message):
    base = {"--centre": "40001", "--qualification": NATIONAL, "--cohort": "2026/27"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError) as caught:
        run("claim_readiness", *[x for kv in base.items() for x in kv])
    assert message in str(caught.value)


def test_claim_readiness_prints_each_learner_and_exits_1_when_any_is_not_ready(world):
    code, out = run(
        "claim_readiness", "--centre", "40001", "--qualification", "60171595",
        "--cohort", "2026/27",
    )  # fmt: skip
    assert code == 1
    lines = [line for line in out.strip().splitlines() if "warning:" not in line]
    by_uln = {line.split()[0]: line for line in lines[:-1]}
    assert sorted(by_uln) == sorted([uln(1), uln(2)])
    assert "Unit 2: external result not yet imported" in by_uln[uln(1)]
    assert lines[-1].startswith("0 of 2 ready; claim deadline")
