"""Pearson's qualification catalogue: shipped structures, and XLSX export and import.

A qualification's *structure* is three tables, the same in the shipped JSON files
(`qualifications/catalogue_data/*.json`) and in a workbook:

- Qualification: Title | Ofqual number | Level | GLH | Grading scheme (one row)
- Units: Unit number | Title | GLH | Assessment | Mandatory
- Criteria: Unit number | Learning aim | Aim label | Criterion code | Label

The catalogue is Pearson's, not a centre's: nothing here is centre-scoped.

Import reads the workbook with the import framework (``tabular``): the file checks, each
sheet's header row and columns (``LAYOUTS``), typed cells; then the rules across rows and
sheets (a unit listed twice, a criterion for a unit not on the Units sheet …). Every
problem names its sheet, row, column and reason; only a file with no problem at all is
written, in one transaction with its audit events (all or nothing). An import never
deletes: units or criteria in the catalogue but not in the file are kept and listed in the
result. The shipped JSON goes through the same layouts and rules.

Formula injection (export): a text cell beginning with = + - @ (or tab/CR, per
OWASP) is written as a *string* cell (data_type "s", so no <f> formula element
exists in the file) with the cell style's quotePrefix flag set, so Excel shows it
as text and keeps it text when edited. The value itself is unchanged (no leading
apostrophe is added), so an export imports back exactly. On import a formula cell
anywhere is an error: formulas are read as formulas, never as their cached results.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError
from django.utils import timezone

import audit
from documents.xlsx import Column, xlsx_bytes
from tabular.cells import Check, Choice, Context, Integer, Text
from tabular.columns import FORMULA_REASON, Field, Layout
from tabular.files import XLSX, check_file, read_upload
from tabular.pipeline import Preview, parse_rows, read_header, sha256
from tabular.problems import FileRefused, Problem
from tabular.reading import Sheet, Table, column_letter, is_formula, open_table

from .grading_data import apply_grading, grading_problems
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
FILE = "File"  # the "sheet" of a problem with the file as a whole

TRUE_WORDS = ("yes", "y", "true", "t", "mandatory", "m", "1")
FALSE_WORDS = ("no", "n", "false", "f", "optional", "o", "0")
WHOLE_HOURS = "GLH must be a whole number of hours above 0 (found '{text}')."


def _shown(value) -> str:
    text = "" if value is None else str(value).strip()
    return text if len(text) <= 40 else text[:37] + "..."


def _pattern(regex, message, *, upper=True):
    """Text matching regex (in capitals when upper); message gets the value as {shown}."""

    def check(text, ctx):
        value = text.upper() if upper else text
        if not regex.match(value):
            return None, message.format(shown=_shown(value))
        return value, None

    return Check(check)


GLH = Integer(minimum=1, message=WHOLE_HOURS)
COUNT = Integer(
    minimum=0,
    maximum=100,
    message="The number of optional units must be a whole number (found '{text}').",
)
YEARS = Integer(
    minimum=1,
    maximum=6,
    message="The usual length must be a whole number of academic years, 1 to 6 (found '{text}').",
)
SCHEMES = Choice(
    {
        **{c.value: c.value for c in Qualification.GradingScheme},
        **{c.label: c.value for c in Qualification.GradingScheme},
    },
    "Unknown grading scheme '{text}' (use one of "
    + ", ".join(c.value for c in Qualification.GradingScheme)
    + ").",
)
ASSESSMENT = Choice(
    {key: c.value for c in Unit.Assessment for key in (c.value, c.label, c.value[:3])},
    "Assessment must be 'internal' or 'external' (found '{text}').",
)
MANDATORY = Choice(
    {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)},
    "Mandatory must be 'yes' or 'no' (found '{text}').",
)


def _column(name, heading, spellings, cell, **options) -> Field:
    """A column of btecqa's own workbook: its heading, then the spellings also accepted."""
    options.setdefault("column_required", True)
    return Field(name, heading, (heading, *spellings), cell, **options)


