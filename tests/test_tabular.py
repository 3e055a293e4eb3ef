"""The import framework (tabular/), through the three importers that stand on it.

What each importer used to do its own way is done once now; these tests hold all three to
it: old-Mac CR-only line endings, a value past the last heading, formula cells versus text
that only starts with "=", a column mapping remembered for any import, the one problem
type, and the openpyxl overrides the reader relies on.
"""

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import Workbook

from accounts.roles import Role
from learners import imports
from learners.models import Learner
from qualifications import catalogue
from qualifications.models import Qualification
from registrations import number_import
from tabular import reading
from tabular.columns import Field, Layout
from tabular.files import CSV, XLSX, check_file
from tabular.models import ColumnMapping
from tabular.pipeline import Preview, parse_rows, read_header
from tabular.problems import FileRefused, Problem
from tabular.services import remember_mapping

from .factories import LearnerFactory
from .test_catalogue import edited
from .test_learner_import import SIMPLE, csv_bytes, make_uln, xlsx_bytes


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def learners_preview(centre, data, name="mis.csv", **kw):
    return imports.preview_import(
        centre=centre, kind="learners", uploaded_file=data, file_name=name, **kw
    )


def messages(preview):
    return [str(p) for p in preview.errors]


# --------------------------------------------------------------------------- line endings


def test_an_old_mac_file_with_cr_only_line_endings_imports(own_centre):
    # Classic Mac OS (and some MIS "CSV for Mac" exports) end lines with a lone CR; the
    # delimiter sniff used to read the sample as one line and raise _csv.Error.
    data = (
        "Student list\r\r"
        "Legal Surname,Legal Forename,DOB,Gender,Adno\r"
        "Smith,Jo,01/02/2009,F,A1\r"
        "Jones,Al,02/03/2009,M,A2\r"
    ).encode("cp1252")
    p = learners_preview(own_centre, data)
    assert p.ok, messages(p)
    assert p.header_row == 3 and [r.values["last_name"] for r in p.rows] == ["Smith", "Jones"]
    imports.commit_import(p.import_obj, None)
    assert set(Learner.objects.values_list("admission_number", flat=True)) == {"A1", "A2"}


def test_cr_only_semicolons_are_sniffed_too(own_centre):
    data = b"Surname;Forename;DOB;Sex\rSmith;Jo;01/02/2009;F\r"
    p = learners_preview(own_centre, data)
    assert p.ok and p.rows[0].values["first_name"] == "Jo"


# --------------------------------------------------------------------------- past the headings


def test_a_value_past_the_last_heading_is_an_error_naming_row_and_column(own_centre):
    rows = [
        ["Surname", "Forename", "DOB", "Sex"],
        ["Smith", "Jo", "01/02/2009", "F"],
        ["Jones", "Al", "02/03/2009", "M", "", "left in 2025"],
    ]
    p = learners_preview(own_centre, csv_bytes(rows))
    assert messages(p) == [
        "row 3, column F: a value past the last heading (Sex): give its column a heading, "
        "or delete it"
    ]
    assert p.errors[0].value == "left in 2025"
    assert [r.effect for r in p.rows] == ["create", "error"]


def test_a_value_past_the_last_heading_in_an_xlsx(own_centre):
    data = xlsx_bytes(
        [["Surname", "Forename", "DOB", "Sex"], ["Smith", "Jo", "01/02/2009", "F", 7]]
    )
    p = learners_preview(own_centre, data, "mis.xlsx")
    assert messages(p) == [
        "row 2, column E: a value past the last heading (Sex): give its column a heading, "
        "or delete it"
    ]


def test_blank_cells_past_the_last_heading_are_fine(own_centre):
    rows = [["Surname", "Forename", "DOB", "Sex"], ["Smith", "Jo", "01/02/2009", "F", "", "  "]]
    assert learners_preview(own_centre, csv_bytes(rows)).ok


