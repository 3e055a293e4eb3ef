"""The one XLSX writer. Every spreadsheet btecqa produces for people is made by `xlsx_bytes`.

    xlsx_bytes([Sheet("Learners", [Column("Surname", 24), "Date of birth"], rows)])

What it guarantees, whatever the rows hold:

- **Never a formula.** Text starting = + - @ (or a tab or CR) is a string cell with Excel's
  quotePrefix style: exactly what Excel stores when someone types '=... by hand, so editing
  it keeps it text, and a re-import reads back the value that was exported.
- **Never raises on stored text.** What the validators refuse, and rows saved before them
  may hold, is shown: a control character as its Unicode control picture (U+000B as ␋),
  others as U+FFFD.
- **UK dates.** A date is a real date cell shown dd/mm/yyyy; a date and time is a local
  date-time shown dd/mm/yyyy hh:mm (Excel has no time zones).
- **Readable.** The heading row is bold and frozen; each column has a width: the one
  given, else one fitted to the heading and the first rows.
- **Flat memory.** Rows are streamed (openpyxl write_only); only the first
  `WIDTH_SAMPLE` rows of a sheet are held, to fit the widths.

A sheet may also be given as (title, headings, rows), headings as text or Columns.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from btecqa.validators import REFUSED_IN_MULTILINE

__all__ = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "Column",
    "Sheet",
    "safe_cell",
    "sheet_title",
    "storable_text",
    "xlsx_bytes",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
TIME_FORMAT = "hh:mm"
WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
_NUMBERS = (int, float, decimal.Decimal)
_TITLE_REFUSED = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    """A heading, and the column's width in characters (None: fitted to the content)."""

    heading: str
    width: float | None = None


@dataclass
class Sheet:
    title: str
    columns: Sequence[str | Column]
    rows: Iterable[Iterable]


def _visible(match: re.Match) -> str:
    """A control character shown as its Unicode control picture (U+000B as ␋), others as �."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return REPLACEMENT


def storable_text(text: str) -> str:
    """Text XLSX can hold: what the validators refuse (old rows may hold it) made visible.

    Tab and line breaks stay; a vertical tab becomes ␋, so the cell still shows where it was.
    """
    return REFUSED_IN_MULTILINE.sub(_visible, text)


def sheet_title(title: str) -> str:
    """A title Excel accepts: 31 characters, none of [ ] : * ? / \\."""
    return _TITLE_REFUSED.sub("-", storable_text(str(title)))[:31] or "Sheet"


def _styled(ws, value, number_format: str):
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _text_cell(ws, text: str):
    """A string cell, never a formula: quote-prefixed when it starts like one."""
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def safe_cell(ws, value):
    """What to append for one value: numbers and booleans as they are, dates as UK date
    cells, text made storable and never a formula, anything else as its text."""
    if value is None or isinstance(value, (bool, *_NUMBERS)):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return _styled(ws, value, DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return _styled(ws, value, DATE_FORMAT)
    if isinstance(value, dt.time):
        return _styled(ws, value, TIME_FORMAT)
    if isinstance(value, dt.timedelta):
        return value
    text = storable_text(value if isinstance(value, str) else str(value))
    return _text_cell(ws, text) if text.startswith(FORMULA_TRIGGERS) else text


def _shown_length(value) -> int:
    """About how many characters a value shows as (for fitting a column)."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = value if isinstance(value, str) else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _as_sheet(sheet) -> Sheet:
    return sheet if isinstance(sheet, Sheet) else Sheet(*sheet)


def xlsx_bytes(sheets: Iterable[Sheet | tuple[str, Sequence, Iterable[Iterable]]]) -> bytes:
    """A workbook of the sheets, in order (see the module docstring for what it guarantees)."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in map(_as_sheet, sheets):
        columns = [c if isinstance(c, Column) else Column(str(c)) for c in sheet.columns]
        ws = wb.create_sheet(title=sheet_title(sheet.title))
        rows = iter(sheet.rows)
        sample = [list(r) for r in itertools.islice(rows, WIDTH_SAMPLE)]
        for i, column in enumerate(columns):
            width = column.width
            if width is None:
                longest = max(
                    [len(column.heading), *(_shown_length(r[i]) for r in sample if i < len(r))]
                )
                width = min(MAX_WIDTH, max(MIN_WIDTH, longest + 2))
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        ws.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = _text_cell(ws, storable_text(str(column.heading)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in itertools.chain(sample, rows):
            ws.append([safe_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
