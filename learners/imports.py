"""Importing learners and class lists from the MIS (SIMS, Arbor, Bromcom …): CSV or XLSX.

Two phases, as pretix imports orders: everything is read and checked first, against the
centre's learners loaded in a few queries up front; only a file with no error at all is
written, in one transaction inside ``audit.batch()``, with bulk inserts and updates.

* The file is checked before use (``check_file``): size, type sniffed from its content,
  an XLSX that expands too far (zip bomb) refused, text decoded as UTF-8 (with or without
  a BOM) or else Windows-1252. Formulas are never evaluated: a formula cell is an error.
* Rows are streamed (openpyxl read_only; csv over a text stream). The header row is the
  first of the first ten rows with two recognised headings, so title rows above it are fine.
* Columns are recognised by the headings SIMS, Arbor and Bromcom use (``ALIASES``); a
  centre's remembered mapping (``ColumnMapping``) and a mapping given now come on top.
* Every problem names the spreadsheet row, the file's heading and the reason
  (``Problem``, printed ``row N, column C: reason``).

``preview_import()`` records a ``LearnerImport`` (previewed, or refused when anything is in
error) and keeps the file; ``commit_import()`` reads the kept file again and applies it,
all or nothing. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from btecqa.spreadsheets import (
    XLSX_BOMB,
    XLSX_DAMAGED,
    XLSX_MACROS,
    XLSX_NOT_WORKBOOK,
    inspect_xlsx_archive,
)

from .models import ColumnMapping, Learner, LearnerImport, Programme, TeachingGroup
from .services import EDITABLE_FIELDS
from .validators import uci_problem, uln_problem

MB = 1024 * 1024
MAX_IMPORT_BYTES = 10 * MB
MAX_XLSX_EXPANDED_BYTES = 100 * MB
MAX_XLSX_RATIO = 100  # uncompressed / compressed, for any member over a megabyte
MAX_XLSX_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000
MAX_STORED_ERRORS = 5_000
MIN_AGE, MAX_AGE = 10, 100

LEARNERS = ColumnMapping.Kind.LEARNERS.value
CLASS_LIST = ColumnMapping.Kind.CLASS_LIST.value
KINDS = (LEARNERS, CLASS_LIST)
IGNORE = "ignore"  # a mapping value: this heading is deliberately not used

NOT_A_SPREADSHEET = "this is not a CSV or XLSX file"
FORMULA_REASON = "formulas are not accepted; paste values"

FIELD_LABELS = {
    "last_name": "legal last name",
    "first_name": "legal first name",
    "preferred_name": "preferred name",
    "date_of_birth": "date of birth",
    "sex": "sex",
    "admission_number": "admission number",
    "upn": "UPN",
    "uln": "ULN",
    "uci": "UCI",
    "candidate_number": "candidate number",
    "email": "e-mail",
    "group": "teaching group",
}

# The headings MIS exports use, per field, most specific first: when a file has both
# "Legal Surname" and "Surname", the legal one is used.
ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("Legal Surname", "Legal Last Name", "Surname", "Last Name", "Family Name"),
    "first_name": (
        "Legal Forename",
        "Legal First Name",
        "Forename",
        "First Name",
        "Given Name",
        "Forenames",
    ),
    "preferred_name": ("Preferred Forename", "Preferred First Name", "Preferred Name", "Known As"),
    "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "Birthdate"),
    "sex": ("Sex", "Gender", "Legal Sex"),
    "admission_number": ("Adno", "Admission No", "Admission Number", "Adm No", "MIS ID"),
    "upn": ("UPN", "Unique Pupil Number"),
    "uln": ("ULN", "Unique Learner Number"),
    "uci": ("UCI", "Unique Candidate Identifier"),
    "candidate_number": (
        "Candidate No",
        "Candidate Number",
        "Cand No",
        "Exam Number",
        "Exam Candidate Number",
        "Candidate",
    ),
    "email": ("Email", "E-mail", "Email Address", "E-mail Address"),
    "group": ("Teaching Group", "Class", "Class Name", "Group", "Reg Group", "Registration Group"),
}

KIND_FIELDS = {
    LEARNERS: (
        "last_name",
        "first_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "admission_number",
        "uln",
        "uci",
        "candidate_number",
        "email",
    ),
    CLASS_LIST: ("admission_number", "uln", "candidate_number", "uci", "group"),
}
REQUIRED = {LEARNERS: ("first_name", "last_name", "date_of_birth"), CLASS_LIST: ("group",)}
CLASS_LIST_IDS = ("admission_number", "uln", "candidate_number", "uci")
MATCH_KEYS = ("admission_number", "uln", "uci")  # in this order
UNIQUE_IN_FILE = ("admission_number", "uln", "uci", "candidate_number")
MAX_LENGTH = {
    "first_name": 100,
    "last_name": 100,
    "preferred_name": 100,
    "admission_number": 20,
    "email": 254,
    "group": 50,
}
# The same fields a correction by hand may change (learners.services), audited the same way.
AUDITED_FIELDS = tuple(EDITABLE_FIELDS)

CREATE, UPDATE, UNCHANGED, LEAVER, ERROR, ADD = (
    "create",
    "update",
    "unchanged",
    "leaver",
    "error",
    "add",
)

_NON_ALNUM = re.compile(r"[^0-9a-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_heading(heading) -> str:
    """'Legal  Surname', 'legal_surname' and 'LEGAL-SURNAME' are the same heading."""
    return _NON_ALNUM.sub("", str(heading).casefold())


ALIAS_INDEX: dict[str, tuple[str, int]] = {}
for _field, _names in ALIASES.items():
    for _rank, _name in enumerate(_names):
        ALIAS_INDEX.setdefault(normalise_heading(_name), (_field, _rank))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning): which row, which column, the value, and why."""

    reason: str
    row: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        return cls(
            reason=d.get("reason", ""),
            row=d.get("row"),
            column=d.get("column", ""),
            value=d.get("value", ""),
        )


class FileRefused(Exception):
    """The file failed a check before it was read (size, type, zip bomb, encoding, empty)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.problem = Problem(reason)


class ImportRefused(Exception):
    """A commit that cannot go ahead; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems[:5]))


@dataclass
class Column:
    index: int
    heading: str
    field: str | None  # the field this column fills, None if not used
    status: str  # "used", "recognised, not stored", "not recognised", "ignored", "not used: …"

    @property
    def label(self) -> str:
        """What the column is read as, in words."""
        return FIELD_LABELS[self.field] if self.field else self.status


_NO_PROBLEMS: tuple = ()  # a row's errors and warnings until it has one: no list per row


