"""The MIS learner import: files checked before use, every bad row named, all or nothing.

The bad files live in tests/import_corpus/ (made by its build.py); the zip bomb and the
oversized file are made here at run time. Every refusal is checked two ways: the message
names row, column and reason, and the database is exactly as it was.
"""

import datetime as dt
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import include, path, reverse
from django.utils import timezone
from openpyxl import Workbook

import btecqa.urls
from accounts.roles import Role
from audit.models import AuditEvent
from learners import imports
from learners.imports import Problem, commit_import, preview_import
from learners.models import Learner, LearnerImport, TeachingGroup
from learners.validators import uci_check_letter
from tabular import files, rowlog
from tabular.models import ColumnMapping

from .factories import CohortFactory, LearnerFactory, TeachingGroupFactory

CORPUS = Path(__file__).resolve().parent / "import_corpus"

# The lead includes learners.urls_import at learners/imports/; until then (and after) these
# tests route it themselves.
urlpatterns = list(btecqa.urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "learner_imports" for p in urlpatterns):
    urlpatterns.append(path("learners/imports/", include("learners.urls_import")))
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_uln(n: int) -> str:
    while True:
        prefix = f"{200000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        n += 10_000_000


def make_uci(centre_number: str, cand: int) -> str:
    first = f"{centre_number}026{cand:04d}"
    return first + uci_check_letter(first)


def state():
    """Everything an import could write, to compare before and after."""
    return (
        sorted(
            Learner.objects.values_list(
                "id",
                "centre_id",
                "first_name",
                "last_name",
                "preferred_name",
                "date_of_birth",
                "sex",
                "uln",
                "uci",
                "candidate_number",
                "admission_number",
                "email",
                "on_roll",
                "left_on",
            )
        ),
        AuditEvent.objects.count(),
        sorted(TeachingGroup.objects.values_list("id", "name")),
        sorted(
            TeachingGroup.learners.through.objects.values_list("teachinggroup_id", "learner_id")
        ),
    )


def run(centre, data, name="file.csv", kind="learners", user=None, **kw):
    return preview_import(
        centre=centre, kind=kind, uploaded_file=data, file_name=name, user=user, **kw
    )


def refused(centre, data, name="file.csv", **kw):
    """Preview a bad file and try to commit it: it is refused, and nothing changed."""
    before = state()
    preview = run(centre, data, name, **kw)
    assert not preview.ok
    obj = preview.import_obj
    assert obj.status == LearnerImport.Status.REFUSED
    assert obj.errors == [p.as_dict() for p in preview.errors]
    with pytest.raises(imports.ImportRefused):
        commit_import(obj, None)
    assert state() == before
    return preview


def messages(preview) -> list[str]:
    return [str(p) for p in preview.errors]


SIMPLE = ["Legal Surname", "Legal Forename", "DOB", "Gender", "Adno", "ULN", "Candidate No"]


# --------------------------------------------------------------------------- the bad-file corpus


def test_missing_columns_are_named_with_the_headings_found(own_centre):
    p = refused(own_centre, corpus("missing_columns.csv"), "missing_columns.csv")
    (msg,) = messages(p)
    assert msg.startswith("row 1: missing required columns: date of birth")
    assert "Headings found: Surname, Forename, Year" in msg
    assert p.needs_mapping


def test_unrecognised_headings_say_no_header_row_was_found(own_centre):
    p = refused(own_centre, corpus("wrong_columns.csv"))
    (msg,) = messages(p)
    assert "no header row" in msg and "Pupil, Born, Tutor" in msg
    assert p.needs_mapping and p.headings == ["Pupil", "Born", "Tutor"]


def test_bad_ulns_name_row_column_and_reason(own_centre):
    p = refused(own_centre, corpus("bad_ulns.csv"))
    assert messages(p) == [
        "row 2, column ULN: ULN 123: a ULN is exactly ten digits",
        "row 3, column ULN: ULN 1000000042: the check digit should be 3, not 2",
        "row 4, column ULN: ULN 1000000063: no valid ULN has these first nine digits "
        "(check-digit remainder 0)",
        "row 5, column ULN: ULN 9999999999: 9999999999 is the ILR placeholder ULN, "
        "not a learner's number",
        "row 6, column ULN: ULN ABCDEFGHIJ: a ULN is exactly ten digits",
    ]
    assert p.errors[1].value == "1000000042"


def test_bad_ucis_name_row_column_and_reason(own_centre):
    p = refused(own_centre, corpus("bad_ucis.csv"))
    msgs = messages(p)
    assert msgs[0] == "row 2, column UCI: UCI 40001026001: a UCI is 13 characters"
    assert msgs[1].startswith("row 3, column UCI: UCI 400010260001B: the check letter should be C")
    assert msgs[2].startswith("row 4, column UCI:") and "first twelve characters" in msgs[2]
    assert msgs[3].startswith("row 5, column UCI:") and "0000" in msgs[3]


def test_impossible_and_implausible_dates(own_centre):
    p = refused(own_centre, corpus("impossible_dates.csv"))
    msgs = messages(p)
    assert msgs[0] == "row 2, column DOB: 31/02/2009 is not a real date"
    assert msgs[1] == "row 3, column DOB: 29/02/2010 is not a real date"
    assert (
        msgs[2] == "row 4, column DOB: 05/17/2009 is not a real date (dates are read as dd/mm/yyyy)"
    )
    assert msgs[3] == "row 5, column DOB: 01/01/2099 is in the future"
    assert msgs[4] == "row 6, column DOB: 17/05/09: write the year in full (dd/mm/yyyy)"
    assert msgs[5] == "row 7, column DOB: soon is not a date: use dd/mm/yyyy"
    assert msgs[6].startswith("row 8, column DOB: 01/01/1900 makes the learner 126: older than 100")


def test_a_learner_younger_than_ten_is_refused(own_centre):
    today = timezone.localdate()
    young = today.replace(year=today.year - 9, day=min(today.day, 28)).strftime("%d/%m/%Y")
    p = refused(
        own_centre, csv_bytes([["Surname", "Forename", "DOB", "Sex"], ["Young", "Yan", young, "M"]])
    )
    assert messages(p) == [f"row 2, column DOB: {young} makes the learner 9: younger than 10"]


def test_duplicates_within_the_file_name_both_rows(own_centre):
    p = refused(own_centre, corpus("duplicates_in_file.csv"))
    msgs = messages(p)
    assert (
        "row 2, column Adno: admission number D1 appears more than once in the file (also row 6)"
        in msgs
    )
    assert (
        "row 6, column Adno: admission number D1 appears more than once in the file (also row 2)"
        in msgs
    )
    assert (
        "row 2, column ULN: ULN 1000000094 appears more than once in the file (also row 4)" in msgs
    )
    assert (
        "row 4, column ULN: ULN 1000000094 appears more than once in the file (also row 2)" in msgs
    )
    assert (
        "row 3, column Candidate No: candidate number 0102 appears more than once in the file "
        "(also row 5)" in msgs
    )
    assert (
        "row 5, column Candidate No: candidate number 0102 appears more than once in the file "
        "(also row 3)" in msgs
    )


