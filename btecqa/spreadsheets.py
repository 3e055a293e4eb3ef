"""Writing XLSX for people to open in Excel: streamed, and safe from formula injection."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """A cell value that Excel will never run: text starting = + - @ gets a leading apostrophe.

    OWASP's advice for CSV/XLSX injection. Numbers and dates pass through as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def xlsx_bytes(sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> bytes:
    """Build a workbook from (sheet title, headings, rows) with write_only (flat memory)."""
    wb = Workbook(write_only=True)
    for title, headings, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        header = []
        for h in headings:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([safe_text(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