class RowResult:
    """One row of the file (or one leaver) and its effect, kept compact.

    A 10,000-row file keeps 10,000 of these between reading and planning, so each holds
    only what the checks, the commit and the preview page need: the cleaned values as a
    tuple in FIELDS order (None where the file gives none), the learner it matched, and its
    problems. The text only the preview page shows (name, identifiers, the changes of a new
    learner) is worked out when asked for, not for every row of every preview and commit.
    """

    __slots__ = (
        "row",
        "effect",
        "vals",
        "learner",
        "errors",
        "warnings",
        "changed_fields",
        "group",
        "_changes",
    )
    FIELDS: tuple[str, ...] = ()

    def __init__(
        self, row, effect, vals=(), *, learner=None, changes=None, changed_fields=(), group=""
    ):
        self.row = row
        self.effect = effect
        self.vals = vals
        self.learner = learner
        self.errors = _NO_PROBLEMS
        self.warnings = _NO_PROBLEMS
        self.changed_fields = changed_fields
        self.group = group
        self._changes = changes

    def __repr__(self) -> str:
        return f"<{type(self).__name__} row {self.row}: {self.effect}>"

    def add_error(self, problem: Problem) -> None:
        if self.errors is _NO_PROBLEMS:
            self.errors = [problem]
        else:
            self.errors.append(problem)

    def add_warning(self, problem: Problem) -> None:
        if self.warnings is _NO_PROBLEMS:
            self.warnings = [problem]
        else:
            self.warnings.append(problem)

    @property
    def values(self) -> dict:
        """The cleaned values the file gives, by field."""
        return {f: v for f, v in zip(self.FIELDS, self.vals, strict=False) if v is not None}

    @property
    def learner_id(self) -> int | None:
        return self.learner.pk if self.learner is not None else None

    @property
    def name(self) -> str:
        return str(self.learner) if self.learner is not None else ""

    @property
    def identifiers(self) -> str:
        return _identifiers(self.values)

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for the preview page; none for a row in error."""
        if self.effect == ERROR:
            return []
        if self._changes is not None:
            return self._changes
        return self._default_changes()

    @changes.setter
    def changes(self, value) -> None:
        self._changes = value

    def _default_changes(self) -> list[tuple[str, str, str]]:
        return []


class LearnerRow(RowResult):
    __slots__ = ()
    FIELDS = KIND_FIELDS[LEARNERS]

    @property
    def name(self) -> str:
        v, learner = self.vals, self.learner
        last = v[_L["last_name"]] or (learner.last_name if learner else "")
        first = v[_L["first_name"]] or (learner.first_name if learner else "")
        return f"{last.upper()}, {first}" if (last or first) else ""

    def _default_changes(self) -> list[tuple[str, str, str]]:
        if self.effect != CREATE:
            return []
        return [
            (FIELD_LABELS[f], "", _display(v))
            for f, v in zip(self.FIELDS, self.vals, strict=True)
            if v
        ]


class ClassListRow(RowResult):
    __slots__ = ()
    FIELDS = KIND_FIELDS[CLASS_LIST]


class LeaverRow(RowResult):
    __slots__ = ()

    @property
    def identifiers(self) -> str:
        learner = self.learner
        return _identifiers(
            {f: getattr(learner, f) for f in ("admission_number", "uln", "uci", "candidate_number")}
        )


ROW_CLASS = {LEARNERS: LearnerRow, CLASS_LIST: ClassListRow}
_L = {f: i for i, f in enumerate(KIND_FIELDS[LEARNERS])}  # a field's place in LearnerRow.vals
_C = {f: i for i, f in enumerate(KIND_FIELDS[CLASS_LIST])}  # and in ClassListRow.vals


@dataclass
class ImportPreview:
    kind: str
    file_name: str = ""
    file_type: str = ""  # "csv" or "xlsx"
    encoding: str = ""
    sheet: str = ""
    header_row: int | None = None
    headings: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    leavers: list[RowResult] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mapping_used: dict = field(default_factory=dict)
    file_sha256: str = ""
    import_obj: LearnerImport | None = None

    @property
    def errors(self) -> list[Problem]:
        return self.file_errors + [p for r in self.rows for p in r.errors]

    @property
    def warnings(self) -> list[Problem]:
        return [p for r in self.rows for p in r.warnings]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def needs_mapping(self) -> bool:
        """Required columns are missing but the file has headings a mapping could name."""
        return bool(self.missing_fields) and bool(self.headings)

    @property
    def all_rows(self) -> list[RowResult]:
        return self.rows + self.leavers

    @property
    def counts(self) -> dict:
        effects = defaultdict(int)
        for r in self.rows:
            effects[r.effect] += 1
        counts = {
            "rows": len(self.rows),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "error_rows": effects[ERROR],
        }
        if self.kind == CLASS_LIST:
            counts.update(
                add=effects[ADD], unchanged=effects[UNCHANGED], groups_created=len(self.new_groups)
            )
        else:
            counts.update(
                create=effects[CREATE],
                update=effects[UPDATE],
                unchanged=effects[UNCHANGED],
                leaver=len(self.leavers),
            )
        counts["columns_not_stored"] = [
            c.heading for c in self.columns if c.status == "recognised, not stored"
        ]
        counts["columns_unknown"] = [
            c.heading for c in self.columns if c.status == "not recognised"
        ]
        return counts


# --------------------------------------------------------------------------- file checks

_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel .xls file or a password-protected workbook: save it as .xlsx or CSV",
    ),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text (Excel's \u201cUnicode Text\u201d): save it as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text: save it as CSV UTF-8"),
)


def _mb(n: int) -> str:
    return f"{n / MB:.1f}".removesuffix(".0")


def _too_big(size: int | None, limit: int) -> FileRefused:
    if size is None:
        return FileRefused(f"the file is over the {_mb(limit)} MB limit")
    return FileRefused(f"the file is {size / MB:.1f} MB, over the {_mb(limit)} MB limit")


def read_upload(uploaded_file, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """The bytes of an upload (bytes, an UploadedFile or an open binary file), size-checked."""
    if isinstance(uploaded_file, (bytes, bytearray, memoryview)):
        data = bytes(uploaded_file)
    else:
        size = getattr(uploaded_file, "size", None)
        if size is not None and size > max_bytes:
            raise _too_big(size, max_bytes)
        if hasattr(uploaded_file, "seek"):
            try:
                uploaded_file.seek(0)
            except (OSError, ValueError):
                pass
        data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        whole = isinstance(uploaded_file, (bytes, bytearray, memoryview))
        raise _too_big(len(data) if whole else None, max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    return data


def check_file(
    data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES, max_expanded: int = MAX_XLSX_EXPANDED_BYTES
) -> tuple[str, str]:
    """("xlsx", "") or ("csv", encoding) from the content, whatever the file is called.

    Raises FileRefused with a clear reason otherwise.
    """
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes)
    if not data.strip():
        raise FileRefused("the file is empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        _check_xlsx(data, max_expanded)
        return "xlsx", ""
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise FileRefused(f"{NOT_A_SPREADSHEET} (it looks like {what})")
    encoding = _text_encoding(data)
    return "csv", encoding


def _check_xlsx(data: bytes, max_expanded: int) -> None:
    problem, total = inspect_xlsx_archive(
        data, max_expanded=max_expanded, max_members=MAX_XLSX_MEMBERS, max_ratio=MAX_XLSX_RATIO
    )
    if problem == XLSX_DAMAGED:
        raise FileRefused(f"{NOT_A_SPREADSHEET} (it is a damaged zip or XLSX file)")
    if problem == XLSX_NOT_WORKBOOK:
        raise FileRefused(f"{NOT_A_SPREADSHEET} (it is a zip archive but not an Excel workbook)")
    if problem == XLSX_MACROS:
        raise FileRefused(
            "macro-enabled workbooks are refused; save it as a plain Excel Workbook (.xlsx)"
        )
    if problem == XLSX_BOMB:
        raise FileRefused(
            f"refused: the XLSX expands to {_mb(total)} MB "
            f"(from {_mb(len(data))} MB); it looks like a zip bomb"
        )


def _text_encoding(data: bytes) -> str:
    """utf-8-sig, utf-8 or cp1252, checked chunk by chunk (memory flat); refuse binary."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp1252")
    head = data[:2048].lstrip().lower()
    if head.startswith(b"<"):
        raise FileRefused(
            f"{NOT_A_SPREADSHEET} (it looks like a web page or XML; some MIS "
            "\u201cExcel\u201d exports are: open it in Excel and save it as .xlsx or CSV)"
        )
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            for start in range(0, len(data), MB):
                text = decoder.decode(data[start : start + MB], final=start + MB >= len(data))
                if _CONTROL.search(text):
                    raise FileRefused(f"{NOT_A_SPREADSHEET} (it contains binary data, not text)")
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(f"{NOT_A_SPREADSHEET} (it is neither UTF-8 nor Windows-1252 text)")


