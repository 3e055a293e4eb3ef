"""Pearson's qualification catalogue: shipped structures, and XLSX export and import.

A qualification's *structure* is three tables, the same in the shipped JSON files
(`qualifications/catalogue_data/*.json`) and in a workbook:

- Qualification: Title | Ofqual number | Level | GLH | Grading scheme (one row)
- Units: Unit number | Title | GLH | Assessment | Mandatory
- Criteria: Unit number | Learning aim | Aim label | Criterion code | Label

The catalogue is Pearson's, not a centre's: nothing here is centre-scoped.

Import validates every row first and reports each problem by sheet, row, column
and reason; only a file with no problem at all is written, in one transaction with
its audit events (all or nothing). An import never deletes: units or criteria in
the catalogue but not in the file are kept and listed in the result.

Formula injection (export): a text cell beginning with = + - @ (or tab/CR, per
OWASP) is written as a *string* cell (data_type "s", so no <f> formula element
exists in the file) with the cell style's quotePrefix flag set, so Excel shows it
as text and keeps it text when edited. The value itself is unchanged (no leading
apostrophe is added), so an export imports back exactly. On import a formula cell
anywhere is an error: the file is read with data_only=False so formulas are seen
as formulas, never as their cached results.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError

import audit
from btecqa.spreadsheets import (
    XLSX_BOMB,
    XLSX_DAMAGED,
    XLSX_MACROS,
    XLSX_NOT_WORKBOOK,
    inspect_xlsx_archive,
)
from btecqa.validators import text_problem
from documents.xlsx import Column, xlsx_bytes

from .models import AssessmentCriterion, LearningAim, Qualification, Unit

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue_data"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the file as uploaded
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # all zip members expanded (zip bombs)
MAX_ZIP_MEMBERS = 500
MAX_ROWS_PER_SHEET = 5000
MAX_ERRORS_SHOWN = 1000

OFQUAL_NUMBER_RE = re.compile(r"^\d{3}/\d{4}/[0-9X]$")
CRITERION_CODE_RE = re.compile(r"^([A-Z]{1,3}\.)?[PMD][0-9]{1,2}$")
AIM_CODE_RE = re.compile(r"^[A-Z]{1,3}$")

QUALIFICATION_SHEET, UNITS_SHEET, CRITERIA_SHEET = "Qualification", "Units", "Criteria"
SHEET_ORDER = (QUALIFICATION_SHEET, UNITS_SHEET, CRITERIA_SHEET)

# sheet -> [(field, heading, accepted heading spellings (normalised))]
COLUMNS: dict[str, list[tuple[str, str, set[str]]]] = {
    QUALIFICATION_SHEET: [
        ("title", "Title", {"title", "qualificationtitle"}),
        ("number", "Ofqual number", {"ofqualnumber", "number", "qualificationnumber", "qn", "qan"}),
        ("level", "Level", {"level"}),
        ("glh", "GLH", {"glh", "size", "sizeglh", "guidedlearninghours"}),
        ("grading_scheme", "Grading scheme", {"gradingscheme", "grading"}),
    ],
    UNITS_SHEET: [
        ("number", "Unit number", {"unitnumber", "number", "unit", "unitno"}),
        ("title", "Title", {"title", "unittitle"}),
        ("glh", "GLH", {"glh", "guidedlearninghours"}),
        ("assessment", "Assessment", {"assessment", "assessed", "internalexternal"}),
        ("mandatory", "Mandatory", {"mandatory", "mandatoryoptional"}),
    ],
    CRITERIA_SHEET: [
        ("unit", "Unit number", {"unitnumber", "unit", "unitno"}),
        ("aim", "Learning aim", {"learningaim", "aim", "aimcode", "learningaimcode"}),
        ("aim_label", "Aim label", {"aimlabel", "learningaimlabel"}),
        ("code", "Criterion code", {"criterioncode", "code", "criterion"}),
        ("label", "Label", {"label", "criterionlabel"}),
    ],
}
# Columns a sheet may leave out entirely (filled with blanks).
OPTIONAL_COLUMNS = {QUALIFICATION_SHEET: {"grading_scheme"}, CRITERIA_SHEET: {"aim_label", "label"}}

COUNT_LABELS = {
    "qualification_updated": "Qualification details changed",
    "unit_created": "Units added",
    "unit_updated": "Units changed",
    "aim_created": "Learning aims added",
    "aim_updated": "Learning aims relabelled",
    "criterion_created": "Criteria added",
    "criterion_updated": "Criteria changed",
}

TRUE_WORDS = {"yes", "y", "true", "t", "mandatory", "m", "1"}
FALSE_WORDS = {"no", "n", "false", "f", "optional", "o", "0"}


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded structure: where it is and why it is wrong."""

    sheet: str
    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


