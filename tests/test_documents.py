"""The document toolkit (documents/): the page, tables, text, signature block, charts, XLSX.

What a reader of the PDF or the spreadsheet would notice: every page says where it is from,
which page it is of how many and when it was printed; a long table keeps its headings; text
is never lost or turned into markup; a spreadsheet never runs a formula, shows dates as
dates, keeps its heading row in view. Every XLSX export in the project goes through it.
"""

import datetime as dt
import io
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Group, PolyLine, Rect
from reportlab.platypus import PageBreak

from documents import charts
from documents.formats import uk_date, uk_datetime
from documents.pdf import (
    DataTable,
    Document,
    Line,
    TextBlock,
    mm,
    para,
    signed_block,
    text_width,
    unsigned_block,
    wrap_text,
)
from documents.xlsx import Column, Sheet, xlsx_bytes

from .pdf_reading import pdf_page_strings, pdf_strings, pdf_text

LONDON = ZoneInfo("Europe/London")
PRINTED = dt.datetime(2026, 9, 14, 9, 5, tzinfo=dt.UTC)  # 10:05 in London


def _document(**kwargs) -> Document:
    return Document(
        title="Class list", centre="Own Test Academy (40001)", printed=PRINTED, **kwargs
    )


# --- the page -------------------------------------------------------------------------------


def test_every_page_has_the_centre_title_printed_time_and_page_x_of_y():
    rows = [[str(n), f"Learner {n}", "17/05/2009"] for n in range(1, 201)]
    data = _document(footer="Class list · 12A").build(
        [para("Class list"), DataTable(["No.", "Name", "Date of birth"], rows)]
    )
    pages = pdf_page_strings(data)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert page[:2] == ["Own Test Academy (40001)", "Class list"]
        assert "Class list · 12A · printed 14/09/2026 10:05" in page
        assert f"Page {n} of " in page
        assert page[page.index(f"Page {n} of ") + 1] == str(len(pages))  # the total, last
    assert "PREVIEW" not in pdf_text(data)


def test_a_preview_says_so_on_every_page():
    story = [para("First letter"), PageBreak(), para("Second letter")]
    pages = pdf_page_strings(_document(preview=True).build(story))
    assert len(pages) == 2
    for page in pages:
        assert "PREVIEW" in page and "PREVIEW: nothing has been sent or recorded" in page


def test_a_landscape_document_is_landscape():
    data = _document(landscape=True).build([para("Wide")])
    assert re.search(rb"/MediaBox \[ 0 0 841.8898 595.2756 \]", data)
    assert re.search(rb"/Title \(Class list\)", data)


# --- tables and text --------------------------------------------------------------------------


def test_a_long_table_repeats_its_headings_and_never_splits_a_row():
    long_name = "Featherstonehaugh-Cholmondeley-Marjoribanks " * 3
    rows = [[str(n), f"{long_name}#{n}", "ok"] for n in range(1, 121)]
    data = _document().build(
        [DataTable(["No.", "Name", "Notes"], rows, [15 * mm, 60 * mm, 30 * mm])]
    )
    pages = pdf_page_strings(data)
    assert len(pages) >= 3
    seen = []
    for page in pages:
        assert page.count("No.") == 1 and page.count("Name") == 1  # headings on each page
        body = page[page.index("Notes") + 1 :]  # after the heading row
        starts = [i for i, s in enumerate(body) if s.startswith("Featherstonehaugh")]
        for i in starts:
            if re.fullmatch(r"\d+", body[i - 1]):  # a row begins: its number, then its name
                # ...and ends on the same page: the rest of the name, then "ok"
                assert "ok" in body[i : i + 6] and body[body.index("ok", i) - 1].endswith(
                    f"#{body[i - 1]}"
                )
                seen.append(body[i - 1])
    assert seen == [str(n) for n in range(1, 121)]
    text = pdf_text(data)
    assert "Featherstonehaugh-Cholmondeley-Marjoribanks Featherstonehaugh-" in text