# --------------------------------------------------------------------------- reading rows


@dataclass
class _Source:
    rows: object  # iterator of (row number, list of cell values)
    sheet: str = ""
    date_base: dt.date = dt.date(1899, 12, 30)
    close: object = None


@functools.cache
def _read_only_reader():
    """openpyxl's reader for load_workbook(read_only=True), but opening no sheet to size it.

    openpyxl's read-only sheet reads its stored dimensions when it is opened, and a file
    without them (as many MIS exports and openpyxl's own write-only files are) is parsed
    from end to end just for that; the importer then drops them anyway (every row is read,
    whatever they say: reset_dimensions). This reader skips that extra pass over the sheet.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):  # dimensions unknown: as after reset_dimensions()
            self._max_row = self._max_column = None

    class Reader(ExcelReader):
        def read_worksheets(self):  # read-only: worksheets only, as openpyxl opens them
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader


def _load_workbook(data: bytes):
    """load_workbook(read_only=True, data_only=False, keep_links=False) of the bytes."""
    reader = _read_only_reader()(
        io.BytesIO(data), read_only=True, data_only=False, keep_links=False
    )
    reader.read()
    return reader.wb


def _open_rows(data: bytes, file_type: str, encoding: str) -> _Source:
    if file_type == "xlsx":
        try:
            wb = _load_workbook(data)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise FileRefused(
                f"the XLSX file could not be read ({type(exc).__name__}); "
                "open it in Excel and save it again"
            ) from None
        if not wb.worksheets:
            wb.close()
            raise FileRefused("the XLSX file has no worksheet")
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the stored dimensions may be wrong; read every row there is
        base = (
            dt.date(1904, 1, 1)
            if getattr(wb, "epoch", None) and wb.epoch.year == 1904
            else dt.date(1899, 12, 30)
        )

        def rows():
            try:
                yield from enumerate(ws.iter_rows(values_only=True), start=1)
            except Exception as exc:  # damaged sheet XML, found only as it is read
                raise FileRefused(
                    f"the XLSX file could not be read ({type(exc).__name__}); "
                    "open it in Excel and save it again"
                ) from None

        return _Source(rows(), sheet=ws.title, date_base=base, close=wb.close)

    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    sample = stream.read(64 * 1024)
    stream.seek(0)
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(stream, delimiter=delimiter)

    def csv_rows():
        n = 0
        try:
            for n, values in enumerate(reader, start=1):  # noqa: B007
                yield n, values
        except csv.Error as exc:
            raise FileRefused(f"row {n + 1}: the CSV could not be read ({exc})") from None

    return _Source(csv_rows())


def _is_formula(value) -> bool:
    if isinstance(value, str):
        return len(value) > 1 and value[0] == "="
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%d/%m/%Y")
            if value.time() == dt.time()
            else value.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --------------------------------------------------------------------------- cleaning values

_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")


def parse_date(
    value, date_base: dt.date = dt.date(1899, 12, 30)
) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, why not). UK dd/mm/yyyy, yyyy-mm-dd, Excel serials, real dates."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, date_base, _text(value))
    text = _text(value)
    if _SERIAL.match(text):
        return _serial(float(text), date_base, text)
    m = _DMY.match(text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            return None, f"{text}: write the year in full (dd/mm/yyyy)"
    else:
        m = _YMD.match(text)
        if not m:
            return None, f"{text} is not a date: use dd/mm/yyyy"
        year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day), None
    except ValueError:
        hint = " (dates are read as dd/mm/yyyy)" if month > 12 and day <= 12 else ""
        return None, f"{text} is not a real date{hint}"


def _serial(number: float, base: dt.date, text: str) -> tuple[dt.date | None, str | None]:
    if number < 1 or number > 2958465 or number != int(number):
        return None, f"{text} is not a date: use dd/mm/yyyy"
    return base + dt.timedelta(days=int(number)), None


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _check_born(born: dt.date, today: dt.date):
    """(born, None), or (None, why not) for a date of birth in the future or out of range."""
    if born > today:
        return None, f"{born:%d/%m/%Y} is in the future"
    age = _age(born, today)
    if age < MIN_AGE:
        return None, f"{born:%d/%m/%Y} makes the learner {age}: younger than {MIN_AGE}"
    if age > MAX_AGE:
        return None, f"{born:%d/%m/%Y} makes the learner {age}: older than {MAX_AGE}"
    return born, None


def _clean(field_name: str, cell, text: str, date_base: dt.date, today: dt.date):
    """(value, reason): value None for an empty cell; reason None when the value is good."""
    if field_name == "date_of_birth":
        if not text:
            return None, None
        born, reason = parse_date(cell, date_base)
        if reason:
            return None, reason
        return _check_born(born, today)
    if not text:
        return None, None
    if field_name == "sex":
        sex = {"m": "M", "male": "M", "f": "F", "female": "F"}.get(text.casefold())
        if not sex:
            return None, f"{text} is not M or F (sex as the awarding body records it)"
        return sex, None
    if field_name == "uln":
        value = text.replace(" ", "")
        problem = uln_problem(value)
        return (None, f"ULN {text}: {problem}") if problem else (value, None)
    if field_name == "uci":
        value = text.replace(" ", "").upper()
        problem = uci_problem(value)
        return (None, f"UCI {text}: {problem}") if problem else (value, None)
    if field_name == "candidate_number":
        value = text.replace(" ", "")
        if value.isdigit() and len(value) < 4:
            value = value.zfill(4)  # Excel drops the leading zeros of 0042
        if len(value) != 4 or not value.isdigit() or value == "0000":
            return None, f"{text} is not a candidate number: four digits, 0001\u20139999"
        return value, None
    if field_name == "email":
        try:
            validate_email(text)
        except ValidationError:
            return None, f"{text} is not a valid e-mail address"
    limit = MAX_LENGTH.get(field_name)
    if limit and len(text) > limit:
        return None, f"longer than {limit} characters"
    return text, None


def _display(value) -> str:
    if value is None or value == "":
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _name(values: dict, learner: Learner | None = None) -> str:
    last = values.get("last_name") or (learner.last_name if learner else "")
    first = values.get("first_name") or (learner.first_name if learner else "")
    return f"{last.upper()}, {first}" if (last or first) else ""


def _identifiers(values: dict) -> str:
    parts = []
    for f, label in (
        ("admission_number", "Adno"),
        ("uln", "ULN"),
        ("uci", "UCI"),
        ("candidate_number", "Cand"),
    ):
        if values.get(f):
            parts.append(f"{label} {values[f]}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- columns


def centre_mapping(centre, kind: str) -> dict:
    row = ColumnMapping.objects.filter(centre=centre, kind=kind).first()
    return dict(row.mapping) if row else {}


def save_mapping(centre, kind: str, mapping: dict[str, str], *, user=None) -> ColumnMapping:
    """Remember heading -> field for the centre's files of this kind (merged with what it had)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    allowed = set(FIELD_LABELS) | {IGNORE}
    clean = {}
    for heading, field_name in mapping.items():
        field_name = field_name or IGNORE
        if field_name not in allowed:
            raise ValueError(f"{field_name!r} is not a field an import can fill")
        clean[str(heading).strip().lower()] = field_name
    with transaction.atomic():
        obj = ColumnMapping.objects.select_for_update().filter(centre=centre, kind=kind).first()
        before = dict(obj.mapping) if obj else {}
        after = before | clean
        if obj is None:
            obj = ColumnMapping.objects.create(centre=centre, kind=kind, mapping=after)
        elif after != before:
            obj.mapping = after
            obj.save(update_fields=["mapping", "updated_at"])
        if after != before:
            audit.record(
                user, "column_mapping.saved", obj, centre=centre, before=before or None, after=after
            )
    return obj