@dataclass
class ApplyResult:
    qualification: Qualification
    created: bool
    counts: Counter = field(default_factory=Counter)  # e.g. {"unit_created": 3}
    kept_units: list[str] = field(default_factory=list)  # in the catalogue, not in the file
    kept_criteria: list[str] = field(default_factory=list)  # "unit 3 A.P1"

    @property
    def changed(self) -> bool:
        return self.created or any(self.counts.values())

    @property
    def summary(self) -> list[tuple[str, int]]:
        """(what, how many) for people, in a fixed order, leaving out zeros."""
        return [(label, n) for key, label in COUNT_LABELS.items() if (n := self.counts[key])]

    @property
    def status(self) -> str:
        return "created" if self.created else ("updated" if self.changed else "unchanged")


@dataclass
class ImportResult:
    ok: bool
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_sha256: str = ""
    applied: ApplyResult | None = None

    @property
    def qualification(self):
        return self.applied.qualification if self.applied else None


# ---------------------------------------------------------------- reading


@dataclass
class _Row:
    number: int  # as the spreadsheet numbers it (headings are row 1)
    cells: dict[str, tuple[object, str]]  # field -> (value, column letter)

    def value(self, name):
        return self.cells.get(name, (None, ""))[0]

    def col(self, sheet: str, name: str) -> str:
        letter = self.cells.get(name, (None, ""))[1]
        heading = next(h for f, h, _ in COLUMNS[sheet] if f == name)
        return f"{letter} ({heading})" if letter else heading


def _normalise_heading(value) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _sniff(data: bytes) -> list[RowError]:
    """Refuse anything that is not a plain, reasonably sized XLSX before openpyxl sees it."""

    def refuse(reason):
        return [RowError("File", None, "", reason)]

    if len(data) > MAX_UPLOAD_BYTES:
        return refuse(
            f"The file is {len(data) / 1048576:.1f} MB; "
            f"the limit is {MAX_UPLOAD_BYTES // 1048576} MB."
        )
    if not data:
        return refuse("The file is empty.")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return refuse(
            "This is an old-style .xls or a password-protected workbook. Save it as an "
            "unprotected Excel Workbook (.xlsx) and upload that."
        )
    if not data.startswith(b"PK\x03\x04"):
        return refuse(
            "This is not an Excel workbook (.xlsx). Save the spreadsheet as .xlsx and upload that."
        )
    problem, expanded = inspect_xlsx_archive(
        data, max_expanded=MAX_UNCOMPRESSED_BYTES, max_members=MAX_ZIP_MEMBERS
    )
    if problem == XLSX_DAMAGED:
        return refuse("The file is damaged: it is not a readable .xlsx archive.")
    if problem == XLSX_NOT_WORKBOOK:
        return refuse("This archive is not an Excel workbook (.xlsx).")
    if problem == XLSX_BOMB:
        return refuse(
            f"The workbook expands to {expanded / 1048576:.0f} MB or has too many parts; "
            "it is refused (possible zip bomb)."
        )
    if problem == XLSX_MACROS:
        return refuse(
            "Macro-enabled workbooks are refused. Save as a plain Excel Workbook (.xlsx)."
        )
    return []