# Each sheet: its columns, the headings accepted for each, its typed cells.
LAYOUTS: dict[str, Layout] = {
    QUALIFICATION_SHEET: [
        _column("title", "Title", ("Qualification title",), Text(250), required=True,
                missing="The title is missing."),
        _column("number", "Ofqual number", ("Number", "Qualification number", "QN", "QAN"),
                _pattern(OFQUAL_NUMBER_RE, "'{shown}' is not an Ofqual number like 601/7159/5 "
                         "(three digits / four digits / a digit or X)."),
                required=True, missing="The Ofqual qualification number is missing."),
        _column("level", "Level", (), Text(10), required=True, missing="The level is missing."),
        _column("glh", "GLH", ("Size", "Size GLH", "Guided learning hours"), GLH,
                required=True, missing=WHOLE_HOURS.format(text="")),
        _column("grading_scheme", "Grading scheme", ("Grading",), SCHEMES, column_required=False),
        # The rule of combination: optional columns; a blank cell leaves the figure as it is.
        _column("optional_units_required", "Optional units required", ("Optional units",),
                COUNT, column_required=False),
        _column("optional_glh_required", "Optional GLH required", ("Optional GLH",), GLH,
                column_required=False),
        # How many academic years a cohort usually takes (2 for a National over Years 12-13).
        _column("typical_years", "Usual length (years)", ("Years", "Length in years"), YEARS,
                column_required=False),
    ],
    UNITS_SHEET: [
        _column("number", "Unit number", ("Number", "Unit", "Unit no"), Text(10), required=True,
                missing="The unit number is missing."),
        _column("title", "Title", ("Unit title",), Text(250), required=True,
                missing="The unit title is missing."),
        _column("glh", "GLH", ("Guided learning hours",), GLH, required=True,
                missing=WHOLE_HOURS.format(text="")),
        _column("assessment", "Assessment", ("Assessed", "Internal external"), ASSESSMENT,
                required=True, missing=ASSESSMENT.message.format(text="")),
        _column("mandatory", "Mandatory", ("Mandatory optional",), MANDATORY, required=True,
                missing=MANDATORY.message.format(text="")),
    ],
    CRITERIA_SHEET: [
        _column("unit", "Unit number", ("Unit", "Unit no"), Text(10), required=True,
                missing="The unit number is missing."),
        _column("aim", "Learning aim", ("Aim", "Aim code", "Learning aim code"),
                _pattern(AIM_CODE_RE, "'{shown}' is not a learning aim code like A, B or C.")),
        _column("aim_label", "Aim label", ("Learning aim label",), Text(250),
                column_required=False),
        _column("code", "Criterion code", ("Code", "Criterion"),
                _pattern(CRITERION_CODE_RE,
                         "'{shown}' is not a criterion code like P1, A.P1, B.M2 or AB.D1."),
                required=True, missing="The criterion code is missing."),
        _column("label", "Label", ("Criterion label",), Text(250), column_required=False),
    ],
}  # fmt: skip
LAYOUTS = {
    sheet: Layout(fields, letters=True, what="sheet", examples=", ".join(f.label for f in fields))
    for sheet, fields in LAYOUTS.items()
}

COUNT_LABELS = {
    "qualification_updated": "Qualification details changed",
    "unit_created": "Units added",
    "unit_updated": "Units changed",
    "aim_created": "Learning aims added",
    "aim_updated": "Learning aims relabelled",
    "criterion_created": "Criteria added",
    "criterion_updated": "Criteria changed",
    "grading_created": "Grading tables added",
    "grading_updated": "Grading tables changed",
}


# ---------------------------------------------------------------- results


@dataclass
class ApplyResult:
    qualification: Qualification
    created: bool
    counts: Counter = field(default_factory=Counter)  # e.g. {"unit_created": 3}
    kept_units: list[str] = field(default_factory=list)  # in the catalogue, not in the file
    kept_criteria: list[str] = field(default_factory=list)  # "unit 3 A.P1"
    kept_grading: list[str] = field(default_factory=list)  # edited in the admin, left as is

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
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    file_sha256: str = ""
    applied: ApplyResult | None = None

    @property
    def qualification(self):
        return self.applied.qualification if self.applied else None


# ---------------------------------------------------------------- reading


@dataclass
class _Row:
    number: int  # as the spreadsheet numbers it
    values: dict  # field -> typed value (None when empty or refused)
    names: dict  # field -> its column, as problems name it ("C (GLH)")

    def value(self, name):
        return self.values.get(name)

    def col(self, sheet: str, name: str) -> str:
        return self.names.get(name) or LAYOUTS[sheet].fields[name].label


def _read_table(table: Table) -> tuple[dict[str, list[_Row]], list[Problem]]:
    """The three sheets as typed rows, and every problem found reading them."""
    errors: list[Problem] = []
    sheets: dict[str, list[_Row]] = {}
    for name in SHEET_ORDER:
        sheet = table.sheet(name)
        if sheet is None:
            errors.append(Problem(f"The workbook has no '{name}' sheet.", sheet=name))
            continue
        sheets[name] = _read_sheet(name, sheet, errors)
    known = {s.casefold() for s in SHEET_ORDER}
    for sheet in table.sheets:  # a formula in any other sheet is refused too
        if sheet.name.strip().casefold() not in known:
            errors += _formulas(sheet)
    return sheets, errors