def _mapping_index(mapping: dict | None) -> dict[str, str]:
    return {
        normalise_heading(k): (v or IGNORE)
        for k, v in (mapping or {}).items()
        if v in FIELD_LABELS or v in (IGNORE, "", None)
    }


def _recognise(heading: str, explicit: dict, remembered: dict) -> tuple[str | None, int, bool]:
    """(field or None, rank, explicitly mapped?) for one heading."""
    key = normalise_heading(heading)
    if not key:
        return None, 0, False
    for source in (explicit, remembered):
        if key in source:
            value = source[key]
            return (None if value == IGNORE else value), -1, True
    if key in ALIAS_INDEX:
        f, rank = ALIAS_INDEX[key]
        return f, rank, False
    return None, 0, False


def resolve_columns(headings: list[str], kind: str, explicit: dict, remembered: dict):
    """(columns, {field: index}, problems) for a header row."""
    columns: list[Column] = []
    candidates: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    problems: list[Problem] = []
    for index, heading in enumerate(headings):
        if not heading:
            continue
        f, rank, mapped = _recognise(heading, explicit, remembered)
        key = normalise_heading(heading)
        if f is None:
            ignored = key in explicit or key in remembered
            columns.append(Column(index, heading, None, "ignored" if ignored else "not recognised"))
            continue
        columns.append(Column(index, heading, f, "used"))
        candidates[f].append((0 if mapped else 1, rank, index))
    used: dict[str, int] = {}
    by_index = {c.index: c for c in columns}
    for f, options in candidates.items():
        options.sort()
        best = options[0]
        mapped_twice = [o for o in options if o[0] == 0]
        if len(mapped_twice) > 1:
            names = " and ".join(headings[o[2]] for o in mapped_twice)
            problems.append(
                Problem(f"columns {names} are both mapped to {FIELD_LABELS[f]}; map only one")
            )
        for o in options[1:]:
            c = by_index[o[2]]
            c.field, c.status = None, f"not used: {headings[best[2]]} gives the {FIELD_LABELS[f]}"
        if f in KIND_FIELDS[kind]:
            used[f] = best[2]
        else:
            c = by_index[best[2]]
            c.field, c.status = None, "recognised, not stored"
    return columns, used, problems


def _missing(kind: str, used: dict) -> list[str]:
    missing = [f for f in REQUIRED[kind] if f not in used]
    if kind == CLASS_LIST and not any(f in used for f in CLASS_LIST_IDS):
        missing.append("admission_number")
    return missing


def _example(f: str) -> str:
    return f"{FIELD_LABELS[f]} (e.g. \u201c{ALIASES[f][0]}\u201d)"


# --------------------------------------------------------------------------- analysis


