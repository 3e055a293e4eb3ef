"""Rows streamed from a checked file: CSV over a text stream, XLSX through openpyxl.

``open_table(data, file_type)`` gives a ``Table`` of ``Sheet``s (a CSV is one sheet); each
sheet's ``rows()`` yields (row number as the spreadsheet numbers it, cells), one row at a
time. Cells are the values (str, int, float, bool, datetime, None); a formula cell of an
XLSX is a ``Formula`` (its text, "=SUM(A1:A3)"), never its cached result, and so is a CSV
cell that a spreadsheet would run ("=…"). Text in an XLSX that only starts with "=" (typed
with a leading quote, or exported by btecqa's own writer) stays text.

The XLSX reader is openpyxl's read-only reader with four small overrides, pinned by
uv.lock (tests/test_tabular.py fails if an openpyxl upgrade breaks them): no sizing pass
over a sheet without stored dimensions, each row dropped from the parsed tree once read
(memory flat in the rows), values built straight from the parsed cells, and inline
strings read from their XML without openpyxl's descriptor classes.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .files import XLSX
from .problems import FileRefused

HEADER_SEARCH_ROWS = 10  # the header row is looked for among this many non-blank rows
CSV_DELIMITERS = ",;\t|"
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAC_EPOCH = dt.date(1904, 1, 1)


class Formula(str):
    """A formula cell: its text as the file holds it ("=UPPER(A2)"); never evaluated."""

    __slots__ = ()


def is_formula(value) -> bool:
    return value.__class__ is Formula


def cell_text(value) -> str:
    """A cell as the text a person sees: dates dd/mm/yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


@functools.lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Sheet:
    name: str
    _rows: Callable[[], Iterator[tuple[int, tuple]]]
    date_base: dt.date = EXCEL_EPOCH  # day 0 of the file's date serials

    def rows(self) -> Iterator[tuple[int, tuple]]:
        return self._rows()


class Table:
    """An open file's sheets, in the workbook's order (a CSV has one, named "")."""

    def __init__(self, sheets: list[Sheet], close=None):
        self.sheets = sheets
        self._close = close

    @property
    def first(self) -> Sheet | None:
        return self.sheets[0] if self.sheets else None

    def sheet(self, name: str) -> Sheet | None:
        """The sheet of this name, whatever its case and surrounding spaces."""
        wanted = name.strip().casefold()
        return next((s for s in self.sheets if s.name.strip().casefold() == wanted), None)

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _binary(data):
    """A binary file of data: bytes, or already an open file (a kept file, read as needed)."""
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def open_table(
    data, file_type: str, *, encoding: str = "utf-8", score: Callable | None = None
) -> Table:
    """The file's sheets, ready to stream. score(cells) -> int rates a CSV row as headings
    (how many it recognises), to tell the delimiter of a CSV with title lines above them."""
    if file_type == XLSX:
        return _open_xlsx(data)
    return _open_csv(data, encoding, score)


# --------------------------------------------------------------------------- XLSX


def _unreadable(exc: Exception) -> FileRefused:
    return FileRefused(
        f"the XLSX file could not be read ({type(exc).__name__}); open it in Excel and save "
        "it again"
    )


def _open_xlsx(data) -> Table:
    try:
        reader = _read_only_reader()(
            _binary(data), read_only=True, data_only=False, keep_links=False
        )
        reader.read()
        wb = reader.wb
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise _unreadable(exc) from None
    base = MAC_EPOCH if getattr(wb, "epoch", None) and wb.epoch.year == 1904 else EXCEL_EPOCH
    sheets = []
    for ws in wb.worksheets:

        def rows(ws=ws):
            try:
                yield from ws.value_rows()
            except Exception as exc:  # damaged sheet XML, found only as it is read
                raise _unreadable(exc) from None

        sheets.append(Sheet(ws.title, rows, base))
    return Table(sheets, close=wb.close)