def test_duplicates_against_the_database(own_centre, other_centre):
    LearnerFactory(centre=other_centre, uln="1000000043", candidate_number="0001")
    LearnerFactory(
        centre=own_centre,
        first_name="Held",
        last_name="Already",
        uci="400010260002H",
        candidate_number="0007",
        uln="1000000051",
        admission_number="H1",
    )
    p = refused(own_centre, corpus("duplicates_against_db.csv"))
    held = "(ALREADY, Held, admission number H1)"
    assert messages(p) == [
        "row 2, column ULN: ULN 1000000043 already belongs to a learner at another centre",
        f"row 3, column UCI: UCI 400010260002H already belongs to another learner at this "
        f"centre {held}",
        f"row 4, column Candidate No: candidate number 0007 already belongs to another learner "
        f"at this centre {held}",
        f"row 5, column ULN: ULN 1000000051 already belongs to another learner at this "
        f"centre {held}",
    ]


def test_bad_sex_email_candidate_number_and_missing_values(own_centre):
    p = refused(own_centre, corpus("bad_values.csv"))
    assert messages(p) == [
        "row 2, column Gender: X is not M or F (sex as the awarding body records it)",
        "row 3, column Email: not-an-email is not a valid e-mail address",
        "row 4, column Candidate No: 12345 is not a candidate number: four digits, 0001\u20139999",
        "row 5, column Forename: missing: a legal first name is required",
    ]


@pytest.mark.parametrize("name", ["empty.csv", "blank_lines.csv"])
def test_an_empty_file(own_centre, name):
    p = refused(own_centre, corpus(name), name)
    assert messages(p) == ["the file is empty"]
    assert not p.import_obj.stored_file


def test_a_header_without_rows(own_centre):
    p = refused(own_centre, corpus("header_only.csv"))
    assert messages(p) == ["row 1: the file is empty: there are no rows below the headings (row 1)"]


