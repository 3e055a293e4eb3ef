"""Spreadsheets coming in: `inspect_xlsx_archive` checks an upload before openpyxl opens it.

Spreadsheets going out are written by the document toolkit, `documents.xlsx` (formula-safe,
control-character-safe, UK dates, frozen headings, column widths). Its names are importable
from here as well, for callers written before it moved.
"""

from __future__ import annotations

import io
import zipfile

from documents.xlsx import storable_text, xlsx_bytes  # noqa: F401  (the writer's old home)

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
