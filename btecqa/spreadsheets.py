"""Writing XLSX for people to open in Excel: streamed, and safe from formula injection."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(ws, value):
    """A cell Excel will never run: text starting = + - @ is stored as text, quote-prefixed.

    The value itself is unchanged (no apostrophe added to it, so a re-import reads what was
    exported); the cell is a string cell with Excel's quotePrefix style, which is exactly
    what Excel stores when someone types '=... by hand, so editing it keeps it text.
    Numbers and dates pass through as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
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