def test_text_wraps_within_its_width_and_keeps_every_word():
    text = (
        "Exploring Business and Developing a Marketing Campaign " * 4 + "Supercalifragilistic" * 3
    )
    width = 40 * mm
    lines = wrap_text(text, width, "Helvetica", 9)
    assert len(lines) > 4
    assert all(text_width(line, "Helvetica", 9) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap_text("Two lines\nkept", 200) == ["Two lines", "kept"]
    assert wrap_text("", 50) == [""]


def test_text_is_printed_as_written_never_as_markup():
    risky = "O'Brien (née Smith) <b>not bold</b> & back\\slash"
    data = _document().build(
        [para(risky), DataTable(["Name"], [[risky]]), TextBlock([Line(risky)])]
    )
    strings = pdf_strings(data)
    assert strings.count(risky) == 2  # the table cell and the text block, drawn verbatim
    assert risky in pdf_text(data)  # and the paragraph


def test_a_character_outside_the_font_still_prints_as_a_visible_box():
    data = _document().build([DataTable(["Name"], [["Zhang 王"]]), TextBlock([Line("Li 王")])])
    text = pdf_text(data)
    assert "Zhang " in text and "Li " in text
    assert b"/ZapfDingbats" in data  # reportlab's box for a glyph Helvetica does not have


def test_a_letter_too_long_for_its_page_is_shrunk_onto_it():
    letter = [Line("Dear Kit,")] + [Line(f"Unit {n}: a long unit title " * 3) for n in range(80)]
    story = [TextBlock(letter, shrink=True), PageBreak(), TextBlock([Line("Second")], shrink=True)]
    pages = pdf_page_strings(_document().build(story))
    assert len(pages) == 2
    assert "Dear Kit," in pages[0] and any(s.startswith("Unit 79:") for s in pages[0])
    assert "Second" in pages[1]


def test_a_long_text_block_that_may_split_flows_onto_the_next_page():
    lines = [Line(f"Line {n}") for n in range(120)]
    pages = pdf_page_strings(_document().build([TextBlock(lines)]))
    assert len(pages) >= 2
    drawn = [s for page in pages for s in page if s.startswith("Line ")]
    assert drawn == [f"Line {n}" for n in range(120)]


# --- the signature block ---------------------------------------------------------------------


def test_the_signature_block_prints_signer_role_time_version_hash_and_statement():
    signature = SimpleNamespace(
        signer_name="Pat Leader",
        role_label="Programme Leader",
        signed_at=PRINTED,
        version=SimpleNamespace(number=3),
        sha256="ab" * 32,
        statement="I have checked these entries.",
    )
    text = pdf_text(_document().build([signed_block(signature)]))
    assert "Signed by Pat Leader, Programme Leader, on 14/09/2026 at 10:05: version 3." in text
    assert f"SHA-256 {'ab' * 32}" in text
    assert "Statement signed: \u201cI have checked these entries.\u201d" in text

    blank = pdf_text(
        _document().build([unsigned_block("I confirm.", signer="Programme leader", name="Pat")])
    )
    assert "I confirm." in blank and "Programme leader: Pat" in blank
    assert "Signed ____" in blank and "Date ____" in blank
    assert not re.search(r"SHA-256 [0-9a-f]{64}", blank)


def test_dates_and_times_read_the_uk_way_in_local_time():
    assert uk_date(dt.date(2026, 9, 1)) == "01/09/2026"
    assert uk_date("2009-05-17") == "17/05/2009"
    assert uk_date(None) == "" and uk_date("") == ""
    winter = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    assert uk_datetime(winter) == "01/12/2026 at 23:30"
    assert uk_datetime(PRINTED) == "14/09/2026 at 10:05"  # British Summer Time
    assert uk_date(dt.datetime(2026, 9, 14, 23, 30, tzinfo=dt.UTC)) == "15/09/2026"


# --- charts --------------------------------------------------------------------------------


def _parts(node):
    if isinstance(node, Group):
        for child in node.contents:
            yield from _parts(child)
    else:
        yield node


def _widget(drawing, kind):
    return next(c for c in drawing.contents if isinstance(c, kind))


def test_a_bar_chart_draws_each_value_to_scale_with_its_labels_and_legend():
    drawing = charts.bar_chart(
        ["2024/25", "2025/26", "2026/27"],
        {"Registered": [120, 240, 60], "Withdrawn": [6, 12, 3]},
        title="Registrations by year",
        value_label="learners",
    )
    bars = [p for p in _parts(_widget(drawing, VerticalBarChart).draw()) if isinstance(p, Rect)]
    heights = [b.height for b in bars]
    assert len(bars) == 6
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[0] == pytest.approx(
        20 * heights[3]
    )
    assert {b.fillColor for b in bars[:3]} == {charts.PALETTE[0]}
    assert {b.fillColor for b in bars[3:]} == {charts.PALETTE[1]}
    text = pdf_text(_document().build([drawing]))
    for label in ("Registrations by year", "Registered", "Withdrawn", "learners", "2025/26"):
        assert label in text, label
    assert "250" in text  # the axis ends at a round number above the largest value


def test_a_line_chart_draws_each_series_through_its_points():
    drawing = charts.line_chart(
        ["Sep", "Oct", "Nov"],
        {"On time": [80.0, None, 95.0], "Late": [20.0, 10.0, 5.0]},
        title="Decisions on time",
        percent=True,
    )
    lines = [
        p for p in _parts(_widget(drawing, HorizontalLineChart).draw()) if isinstance(p, PolyLine)
    ]
    on_time, late = ([p.points[i + 1] for i in range(0, len(p.points), 2)] for p in lines)
    assert len(on_time) == 2 and on_time[1] > on_time[0]  # Oct has no point; Nov is higher
    assert late[0] > late[1] > late[2]
    text = pdf_text(_document().build([drawing]))
    assert "Decisions on time" in text and "On time" in text and "100%" in text and "Oct" in text


def test_a_chart_refuses_a_series_of_the_wrong_length_and_says_when_empty():
    with pytest.raises(ValueError, match="Series “Passed” has 2 values for 3 labels"):
        charts.bar_chart(["A", "B", "C"], {"Passed": [1, 2]})
    with pytest.raises(ValueError, match="not a number"):
        charts.line_chart(["A"], {"Passed": ["ten"]})
    with pytest.raises(ValueError, match="at least one series"):
        charts.bar_chart(["A"], {})
    empty = pdf_text(_document().build([charts.bar_chart(["A"], {"X": [0]}, title="Claims")]))
    assert "Claims" in empty and "No figures to show yet." in empty


@pytest.mark.parametrize(
    "largest, top, step",
    [(7, 8, 2), (120, 125, 25), (240, 250, 50), (1, 1, 0.2), (0, 1, 0.2), (9999, 10000, 2000)],
)
def test_the_value_axis_ends_at_a_round_number(largest, top, step):
    assert charts.nice_axis(largest) == (pytest.approx(top), pytest.approx(step))


# --- XLSX ----------------------------------------------------------------------------------


def _sheet(data: bytes, title: str | None = None):
    wb = load_workbook(io.BytesIO(data))
    return wb[title] if title else wb.worksheets[0]


def test_an_xlsx_never_holds_a_formula_or_a_character_excel_refuses():
    data = xlsx_bytes(
        [
            Sheet(
                "Learners",
                ["Name", "Note"],
                [['=HYPERLINK("x")', "+44 1234"], ["Hale\x0bWood", "@a"]],
            )
        ]
    )
    ws = _sheet(data)
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [
        ['=HYPERLINK("x")', "+44 1234"],
        ["Hale\u240bWood", "@a"],
    ]
    for cell in (ws["A2"], ws["B2"], ws["B3"]):
        assert cell.data_type == "s" and cell.quotePrefix


def test_an_xlsx_writes_uk_dates_as_real_dates_and_local_times():
    rows = [[dt.date(2009, 5, 17), dt.datetime(2026, 9, 14, 9, 5, tzinfo=dt.UTC), 12, True, None]]
    ws = _sheet(xlsx_bytes([Sheet("Dates", ["Born", "Signed at", "GLH", "Live", "Left"], rows)]))
    born, signed, glh, live, left = (ws.cell(2, c) for c in range(1, 6))
    assert born.value == dt.datetime(2009, 5, 17) and born.number_format == "dd/mm/yyyy"
    assert signed.value == dt.datetime(2026, 9, 14, 10, 5) and signed.number_format == (
        "dd/mm/yyyy hh:mm"
    )
    assert (glh.value, live.value, left.value) == (12, True, None)


def test_an_xlsx_freezes_its_heading_row_and_sets_column_widths():
    rows = ([f"Learner {n}", "x" * (n % 30), dt.date(2009, 1, 1)] for n in range(500))
    data = xlsx_bytes(
        [
            Sheet("Wide", [Column("Name", 30), "Remarks", "Date of birth"], rows),
            ("Second", ["A"], [[1]]),  # (title, headings, rows) works too
        ]
    )
    ws = _sheet(data, "Wide")
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert ws.column_dimensions["A"].width == 30
    assert ws.column_dimensions["B"].width == 31  # the longest of the first rows, plus 2
    assert ws.column_dimensions["C"].width == 15  # "Date of birth" and its dates
    assert ws.max_row == 501  # every streamed row, not only the ones measured
    assert _sheet(data, "Second").freeze_panes == "A2"


# --- every export in the project goes through it -------------------------------------------------


@pytest.mark.django_db
def test_every_xlsx_export_has_frozen_headings_widths_and_uk_dates(client):
    """As the demo's exams officer: learners, class lists, programmes, entry lists, the
    Pearson sheet and the catalogue structure."""
    from accounts.models import User
    from btecqa.demo import load_demo
    from learners.models import Cohort
    from qualifications.models import Qualification
    from registrations.models import EntryList

    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0, tzinfo=LONDON), tick=False):
        load_demo()
        user = User.objects.get(username="eo")
        client.force_login(user)
        centre = user.role_assignments.get().centre
        cohort = Cohort.objects.filter(centre=centre).first()
        entry_list = EntryList.objects.filter(cohort__centre=centre).first()
        urls = {
            "learners": reverse("learners:learners_export"),
            "cohorts": reverse("learners:cohorts_export"),
            "class list": reverse("learners:class_list_export", args=[cohort.pk]),
            "entry list": reverse("registrations:entry_list_xlsx", args=[entry_list.pk]),
            "catalogue": reverse(
                "catalogue:qualification_export",
                args=[Qualification.objects.filter(units__isnull=False).first().pk],
            ),
        }
        pearson = client.get(reverse("registrations:pearson_xlsx", args=[entry_list.pk]))
        if pearson["Content-Type"].startswith("application/vnd.openxmlformats"):
            urls["for Pearson"] = pearson.request["PATH_INFO"]
        dated = 0
        for name, url in urls.items():
            response = client.get(url)
            assert response.status_code == 200, name
            wb = load_workbook(io.BytesIO(response.content))
            for ws in wb.worksheets:
                assert ws.freeze_panes == "A2", (name, ws.title)
                assert ws.column_dimensions["A"].width, (name, ws.title)
                for row in ws.iter_rows(min_row=2):
                    for cell in row:
                        if isinstance(cell.value, dt.datetime):
                            assert cell.number_format in ("dd/mm/yyyy", "dd/mm/yyyy hh:mm")
                            dated += 1
                        assert cell.data_type != "f", (name, cell.coordinate)
        assert dated > 0