@time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True)
def test_the_registration_number_import_refuses_a_value_past_the_headings(own_centre, cast):
    rows = [["Registration Number", "ULN"], ["R1", make_uln(1), "extra"]]
    imp = number_import.preview_registration_numbers(
        csv_bytes(rows), own_centre, cast[Role.EXAMS_OFFICER], file_name="eol.csv"
    )
    (row,) = number_import.logged_rows(imp)
    assert row.outcome == "error"
    assert [(p.row, p.column, p.reason) for p in row.problems][0] == (
        2,
        "C",
        "a value past the last heading (ULN): give its column a heading, or delete it",
    )


def test_the_catalogue_import_refuses_a_value_past_the_headings(db):
    catalogue.load_shipped_qualifications()
    business = Qualification.objects.get(number="601/7159/5")
    data = edited(catalogue.export_structure_xlsx(business), ("Units", "G3", "a note"))
    result = catalogue.import_structure_xlsx(data, None)
    assert not result.ok
    assert [str(e) for e in result.errors] == [
        "Units row 3, column G: a value past the last heading (Mandatory): give its column "
        "a heading, or delete it"
    ]


# --------------------------------------------------------------------------- formulas


def test_formula_cells_are_refused_but_text_starting_with_equals_is_text(own_centre):
    wb = Workbook()
    ws = wb.active
    ws.append(["Surname", "Forename", "DOB", "Sex"])
    ws.append(["Smith", "Jo", "01/02/2009", "F"])
    ws["A2"] = '=UPPER("smith")'  # a formula cell
    ws.append(["=Jones", "Al", "02/03/2009", "M"])
    ws["A3"].data_type = "s"  # text that only starts with "=", as a quote-prefixed cell
    out = io.BytesIO()
    wb.save(out)
    p = learners_preview(own_centre, out.getvalue(), "mis.xlsx")
    assert messages(p) == ["row 2, column Surname: formulas are not accepted; paste values"]
    assert p.rows[1].effect == "create" and p.rows[1].values["last_name"] == "=Jones"


def test_a_csv_cell_a_spreadsheet_would_run_is_a_formula():
    table = reading.open_table(b"a,b\r\n=1+1,=\r\n", CSV, encoding="utf-8")
    (_header, (_n, cells)) = list(table.first.rows())
    assert reading.is_formula(cells[0]) and not reading.is_formula(cells[1])


# --------------------------------------------------------------------------- the reader