def _read_workbook(data: bytes) -> tuple[dict[str, list[_Row]], list[RowError]]:
    """The three sheets as rows of {field: (value, column)}, and every reading problem."""
    from openpyxl import load_workbook

    errors: list[RowError] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a malformed part
        return {}, [
            RowError(
                "File",
                None,
                "",
                "The workbook could not be read. Open it in Excel, save it as .xlsx and try again.",
            )
        ]
    sheets: dict[str, list[_Row]] = {}
    try:
        by_name = {name.strip().lower(): name for name in wb.sheetnames}
        for sheet in SHEET_ORDER:
            real = by_name.get(sheet.lower())
            if real is None:
                errors.append(RowError(sheet, None, "", f"The workbook has no '{sheet}' sheet."))
                continue
            sheets[sheet] = _read_sheet(sheet, wb[real], errors)
        for name in wb.sheetnames:  # a formula in any other sheet is refused too
            if name.strip().lower() not in {s.lower() for s in SHEET_ORDER}:
                _scan_for_formulas(name, wb[name], errors)
    except Exception:
        errors.append(RowError("File", None, "", "The workbook could not be read to the end."))
    finally:
        wb.close()
    return sheets, errors


def _is_formula(cell) -> bool:
    return getattr(cell, "data_type", None) == "f"


def _scan_for_formulas(name, ws, errors) -> None:
    for r, row in enumerate(ws.iter_rows(), start=1):
        if r > MAX_ROWS_PER_SHEET:
            break
        for c, cell in enumerate(row):
            if _is_formula(cell):
                errors.append(
                    RowError(
                        name, r, _column_letter(c), "Formulas are not accepted: type the value."
                    )
                )


def _read_sheet(sheet: str, ws, errors: list[RowError]) -> list[_Row]:
    spec = COLUMNS[sheet]
    rows_iter = ws.iter_rows()
    header = next(rows_iter, None)
    if header is None:
        errors.append(
            RowError(sheet, 1, "", "The sheet is empty: row 1 must hold the column headings.")
        )
        return []
    positions: dict[str, int] = {}
    for c, cell in enumerate(header):
        if _is_formula(cell):
            errors.append(
                RowError(
                    sheet, 1, _column_letter(c), "Formulas are not accepted: type the heading."
                )
            )
            continue
        key = _normalise_heading(cell.value)
        for name, heading, spellings in spec:
            if key in spellings:
                if name in positions:
                    errors.append(
                        RowError(
                            sheet, 1, _column_letter(c), f"A second '{heading}' column: keep one."
                        )
                    )
                else:
                    positions[name] = c
    for name, heading, _ in spec:
        if name not in positions and name not in OPTIONAL_COLUMNS.get(sheet, set()):
            errors.append(RowError(sheet, 1, "", f"No '{heading}' column heading in row 1."))
    headings = {name: heading for name, heading, _ in spec}
    rows: list[_Row] = []
    for r, row in enumerate(rows_iter, start=2):
        if r > MAX_ROWS_PER_SHEET + 1:
            errors.append(
                RowError(sheet, r, "", f"More than {MAX_ROWS_PER_SHEET} rows: split the file.")
            )
            break
        cells: dict[str, tuple[object, str]] = {}
        for c, cell in enumerate(row):
            if _is_formula(cell):
                errors.append(
                    RowError(
                        sheet, r, _column_letter(c), "Formulas are not accepted: type the value."
                    )
                )
        for name, c in positions.items():
            cell = row[c] if c < len(row) else None
            value = None if cell is None or _is_formula(cell) else cell.value
            if isinstance(value, str):
                value = value.strip() or None
                if value and (problem := text_problem(value)):
                    errors.append(
                        RowError(
                            sheet,
                            r,
                            _column_letter(c),
                            f"{headings[name]} {problem}: delete it and type it again.",
                        )
                    )
            cells[name] = (value, _column_letter(c))
        if all(v is None for v, _ in cells.values()):
            continue  # blank row
        rows.append(_Row(r, cells))
    return rows


