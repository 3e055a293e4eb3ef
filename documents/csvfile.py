"""The CSV twin of `xlsx_bytes`: text that starts like a formula (= + - @, a tab or CR) is
written with a leading apostrophe, as Excel shows a quote-prefixed cell, so opening the
file never runs a formula; dates are dd/mm/yyyy; UTF-8 with a BOM for Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(headings: Sequence[str], rows: Iterable[Iterable]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headings])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