def _read_sheet(name: str, sheet: Sheet, errors: list[Problem]) -> list[_Row]:
    layout = LAYOUTS[name]
    preview = Preview()
    header, rows = read_header(sheet, preview, layout, {}, sheet_name=name)
    errors += preview.file_errors
    if header is None:
        return []
    ctx = Context(timezone.localdate(), sheet.date_base)
    out = []
    try:
        for r in parse_rows(rows, header, layout, ctx, max_rows=MAX_ROWS_PER_SHEET, sheet=name):
            errors += r.errors
            out.append(_Row(r.row, layout.as_dict(r.vals), header.names))
    except FileRefused as exc:
        errors.append(Problem(exc.problem.reason, sheet=name))
    return out


def _formulas(sheet: Sheet) -> list[Problem]:
    found = []
    for n, cells in sheet.rows():
        if n > MAX_ROWS_PER_SHEET:
            break
        for i, c in enumerate(cells):
            if is_formula(c):
                found.append(Problem(FORMULA_REASON, n, column_letter(i), str(c)[:60], sheet.name))
    return found


def _table_from_dict(structure: dict) -> Table:
    """The shipped JSON (or structure_of()) as if it were a workbook of the three sheets."""

    def sheet(name, records):
        fields = LAYOUTS[name].stored
        rows = [[f.label for f in fields]]
        rows += [[rec.get(f.name) for f in fields] for rec in records]
        return Sheet(name, lambda: enumerate(rows, start=1))

    return Table(
        [
            sheet(QUALIFICATION_SHEET, [structure.get("qualification", {})]),
            sheet(UNITS_SHEET, structure.get("units", [])),
            sheet(CRITERIA_SHEET, structure.get("criteria", [])),
        ]
    )


# ---------------------------------------------------------------- the rules across rows


def _text(value) -> str:
    return "" if value is None else str(value)


@dataclass
class _Structure:
    qualification: dict
    units: list[dict]
    aims: dict[tuple[str, str], str]  # (unit number, aim code) -> label
    criteria: list[dict]  # unit, aim ("" for none), code, label


def _validate(sheets: dict[str, list[_Row]]) -> tuple[_Structure | None, list[Problem]]:
    """The rules across rows and sheets, on the typed rows (cell problems are already in)."""
    errors: list[Problem] = []
    q = _validate_qualification(
        sheets.get(QUALIFICATION_SHEET, []), errors, present=QUALIFICATION_SHEET in sheets
    )
    units = _validate_units(sheets.get(UNITS_SHEET, []), errors, present=UNITS_SHEET in sheets)
    if q and q.get("glh") and units:
        mandatory = sum(u["glh"] for u in units if u.get("mandatory") and u.get("glh"))
        if mandatory > q["glh"]:
            errors.append(
                Problem(
                    f"The mandatory units total {mandatory} GLH, more than the "
                    f"qualification's {q['glh']}.",
                    column="GLH",
                    sheet=UNITS_SHEET,
                )
            )
    unit_numbers = {_text(r.value("number")) for r in sheets.get(UNITS_SHEET, [])} - {""}
    aims, criteria = _validate_criteria(sheets.get(CRITERIA_SHEET, []), unit_numbers, errors)
    return _Structure(q, units, aims, criteria), errors


def _validate_qualification(rows, errors, *, present) -> dict | None:
    S = QUALIFICATION_SHEET
    if not rows:
        if present:
            errors.append(Problem("No qualification: row 2 must describe it.", 2, sheet=S))
        return None
    for extra in rows[1:]:
        errors.append(
            Problem("Only one qualification per file: remove this row.", extra.number, sheet=S)
        )
    values = dict(rows[0].values)
    values["grading_scheme"] = values.get("grading_scheme") or Qualification.GradingScheme.NATIONALS
    out = {k: values.get(k, "") if k != "glh" else values.get(k) for k in QUALIFICATION_FIELDS}
    for k in COMBINATION_FIELDS:
        if values.get(k) not in (None, ""):
            out[k] = values[k]
    return out


def _validate_units(rows, errors, *, present) -> list[dict]:
    S = UNITS_SHEET
    if present and not rows:
        errors.append(Problem("No units: list the qualification's units from row 2.", 2, sheet=S))
    seen: dict[str, int] = {}
    units = []
    for row in rows:
        number = _text(row.value("number"))
        if number and number in seen:
            errors.append(
                Problem(
                    f"Unit {_shown(number)} is listed twice (first on row {seen[number]}).",
                    row.number,
                    row.col(S, "number"),
                    sheet=S,
                )
            )
        elif number:
            seen[number] = row.number
        units.append(
            {k: row.value(k) if k != "number" else number for k in UNIT_FIELDS}
            | {"title": _text(row.value("title"))}
        )
    return units