def test_the_xlsx_reader_streams_rows_of_a_sheet_without_dimensions():
    """openpyxl internals the reader overrides (pinned by uv.lock): a write-only workbook
    stores no dimensions; every row is read, in order, with its spreadsheet row number,
    each cell a value, a formula a Formula, a date a datetime."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    ws.append(["Title"])
    ws.append([])
    ws.append(["Name", "Born", "Sum"])
    for i in range(2000):
        ws.append([f"N{i}", dt.datetime(2009, 1, 1) + dt.timedelta(days=i % 300), "=1+2"])
    out = io.BytesIO()
    wb.save(out)
    kind = check_file(out.getvalue())
    assert kind.kind == XLSX
    with reading.open_table(out.getvalue(), XLSX) as table:
        rows = list(table.sheet(" data ").rows())
    assert [n for n, _ in rows[:3]] == [1, 2, 3] and not any(rows[1][1])  # row 2 is empty
    assert rows[-1][0] == 2003 and len(rows) == 2003
    name, born, total = rows[3][1]
    assert (name, born) == ("N0", dt.datetime(2009, 1, 1))
    assert reading.is_formula(total) and total == "=1+2"


def test_a_damaged_sheet_is_refused_as_it_is_read():
    data = xlsx_bytes([["Surname", "Forename"], ["Smith", "Jo"]])
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # cut short
            dst.writestr(info, body)
    with reading.open_table(out.getvalue(), XLSX) as table, pytest.raises(FileRefused) as exc:
        list(table.first.rows())
    assert "could not be read" in str(exc.value)


# --------------------------------------------------------------------------- columns and cells


LAYOUT = Layout(
    [
        Field("name", "name", ("Full Name", "Name"), required=True),
        Field("ref", "reference", ("Reference", "Ref")),
    ]
)


def _read(rows, mapping=None):
    sheet = reading.Sheet("", lambda: enumerate(rows, start=1))
    preview = Preview()
    header, data_rows = read_header(sheet, preview, LAYOUT, LAYOUT.mapping_index(mapping))
    return preview, header, data_rows


def test_the_more_specific_heading_wins_and_the_other_is_named():
    preview, header, _rows = _read([["Name", "Full Name", "Ref"], ["a", "b", "c"]])
    assert header.used == {"name": 1, "ref": 2}
    assert [c.status for c in preview.columns] == [
        "not used: Full Name gives the name",
        "used",
        "used",
    ]


def test_two_columns_headed_alike_are_refused():
    preview, header, _rows = _read([["Name", "Ref", "name"], ["a", "b", "c"]])
    assert header is None
    assert [str(p) for p in preview.file_errors] == [
        "row 1: columns Name and name are both headed \u201cName\u201d: keep one"
    ]


def test_a_required_value_is_named_after_the_rows_other_problems():
    _preview, header, rows = _read([["Name", "Ref"], ["", reading.Formula("=A1")], ["Jo", "x"]])
    from tabular.cells import Context

    parsed = list(parse_rows(rows, header, LAYOUT, Context(dt.date(2026, 1, 1))))
    assert [str(p) for p in parsed[0].errors] == [
        "row 2, column Ref: formulas are not accepted; paste values",
        "row 2, column Name: missing: a name is required",
    ]
    assert parsed[1].vals == ("Jo", "x") and not parsed[1].errors


def test_problems_print_with_their_sheet_row_and_column():
    assert str(Problem("bad", 3, "ULN", "1")) == "row 3, column ULN: bad"
    assert str(Problem("bad", 3, "A (Unit number)", sheet="Units")) == (
        "Units row 3, column A (Unit number): bad"
    )
    assert str(Problem("too big", column="GLH", sheet="Units")) == "Units, column GLH: too big"
    assert str(Problem("the file is empty")) == "the file is empty"
    p = Problem("bad", 3, "C", "x", "Units")
    assert Problem.from_dict(p.as_dict()) == p


# --------------------------------------------------------------------------- mappings


@time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True)
def test_a_mapping_is_remembered_per_centre_for_any_kind_of_import(own_centre, other_centre, cast):
    learner = LearnerFactory(centre=own_centre, uln=make_uln(5))
    rows = [["Pearson Ref", "Learner ULN"], ["R1", learner.uln]]
    eo = cast[Role.EXAMS_OFFICER]
    imp = number_import.preview_registration_numbers(csv_bytes(rows), own_centre, eo)
    assert imp.errors[0]["reason"].startswith("wrong layout: none of the first 10 rows")
    remember_mapping(
        own_centre,
        number_import.KIND,
        {"Pearson Ref": "registration_number", "Learner ULN": "uln"},
        allowed=number_import.LAYOUT.fields,
        user=eo,
    )
    imp = number_import.preview_registration_numbers(csv_bytes(rows), own_centre, eo)
    (row,) = number_import.logged_rows(imp)
    assert row.learner_id == learner.pk  # read through the remembered mapping
    assert set(ColumnMapping.objects.values_list("centre", "kind")) == {
        (own_centre.pk, "registration_numbers")
    }
    with pytest.raises(ValueError):
        remember_mapping(own_centre, "learners", {"x": "nonsense"}, allowed=imports.FIELDS)


def test_the_learner_import_keeps_its_mapping_under_its_own_kind(own_centre):
    imports.save_mapping(own_centre, "learners", {"Pupil Surname": "last_name"})
    imports.save_mapping(own_centre, "class_list", {"Form": "group"})
    assert dict(ColumnMapping.objects.values_list("kind", "mapping")) == {
        "learners": {"pupil surname": "last_name"},
        "class_list": {"form": "group"},
    }


def test_sims_file_still_reads_every_column_as_before(own_centre):
    data = csv_bytes([SIMPLE, ["Able", "Ann", "01/01/2009", "F", "1", make_uln(1), "0001"]])
    p = learners_preview(own_centre, data)
    assert p.ok and [c.label for c in p.columns] == [
        "legal last name",
        "legal first name",
        "date of birth",
        "sex",
        "admission number",
        "ULN",
        "candidate number",
    ]


# --------------------------------------------------------------------------- repeats


@pytest.fixture
def crowded(monkeypatch):
    """A filter of 64 bits: nearly every value looks seen before, so each is confirmed."""
    from tabular.rowlog import Repeats

    monkeypatch.setattr(Repeats, "BITS", 64)


def test_values_repeated_in_the_file_are_found_in_fixed_memory(monkeypatch):
    from tabular.rowlog import Repeats

    monkeypatch.setattr(Repeats, "BUFFER", 1000)  # most entries go through the file
    repeats = Repeats()
    for row in range(2, 20_002):
        repeats.add(("uln", row), row, 3)
    repeats.add(("uln", 77), 20_002, 3)
    repeats.add(("adno", 77), 20_003, 1)
    assert repeats.groups() == [(3, [77, 20_002])]
    assert len(repeats._bits) == Repeats.BITS // 8 and len(repeats._hashes) < 1000
    repeats.close()


def test_a_crowded_filter_never_reports_a_false_repeat(own_centre, crowded):
    rows = [
        [f"Sur{i}", f"Fore{i}", "01/01/2009", "F", f"S{i}", make_uln(700 + i), f"{200 + i:04d}"]
        for i in range(60)
    ]
    p = learners_preview(own_centre, csv_bytes([SIMPLE, *rows]))
    assert p.ok, messages(p)
    done = imports.commit_import(p.import_obj, None)
    assert done.counts["create"] == 60 == Learner.objects.filter(centre=own_centre).count()


def test_a_crowded_filter_still_finds_the_real_repeat(own_centre, crowded):
    rows = [
        [f"Sur{i}", f"Fore{i}", "01/01/2009", "F", f"S{i}", make_uln(800 + i), ""]
        for i in range(30)
    ]
    rows[20][4] = "S3"  # row 22 repeats row 5's admission number
    p = learners_preview(own_centre, csv_bytes([SIMPLE, *rows]))
    assert messages(p) == [
        "row 5, column Adno: admission number S3 appears more than once in the file (also row 22)",
        "row 22, column Adno: admission number S3 appears more than once in the file (also row 5)",
    ]


def test_a_learner_listed_twice_for_a_group_is_an_error_on_both_rows(own_centre):
    from .factories import CohortFactory

    for i in range(3):
        LearnerFactory(centre=own_centre, admission_number=f"C{i}")
    cohort = CohortFactory(centre=own_centre)
    data = csv_bytes(
        [["Adno", "Class"], ["C0", "12A"], ["C1", "12A"], ["C0", "12a"], ["C2", "12B"]]
    )
    p = imports.preview_import(
        centre=own_centre,
        kind="class_list",
        uploaded_file=data,
        file_name="class.csv",
        cohort=cohort,
    )
    learner = str(Learner.objects.get(admission_number="C0"))
    assert messages(p) == [
        f"row 2, column Class: {learner} is listed for group 12A again on row 4",
        f"row 4, column Class: {learner} is listed for group 12a again on row 2",
    ]
    assert [r.effect for r in p.rows] == ["error", "add", "error", "add"]


def test_inline_strings_read_as_openpyxl_reads_them():
    """Plain and rich (runs) inline strings, spaces kept: what openpyxl's own reader gives."""
    from openpyxl import load_workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Note"])
    ws.append(["  Zoë  ", CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " end"])])
    ws.append(["", "x"])
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    with reading.open_table(data, XLSX) as table:
        ours = [cells for _n, cells in table.first.rows()]
    theirs = [list(r) for r in load_workbook(io.BytesIO(data), read_only=True).active.values]
    assert ours == theirs == [["Name", "Note"], ["  Zoë  ", "plain bold end"], [None, "x"]]