def _rows_from_dict(structure: dict) -> dict[str, list[_Row]]:
    """The shipped JSON (or structure_of()) as if it had been read from the workbook."""

    def rows(sheet, records):
        letters = {name: _column_letter(i) for i, (name, _, _) in enumerate(COLUMNS[sheet])}
        return [
            _Row(i, {name: (rec.get(name), letters[name]) for name, _, _ in COLUMNS[sheet]})
            for i, rec in enumerate(records, start=2)
        ]

    return {
        QUALIFICATION_SHEET: rows(QUALIFICATION_SHEET, [structure.get("qualification", {})]),
        UNITS_SHEET: rows(UNITS_SHEET, structure.get("units", [])),
        CRITERIA_SHEET: rows(CRITERIA_SHEET, structure.get("criteria", [])),
    }


# ---------------------------------------------------------------- validating


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _positive_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def _assessment(value) -> str | None:
    text = _text(value).lower()
    for choice in Unit.Assessment:
        if text in {choice.value, choice.label.lower(), choice.value[:3]}:
            return choice.value
    return None


def _grading_scheme(value) -> str | None:
    text = _text(value).lower()
    if not text:
        return Qualification.GradingScheme.NATIONALS
    for choice in Qualification.GradingScheme:
        if text in {choice.value, choice.label.lower()}:
            return choice.value
    return None


def _shown(value) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_length(errors, sheet, row, name, text, limit):
    if len(text) > limit:
        errors.append(
            RowError(sheet, row.number, row.col(sheet, name), f"Longer than {limit} characters.")
        )


@dataclass
class _Structure:
    qualification: dict
    units: list[dict]
    aims: dict[tuple[str, str], str]  # (unit number, aim code) -> label
    criteria: list[dict]  # unit, aim ("" for none), code, label


def _validate(sheets: dict[str, list[_Row]]) -> tuple[_Structure | None, list[RowError]]:
    errors: list[RowError] = []
    q = _validate_qualification(
        sheets.get(QUALIFICATION_SHEET, []), errors, present=QUALIFICATION_SHEET in sheets
    )
    units = _validate_units(sheets.get(UNITS_SHEET, []), errors, present=UNITS_SHEET in sheets)
    if q and q.get("glh") and units:
        mandatory = sum(u["glh"] for u in units if u.get("mandatory") and u.get("glh"))
        if mandatory > q["glh"]:
            errors.append(
                RowError(
                    UNITS_SHEET,
                    None,
                    "GLH",
                    f"The mandatory units total {mandatory} GLH, more than the "
                    f"qualification's {q['glh']}.",
                )
            )
    unit_numbers = {_text(r.value("number")) for r in sheets.get(UNITS_SHEET, [])} - {""}
    aims, criteria = _validate_criteria(sheets.get(CRITERIA_SHEET, []), unit_numbers, errors)
    if errors:
        return None, errors
    return _Structure(q, units, aims, criteria), []


