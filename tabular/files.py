"""The file, checked before anything reads it: size, type from its content, damage, encoding.

``read_upload`` takes an upload (bytes, an UploadedFile or an open binary file) and reads no
more than the limit plus a byte; ``check_file`` says what the bytes are, whatever the file is
called, or raises ``FileRefused`` with a reason a person can act on. An XLSX's zip directory
is inspected (``btecqa.spreadsheets.inspect_xlsx_archive``) before openpyxl opens it; text is
UTF-8 (with or without a BOM) or Windows-1252, checked a megabyte at a time.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from btecqa.spreadsheets import (
    XLSX_BOMB,
    XLSX_DAMAGED,
    XLSX_MACROS,
    XLSX_NOT_WORKBOOK,
    inspect_xlsx_archive,
)

from .problems import FileRefused

MB = 1024 * 1024
MAX_IMPORT_BYTES = 10 * MB
MAX_XLSX_EXPANDED_BYTES = 100 * MB
MAX_XLSX_RATIO = 100  # uncompressed / compressed, for any member over a megabyte
MAX_XLSX_MEMBERS = 10_000

CSV, XLSX = "csv", "xlsx"
SPREADSHEETS = (CSV, XLSX)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel .xls file or a password-protected workbook: {save}",
    ),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text (Excel\u2019s \u201cUnicode Text\u201d): {save}"),
    (b"\xfe\xff", "UTF-16 text: {save}"),
)


@dataclass(frozen=True)
class FileType:
    """What check_file found: "csv" (with its encoding) or "xlsx"."""

    kind: str
    encoding: str = ""


def not_accepted(accept=SPREADSHEETS) -> str:
    """The start of every "wrong kind of file" reason: "this is not a CSV or XLSX file"."""
    return "this is not a CSV or XLSX file" if CSV in accept else "this is not an Excel workbook"


def _save_as(accept) -> str:
    return (
        "save it as .xlsx or CSV UTF-8" if CSV in accept else "save it as an Excel Workbook (.xlsx)"
    )


def _mb(n: int) -> str:
    return f"{n / MB:.1f}".removesuffix(".0")


def too_big(size: int | None, limit: int) -> FileRefused:
    if size is None:
        return FileRefused(f"the file is over the {_mb(limit)} MB limit")
    return FileRefused(f"the file is {size / MB:.1f} MB, over the {_mb(limit)} MB limit")


def read_upload(uploaded_file, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """The bytes of an upload (bytes, an UploadedFile or an open binary file), size-checked."""
    whole = isinstance(uploaded_file, (bytes, bytearray, memoryview))
    if whole:
        data = bytes(uploaded_file)
    else:
        size = getattr(uploaded_file, "size", None)
        if size is not None and size > max_bytes:
            raise too_big(size, max_bytes)
        if hasattr(uploaded_file, "seek"):
            try:
                uploaded_file.seek(0)
            except (OSError, ValueError):
                pass
        data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big(len(data) if whole else None, max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    return data


def check_file(
    data: bytes,
    *,
    accept=SPREADSHEETS,
    max_bytes: int = MAX_IMPORT_BYTES,
    max_expanded: int = MAX_XLSX_EXPANDED_BYTES,
    max_members: int = MAX_XLSX_MEMBERS,
) -> FileType:
    """What the bytes are, from their content (never the name), or FileRefused and why."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        check_xlsx(data, accept=accept, max_expanded=max_expanded, max_members=max_members)
        return FileType(XLSX)
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            what = what.format(save=_save_as(accept))
            raise FileRefused(f"{not_accepted(accept)} (it looks like {what})")
    encoding = text_encoding(data, accept)
    if CSV not in accept:
        raise FileRefused(
            f"{not_accepted(accept)} (it is text, perhaps CSV: {_save_as(accept)} and upload that)"
        )
    return FileType(CSV, encoding)


def check_xlsx(data: bytes, *, accept=SPREADSHEETS, max_expanded: int, max_members: int) -> None:
    problem, total = inspect_xlsx_archive(
        data, max_expanded=max_expanded, max_members=max_members, max_ratio=MAX_XLSX_RATIO
    )
    if problem == XLSX_DAMAGED:
        raise FileRefused(f"{not_accepted(accept)} (it is a damaged zip or XLSX file)")
    if problem == XLSX_NOT_WORKBOOK:
        raise FileRefused(f"{not_accepted(accept)} (it is a zip archive but not an Excel workbook)")
    if problem == XLSX_MACROS:
        raise FileRefused(
            "macro-enabled workbooks are refused; save it as a plain Excel Workbook (.xlsx)"
        )
    if problem == XLSX_BOMB:
        raise FileRefused(
            f"refused: the XLSX expands to {_mb(total)} MB (from {_mb(len(data))} MB) or has too "
            "many parts; it looks like a zip bomb"
        )


def _looks_binary(text: str) -> bool:
    """A NUL, or more control characters than a text export ever holds (over 10, and over
    1 in 100). A stray one in a real export is not binary: the row check names its cell."""
    if "\x00" in text:
        return True
    if _CONTROL.search(text) is None:
        return False
    found = len(_CONTROL.findall(text))
    return found > 10 and found * 100 > len(text)


def text_encoding(data: bytes, accept=SPREADSHEETS) -> str:
    """utf-8-sig, utf-8 or cp1252, checked a megabyte at a time (memory flat); refuse binary."""
    candidates = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "cp1252")
    if data[:2048].lstrip().lower().startswith(b"<"):
        raise FileRefused(
            f"{not_accepted(accept)} (it looks like a web page or XML; some MIS "
            f"\u201cExcel\u201d exports are: open it in Excel and {_save_as(accept)})"
        )
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            for start in range(0, len(data), MB):
                text = decoder.decode(data[start : start + MB], final=start + MB >= len(data))
                if _looks_binary(text):
                    raise FileRefused(f"{not_accepted(accept)} (it contains binary data, not text)")
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(f"{not_accepted(accept)} (it is neither UTF-8 nor Windows-1252 text)")