def _validate_criteria(rows, unit_numbers, errors):
    S = CRITERIA_SHEET
    aims: dict[tuple[str, str], tuple[str, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    criteria = []
    for row in rows:

        def problem(reason, name, row=row):
            errors.append(Problem(reason, row.number, row.col(S, name), sheet=S))

        unit = _text(row.value("unit"))
        if unit and unit not in unit_numbers:
            problem(f"Unit {_shown(unit)} is not on the Units sheet.", "unit")
        code = _text(row.value("code"))
        prefix = code.split(".")[0] if "." in code else ""
        if code and (unit, code) in seen:
            problem(
                f"{code} is listed twice for unit {_shown(unit)} "
                f"(first on row {seen[(unit, code)]}).",
                "code",
            )
        elif code:
            seen[(unit, code)] = row.number
        aim = _text(row.value("aim"))
        if aim and prefix and aim not in prefix:
            problem(f"{code} does not belong to learning aim {aim}.", "aim")
        elif not aim and prefix:
            aim = prefix[0]  # A.P1 is learning aim A's; AB.D1 is filed under A
        aim_label = _text(row.value("aim_label"))
        if aim and unit:
            known = aims.get((unit, aim))
            if known and aim_label and known[0] and known[0] != aim_label:
                problem(
                    f"Learning aim {aim} of unit {_shown(unit)} is labelled differently "
                    f"on row {known[1]}.",
                    "aim_label",
                )
            elif not known or (aim_label and not known[0]):
                aims[(unit, aim)] = (aim_label, row.number)
        elif aim_label and not aim:
            problem("An aim label needs a learning aim code.", "aim")
        label = _text(row.value("label"))
        criteria.append({"unit": unit, "aim": aim, "code": code, "label": label})
    return {key: (label or key[1]) for key, (label, _) in aims.items()}, criteria


def _structure(table: Table) -> tuple[_Structure | None, list[Problem]]:
    sheets, errors = _read_table(table)
    structure, more = _validate(sheets)
    errors += more
    return (None if errors else structure), errors


# ---------------------------------------------------------------- writing


QUALIFICATION_FIELDS = ("title", "number", "level", "glh", "grading_scheme")
UNIT_FIELDS = ("number", "title", "glh", "assessment", "mandatory")
# Written only when the file gives a figure: a file without them keeps the admin's.
COMBINATION_FIELDS = ("optional_units_required", "optional_glh_required", "typical_years")


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


SCHEME_FAMILIES = {
    "nationals": "btec-nationals",
    "tech_award": "tech-award-2022",
    "firsts": "btec-firsts",
}

# The families the shipped catalogue knows (migration 0003_families made the same rows on
# an existing database). Pearson's refusal to transfer a 2022 Tech Award registration is
# CONFIRMED: support article "Registrations: Transfers"; domain.md section 2.2.
SHIPPED_FAMILIES = {
    "btec-nationals": ("BTEC Nationals", True, ""),
    "tech-award-2022": (
        "BTEC Tech Awards (2022)",
        False,
        "Pearson cannot transfer a 2022 Tech Award registration: withdraw or delete it, "
        "then register the learner again (Pearson, Registrations: Transfers).",
    ),
    "btec-firsts": ("BTEC Firsts", True, ""),
}


def ensure_shipped_families() -> None:
    """Create any shipped family that is missing; one changed in the admin is kept."""
    from .models import QualificationFamily

    have = set(QualificationFamily.objects.values_list("code", flat=True))
    for code, (name, transferable, note) in SHIPPED_FAMILIES.items():
        if code not in have:
            QualificationFamily.objects.create(
                code=code, name=name, transferable=transferable, transfer_note=note
            )


def family_for_scheme(scheme: str):
    """The family a newly imported qualification starts in; the admin can move it."""
    from .models import QualificationFamily

    code = SCHEME_FAMILIES.get(scheme)
    return QualificationFamily.objects.filter(code=code).first() if code else None


def _apply(structure: _Structure, actor) -> ApplyResult:
    """Create or update one qualification's structure. Call inside audit.batch()."""
    qd = structure.qualification
    values = {k: qd[k] for k in (*QUALIFICATION_FIELDS, *COMBINATION_FIELDS) if k in qd}
    del values["number"]
    qualification = Qualification.objects.select_for_update().filter(number=qd["number"]).first()
    result_created = qualification is None
    if result_created:
        qualification = Qualification.objects.create(
            number=qd["number"], family=family_for_scheme(values["grading_scheme"]), **values
        )
        audit.record(
            actor,
            "catalogue.qualification_created",
            qualification,
            after={k: getattr(qualification, k) for k in QUALIFICATION_FIELDS},
        )
    result = ApplyResult(qualification, result_created)
    if not result_created and qualification.family_id is None:
        # One made before families existed, or on a database emptied since: place it.
        family = family_for_scheme(qualification.grading_scheme)
        if family is not None:
            values["family"] = family
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
                unit=unit,
                learning_aim=aim,
                code=cd["code"],
                label=cd["label"],
                unconfirmed=cd.get("unconfirmed", ""),
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
            wanted = {"learning_aim_id": aim.pk if aim else None, "label": cd["label"]}
            if "unconfirmed" in cd:  # a shipped file says; a workbook leaves the note alone
                wanted["unconfirmed"] = cd["unconfirmed"]
            changed = _save_diff(criterion, wanted)
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


def _criteria_note(data: dict) -> str:
    """The shipped file's UNCONFIRMED note on its criteria ("" when they were read in a
    source): its `_provenance.criteria` when that says UNCONFIRMED."""
    provenance = data.get("_provenance")
    note = provenance.get("criteria", "") if isinstance(provenance, dict) else ""
    return note if isinstance(note, str) and "UNCONFIRMED" in note.upper() else ""


def load_shipped_qualifications(actor=None) -> list[ApplyResult]:
    """Create or update every shipped qualification and its grading tables; idempotent.

    Matched by Ofqual number, so a second run creates nothing and writes no audit
    event; a run after a data file changed updates just what changed.
    """
    parsed = []
    for path in sorted(CATALOGUE_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        structure, errors = _structure(_table_from_dict(data))
        grading = data.get("grading", {})
        if structure is not None:
            errors += grading_problems(grading, {u["number"] for u in structure.units})
        if errors:
            raise ImproperlyConfigured(f"{path.name}: " + "; ".join(str(e) for e in errors))
        note = _criteria_note(data)
        for cd in structure.criteria:
            cd["unconfirmed"] = note  # the file's word on its criteria, kept on each
        parsed.append((structure, grading))
    with audit.batch():
        ensure_shipped_families()
        results = []
        for structure, grading in parsed:
            result = _apply(structure, actor)
            counts, result.kept_grading = apply_grading(result.qualification, grading, actor)
            result.counts.update(counts)
            results.append(result)
        return results


CHANGED_MEANWHILE = (
    "The catalogue changed while this file was being imported; nothing was written. Try again."
)


def import_structure_xlsx(upload, user) -> ImportResult:
    """Validate a structure workbook completely, then write it all or nothing.

    upload: the file's bytes, an UploadedFile or an open binary file (read within the
    limit, whatever its size).
    """
    try:
        data = read_upload(upload, MAX_UPLOAD_BYTES)
        check_file(
            data,
            accept=(XLSX,),
            max_bytes=MAX_UPLOAD_BYTES,
            max_expanded=MAX_UNCOMPRESSED_BYTES,
            max_members=MAX_ZIP_MEMBERS,
        )
        table = open_table(data, XLSX)
    except FileRefused as exc:
        return _refused([exc.problem], "")
    sha = sha256(data)
    with table:
        try:
            structure, errors = _structure(table)
        except FileRefused as exc:  # a sheet damaged part-way through
            structure, errors = None, [exc.problem]
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
        return _refused([Problem(CHANGED_MEANWHILE)], sha)
    return ImportResult(True, file_sha256=sha, applied=applied)


def _refused(errors: list[Problem], sha: str) -> ImportResult:
    """Every problem once, the file's first, then sheet by sheet, row by row."""
    errors = {e if e.sheet else replace(e, sheet=FILE) for e in errors}
    order = {name: i for i, name in enumerate((FILE, *SHEET_ORDER))}
    errors = sorted(
        errors, key=lambda e: (order.get(e.sheet, 99), e.sheet, e.row or 0, e.column, e.reason)
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
        "qualification": {
            k: getattr(qualification, k) for k in (*QUALIFICATION_FIELDS, *COMBINATION_FIELDS)
        },
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
            [Column(f.label, 60 if f.label in wide else 16) for f in LAYOUTS[sheet].stored],
            ([record.get(f.name) for f in LAYOUTS[sheet].stored] for record in tables[sheet]),
        )
        for sheet in SHEET_ORDER
    )


def export_filename(qualification: Qualification) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", qualification.number) + "-structure.xlsx"