def _validate_qualification(rows, errors, *, present) -> dict | None:
    S = QUALIFICATION_SHEET
    if not rows:
        if present:
            errors.append(RowError(S, 2, "", "No qualification: row 2 must describe it."))
        return None
    for extra in rows[1:]:
        errors.append(
            RowError(S, extra.number, "", "Only one qualification per file: remove this row.")
        )
    row = rows[0]
    out: dict = {}
    title = _text(row.value("title"))
    if not title:
        errors.append(RowError(S, row.number, row.col(S, "title"), "The title is missing."))
    _check_length(errors, S, row, "title", title, 250)
    out["title"] = title
    number = _text(row.value("number")).upper()
    if not number:
        errors.append(
            RowError(
                S, row.number, row.col(S, "number"), "The Ofqual qualification number is missing."
            )
        )
    elif not OFQUAL_NUMBER_RE.match(number):
        errors.append(
            RowError(
                S,
                row.number,
                row.col(S, "number"),
                f"'{_shown(number)}' is not an Ofqual number like 601/7159/5 "
                "(three digits / four digits / a digit or X).",
            )
        )
    out["number"] = number
    level = _text(row.value("level"))
    if not level:
        errors.append(RowError(S, row.number, row.col(S, "level"), "The level is missing."))
    _check_length(errors, S, row, "level", level, 10)
    out["level"] = level
    glh = _positive_int(row.value("glh"))
    if glh is None:
        errors.append(
            RowError(
                S,
                row.number,
                row.col(S, "glh"),
                "GLH must be a whole number of hours above 0 "
                f"(found '{_shown(row.value('glh'))}').",
            )
        )
    out["glh"] = glh
    scheme = _grading_scheme(row.value("grading_scheme"))
    if scheme is None:
        choices = ", ".join(c.value for c in Qualification.GradingScheme)
        errors.append(
            RowError(
                S,
                row.number,
                row.col(S, "grading_scheme"),
                f"Unknown grading scheme '{_shown(row.value('grading_scheme'))}' "
                f"(use one of {choices}).",
            )
        )
    out["grading_scheme"] = scheme
    return out


def _validate_units(rows, errors, *, present) -> list[dict]:
    S = UNITS_SHEET
    if present and not rows:
        errors.append(RowError(S, 2, "", "No units: list the qualification's units from row 2."))
    seen: dict[str, int] = {}
    units = []
    for row in rows:
        unit: dict = {}
        number = _text(row.value("number"))
        if not number:
            errors.append(
                RowError(S, row.number, row.col(S, "number"), "The unit number is missing.")
            )
        elif number in seen:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "number"),
                    f"Unit {_shown(number)} is listed twice (first on row {seen[number]}).",
                )
            )
        else:
            seen[number] = row.number
        _check_length(errors, S, row, "number", number, 10)
        unit["number"] = number
        title = _text(row.value("title"))
        if not title:
            errors.append(
                RowError(S, row.number, row.col(S, "title"), "The unit title is missing.")
            )
        _check_length(errors, S, row, "title", title, 250)
        unit["title"] = title
        glh = _positive_int(row.value("glh"))
        if glh is None:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "glh"),
                    "GLH must be a whole number of hours above 0 "
                    f"(found '{_shown(row.value('glh'))}').",
                )
            )
        unit["glh"] = glh
        assessment = _assessment(row.value("assessment"))
        if assessment is None:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "assessment"),
                    "Assessment must be 'internal' or 'external' "
                    f"(found '{_shown(row.value('assessment'))}').",
                )
            )
        unit["assessment"] = assessment
        mandatory = _flag(row.value("mandatory"))
        if mandatory is None:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "mandatory"),
                    f"Mandatory must be 'yes' or 'no' (found '{_shown(row.value('mandatory'))}').",
                )
            )
        unit["mandatory"] = mandatory
        units.append(unit)
    return units