@pytest.mark.parametrize(
    "name, looks_like",
    [
        ("picture.csv", "a PNG image"),
        ("document.csv", "a PDF document"),
        ("old_excel.xls", "an old Excel .xls file"),
        ("archive.xlsx", "a zip archive but not an Excel workbook"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet(own_centre, name, looks_like):
    p = refused(own_centre, corpus(name), name)
    (msg,) = messages(p)
    assert msg.startswith("this is not a CSV or XLSX file") and looks_like in msg
    assert not p.import_obj.stored_file  # never kept


def test_binary_content_is_not_text_whatever_it_is_called(own_centre):
    p = refused(own_centre, b"Surname,Forename\x00\x01\x02\x03" * 10, "learners.csv")
    assert messages(p) == ["this is not a CSV or XLSX file (it contains binary data, not text)"]


def test_a_spreadsheet_is_recognised_by_its_content_not_its_name(own_centre):
    data = xlsx_bytes(
        [["Surname", "Forename", "DOB", "Sex"], ["Named", "Wrong", "01/01/2009", "F"]]
    )
    p = run(own_centre, data, "learners.csv")
    assert p.ok and p.file_type == "xlsx"


def test_formulas_are_never_evaluated(own_centre):
    p = refused(own_centre, corpus("formulas.xlsx"), "formulas.xlsx")
    assert messages(p) == [
        "row 2, column Forename: formulas are not accepted; paste values",
        "row 3, column DOB: formulas are not accepted; paste values",
    ]
    assert p.errors[0].value == '=UPPER("jo")'


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused(own_centre):
    data = _bomb(120 * files.MB)
    assert len(data) < files.MB
    p = refused(own_centre, data, "bomb.xlsx")
    (msg,) = messages(p)
    assert msg.startswith("refused: the XLSX expands to 120 MB")


def test_a_small_but_very_compressed_xlsx_is_refused_too(own_centre):
    p = refused(own_centre, _bomb(5 * files.MB), "bomb.xlsx")
    assert messages(p)[0].startswith("refused: the XLSX expands to 5 MB")


def test_an_oversized_file_is_refused_before_it_is_read(own_centre):
    row = b"Smith,Jo,01/01/2009,F\r\n"
    data = b"Surname,Forename,DOB,Sex\r\n" + row * (imports.MAX_IMPORT_BYTES // len(row) + 1)
    p = refused(own_centre, data, "huge.csv")
    assert messages(p) == ["the file is 10.0 MB, over the 10 MB limit"]
    assert not p.import_obj.stored_file
    p = refused(own_centre, SimpleUploadedFile("huge.csv", data), "huge.csv")
    assert messages(p) == ["the file is 10.0 MB, over the 10 MB limit"]
    p = refused(
        own_centre, io.BytesIO(data), "huge.csv"
    )  # a stream of unknown size: read no further
    assert messages(p) == ["the file is over the 10 MB limit"]
    p = refused(own_centre, b"Surname,Forename,DOB\r\n" + row * 100, max_bytes=1000)
    assert messages(p)[0].startswith("the file is 0.0 MB, over the 0 MB limit")


# ------------------------------------------------------------ encodings and MIS formats


def test_windows_1252_with_accents_imports_correctly(own_centre):
    data = corpus("windows1252.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    p = run(own_centre, data)
    assert p.ok and p.encoding == "cp1252"
    commit_import(p.import_obj, None)
    assert Learner.objects.get(admission_number="W1").first_name == "Renée"
    assert Learner.objects.get(admission_number="W2").last_name == "Müller"


def test_utf8_with_a_bom_and_arbor_headings(own_centre):
    p = run(own_centre, corpus("arbor_learners_bom.csv"))
    assert p.ok, messages(p)
    assert p.encoding == "utf-8-sig"
    used = {c.heading: c.field for c in p.columns}
    assert used["Legal First Name"] == "first_name" and used["First Name"] is None
    commit_import(p.import_obj, None)
    zoe = Learner.objects.get(admission_number="ARB-1")
    assert (
        zoe.first_name,
        zoe.last_name,
        zoe.date_of_birth,
        zoe.sex,
        zoe.candidate_number,
        zoe.email,
    ) == ("Zoë", "Ångström", dt.date(2009, 2, 28), "F", "0011", "zoe@example.org")


def test_sims_headings_and_upn_recognised_not_stored(own_centre):
    p = run(own_centre, corpus("sims_learners.csv"))
    assert p.ok, messages(p)
    assert p.counts["create"] == 3
    assert p.counts["columns_not_stored"] == ["UPN", "Reg Group"]
    assert p.counts["columns_unknown"] == []
    commit_import(p.import_obj, None)
    jo = Learner.objects.get(admission_number="A1001")
    assert (jo.first_name, jo.preferred_name, jo.uln, jo.uci, jo.candidate_number) == (
        "Joanne",
        "Jo",
        "1000000019",
        "400010260001C",
        "0001",
    )
    assert Learner.objects.get(admission_number="A1003").date_of_birth == dt.date(2009, 9, 1)


def test_bromcom_xlsx_with_title_rows_real_dates_and_numbers(own_centre):
    p = run(own_centre, corpus("bromcom_learners.xlsx"), "students.xlsx")
    assert p.ok, messages(p)
    assert p.header_row == 4 and p.sheet == "Students"
    assert p.counts["columns_unknown"] == ["House"]
    assert [r.row for r in p.rows] == [5, 6]
    commit_import(p.import_obj, None)
    kasia = Learner.objects.get(admission_number="B501")
    assert (kasia.date_of_birth, kasia.uln, kasia.candidate_number) == (
        dt.date(2009, 3, 14),
        "1000000078",
        "0042",
    )


def test_excel_serial_dates_in_a_csv(own_centre):
    p = run(own_centre, corpus("excel_serial_dates.csv"))
    assert p.ok, messages(p)
    commit_import(p.import_obj, None)
    assert Learner.objects.get(admission_number="S1").date_of_birth == dt.date(2008, 1, 1)
    assert Learner.objects.get(admission_number="S2").date_of_birth == dt.date(2009, 1, 1)


def test_semicolon_separated_csv(own_centre):
    p = run(own_centre, corpus("semicolons.csv"))
    assert p.ok and p.rows[0].values["first_name"] == "Marie"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_semicolon_separated_csv_with_a_title_row_above_the_headings(own_centre, bom):
    # Excel in a European locale saves "CSV" with semicolons; a SIMS report has a title
    # line and a blank line above the headings, which is enough to defeat csv.Sniffer.
    data = (
        bom
        + (
            "Student Details\r\n\r\n"
            "Legal Surname;Legal Forename;DOB;Gender;Adno\r\n"
            "O'Neill;Zo\u00eb;01/02/2009;F;A1\r\n"
            "Smith-Jones;Si\u00e2n;1/2/2009;F;A2\r\n"
        ).encode()
    )
    p = run(own_centre, data)
    assert p.ok, messages(p)
    assert p.header_row == 3
    assert [r.values["first_name"] for r in p.rows] == ["Zo\u00eb", "Si\u00e2n"]
    assert [r.values["last_name"] for r in p.rows] == ["O'Neill", "Smith-Jones"]


def test_a_uln_excel_turned_into_scientific_notation_says_so(own_centre):
    # Opened in Excel and saved again, a ten-digit ULN becomes 1.00000E+09: its digits are
    # gone, and the reason should say what happened, not just "ten digits".
    data = csv_bytes([SIMPLE, ["Smith", "Jo", "01/02/2009", "F", "A1", "1.00000E+09", "1"]])
    p = refused(own_centre, data)
    (problem,) = p.errors
    assert (problem.row, problem.column, problem.value) == (2, "ULN", "1.00000E+09")
    assert "scientific notation" in problem.reason and "as text" in problem.reason


@pytest.mark.parametrize(
    "text, expected",
    [
        ("17/05/2009", dt.date(2009, 5, 17)),
        ("1/9/2009", dt.date(2009, 9, 1)),
        ("17-05-2009", dt.date(2009, 5, 17)),
        ("2009-05-17", dt.date(2009, 5, 17)),
        ("2009-05-17 00:00:00", dt.date(2009, 5, 17)),
        ("39448", dt.date(2008, 1, 1)),
        (39448, dt.date(2008, 1, 1)),
        (dt.datetime(2009, 5, 17, 0, 0), dt.date(2009, 5, 17)),
    ],
)
def test_dates_read_as_uk_dates(text, expected):
    assert imports.parse_date(text) == (expected, None)


# ------------------------------------------------------------ effects, commit, leavers


@pytest.fixture
def on_roll(own_centre):
    """Three learners already at the centre, from an earlier import."""
    return [
        LearnerFactory(
            centre=own_centre,
            first_name="Ann",
            last_name="Able",
            admission_number="1",
            uln=make_uln(1),
            candidate_number="0001",
            sex="F",
            date_of_birth=dt.date(2009, 1, 1),
        ),
        LearnerFactory(
            centre=own_centre,
            first_name="Ben",
            last_name="Baker",
            admission_number="2",
            uln=make_uln(2),
            candidate_number="0002",
            sex="M",
            date_of_birth=dt.date(2009, 2, 2),
        ),
        LearnerFactory(
            centre=own_centre,
            first_name="Cat",
            last_name="Cole",
            admission_number="3",
            uln=make_uln(3),
            candidate_number="0003",
            sex="F",
            date_of_birth=dt.date(2009, 3, 3),
        ),
    ]


def roll_file(*extra, ben_surname="Baker", with_cat=True):
    rows = [
        SIMPLE,
        ["Able", "Ann", "01/01/2009", "F", "1", make_uln(1), "0001"],
        [ben_surname, "Ben", "02/02/2009", "M", "2", make_uln(2), "0002"],
    ]
    if with_cat:
        rows.append(["Cole", "Cat", "03/03/2009", "F", "3", make_uln(3), "0003"])
    return csv_bytes(rows + list(extra))


def test_update_lists_each_changed_field_and_is_audited(own_centre, on_roll, exams_officer):
    events = AuditEvent.objects.count()
    p = run(own_centre, roll_file(ben_surname="Baker-Smith"), user=exams_officer)
    assert p.ok
    effects = {r.row: r.effect for r in p.rows}
    assert effects == {2: "unchanged", 3: "update", 4: "unchanged"}
    assert p.rows[1].changes == [("legal last name", "Baker", "Baker-Smith")]
    commit_import(p.import_obj, exams_officer)
    ben = Learner.objects.get(pk=on_roll[1].pk)
    assert ben.last_name == "Baker-Smith"
    (event,) = AuditEvent.objects.filter(seq__gt=events).exclude(action__startswith="todos.")
    assert (event.action, event.learner_id, event.actor_id) == (
        "learners.learner.updated",
        ben.pk,
        exams_officer.pk,
    )
    assert event.before_data == {"last_name": "Baker"}
    assert event.after_data["last_name"] == "Baker-Smith"
    obj = LearnerImport.objects.get(pk=p.import_obj.pk)
    assert obj.status == "committed" and obj.committed_at and obj.counts["update"] == 1
    assert obj.uploaded_by == exams_officer and len(obj.file_sha256) == 64


def test_new_learners_are_created_with_an_audit_event_each(own_centre, on_roll):
    new = ["Dunn", "Dee", "04/04/2009", "F", "4", make_uln(4), "0004"]
    p = run(own_centre, roll_file(new))
    assert [r.effect for r in p.rows] == ["unchanged", "unchanged", "unchanged", "create"]
    events = AuditEvent.objects.count()
    commit_import(p.import_obj, None)
    dee = Learner.objects.get(admission_number="4")
    assert dee.on_roll and dee.centre == own_centre
    (event,) = AuditEvent.objects.filter(seq__gt=events)
    assert (
        event.action == "learners.learner.created"
        and event.learner_id == dee.pk
        and event.actor_repr == "system"
    )


def test_reimporting_the_same_file_changes_nothing(own_centre):
    data = corpus("sims_learners.csv")
    commit_import(run(own_centre, data).import_obj, None)
    before = state()
    again = run(own_centre, data)
    assert again.ok and {r.effect for r in again.rows} == {"unchanged"} and not again.leavers
    commit_import(again.import_obj, None)
    assert state() == before
    assert LearnerImport.objects.get(pk=again.import_obj.pk).status == "committed"


def test_leavers_are_marked_off_roll_at_commit(own_centre, on_roll):
    p = run(own_centre, roll_file(with_cat=False), mark_leavers=True)
    assert [(r.name, r.effect) for r in p.leavers] == [("COLE, Cat", "leaver")]
    assert p.counts["leaver"] == 1
    commit_import(p.import_obj, None)
    cat = Learner.objects.get(pk=on_roll[2].pk)
    assert not cat.on_roll and cat.left_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="learners.learner.left", learner_id=cat.pk).count() == 1
    # Back in next year's file: back on roll.
    p = run(own_centre, roll_file(), mark_leavers=True)
    assert p.rows[2].effect == "update" and ("on roll", "no", "yes") in p.rows[2].changes
    commit_import(p.import_obj, None)
    assert Learner.objects.get(pk=cat.pk).on_roll


def test_leavers_can_be_left_alone(own_centre, on_roll):
    p = run(own_centre, roll_file(with_cat=False), mark_leavers=False)
    assert p.leavers == []
    commit_import(p.import_obj, None)
    assert Learner.objects.get(pk=on_roll[2].pk).on_roll


def test_match_by_uln_a_learner_without_an_admission_number(own_centre, on_roll):
    manual = LearnerFactory(
        centre=own_centre,
        first_name="Max",
        last_name="Manual",
        uln=make_uln(9),
        candidate_number="0009",
        sex="M",
        date_of_birth=dt.date(2009, 9, 9),
    )
    data = csv_bytes([SIMPLE, ["Manual", "Max", "09/09/2009", "M", "NEW9", make_uln(9), "0009"]])
    p = run(own_centre, data, mark_leavers=False)
    assert p.rows[0].effect == "update" and p.rows[0].learner_id == manual.pk
    assert p.rows[0].changes == [("admission number", "\u2014", "NEW9")]


def test_a_uln_held_by_a_learner_with_another_admission_number_is_an_error(own_centre, on_roll):
    data = csv_bytes([SIMPLE, ["Able", "Ann", "01/01/2009", "F", "NEW1", make_uln(1), ""]])
    p = refused(own_centre, data, mark_leavers=False)
    assert messages(p) == [
        f"row 2, column ULN: ULN {make_uln(1)} already belongs to another learner at this "
        "centre (ABLE, Ann, admission number 1)"
    ]


def test_same_name_and_birthday_is_a_warning_never_a_merge(own_centre, on_roll):
    twin = ["Able", "Ann", "01/01/2009", "F", "99", make_uln(99), "0099"]
    p = run(own_centre, roll_file(twin))
    assert p.ok
    row = p.rows[-1]
    assert row.effect == "create"
    assert [str(w) for w in row.warnings] == [
        "row 5: possible duplicate: ABLE, Ann, admission number 1 has the same name and date "
        "of birth (not merged; check before committing)"
    ]
    commit_import(p.import_obj, None)
    assert Learner.objects.filter(first_name="Ann", last_name="Able").count() == 2


def test_commit_is_all_or_nothing(own_centre, on_roll, monkeypatch):
    new = ["Dunn", "Dee", "04/04/2009", "F", "4", make_uln(4), "0004"]
    p = run(own_centre, roll_file(new, ben_surname="Changed", with_cat=False))
    before = state()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Learner.objects, "bulk_update", fail)
    with pytest.raises(RuntimeError):
        commit_import(p.import_obj, None)
    assert state() == before
    assert LearnerImport.objects.get(pk=p.import_obj.pk).status == "previewed"


def test_commit_rereads_the_file_and_refuses_if_the_database_changed(own_centre):
    data = csv_bytes([SIMPLE, ["New", "Nia", "01/01/2009", "F", "N1", make_uln(50), "0050"]])
    p = run(own_centre, data)
    assert p.ok
    LearnerFactory(centre=own_centre, candidate_number="0050")  # taken meanwhile
    before = state()
    with pytest.raises(imports.ImportRefused) as exc:
        commit_import(p.import_obj, None)
    assert "row 2, column Candidate No: candidate number 0050 already belongs" in str(
        exc.value.problems[0]
    )
    assert state() == before
    obj = LearnerImport.objects.get(pk=p.import_obj.pk)
    assert obj.status == "refused" and obj.errors[0]["row"] == 2


def test_an_import_cannot_be_committed_twice(own_centre):
    p = run(own_centre, corpus("sims_learners.csv"))
    commit_import(p.import_obj, None)
    with pytest.raises(imports.ImportRefused, match="committed"):
        commit_import(p.import_obj, None)
    assert Learner.objects.count() == 3


def test_the_remembered_mapping_is_used_without_set_up(own_centre):
    data = csv_bytes([["Pupil Surname", "Pupil Forename", "Born"], ["Xu", "Li", "02/02/2009"]])
    assert run(own_centre, data).needs_mapping
    imports.save_mapping(
        own_centre,
        "learners",
        {"Pupil Surname": "last_name", "Pupil Forename": "first_name", "Born": "date_of_birth"},
    )
    assert ColumnMapping.objects.get(centre=own_centre).mapping["pupil surname"] == "last_name"
    p = run(own_centre, data)
    assert not p.missing_fields and p.ok
    assert [str(w) for w in p.warnings] == [f"row 2, column Sex: {imports.SEX_NEEDED}"]


def test_class_list_adds_learners_to_groups_and_creates_new_ones(own_centre, on_roll):
    cohort = CohortFactory(centre=own_centre)
    existing = TeachingGroupFactory(cohort=cohort, name="13X/Bs1")
    existing.learners.add(on_roll[0])
    data = csv_bytes(
        [
            ["Adno", "Surname", "Class"],
            ["1", "Able", "13X/Bs1"],
            ["2", "Baker", "13X/Bs1"],
            ["3", "Cole", "13Y/Bs2"],
        ]
    )
    p = run(own_centre, data, kind="class_list", cohort=cohort)
    assert p.ok, messages(p)
    assert [r.effect for r in p.rows] == ["unchanged", "add", "add"]
    assert p.new_groups == ["13Y/Bs2"]
    assert "group 13Y/Bs2 will be created" in p.notes[0]
    commit_import(p.import_obj, None)
    new = TeachingGroup.objects.get(cohort=cohort, name="13Y/Bs2")
    assert new.delivering_centre == own_centre and list(new.learners.all()) == [on_roll[2]]
    assert set(existing.learners.all()) == {on_roll[0], on_roll[1]}
    assert AuditEvent.objects.filter(action="learners.teaching_group.learner_added").count() == 2
    again = run(own_centre, data, kind="class_list", cohort=cohort)
    assert {r.effect for r in again.rows} == {"unchanged"}


def test_class_list_unknown_learner_is_an_error(own_centre, on_roll):
    cohort = CohortFactory(centre=own_centre)
    data = csv_bytes([["ULN", "Teaching Group"], [make_uln(1), "A"], [make_uln(77), "A"]])
    p = refused(own_centre, data, kind="class_list", cohort=cohort)
    assert messages(p) == [f"row 3, column ULN: no learner at this centre has ULN {make_uln(77)}"]


def test_class_list_needs_a_cohort(own_centre, on_roll):
    p = refused(own_centre, csv_bytes([["Adno", "Class"], ["1", "A"]]), kind="class_list")
    assert messages(p) == ["choose the programme this class list is for"]


# --------------------------------------------------------------------------- command line


def test_command_dry_run_prints_errors_and_exits_1(own_centre, capsys):
    before = state()
    with pytest.raises(SystemExit) as exc:
        call_command("import_learners", str(CORPUS / "bad_ulns.csv"), "--centre", "40001")
    assert exc.value.code == 1
    out, err = capsys.readouterr()
    assert (
        "row 3, column ULN: ULN 1000000042: the check digit should be 3, not 2" in out.splitlines()
    )
    assert "Refused: 5 errors; nothing was written." in err
    assert state() == before


def test_command_dry_run_then_commit(own_centre, exams_officer):
    out = io.StringIO()
    call_command(
        "import_learners", str(CORPUS / "sims_learners.csv"), "--centre", "40001", stdout=out
    )
    assert "3 to create" in out.getvalue() and "Dry run: nothing was written" in out.getvalue()
    assert Learner.objects.count() == 0
    out = io.StringIO()
    call_command(
        "import_learners",
        str(CORPUS / "sims_learners.csv"),
        "--centre",
        "40001",
        "--commit",
        "--user",
        exams_officer.username,
        stdout=out,
    )
    assert "Committed import" in out.getvalue()
    assert Learner.objects.count() == 3
    assert set(AuditEvent.objects.values_list("actor_id", flat=True)) == {exams_officer.pk}


def test_command_with_a_mapping_file(own_centre, tmp_path):
    data = csv_bytes(
        [["Pupil Surname", "Pupil Forename", "Born", "M/F"], ["Xu", "Li", "02/02/2009", "F"]]
    )
    (tmp_path / "pupils.csv").write_bytes(data)
    (tmp_path / "map.json").write_text(
        json.dumps(
            {
                "Pupil Surname": "last_name",
                "Pupil Forename": "first_name",
                "Born": "date_of_birth",
                "M/F": "sex",
            }
        )
    )
    call_command(
        "import_learners",
        str(tmp_path / "pupils.csv"),
        "--centre",
        "40001",
        "--mapping",
        str(tmp_path / "map.json"),
        "--commit",
        stdout=io.StringIO(),
    )
    assert Learner.objects.get().last_name == "Xu"


def test_command_commit_still_refuses_bad_files(own_centre):
    with pytest.raises(SystemExit) as exc:
        call_command(
            "import_learners",
            str(CORPUS / "picture.csv"),
            "--centre",
            "40001",
            "--commit",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert exc.value.code == 1
    assert Learner.objects.count() == 0


def test_command_exit_code_from_a_real_process(tmp_path):
    """manage.py exits 1 for a refused file (its own SQLite database, not the test one)."""
    db = tmp_path / "cli.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "true",
        "PATH": "/usr/bin:/bin",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "test",
    }
    manage = [sys.executable, "manage.py"]
    cwd = Path(__file__).resolve().parent.parent
    subprocess.run(manage + ["migrate", "-v0"], cwd=cwd, env=env, check=True, capture_output=True)
    subprocess.run(
        manage
        + [
            "shell",
            "-c",
            "from centres.models import Centre; Centre.objects.create(number='40001', name='CLI')",
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    bad = subprocess.run(
        manage + ["import_learners", str(CORPUS / "impossible_dates.csv"), "--centre", "40001"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "row 2, column DOB: 31/02/2009 is not a real date" in bad.stdout
    good = subprocess.run(
        manage + ["import_learners", str(CORPUS / "sims_learners.csv"), "--centre", "40001"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr


# --------------------------------------------------------------------------- pages


def upload(client, centre, data, name="learners.csv", **extra):
    return client.post(
        reverse("learner_imports:upload"),
        {
            "centre": centre.pk,
            "kind": "learners",
            "file": SimpleUploadedFile(name, data),
            "mark_leavers": "on",
            **extra,
        },
    )


def test_upload_preview_commit_result(client, own_centre, exams_officer):
    client.force_login(exams_officer)
    page = client.get(reverse("learner_imports:upload"))
    assert page.status_code == 200 and own_centre.name in page.content.decode()
    response = upload(client, own_centre, corpus("sims_learners.csv"))
    obj = LearnerImport.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "learner_imports:preview", args=[obj.pk]
    )
    html = client.get(response.url).content.decode()
    assert "Commit this import" in html and "SMITH, Joanne" in html and "create" in html
    assert Learner.objects.count() == 0
    assert client.get(reverse("learner_imports:commit", args=[obj.pk])).status_code == 405
    response = client.post(reverse("learner_imports:commit", args=[obj.pk]))
    assert response.status_code == 302 and response.url == reverse(
        "learner_imports:result", args=[obj.pk]
    )
    assert Learner.objects.count() == 3
    assert "New learners" in client.get(response.url).content.decode()
    history = client.get(reverse("learner_imports:history")).content.decode()
    assert "learners.csv" in history and "Committed" in history


def test_preview_page_lists_every_error_and_offers_no_commit(client, own_centre, exams_officer):
    client.force_login(exams_officer)
    upload(client, own_centre, corpus("impossible_dates.csv"))
    obj = LearnerImport.objects.get()
    html = client.get(reverse("learner_imports:preview", args=[obj.pk])).content.decode()
    assert "31/02/2009 is not a real date" in html and "Commit this import" not in html
    assert client.post(reverse("learner_imports:commit", args=[obj.pk])).status_code == 302
    assert Learner.objects.count() == 0


def test_refused_file_page_shows_the_stored_reason(client, own_centre, exams_officer):
    client.force_login(exams_officer)
    upload(client, own_centre, corpus("picture.csv"), "photo.csv")
    obj = LearnerImport.objects.get()
    html = client.get(reverse("learner_imports:preview", args=[obj.pk])).content.decode()
    assert "this is not a CSV or XLSX file (it looks like a PNG image)" in html


def test_column_mapping_step_is_remembered_per_centre(client, own_centre, exams_officer):
    client.force_login(exams_officer)
    data = csv_bytes(
        [["Pupil Surname", "Pupil Forename", "Born", "Gender"], ["Xu", "Li", "02/02/2009", "F"]]
    )
    response = upload(client, own_centre, data)
    first = LearnerImport.objects.get()
    assert response.url == reverse("learner_imports:mapping", args=[first.pk])
    page = client.get(response.url)
    assert page.status_code == 200 and "Pupil Surname" in page.content.decode()
    response = client.post(
        response.url,
        {"col_0": "last_name", "col_1": "first_name", "col_2": "date_of_birth", "col_3": "sex"},
    )
    second = LearnerImport.objects.latest("pk")
    assert second.pk != first.pk and second.status == "previewed"
    assert response.url == reverse("learner_imports:preview", args=[second.pk])
    assert ColumnMapping.objects.get(centre=own_centre, kind="learners").mapping == {
        "pupil surname": "last_name",
        "pupil forename": "first_name",
        "born": "date_of_birth",
    }
    # The next upload of the same layout needs no mapping step.
    response = upload(client, own_centre, data)
    assert response.url == reverse(
        "learner_imports:preview", args=[LearnerImport.objects.latest("pk").pk]
    )


def test_mapping_two_columns_with_the_same_heading_is_refused_not_looped(
    client, own_centre, exams_officer
):
    # A mapping goes by heading, so "Name" -> last name and "Name" -> first name kept only
    # the second: the next preview lacked a last name and sent the user back to the
    # mapping step, for ever, having remembered {"name": "first_name"} for the centre.
    client.force_login(exams_officer)
    data = csv_bytes([["Name", "Name", "Born", "Gender"], ["Xu", "Li", "02/02/2009", "F"]])
    response = upload(client, own_centre, data)
    url = response.url
    assert url == reverse("learner_imports:mapping", args=[LearnerImport.objects.get().pk])
    response = client.post(
        url, {"col_0": "last_name", "col_1": "first_name", "col_2": "date_of_birth"}
    )
    assert response.status_code == 200
    assert "both headed" in response.content.decode()
    assert LearnerImport.objects.count() == 1
    assert not ColumnMapping.objects.filter(centre=own_centre).exists()
    # One of them used, the other not: still two columns of one heading, still refused.
    response = client.post(url, {"col_0": "last_name", "col_2": "date_of_birth"})
    assert response.status_code == 200 and "both headed" in response.content.decode()
    # Both unused (as the mapping can say) is fine as far as they go.
    response = client.post(url, {"col_2": "date_of_birth"})
    assert response.status_code == 200 and "both headed" not in response.content.decode()


def test_upload_offers_only_the_users_centres(client, own_centre, other_centre, exams_officer):
    client.force_login(exams_officer)
    response = upload(client, other_centre, corpus("sims_learners.csv"))
    assert response.status_code == 200 and LearnerImport.objects.count() == 0
    assert "Select a valid choice" in response.content.decode()


def test_another_centres_import_is_a_404(
    client, own_centre, other_centre, exams_officer, make_user
):
    theirs = run(other_centre, corpus("sims_learners.csv")).import_obj
    client.force_login(exams_officer)
    for name in ("preview", "mapping", "result"):
        assert client.get(reverse(f"learner_imports:{name}", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("learner_imports:commit", args=[theirs.pk])).status_code == 404
    assert Learner.objects.count() == 0
    assert "sims" not in client.get(reverse("learner_imports:history")).content.decode()


@pytest.mark.parametrize("role", [Role.GOVERNOR, Role.ASSESSOR_IV, Role.PROGRAMME_LEADER])
def test_roles_without_the_permission_get_403(client, own_centre, cast, role):
    obj = run(own_centre, corpus("sims_learners.csv")).import_obj
    client.force_login(cast[role])
    assert client.get(reverse("learner_imports:upload")).status_code == 403
    assert client.get(reverse("learner_imports:history")).status_code == 403
    assert client.get(reverse("learner_imports:preview", args=[obj.pk])).status_code == 403
    assert client.post(reverse("learner_imports:commit", args=[obj.pk])).status_code == 403
    assert Learner.objects.count() == 0


def test_centre_admin_may_import(client, own_centre, cast):
    client.force_login(cast[Role.CENTRE_ADMIN])
    assert upload(client, own_centre, corpus("sims_learners.csv")).status_code == 302


def test_problem_prints_as_row_column_reason():
    assert str(Problem("bad", 3, "ULN", "1")) == "row 3, column ULN: bad"
    assert str(Problem("the file is empty")) == "the file is empty"


def test_class_list_upload_needs_a_cohort_at_that_centre(
    client, own_centre, exams_officer, on_roll
):
    client.force_login(exams_officer)
    data = csv_bytes([["Adno", "Class"], ["1", "13Z/It1"]])
    response = upload(client, own_centre, data, kind="class_list")
    assert response.status_code == 200 and "Choose the programme" in response.content.decode()
    cohort = CohortFactory(centre=own_centre)
    response = upload(client, own_centre, data, kind="class_list", cohort=cohort.pk)
    obj = LearnerImport.objects.get()
    html = client.get(response.url).content.decode()
    assert "group 13Z/It1 will be created" in html and "Commit this import" in html
    client.post(reverse("learner_imports:commit", args=[obj.pk]))
    assert list(TeachingGroup.objects.get(name="13Z/It1").learners.all()) == [on_roll[0]]


def test_mapping_step_when_a_required_column_is_missing(client, own_centre, exams_officer):
    client.force_login(exams_officer)
    data = csv_bytes([["Surname", "Forename", "Born", "Gender"], ["Xu", "Li", "02/02/2009", "F"]])
    response = upload(client, own_centre, data)
    assert response.url.endswith("/columns/")
    html = client.get(response.url).content.decode()
    assert "missing required columns: date of birth" in html
    response = client.post(
        response.url, {"col_0": "last_name", "col_1": "first_name", "col_3": "sex"}
    )
    assert response.status_code == 200  # still no date of birth
    assert "Choose a column for: date of birth" in response.content.decode()
    response = client.post(
        response.request["PATH_INFO"],
        {"col_0": "last_name", "col_1": "first_name", "col_2": "date_of_birth", "col_3": "sex"},
    )
    assert response.status_code == 302
    assert ColumnMapping.objects.get(centre=own_centre).mapping == {"born": "date_of_birth"}


# --------------------------------------------------------------------------- streamed rows


def learner_rows(n, start=1):
    """n new learners with good values, one a row (no header)."""
    return [
        [f"Sur{i}", f"Fore{i}", "01/01/2009", "F", f"S{i}", make_uln(500 + i), f"{100 + i:04d}"]
        for i in range(start, start + n)
    ]


def test_preview_rows_are_kept_in_a_log_and_paged_without_reading_the_file(
    client, own_centre, exams_officer, monkeypatch
):
    rows = learner_rows(450)
    rows[300][5] = "123"  # row 302: a bad ULN
    client.force_login(exams_officer)
    upload(client, own_centre, csv_bytes([SIMPLE, *rows]))
    obj = LearnerImport.objects.get()
    assert obj.status == "refused" and obj.counts["rows"] == 450
    assert obj.counts["log"] == obj.stored_file.name + imports.LOG_SUFFIX
    assert obj.stored_file.storage.exists(obj.counts["log"])

    def no_reading(*args, **kwargs):
        raise AssertionError("the preview page read the file again")

    monkeypatch.setattr(imports, "analyse", no_reading)
    url = reverse("learner_imports:preview", args=[obj.pk])
    html = client.get(url).content.decode()
    assert html.count("<tr>\n    <td>") == 200 and "Page 1 of 3" in html
    assert "SUR1, Fore1" in html and "SUR200, Fore200" in html and "SUR201," not in html
    html = client.get(url, {"page": 3}).content.decode()
    assert html.count("<tr>\n    <td>") == 50 and "SUR450, Fore450" in html
    html = client.get(url, {"show": "errors"}).content.decode()
    assert html.count("<tr>\n    <td>") == 1 and "ULN 123: a ULN is exactly ten digits" in html


def test_errors_past_the_kept_ones_are_all_in_the_log_and_printed(
    client, own_centre, exams_officer, monkeypatch, capsys, tmp_path
):
    monkeypatch.setattr(rowlog, "MAX_STORED_ERRORS", 3)
    rows = learner_rows(6)
    for r in rows[1:]:
        r[5] = "123"  # rows 3-7: five bad ULNs
    data = csv_bytes([SIMPLE, *rows])
    p = run(own_centre, data)
    assert len(p.errors) == 5 and len(p.tally.first_errors) == 3
    assert [p.row for p in p.errors] == [3, 4, 5, 6, 7]  # the last two read from the log
    assert p.errors[4].row == 7 and [e.row for e in p.errors[3:]] == [6, 7]
    assert [e["reason"] for e in p.import_obj.errors][-1] == "\u2026 and 2 more errors"
    client.force_login(exams_officer)
    html = client.get(reverse("learner_imports:preview", args=[p.import_obj.pk])).content
    assert "5 errors: nothing can be written" in html.decode()
    assert "The first 3 are listed here." in html.decode()
    (tmp_path / "bad.csv").write_bytes(data)
    with pytest.raises(SystemExit):
        call_command("import_learners", str(tmp_path / "bad.csv"), "--centre", "40001")
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "a ULN is exactly ten digits" in line] == [
        f"row {n}, column ULN: ULN 123: a ULN is exactly ten digits" for n in range(3, 8)
    ]


def test_problems_a_later_chunk_finds_with_an_earlier_row(own_centre, on_roll, monkeypatch):
    monkeypatch.setattr(rowlog, "CHUNK_ROWS", 2)
    rows = learner_rows(5)
    rows[4][4] = "S1"  # row 6 repeats row 2's admission number
    rows[3][1:3] = ["Fore1", "01/01/2009"]  # row 5 is alike row 2 (a new learner)
    rows[3][0] = "Sur1"
    rows[0][3] = ""  # row 2 has no sex: asked for only while it has no other error
    p = refused(own_centre, csv_bytes([SIMPLE, *rows]), mark_leavers=False)
    assert messages(p) == [
        "row 2, column Adno: admission number S1 appears more than once in the file (also row 6)",
        "row 6, column Adno: admission number S1 appears more than once in the file (also row 2)",
    ]
    assert [(r.row, r.effect) for r in p.rows] == [
        (2, "error"),
        (3, "create"),
        (4, "create"),
        (5, "create"),
        (6, "error"),
    ]
    assert [str(w) for w in p.rows[0].warnings] == [
        "row 2: possible duplicate: row 5 has the same name and date of birth (not merged; "
        "check before committing)"
    ]
    assert p.counts["error_rows"] == 2 and p.counts["create"] == 3


def test_commit_in_chunks_writes_every_row_with_an_event_each(own_centre, on_roll, monkeypatch):
    monkeypatch.setattr(rowlog, "CHUNK_ROWS", 2)
    data = roll_file(
        *[r[:4] + [str(r[4]), r[5], r[6]] for r in learner_rows(5)],
        ben_surname="Baker-Smith",
        with_cat=False,
    )
    p = run(own_centre, data, mark_leavers=True)
    assert p.ok and p.counts == p.counts | {"create": 5, "update": 1, "leaver": 1, "rows": 7}
    events = AuditEvent.objects.count()
    done = commit_import(p.import_obj, None)
    assert done.counts["create"] == 5 and done.counts["leaver"] == 1
    assert Learner.objects.filter(centre=own_centre).count() == 8
    assert not Learner.objects.get(pk=on_roll[2].pk).on_roll
    assert AuditEvent.objects.count() - events == 7  # 5 created, 1 updated, 1 left
    assert LearnerImport.objects.get(pk=p.import_obj.pk).status == "committed"


def test_an_error_in_a_later_chunk_at_commit_writes_nothing(own_centre, on_roll, monkeypatch):
    monkeypatch.setattr(rowlog, "CHUNK_ROWS", 2)
    data = roll_file(*learner_rows(5), with_cat=False)
    p = run(own_centre, data)
    assert p.ok
    LearnerFactory(centre=own_centre, candidate_number="0105")  # row 8's, taken meanwhile
    before = state()
    with pytest.raises(imports.ImportRefused) as exc:
        commit_import(p.import_obj, None)
    assert [str(e) for e in exc.value.problems] == [
        "row 8, column Candidate No: candidate number 0105 already belongs to another "
        "learner at this centre (" + str(Learner.objects.get(candidate_number="0105")) + ")"
    ]
    assert state() == before
    obj = LearnerImport.objects.get(pk=p.import_obj.pk)
    assert obj.status == "refused" and obj.errors[0]["row"] == 8 and obj.counts["errors"] == 1
    # The kept rows are those of the refusal: row 8 is in error there.
    (row,) = imports.logged_rows(obj, "errors")
    assert row.row == 8 and row.effect == "error"


def test_an_oversized_upload_is_refused_having_kept_only_the_limit(
    client, own_centre, exams_officer, settings
):
    """The upload handler stops storing at the limit; the page still says why it was refused."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    from btecqa.uploads import UploadSizeLimit

    assert settings.BTECQA_UPLOAD_MAX_BYTES == imports.MAX_IMPORT_BYTES
    settings.BTECQA_UPLOAD_MAX_BYTES = 1000
    kept = []

    class Spy(TemporaryFileUploadHandler):
        def file_complete(self, file_size):
            kept.append(file_size)
            return super().file_complete(file_size)

    settings.FILE_UPLOAD_HANDLERS = ["btecqa.uploads.UploadSizeLimit"]
    client.force_login(exams_officer)
    row = b"Smith,Jo,01/01/2009,F\r\n"
    data = b"Surname,Forename,DOB,Sex\r\n" + row * 20_000  # about 460 KB
    # Stack the handlers by hand so the spy sees what reaches the disk.
    from django.test import RequestFactory

    request = RequestFactory().post(
        reverse("learner_imports:upload"),
        {"centre": own_centre.pk, "kind": "learners", "file": SimpleUploadedFile("big.csv", data)},
    )
    request.upload_handlers = [UploadSizeLimit(request), Spy(request)]
    stored = request.FILES["file"]
    assert kept == [1001] and stored.size == 1001
    # End to end at the real limit: 10.5 MB sent, just over 10 MB kept, and refused.
    settings.BTECQA_UPLOAD_MAX_BYTES = imports.MAX_IMPORT_BYTES
    settings.FILE_UPLOAD_HANDLERS = [
        "btecqa.uploads.UploadSizeLimit",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    big = b"Surname,Forename,DOB,Sex\r\n" + row * (imports.MAX_IMPORT_BYTES * 21 // 20 // len(row))
    response = upload(client, own_centre, big, name="big.csv")
    page = response.content.decode()
    if response.status_code == 302:
        page = client.get(response.url).content.decode()
    assert "over the 10 MB limit" in page
    assert not Learner.objects.exists()


def test_a_small_file_that_would_mark_most_of_the_roll_as_leavers_is_questioned(
    client, own_centre, exams_officer
):
    for i in range(5):
        LearnerFactory(centre=own_centre, admission_number=f"A{i}")
    client.force_login(exams_officer)
    data = corpus("sims_learners.csv")  # three new learners, none of the five above
    response = upload(client, own_centre, data)
    html = client.get(response.url).content.decode()
    assert "would mark <strong>5</strong> learners as leaving" in html
    assert "more than the 3 rows it holds" in html
    response = upload(client, own_centre, data, mark_leavers="")
    assert "as leaving" not in client.get(response.url).content.decode()


# --------------------------------------------------------------------------- what a new user hit


def test_marking_leavers_is_unticked_until_asked_for(client, own_centre, exams_officer, on_roll):
    client.force_login(exams_officer)
    page = client.get(reverse("learner_imports:upload")).content.decode()
    box = re.search(r'<input[^>]*name="mark_leavers"[^>]*>', page).group()
    assert "checked" not in box
    # The form as it comes, box left alone: Cat, missing from the file, stays on roll.
    response = client.post(
        reverse("learner_imports:upload"),
        {
            "centre": own_centre.pk,
            "kind": "learners",
            "file": SimpleUploadedFile("roll.csv", roll_file(with_cat=False)),
        },
    )
    obj = LearnerImport.objects.get()
    assert obj.counts["leaver"] == 0 and obj.settings["mark_leavers"] is False
    html = client.get(response.url).content.decode()
    assert "Leavers are not marked" in html
    client.post(reverse("learner_imports:commit", args=[obj.pk]))
    assert Learner.objects.get(pk=on_roll[2].pk).on_roll


def test_a_file_without_a_sex_column_imports_its_learners_flagged(
    client, own_centre, exams_officer
):
    data = csv_bytes(
        [
            ["Legal Surname", "Legal Forename", "DOB", "Adno"],
            ["Nowak", "Piotr", "13/02/2009", "N1"],
            ["Adeyemi", "Grace", "22/07/2008", "N2"],
        ]
    )
    client.force_login(exams_officer)
    response = upload(client, own_centre, data, name="no-sex.csv")
    obj = LearnerImport.objects.get()
    assert obj.status == "previewed" and obj.counts["no_sex"] == 2
    html = client.get(response.url).content.decode()
    assert "Commit this import" in html
    assert "2 new or updated learners have no sex" in html
    assert html.count("no sex given: the learner is imported") == 2
    client.post(reverse("learner_imports:commit", args=[obj.pk]))
    piotr = Learner.objects.get(admission_number="N1")
    assert piotr.sex == "" and Learner.objects.filter(sex="").count() == 2
    page = client.get(reverse("learners:learner_detail", args=[piotr.pk])).content.decode()
    assert "No sex recorded: Pearson's registration file needs it" in page
    # The next file gives it: the learner is updated and no longer flagged.
    with_sex = csv_bytes(
        [
            ["Legal Surname", "Legal Forename", "DOB", "Adno", "Sex"],
            ["Nowak", "Piotr", "13/02/2009", "N1", "M"],
        ]
    )
    p = run(own_centre, with_sex)
    assert p.rows[0].changes == [("sex", "\u2014", "M")] and p.counts["no_sex"] == 0
    commit_import(p.import_obj, exams_officer)
    assert Learner.objects.get(pk=piotr.pk).sex == "M"


def test_a_learner_already_without_sex_is_flagged_again_while_the_file_gives_none(own_centre):
    LearnerFactory(centre=own_centre, admission_number="Q1", sex="", first_name="Quin",
                   last_name="Quail", date_of_birth=dt.date(2009, 5, 5))  # fmt: skip
    data = csv_bytes(
        [["Surname", "Forename", "DOB", "Adno"], ["Quail", "Quin", "05/05/2009", "Q1"]]
    )
    p = run(own_centre, data)
    (row,) = p.rows
    assert row.effect == "unchanged" and [w.reason for w in row.warnings] == [imports.SEX_NEEDED]