def analyse(
    data: bytes,
    *,
    centre,
    kind: str,
    mapping: dict | None = None,
    programme: Programme | None = None,
    mark_leavers: bool = True,
    file_name: str = "",
    max_bytes: int = MAX_IMPORT_BYTES,
    max_expanded: int = MAX_XLSX_EXPANDED_BYTES,
    use_remembered: bool = True,
) -> ImportPreview:
    """Read and check the whole file against the database; write nothing.

    mapping (heading -> field or "ignore") comes on top of the centre's remembered mapping
    (unless use_remembered is False: a commit uses exactly the mapping its preview used).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    preview = ImportPreview(
        kind=kind, file_name=file_name, file_sha256=hashlib.sha256(data).hexdigest()
    )
    try:
        file_type, encoding = check_file(data, max_bytes=max_bytes, max_expanded=max_expanded)
        source = _open_rows(data, file_type, encoding)
    except FileRefused as exc:
        preview.file_errors.append(exc.problem)
        return preview
    preview.file_type, preview.encoding, preview.sheet = file_type, encoding, source.sheet
    try:
        _analyse_rows(
            preview,
            source,
            centre=centre,
            kind=kind,
            mapping=mapping,
            programme=programme,
            mark_leavers=mark_leavers,
            use_remembered=use_remembered,
        )
    except FileRefused as exc:
        preview.file_errors.append(exc.problem)
        preview.rows, preview.leavers = [], []
    finally:
        if source.close:
            source.close()
    return preview


def _analyse_rows(
    preview, source, *, centre, kind, mapping, programme, mark_leavers, use_remembered
):
    explicit = _mapping_index(mapping)
    remembered = _mapping_index(centre_mapping(centre, kind)) if use_remembered else {}
    preview.mapping_used = remembered | explicit
    rows = iter(source.rows)

    # 1. The header row: the first of the first ten with two recognised headings.
    buffered = []
    for n, cells in rows:
        if any(_text(c) for c in cells):
            buffered.append((n, cells))
            if len(buffered) >= HEADER_SEARCH_ROWS:
                break
    if not buffered:
        raise FileRefused("the file is empty")
    header_at = None
    for i, (_n, cells) in enumerate(buffered):
        found = {
            _recognise(_text(c), explicit, remembered)[0] for c in cells if isinstance(c, str)
        } - {None}
        if len(found) >= 2:
            header_at = i
            break
    if header_at is None:
        # For the mapping step: the row with the most text cells is most likely the headings.
        best = max(
            range(len(buffered)), key=lambda i: (sum(1 for c in buffered[i][1] if _text(c)), -i)
        )
        n, cells = buffered[best]
        preview.header_row = n
        preview.headings = [_text(c) for c in cells]
        preview.missing_fields = list(REQUIRED[kind])
        found = ", ".join(h for h in preview.headings if h) or "none"
        preview.file_errors.append(
            Problem(
                f"no header row: none of the first {HEADER_SEARCH_ROWS} rows has two recognised "
                f"headings (such as Legal Surname, Legal Forename, DOB); "
                f"headings found in row {n}: {found}",
                row=n,
            )
        )
        return
    header_n, header_cells = buffered[header_at]
    preview.header_row = header_n
    headings = [_text(c) for c in header_cells]
    preview.headings = headings
    for i, c in enumerate(header_cells):
        if _is_formula(c):
            preview.file_errors.append(
                Problem(FORMULA_REASON, header_n, _column_letter(i), str(c)[:60])
            )
    columns, used, problems = resolve_columns(headings, kind, explicit, remembered)
    preview.columns = columns
    preview.file_errors.extend(Problem(p.reason, header_n) for p in problems)
    missing = _missing(kind, used)
    if missing:
        preview.missing_fields = missing
        found = ", ".join(h for h in headings if h)
        need = "; ".join(_example(f) for f in missing)
        if kind == CLASS_LIST and "admission_number" in missing:
            need = need.replace(
                _example("admission_number"),
                "a learner identifier (Adno, ULN, Candidate No or UCI)",
            )
        preview.file_errors.append(
            Problem(f"missing required columns: {need}. Headings found: {found}", row=header_n)
        )
        return
    if kind == CLASS_LIST and programme is None:
        preview.file_errors.append(Problem("choose the programme this class list is for"))
        return
    if kind == CLASS_LIST and programme.centre_id != centre.pk:
        preview.file_errors.append(
            Problem(f"the programme {programme} is not at centre {centre.number}")
        )
        return

    heading_of = {f: (headings[i] or _column_letter(i)) for f, i in used.items()}
    today = timezone.localdate()
    date_base = source.date_base
    data_rows = itertools.chain(buffered[header_at + 1 :], rows)
    row_class = ROW_CLASS[kind]
    width = len(row_class.FIELDS)
    # (place in the row's values, column index, field, heading) for each column read
    plan = [(row_class.FIELDS.index(f), i, f, heading_of[f]) for f, i in used.items()]
    parsed: list[RowResult] = []
    for n, cells in data_rows:
        # One pass over the cells: is the row blank, and does it hold a formula?
        blank, formulas = True, False
        for c in cells:
            if c is None:
                continue
            if c.__class__ is str:
                if blank and c.strip():
                    blank = False
                if c[:1] == "=" and len(c) > 1:
                    formulas = True
            else:
                if blank and _text(c):
                    blank = False
                if _is_formula(c):
                    formulas = True
        if blank:
            continue
        if len(parsed) >= MAX_ROWS:
            raise FileRefused(
                f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
            )
        result = row_class(n, ERROR)
        if formulas:
            for i, c in enumerate(cells):
                if _is_formula(c):
                    heading = (
                        headings[i] if i < len(headings) and headings[i] else _column_letter(i)
                    )
                    result.add_error(Problem(FORMULA_REASON, n, heading, str(c)[:60]))
        values = [None] * width
        count = len(cells)
        for pos, i, f, heading in plan:
            cell = cells[i] if i < count else None
            if cell is None or (formulas and _is_formula(cell)):
                continue
            if cell.__class__ is dt.datetime and f == "date_of_birth":
                # a date cell: no text to read (only for the message, if it is wrong)
                value, reason = _check_born(cell.date(), today)
                if reason:
                    result.add_error(Problem(reason, n, heading, _text(cell)))
                else:
                    values[pos] = value
                continue
            text = _text(cell)
            value, reason = _clean(f, cell, text, date_base, today)
            if reason:
                result.add_error(Problem(reason, n, heading, text))
            elif value is not None:
                values[pos] = value
        result.vals = tuple(values)
        parsed.append(result)
    if not parsed:
        preview.file_errors.append(
            Problem(f"there are no rows below the header row (row {header_n})", row=header_n)
        )
        return
    if kind == LEARNERS:
        _plan_learners(
            preview,
            parsed,
            centre=centre,
            used=used,
            heading_of=heading_of,
            mark_leavers=mark_leavers,
            today=today,
        )
    else:
        _plan_class_list(
            preview, parsed, centre=centre, programme=programme, used=used, heading_of=heading_of
        )
    for r in parsed:  # a later row may have found a problem with an earlier one
        if r.errors:
            r.effect, r.changes = ERROR, []
    preview.rows = parsed


def _in_chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _duplicates_within(parsed, keys, heading_of):
    fields = parsed[0].FIELDS if parsed else ()
    for f in keys:
        if f not in heading_of:
            continue
        pos = fields.index(f)
        seen = defaultdict(list)
        for r in parsed:
            v = r.vals[pos]
            if v:
                seen[v].append(r)
        for v, rs in seen.items():
            if len(rs) > 1:
                for r in rs:
                    others = ", ".join(str(o.row) for o in rs if o is not r)
                    r.add_error(
                        Problem(
                            f"{FIELD_LABELS[f]} {v} appears more than once in the file "
                            f"(also row {others})",
                            r.row,
                            heading_of[f],
                            v,
                        )
                    )


def _who(learner: Learner) -> str:
    return (
        f"{learner}, admission number {learner.admission_number}"
        if learner.admission_number
        else str(learner)
    )


def _person_key(first, last, born):
    return (first.casefold().strip(), last.casefold().strip(), born)


_LAST, _FIRST, _BORN, _SEX, _ADNO = (
    _L["last_name"],
    _L["first_name"],
    _L["date_of_birth"],
    _L["sex"],
    _L["admission_number"],
)
_LEARNER_IDS = ("uln", "uci", "candidate_number", "admission_number")  # checked for clashes


def _plan_learners(preview, parsed, *, centre, used, heading_of, mark_leavers, today):
    # Required values
    required = [(_L[f], f, heading_of[f]) for f in REQUIRED[LEARNERS]]
    for r in parsed:
        for pos, f, heading in required:
            if r.vals[pos] is None and not any(p.column == heading for p in r.errors):
                r.add_error(
                    Problem(f"missing: a {FIELD_LABELS[f]} is required", r.row, heading, "")
                )
    _duplicates_within(parsed, UNIQUE_IN_FILE, heading_of)

    # The centre's learners, in one query; identifiers held at other centres, in a few.
    existing = list(Learner.objects.filter(centre=centre))
    index = {f: {} for f in ("admission_number", "uln", "uci", "candidate_number")}
    people = defaultdict(list)
    for learner in existing:
        for f, d in index.items():
            v = getattr(learner, f)
            if v:
                d.setdefault(v, learner)
        people[_person_key(learner.first_name, learner.last_name, learner.date_of_birth)].append(
            learner
        )
    elsewhere = {}
    for f in ("uln", "uci"):
        pos = _L[f]
        wanted = {r.vals[pos] for r in parsed if r.vals[pos]} - set(index[f])
        found = set()
        for chunk in _in_chunks(wanted):
            found.update(
                Learner.objects.filter(**{f"{f}__in": chunk})
                .exclude(centre=centre)
                .values_list(f, flat=True)
            )
        elsewhere[f] = found

    match_keys = [(_L[f], f, index[f]) for f in MATCH_KEYS]
    clash_keys = [(_L[f], f, index[f], elsewhere.get(f, ())) for f in _LEARNER_IDS]
    compared = [(_L[f], f) for f in KIND_FIELDS[LEARNERS]]
    matched_by: dict[int, RowResult] = {}
    file_people = defaultdict(list)
    for r in parsed:
        v = r.vals
        learner = None
        for pos, f, known in match_keys:
            value = v[pos]
            if value and value in known:
                found = known[value]
                # A row with its own admission number never takes over a learner who has
                # another one: the ULN or UCI clash is reported below instead.
                if f == "admission_number" or not v[_ADNO] or not found.admission_number:
                    learner = found
                break
        r.learner = learner
        if learner is not None:
            first = matched_by.get(learner.pk)
            if first is not None:
                r.add_error(
                    Problem(f"matches the same learner ({learner}) as row {first.row}", r.row)
                )
                first.add_error(
                    Problem(f"matches the same learner ({learner}) as row {r.row}", first.row)
                )
            else:
                matched_by[learner.pk] = r
        # identifiers that belong to someone else
        for pos, f, known, other_centres in clash_keys:
            value = v[pos]
            if not value:
                continue
            other = known.get(value)
            if other is not None and other is not learner:
                r.add_error(
                    Problem(
                        f"{FIELD_LABELS[f]} {value} already belongs to another learner at "
                        f"this centre ({_who(other)})",
                        r.row,
                        heading_of[f],
                        value,
                    )
                )
            elif value in other_centres:
                r.add_error(
                    Problem(
                        f"{FIELD_LABELS[f]} {value} already belongs to a learner at another centre",
                        r.row,
                        heading_of[f],
                        value,
                    )
                )
        # possible duplicates: same legal name and date of birth, never merged
        if v[_FIRST] is not None and v[_LAST] is not None and v[_BORN] is not None:
            key = _person_key(v[_FIRST], v[_LAST], v[_BORN])
            for other in people.get(key, ()):
                if other is not learner:
                    adno = (
                        f", admission number {other.admission_number}"
                        if other.admission_number
                        else ""
                    )
                    r.add_warning(
                        Problem(
                            f"possible duplicate: {other}{adno} has the same name and date of "
                            "birth (not merged; check before committing)",
                            r.row,
                        )
                    )
            if learner is None:  # two new learners alike; an existing one is warned about above
                file_people[key].append(r)
        if r.errors:
            r.effect = ERROR
            continue
        if learner is None:
            if not v[_SEX]:
                column = heading_of.get("sex", "Sex")
                r.add_error(
                    Problem("missing: sex (M or F) is needed for a new learner", r.row, column, "")
                )
                r.effect = ERROR
                continue
            r.effect = CREATE  # its changes (every value) are shown from r.vals when asked for
            continue
        changed, changes = [], []
        for pos, f in compared:
            value = v[pos]
            if value is not None and (getattr(learner, f) or "") != value:
                changed.append(f)
                changes.append((FIELD_LABELS[f], _display(getattr(learner, f)), _display(value)))
        if not learner.on_roll:
            changed += ["on_roll", "left_on"]
            changes.append(("on roll", "no", "yes"))
            changes.append(("left on", _display(learner.left_on), "\u2014"))
        r.changed_fields = changed
        r.changes = changes
        r.effect = UPDATE if changed else UNCHANGED
    for rs in file_people.values():
        if len(rs) > 1:
            for r in rs:
                others = ", ".join(str(o.row) for o in rs if o is not r)
                r.add_warning(
                    Problem(
                        f"possible duplicate: row {others} has the same name and date of birth "
                        "(not merged; check before committing)",
                        r.row,
                    )
                )

    if "admission_number" not in used:
        preview.notes.append(
            "The file has no admission number column, so leavers are not worked out."
        )
    elif not mark_leavers:
        preview.notes.append(
            "Leavers are not marked: learners missing from the file are left as they are."
        )
    else:
        in_file = {r.vals[_ADNO] for r in parsed} - {None}
        matched = {r.learner.pk for r in parsed if r.learner is not None}
        left_on = _display(today)
        for learner in existing:
            if (
                learner.on_roll
                and learner.admission_number
                and learner.admission_number not in in_file
                and learner.pk not in matched
            ):
                preview.leavers.append(
                    LeaverRow(
                        None,
                        LEAVER,
                        learner=learner,
                        changes=[("on roll", "yes", "no"), ("left on", "\u2014", left_on)],
                        changed_fields=["on_roll", "left_on"],
                    )
                )
        preview.leavers.sort(key=lambda r: r.name)


def _plan_class_list(preview, parsed, *, centre, programme, used, heading_of):
    ids = [f for f in CLASS_LIST_IDS if f in used]
    index = {f: {} for f in ids}
    for learner in Learner.objects.filter(centre=centre).only(
        "id", "first_name", "last_name", "centre_id", *ids
    ):
        for f in ids:
            v = getattr(learner, f)
            if v:
                index[f].setdefault(v, learner)
    groups = {g.name: g for g in TeachingGroup.objects.filter(programme=programme)}
    folded = {name.casefold(): g for name, g in groups.items()}
    members = set(
        TeachingGroup.learners.through.objects.filter(
            teachinggroup__programme=programme
        ).values_list("teachinggroup_id", "learner_id")
    )
    new_groups: dict[str, str] = {}
    seen = {}
    for r in parsed:
        v = r.values
        if "group" not in v and not any(p.column == heading_of["group"] for p in r.errors):
            r.add_error(
                Problem("missing: a teaching group is required", r.row, heading_of["group"], "")
            )
        given = [f for f in ids if v.get(f)]
        if not given and not r.errors:
            r.add_error(
                Problem(
                    "missing: no learner identifier (admission number, ULN, candidate number or "
                    "UCI)",
                    r.row,
                    heading_of[ids[0]],
                    "",
                )
            )
        found = {}
        for f in given:
            learner = index[f].get(v[f])
            if learner is None:
                r.add_error(
                    Problem(
                        f"no learner at this centre has {FIELD_LABELS[f]} {v[f]}",
                        r.row,
                        heading_of[f],
                        v[f],
                    )
                )
            else:
                found[f] = learner
        if len({learner.pk for learner in found.values()}) > 1:
            desc = "; ".join(f"{FIELD_LABELS[f]} {v[f]} is {lr}" for f, lr in found.items())
            r.add_error(Problem(f"the identifiers name different learners: {desc}", r.row))
        learner = next(iter(found.values()), None)
        r.learner = learner
        name = v.get("group", "")
        group = groups.get(name) or folded.get(name.casefold()) if name else None
        r.group = group.name if group else name
        if learner is not None and name:
            key = (learner.pk, r.group.casefold())
            if key in seen:
                first = seen[key]
                for a, b in ((r, first), (first, r)):
                    a.add_error(
                        Problem(
                            f"{learner} is listed for group {a.group} again on row {b.row}",
                            a.row,
                            heading_of["group"],
                            a.group,
                        )
                    )
            else:
                seen[key] = r
        if r.errors:
            r.effect = ERROR
            continue
        if group is None:
            new_groups.setdefault(name.casefold(), name)
            r.effect = ADD
            r.changes = [("teaching group", "\u2014", f"{name} (group will be created)")]
        elif (group.pk, learner.pk) in members:
            r.effect = UNCHANGED
        else:
            r.effect = ADD
            r.changes = [("teaching group", "\u2014", group.name)]
        r.vals = r.vals[: _C["group"]] + (r.group,) + r.vals[_C["group"] + 1 :]
    preview.new_groups = sorted(new_groups.values(), key=str.casefold)
    for name in preview.new_groups:
        preview.notes.append(
            f"group {name} will be created for {programme} (delivered at {programme.centre})"
        )


# --------------------------------------------------------------------------- preview and commit


def _settings(import_obj: LearnerImport) -> dict:
    return (import_obj.counts or {}).get("settings", {})


def _stored_counts(preview: ImportPreview, *, mapping, programme, mark_leavers) -> dict:
    counts = preview.counts
    counts["settings"] = {
        "mapping": preview.mapping_used or _mapping_index(mapping),
        "programme": programme.pk if programme is not None else None,
        "mark_leavers": mark_leavers,
        "header_row": preview.header_row,
    }
    return counts


def _stored_errors(preview: ImportPreview) -> list[dict]:
    errors = preview.errors
    out = [p.as_dict() for p in errors[:MAX_STORED_ERRORS]]
    if len(errors) > MAX_STORED_ERRORS:
        out.append(Problem(f"\u2026 and {len(errors) - MAX_STORED_ERRORS} more errors").as_dict())
    return out


def preview_import(
    *,
    centre,
    kind: str,
    uploaded_file,
    file_name: str,
    user=None,
    mapping: dict | None = None,
    programme: Programme | None = None,
    mark_leavers: bool = True,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> ImportPreview:
    """Check and read the file, work out each row's effect, record the LearnerImport.

    Writes no learner.
    """
    file_name = (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        data = read_upload(uploaded_file, max_bytes)
    except FileRefused as exc:
        preview = ImportPreview(kind=kind, file_name=file_name, file_errors=[exc.problem])
        data = b""
    else:
        preview = analyse(
            data,
            centre=centre,
            kind=kind,
            mapping=mapping,
            programme=programme,
            mark_leavers=mark_leavers,
            file_name=file_name,
            max_bytes=max_bytes,
        )
    sha = hashlib.sha256(data).hexdigest() if data else ""
    preview.file_sha256 = sha
    actor = user if getattr(user, "is_authenticated", False) else None
    obj = LearnerImport(
        centre=centre,
        kind=kind,
        file_name=file_name,
        file_sha256=sha,
        uploaded_by=actor,
        status=LearnerImport.Status.PREVIEWED if preview.ok else LearnerImport.Status.REFUSED,
        counts=_stored_counts(
            preview, mapping=mapping, programme=programme, mark_leavers=mark_leavers
        ),
        errors=_stored_errors(preview),
    )
    if (
        preview.file_type
    ):  # passed the file checks: keep it so commit (or the mapping step) can read it
        obj.stored_file.save(f"{sha[:32]}.{preview.file_type}", ContentFile(data), save=False)
    obj.save()
    preview.import_obj = obj
    return preview


def read_stored_file(import_obj: LearnerImport) -> bytes:
    if not import_obj.stored_file:
        raise ImportRefused(
            [Problem("the file of this import was refused before it was kept; upload it again")]
        )
    try:
        with import_obj.stored_file.open("rb") as fh:
            data = fh.read()
    except OSError:
        raise ImportRefused(
            [Problem("the kept file of this import is missing; upload it again")]
        ) from None
    if import_obj.file_sha256 and hashlib.sha256(data).hexdigest() != import_obj.file_sha256:
        raise ImportRefused(
            [Problem("the kept file no longer matches the one previewed; upload it again")]
        )
    return data


def analyse_import(import_obj: LearnerImport, *, mapping: dict | None = None) -> ImportPreview:
    """The preview of a recorded import, worked out again from its kept file (records nothing)."""
    s = _settings(import_obj)
    programme = (
        Programme.objects.select_related("centre", "qualification")
        .filter(pk=s.get("programme"))
        .first()
        if s.get("programme")
        else None
    )
    data = read_stored_file(import_obj)
    preview = analyse(
        data,
        centre=import_obj.centre,
        kind=import_obj.kind,
        mapping=mapping if mapping is not None else s.get("mapping"),
        programme=programme,
        mark_leavers=s.get("mark_leavers", True),
        file_name=import_obj.file_name,
        use_remembered="mapping" not in s,
    )
    preview.import_obj = import_obj
    return preview


def commit_import(import_obj: LearnerImport, user=None) -> ImportPreview:
    """Apply a previewed import: read the kept file again, refuse on any error.

    Writes all of it or nothing: learners, groups, their audit events and the import
    record are one transaction. The import is claimed first with a conditional UPDATE
    (a row lock on PostgreSQL, the write lock on SQLite), so two clicks on Commit
    apply it once.
    """
    actor = user if getattr(user, "is_authenticated", False) else None
    refused: list[Problem] | None = None
    Status = LearnerImport.Status
    with audit.batch():
        claimed = LearnerImport.objects.filter(pk=import_obj.pk, status=Status.PREVIEWED).update(
            status=Status.COMMITTED, committed_at=timezone.now()
        )
        locked = LearnerImport.objects.select_related("centre").get(pk=import_obj.pk)
        if not claimed:
            status = locked.get_status_display().lower()
            raise ImportRefused([Problem(f"this import is {status}; it cannot be committed")])
        preview = analyse_import(locked)
        if not preview.ok:
            refused = preview.errors
            LearnerImport.objects.filter(pk=locked.pk).update(
                status=Status.REFUSED, committed_at=None, errors=_stored_errors(preview)
            )
        else:
            try:
                with transaction.atomic():
                    if locked.kind == CLASS_LIST:
                        _apply_class_list(preview, locked, actor)
                    else:
                        _apply_learners(preview, locked, actor)
            except IntegrityError:
                problem = Problem(
                    "the learners changed while this import was being applied; "
                    "nothing was written: preview it again"
                )
                raise ImportRefused([problem]) from None
            counts = preview.counts
            counts["settings"] = _settings(locked)
            locked.counts, locked.errors = counts, []
            locked.save(update_fields=["counts", "errors"])
    import_obj.refresh_from_db()
    if refused is not None:
        raise ImportRefused(refused)
    preview.import_obj = import_obj
    return preview


def _snapshot(learner: Learner, fields) -> dict:
    return {f: getattr(learner, f) for f in fields}


def _apply_learners(preview: ImportPreview, import_obj: LearnerImport, actor) -> None:
    reason = f"MIS import #{import_obj.pk} ({import_obj.file_name})"
    centre = import_obj.centre
    L = _L
    new = [
        Learner(
            centre=centre,
            first_name=v[_FIRST],
            last_name=v[_LAST],
            preferred_name=v[L["preferred_name"]] or "",
            date_of_birth=v[_BORN],
            sex=v[_SEX],
            uln=v[L["uln"]] or None,
            uci=v[L["uci"]] or None,
            candidate_number=v[L["candidate_number"]] or "",
            admission_number=v[_ADNO] or "",
            email=v[L["email"]] or "",
        )
        for r in preview.rows
        if r.effect == CREATE
        for v in (r.vals,)
    ]
    if new:
        Learner.objects.bulk_create(new, batch_size=500)
        if any(learner.pk is None for learner in new):  # a backend that returns no ids
            raise IntegrityError("bulk_create returned no primary keys")
    changed: list[Learner] = []
    fields: set[str] = set()
    events = []
    today = timezone.localdate()
    for r in preview.rows:
        if r.effect != UPDATE:
            continue
        learner = r.learner
        before = _snapshot(learner, r.changed_fields)
        for f in r.changed_fields:
            if f == "on_roll":
                learner.on_roll = True
            elif f == "left_on":
                learner.left_on = None
            else:
                setattr(learner, f, r.vals[_L[f]])
        changed.append(learner)
        fields.update(r.changed_fields)
        events.append(("learner.updated", learner, before, _snapshot(learner, r.changed_fields)))
    for r in preview.leavers:
        learner = r.learner
        before = _snapshot(learner, ("on_roll", "left_on"))
        learner.on_roll, learner.left_on = False, today
        changed.append(learner)
        fields.update(("on_roll", "left_on"))
        events.append(("learner.left", learner, before, _snapshot(learner, ("on_roll", "left_on"))))
    if changed:
        Learner.objects.bulk_update(changed, sorted(fields), batch_size=500)
    for learner in new:
        audit.record(
            actor,
            "learner.created",
            learner,
            learner=learner,
            after=_snapshot(learner, AUDITED_FIELDS) | {"reason": reason},
            object_repr=str(learner),
        )
    for action, learner, before, after in events:
        audit.record(
            actor, action, learner, learner=learner, before=before, after=after | {"reason": reason}
        )


def _apply_class_list(preview: ImportPreview, import_obj: LearnerImport, actor) -> None:
    programme = Programme.objects.select_related("centre").get(
        pk=_settings(import_obj)["programme"]
    )
    groups = {g.name.casefold(): g for g in TeachingGroup.objects.filter(programme=programme)}
    created = [
        TeachingGroup(programme=programme, name=name, delivering_centre=programme.centre)
        for name in preview.new_groups
        if name.casefold() not in groups
    ]
    if created:
        TeachingGroup.objects.bulk_create(created)
        if any(g.pk is None for g in created):
            created = list(
                TeachingGroup.objects.filter(
                    programme=programme, name__in=[g.name for g in created]
                )
            )
        for g in created:
            groups[g.name.casefold()] = g
            audit.record(
                actor,
                "teaching_group.created",
                g,
                centre=programme.centre,
                after={
                    "name": g.name,
                    "programme": programme.pk,
                    "delivering_centre": programme.centre_id,
                    "reason": f"MIS import #{import_obj.pk} ({import_obj.file_name})",
                },
            )
    Through = TeachingGroup.learners.through
    links = []
    for r in preview.rows:
        if r.effect != ADD:
            continue
        group = groups[r.group.casefold()]
        links.append((group, r.learner))
    Through.objects.bulk_create(
        [Through(teachinggroup_id=g.pk, learner_id=lr.pk) for g, lr in links], batch_size=500
    )
    for group, learner in links:
        audit.record(
            actor,
            "teaching_group.learner_added",
            group,
            learner=learner,
            centre=learner.centre_id,
            before=None,
            after={
                "group": group.name,
                "programme": programme.pk,
                "reason": f"MIS import #{import_obj.pk} ({import_obj.file_name})",
            },
        )