def _validate_criteria(rows, unit_numbers, errors):
    S = CRITERIA_SHEET
    aims: dict[tuple[str, str], tuple[str, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    criteria = []
    for row in rows:
        unit = _text(row.value("unit"))
        if not unit:
            errors.append(
                RowError(S, row.number, row.col(S, "unit"), "The unit number is missing.")
            )
        elif unit not in unit_numbers:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "unit"),
                    f"Unit {_shown(unit)} is not on the Units sheet.",
                )
            )
        code = _text(row.value("code")).upper()
        prefix = ""
        if not code:
            errors.append(
                RowError(S, row.number, row.col(S, "code"), "The criterion code is missing.")
            )
        elif not CRITERION_CODE_RE.match(code):
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "code"),
                    f"'{_shown(code)}' is not a criterion code like P1, A.P1, B.M2 or AB.D1.",
                )
            )
        else:
            prefix = code.split(".")[0] if "." in code else ""
            if (unit, code) in seen:
                errors.append(
                    RowError(
                        S,
                        row.number,
                        row.col(S, "code"),
                        f"{code} is listed twice for unit {_shown(unit)} "
                        f"(first on row {seen[(unit, code)]}).",
                    )
                )
            else:
                seen[(unit, code)] = row.number
        aim = _text(row.value("aim")).upper()
        if aim and not AIM_CODE_RE.match(aim):
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "aim"),
                    f"'{_shown(aim)}' is not a learning aim code like A, B or C.",
                )
            )
        elif aim and prefix and aim not in prefix:
            errors.append(
                RowError(
                    S,
                    row.number,
                    row.col(S, "aim"),
                    f"{code} does not belong to learning aim {aim}.",
                )
            )
        elif not aim and prefix:
            aim = prefix[0]  # A.P1 is learning aim A's; AB.D1 is filed under A
        aim_label = _text(row.value("aim_label"))
        _check_length(errors, S, row, "aim_label", aim_label, 250)
        if aim and unit:
            known = aims.get((unit, aim))
            if known and aim_label and known[0] and known[0] != aim_label:
                errors.append(
                    RowError(
                        S,
                        row.number,
                        row.col(S, "aim_label"),
                        f"Learning aim {aim} of unit {_shown(unit)} is labelled differently "
                        f"on row {known[1]}.",
                    )
                )
            elif not known or (aim_label and not known[0]):
                aims[(unit, aim)] = (aim_label, row.number)
        elif aim_label and not aim:
            errors.append(
                RowError(
                    S, row.number, row.col(S, "aim"), "An aim label needs a learning aim code."
                )
            )
        label = _text(row.value("label"))
        _check_length(errors, S, row, "label", label, 250)
        criteria.append({"unit": unit, "aim": aim, "code": code, "label": label})
    return {key: (label or key[1]) for key, (label, _) in aims.items()}, criteria


# ---------------------------------------------------------------- writing


QUALIFICATION_FIELDS = ("title", "number", "level", "glh", "grading_scheme")
UNIT_FIELDS = ("number", "title", "glh", "assessment", "mandatory")


def _save_diff(obj, values: dict) -> dict | None:
    """Set values on obj; save and return {field: (before, after)} if anything changed."""
    changed = {}
    for name, value in values.items():
        if getattr(obj, name) != value:
            changed[name] = (getattr(obj, name), value)
            setattr(obj, name, value)
    if changed:
        obj.save()
    return changed or None


def _record_change(actor, action, obj, changed):
    audit.record(
        actor,
        action,
        obj,
        before={k: b for k, (b, _) in changed.items()},
        after={k: a for k, (_, a) in changed.items()},
    )


