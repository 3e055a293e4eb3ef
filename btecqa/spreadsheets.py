"""Spreadsheets in and out. Writing: every XLSX btecqa produces goes through `xlsx_bytes`,
which is streamed (write_only, flat memory), safe from formula injection, and never raises on
stored text. Reading: `inspect_xlsx_archive` checks an upload before openpyxl opens it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import zipfile
from collections.abc import Callable, Iterable

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .validators import REFUSED_IN_MULTILINE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_PLAIN = (int, float, decimal.Decimal, dt.date, dt.time, dt.timedelta, type(None))
_TITLE_REFUSED = re.compile(r"[\[\]:*?/\\]")


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


def safe_cell(ws, value):
    """A cell Excel will never run, holding text openpyxl will always accept.

    Text starting = + - @ is a string cell with Excel's quotePrefix style, which is exactly
    what Excel stores when someone types '=... by hand, so editing it keeps it text; the value
    itself is unchanged (a re-import reads what was exported). Numbers and dates pass through;
    anything else is written as its text.
    """
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, bool) or isinstance(value, _PLAIN):
        return value
    value = storable_text(value if isinstance(value, str) else str(value))
    return _text_cell(ws, value) if value.startswith(FORMULA_TRIGGERS) else value


def _text_cell(ws, text: str):
    """A string cell, never a formula: quote-prefixed when it starts like one."""
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def sheet_title(title: str) -> str:
    """A title Excel accepts: 31 characters, none of [ ] : * ? / \\."""
    return _TITLE_REFUSED.sub("-", storable_text(str(title)))[:31] or "Sheet"


def xlsx_bytes(
    sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]],
    *,
    width: Callable[[str], float | None] | None = None,
    freeze_header: bool = False,
) -> bytes:
    """Build a workbook from (sheet title, headings, rows), streamed (flat memory).

    width(heading) gives a column's width in characters (None for Excel's default);
    freeze_header keeps the heading row in view while scrolling.
    """
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headings, rows in sheets:
        ws = wb.create_sheet(title=sheet_title(title))
        if width:
            for i, h in enumerate(headings, start=1):
                if (w := width(h)) is not None:
                    ws.column_dimensions[get_column_letter(i)].width = w
        if freeze_header:
            ws.freeze_panes = "A2"
        header = []
        for h in headings:
            cell = _text_cell(ws, storable_text(str(h)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([safe_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_DAMAGED = "damaged"
XLSX_NOT_WORKBOOK = "not_workbook"
XLSX_BOMB = "bomb"
XLSX_MACROS = "macros"


def inspect_xlsx_archive(
    data: bytes, *, max_expanded: int, max_members: int = 10_000, max_ratio: int = 100
) -> tuple[str | None, int]:
    """Check an uploaded XLSX's zip directory before openpyxl opens it.

    Returns (problem, expanded bytes); problem is None or one of the XLSX_* codes,
    which each caller words for its own screen. The declared sizes bind: zipfile
    stops at file_size and fails the CRC on a lie, so summing them is safe.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return XLSX_DAMAGED, 0
    names = {i.filename for i in infos}
    expanded = sum(i.file_size for i in infos)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return XLSX_NOT_WORKBOOK, expanded
    one_mb = 1024 * 1024
    if (
        len(infos) > max_members
        or expanded > max_expanded
        or any(
            i.file_size > one_mb and i.file_size > max_ratio * max(i.compress_size, 1)
            for i in infos
        )
    ):
        return XLSX_BOMB, expanded
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return XLSX_MACROS, expanded
    return None, expanded