@functools.cache
def _read_only_reader():
    """openpyxl's reader for load_workbook(read_only=True), with the overrides above."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    data_tag = f"{{{SHEET_MAIN_NS}}}sheetData"
    text_tag, run_tag = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            """An inline string (what openpyxl's own write-only files and many exports hold)
            read straight from its <t> and runs, as openpyxl's Text.content joins them, not
            through its descriptor classes; every other cell as openpyxl reads it."""
            if element.get("t") != "inlineStr" or element.find(FORMULA_TAG) is not None:
                return super().parse_cell(element)
            coordinate = element.get("r")
            if coordinate:
                row, column = coordinate_to_tuple(coordinate)
                self.col_counter = column
            else:
                self.col_counter += 1
                row, column = self.row_counter, self.col_counter
            value = None
            child = element.find(INLINE_STRING)
            if child is not None:
                parts = [t.text or "" for t in child.findall(text_tag)]
                parts += [r.findtext(text_tag) or "" for r in child.findall(run_tag)]
                value = "".join(parts)
            style_id = element.get("s", 0)
            return {
                "row": row,
                "column": column,
                "value": value,
                "data_type": "s",
                "style_id": int(style_id) if style_id else 0,
            }

        def parse(self):
            """The rows, each dropped from the parsed tree once read.

            openpyxl's parser clears each row it has read but leaves it in the tree, about
            80 bytes a row for the whole sheet; this one removes it. It reads only the rows
            (a read-only sheet's values need nothing else), and only start events: a row
            is whole once the next one starts, or the sheet has ended.
            """
            rows = pending = None
            for _event, element in iterparse(self.source, events=("start",)):
                tag = element.tag
                if tag == ROW_TAG:
                    if pending is not None:
                        yield self._take(pending, rows)
                    pending = element
                elif tag == data_tag:
                    rows = element
            if pending is not None:
                yield self._take(pending, rows)

        def _take(self, element, rows):
            row = self.parse_row(element)
            element.clear()
            if rows is not None:
                rows.remove(element)  # the first child: every row before it is gone
            return row

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):  # dimensions unknown: every row there is is read
            self._max_row = self._max_column = None

        def value_rows(self):
            """(row number, values) for each row the sheet stores, in order."""
            with self._get_source() as src:
                parser = Parser(
                    src,
                    self._shared_strings,
                    data_only=False,
                    epoch=self.parent.epoch,
                    date_formats=self.parent._date_formats,
                    timedelta_formats=self.parent._timedelta_formats,
                )
                for idx, cells in parser.parse():
                    if not cells:
                        yield idx, ()
                        continue
                    values = [None] * cells[-1]["column"]
                    for c in cells:
                        value = c["value"]
                        if c["data_type"] == "f":
                            value = Formula(getattr(value, "text", value) or "=")
                        values[c["column"] - 1] = value
                    yield idx, values

    class Reader(ExcelReader):
        def read_worksheets(self):  # read-only: worksheets only, as openpyxl opens them
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader


# --------------------------------------------------------------------------- CSV


def _open_csv(data, encoding: str, score) -> Table:
    stream = io.TextIOWrapper(_binary(data), encoding=encoding or "utf-8", newline="")
    sample = stream.read(64 * 1024)
    stream.seek(0)
    delimiter = csv_delimiter(sample, score)

    def rows():
        n = 0
        try:
            for n, values in enumerate(csv.reader(stream, delimiter=delimiter), start=1):  # noqa: B007
                for i, v in enumerate(values):
                    if v[:1] == "=" and len(v) > 1:  # a spreadsheet would run it
                        values[i] = Formula(v)
                yield n, values
        except csv.Error as exc:
            raise FileRefused(f"the CSV could not be read ({exc})", row=n + 1) from None

    return Table([Sheet("", rows)], close=stream.detach)


def csv_delimiter(sample: str, score=None) -> str:
    """The delimiter of a CSV from its first 64 KB: csv.Sniffer's, checked against headings.

    The sniffer wants every line alike, so a title line and a blank line above the headings
    (as SIMS reports have) defeat it. When its choice (or its failure) gives no header row,
    the delimiter that splits one of the first rows into two recognised headings wins; with
    none, the one that splits the first rows widest (a file for the mapping step). Line
    endings may be CRLF, LF or an old Mac's lone CR.
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if score is None:
        return sniffed or ","

    def rate(delimiter: str) -> tuple[int, int]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        recognised = widest = 0
        try:
            for cells in itertools.islice((r for r in reader if any(r)), HEADER_SEARCH_ROWS):
                recognised, widest = max(recognised, score(cells)), max(widest, len(cells))
        except csv.Error:  # a sample cut inside a quoted cell: what was read counts
            pass
        return recognised, widest

    if sniffed is not None and rate(sniffed)[0] >= 2:
        return sniffed
    rates = {d: rate(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: (rates[d], d == sniffed, d == ","))
    if rates[best][0] >= 2 or sniffed is None:
        return best
    return sniffed