def _apply(structure: _Structure, actor) -> ApplyResult:
    """Create or update one qualification's structure. Call inside audit.batch()."""
    qd = structure.qualification
    values = {k: qd[k] for k in QUALIFICATION_FIELDS if k != "number"}
    qualification = Qualification.objects.select_for_update().filter(number=qd["number"]).first()
    result_created = qualification is None
    if result_created:
        qualification = Qualification.objects.create(number=qd["number"], **values)
        audit.record(
            actor,
            "catalogue.qualification_created",
            qualification,
            after={k: getattr(qualification, k) for k in QUALIFICATION_FIELDS},
        )
    result = ApplyResult(qualification, result_created)
    if not result_created and (changed := _save_diff(qualification, values)):
        _record_change(actor, "catalogue.qualification_updated", qualification, changed)
        result.counts["qualification_updated"] += 1

    existing_units = {u.number: u for u in qualification.units.all()}
    units: dict[str, Unit] = {}
    for ud in structure.units:
        unit = existing_units.get(ud["number"])
        if unit is None:
            unit = Unit.objects.create(qualification=qualification, **ud)
            audit.record(
                actor,
                "catalogue.unit_created",
                unit,
                after={"qualification": qualification.number, **ud},
            )
            result.counts["unit_created"] += 1
        elif changed := _save_diff(unit, {k: ud[k] for k in UNIT_FIELDS if k != "number"}):
            _record_change(actor, "catalogue.unit_updated", unit, changed)
            result.counts["unit_updated"] += 1
        units[ud["number"]] = unit
    result.kept_units = sorted(set(existing_units) - set(units), key=_unit_sort_key)

    unit_ids = [u.pk for u in units.values()]
    existing_aims = {
        (a.unit_id, a.code): a for a in LearningAim.objects.filter(unit_id__in=unit_ids)
    }
    aims: dict[tuple[str, str], LearningAim] = {}
    for (unit_number, code), label in sorted(structure.aims.items()):
        unit = units[unit_number]
        aim = existing_aims.get((unit.pk, code))
        if aim is None:
            aim = LearningAim.objects.create(unit=unit, code=code, label=label)
            audit.record(
                actor,
                "catalogue.aim_created",
                aim,
                after={"unit": unit_number, "code": code, "label": label},
            )
            result.counts["aim_created"] += 1
        elif changed := _save_diff(aim, {"label": label}):
            _record_change(actor, "catalogue.aim_updated", aim, changed)
            result.counts["aim_updated"] += 1
        aims[(unit_number, code)] = aim

    existing_criteria = {
        (c.unit_id, c.code): c for c in AssessmentCriterion.objects.filter(unit_id__in=unit_ids)
    }
    seen = set()
    for cd in structure.criteria:
        unit = units[cd["unit"]]
        aim = aims.get((cd["unit"], cd["aim"])) if cd["aim"] else None
        criterion = existing_criteria.get((unit.pk, cd["code"]))
        seen.add((unit.pk, cd["code"]))
        if criterion is None:
            criterion = AssessmentCriterion.objects.create(
                unit=unit, learning_aim=aim, code=cd["code"], label=cd["label"]
            )
            audit.record(
                actor,
                "catalogue.criterion_created",
                criterion,
                object_repr=f"Unit {cd['unit']} {cd['code']}",
                after={
                    "unit": cd["unit"],
                    "aim": cd["aim"],
                    "code": cd["code"],
                    "label": cd["label"],
                },
            )
            result.counts["criterion_created"] += 1
        else:
            changed = _save_diff(
                criterion, {"learning_aim_id": aim.pk if aim else None, "label": cd["label"]}
            )
            if changed:
                _record_change(actor, "catalogue.criterion_updated", criterion, changed)
                result.counts["criterion_updated"] += 1
    number_of = {u.pk: n for n, u in units.items()}
    result.kept_criteria = [
        f"unit {number_of[uid]} {code}"
        for (uid, code) in sorted(
            set(existing_criteria) - seen, key=lambda k: (k[0], criterion_sort_key(k[1]))
        )
    ]
    return result


# ---------------------------------------------------------------- public API


def load_shipped_qualifications(actor=None) -> list[ApplyResult]:
    """Create or update every shipped qualification; idempotent.

    Matched by Ofqual number, so a second run creates nothing and writes no audit
    event; a run after a data file changed updates just what changed.
    """
    parsed = []
    for path in sorted(CATALOGUE_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        structure, errors = _validate(_rows_from_dict(data))
        if errors:
            raise ImproperlyConfigured(f"{path.name}: " + "; ".join(str(e) for e in errors))
        parsed.append(structure)
    with audit.batch():
        return [_apply(structure, actor) for structure in parsed]


def import_structure_xlsx(file_bytes: bytes, user) -> ImportResult:
    """Validate a structure workbook completely, then write it all or nothing."""
    sha = hashlib.sha256(file_bytes).hexdigest() if len(file_bytes) <= MAX_UPLOAD_BYTES else ""
    errors = _sniff(file_bytes)
    if not errors:
        sheets, errors = _read_workbook(file_bytes)
        structure, validation_errors = _validate(sheets) if sheets else (None, [])
        errors += validation_errors
    if errors:
        return _refused(errors, sha)
    try:
        with audit.batch():
            applied = _apply(structure, user)
            audit.record(
                user,
                "catalogue.structure_imported",
                applied.qualification,
                after={
                    "file_sha256": sha,
                    "status": applied.status,
                    **dict(sorted(applied.counts.items())),
                    "kept_units": applied.kept_units,
                    "kept_criteria": len(applied.kept_criteria),
                },
            )
    except IntegrityError:
        return _refused(
            [
                RowError(
                    "File",
                    None,
                    "",
                    "The catalogue changed while this file was being "
                    "imported; nothing was written. Try again.",
                )
            ],
            sha,
        )
    return ImportResult(True, file_sha256=sha, applied=applied)


def _refused(errors: list[RowError], sha: str) -> ImportResult:
    order = {name: i for i, name in enumerate(("File", *SHEET_ORDER))}
    errors = sorted(
        set(errors), key=lambda e: (order.get(e.sheet, 99), e.sheet, e.row or 0, e.column, e.reason)
    )
    return ImportResult(False, errors[:MAX_ERRORS_SHOWN], len(errors), sha)


def _unit_sort_key(number: str):
    digits = "".join(ch for ch in number if ch.isdigit())
    return (int(digits) if digits else 0, number)


def criterion_sort_key(code: str):
    """A.P1, A.P2, A.M1, AB.D1, B.P3 ... : by aim, then pass/merit/distinction, then number."""
    prefix, _, rest = code.rpartition(".")
    grade = "PMD".find(rest[:1]) if rest else 9
    digits = rest[1:]
    return (prefix, grade, int(digits) if digits.isdigit() else 0, code)


def structure_of(qualification: Qualification) -> dict:
    """The qualification as the shipped JSON shape (what export writes and import reads)."""
    units = sorted(qualification.units.all(), key=lambda u: _unit_sort_key(u.number))
    criteria = []
    by_unit = {}
    for c in AssessmentCriterion.objects.filter(unit__qualification=qualification).select_related(
        "learning_aim", "unit"
    ):
        by_unit.setdefault(c.unit_id, []).append(c)
    for unit in units:
        for c in sorted(by_unit.get(unit.pk, []), key=lambda c: criterion_sort_key(c.code)):
            aim = c.learning_aim
            criteria.append(
                {
                    "unit": unit.number,
                    "aim": aim.code if aim else "",
                    "aim_label": aim.label if aim else "",
                    "code": c.code,
                    "label": c.label,
                }
            )
    return {
        "qualification": {k: getattr(qualification, k) for k in QUALIFICATION_FIELDS},
        "units": [{k: getattr(u, k) for k in UNIT_FIELDS} for u in units],
        "criteria": criteria,
    }


def export_structure_xlsx(qualification: Qualification) -> bytes:
    """The structure workbook for one qualification (see the module docstring)."""
    data = structure_of(qualification)
    tables = {
        QUALIFICATION_SHEET: [data["qualification"]],
        UNITS_SHEET: [{**u, "mandatory": "yes" if u["mandatory"] else "no"} for u in data["units"]],
        CRITERIA_SHEET: data["criteria"],
    }
    wide = ("Title", "Label", "Aim label")
    return xlsx_bytes(
        (
            sheet,
            [Column(heading, 60 if heading in wide else 16) for _, heading, _ in COLUMNS[sheet]],
            ([record.get(name) for name, _, _ in COLUMNS[sheet]] for record in tables[sheet]),
        )
        for sheet in SHEET_ORDER
    )


def export_filename(qualification: Qualification) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", qualification.number) + "-structure.xlsx"
