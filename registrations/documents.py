"""The registration round's documents: functions that build bytes, nothing else.

- `entry_list_pdf(entry_list)`: the entry list laid out for the programme leader to
  check and sign (A4 landscape, the table repeats its headings on every page).
- `entry_list_xlsx(entry_list)`: the same rows as a spreadsheet.
- `pearson_xlsx(entry_list)`: the entries laid out for keying or uploading into Edexcel
  Online, refused (PearsonRowsRefused, naming row, field and reason) if any row would be
  refused by Pearson.
- `letters_pdf(notices)`: one page per learner, the printed registration notices.

Dates read dd/mm/yyyy, times are local. Text goes into PDF paragraphs escaped, and into
XLSX through btecqa.spreadsheets (formula-injection safe). The PDFs use the standard
Helvetica font (WinAnsi): a character outside it prints as a visible box, never silently
dropped.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from btecqa.spreadsheets import xlsx_bytes
from learners.validators import uln_problem
from signatures import services as signing

from . import services

# --- shared ------------------------------------------------------------------------------

_SHEET = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_SHEET["Normal"], fontSize=9.5, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9)
HEAD_CELL = ParagraphStyle("headcell", parent=CELL, fontName="Helvetica-Bold")
TITLE = ParagraphStyle("title", parent=_SHEET["Title"], fontSize=15, leading=18, alignment=0)
H2 = ParagraphStyle("h2", parent=_SHEET["Heading2"], fontSize=11.5, leading=14, spaceBefore=8)
MONO = ParagraphStyle("mono", parent=BODY, fontName="Courier", fontSize=8.5)
RIGHT = ParagraphStyle("right", parent=BODY, alignment=TA_RIGHT)


def _p(text, style=BODY) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y at %H:%M")


def _footer(text: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        width = doc.pagesize[0]
        canvas.drawString(doc.leftMargin, 8 * mm, text)
        canvas.drawRightString(width - doc.rightMargin, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def _build(story, *, pagesize, title: str, footer: str, author: str = "btecqa") -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
        creator="btecqa",
    )
    draw = _footer(footer)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return out.getvalue()


def file_stem(entry_list) -> str:
    p = entry_list.cohort
    raw = f"{p.centre.number}-{p.qualification.number}-{p.academic_year}"
    return re.sub(r"[^A-Za-z0-9]+", "-", raw).strip("-")


# --- the entry list ----------------------------------------------------------------------

ENTRY_HEADINGS = [
    "No.",
    "Surname",
    "Forename",
    "Date of birth",
    "Sex",
    "ULN",
    "UCI",
    "Candidate number",
    "Pathway",
    "Optional units",
    "Programme code",
    "New starter",
]
FIELD_LABELS = {
    "last_name": "surname",
    "first_name": "forename",
    "date_of_birth": "date of birth",
    "sex": "sex",
    "uln": "ULN",
    "uci": "UCI",
    "candidate_number": "candidate number",
    "pathway": "pathway",
    "optional_units": "optional units",
    "programme_code": "programme code",
    "new_starter": "new starter",
}


def entry_list_rows(entry_list) -> list[list[str]]:
    """The list's rows in its order, as text: No., surname, forename, ... new starter."""
    rows = []
    for n, reg in enumerate(entry_list.rows(), start=1):
        learner = reg.learner
        units = sorted(reg.optional_units.all(), key=lambda u: (u.sort_key, u.number))
        rows.append(
            [
                str(n),
                learner.last_name,
                learner.first_name,
                _date(learner.date_of_birth),
                learner.sex,
                learner.uln or "",
                learner.uci or "",
                learner.candidate_number,
                reg.pathway,
                ", ".join(u.number for u in units),
                reg.programme_code,
                "Yes" if reg.new_starter else "",
            ]
        )
    return rows


def _unit_key(entry_list) -> str:
    units = entry_list.cohort.qualification.units.filter(mandatory=False)
    return "; ".join(f"{u.number} {u.title}" for u in units)


def _value(field: str, value) -> str:
    if value in (None, "", []):
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field == "date_of_birth":
        return _date(value)
    return str(value)


def _person(row: dict) -> str:
    number = row["candidate_number"] or "no candidate number"
    return f"{row['last_name'].upper()}, {row['first_name']} ({number})"


def amendment_lines(diff: dict) -> list[str]:
    """changes_since_signed() in words, one line per row added, removed or changed."""
    lines = [f"Added: {_person(r)}" for r in diff.get("added", [])]
    lines += [f"Removed: {_person(r)}" for r in diff.get("removed", [])]
    for change in diff.get("changed", []):
        fields = "; ".join(
            f"{FIELD_LABELS.get(f, f)} was {_value(f, old)}, now {_value(f, new)}"
            for f, (old, new) in change["fields"].items()
        )
        lines.append(f"Changed: {_person(change['row'])}: {fields}")
    return lines


def _entry_table(rows: list[list[str]]) -> Table:
    widths = [9, 30, 28, 19, 9, 21, 27, 19, 26, 25, 21, 14]  # mm, 248 of 264 available
    data = [[_p(h, HEAD_CELL) for h in ENTRY_HEADINGS]]
    data += [[_p(v, CELL) for v in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f6f6")]),
            ]
        )
    )
    return table


def _facts(pairs) -> Table:
    data = [[_p(k, HEAD_CELL), _p(v, BODY)] for k, v in pairs]
    table = Table(data, colWidths=[40 * mm, 200 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _blank_signature(entry_list, heading: str) -> list:
    leader = entry_list.cohort.leader
    name = (leader.get_full_name() or leader.get_username()) if leader else ""
    return [
        _p(heading, H2),
        _p(entry_list.signing_statement),
        Spacer(1, 7 * mm),
        _p(f"Programme leader: {name or '_' * 40}"),
        Spacer(1, 7 * mm),
        _p(f"Signed {'_' * 45}     Date {'_' * 20}"),
        Spacer(1, 3 * mm),
        _p(
            "Sign and date by hand, or sign in btecqa with your password: the signed version "
            "and its SHA-256 then print here.",
            SMALL,
        ),
    ]


def entry_list_pdf(entry_list) -> bytes:
    """The entry list laid out for signing: header, every row, open queries, signature."""
    cohort = entry_list.cohort
    centre, qualification = cohort.centre, cohort.qualification
    version = signing.latest_version(entry_list)
    signature = signing.latest_signature(entry_list)
    rows = entry_list_rows(entry_list)
    now = timezone.localtime()

    if version is None:
        version_text = "not yet returned for signing (no version frozen)"
    else:
        reason = version.reason or "no reason given"
        version_text = f"{version.number}, frozen {_when(version.created_at)} ({reason})"
        if version.sha256 != signing.current_sha256(entry_list):
            version_text += "; the list has changed since this version"
    leader = cohort.leader
    story = [
        _p("Entry list for checking and signing", TITLE),
        _facts(
            [
                ("Centre", f"{centre.name} ({centre.number})"),
                ("Qualification", f"{qualification.title} ({qualification.number})"),
                ("Academic year", cohort.academic_year),
                ("Programme leader", str(leader) if leader else "not set"),
                ("List version", version_text),
                ("Status", entry_list.get_status_display()),
                ("Entries", str(len(rows))),
                ("Printed", now.strftime("%d/%m/%Y at %H:%M")),
            ]
        ),
        Spacer(1, 4 * mm),
    ]
    if rows:
        story.append(_entry_table(rows))
        key = _unit_key(entry_list)
        if key:
            story += [Spacer(1, 2 * mm), _p(f"Optional units: {key}", SMALL)]
    else:
        story.append(_p("There are no entries on this list."))

    queries = list(
        entry_list.queries.filter(answered_at__isnull=True).select_related(
            "registration__learner", "raised_by"
        )
    )
    if queries:
        story.append(_p(f"Open queries on rows ({len(queries)})", H2))
        for q in queries:
            by = q.raised_by.get_full_name() or q.raised_by.get_username()
            story.append(
                _p(f"{q.registration.learner}: {q.reason} (raised by {by}, {_when(q.raised_at)})")
            )

    if signature is None:
        story.append(KeepTogether(_blank_signature(entry_list, "Signature")))
    else:
        block = [
            _p("Signature", H2),
            _p(
                f"Signed by {signature.signer_name}, {signature.role_label}, on "
                f"{_when(signature.signed_at)}: version {signature.version.number}."
            ),
            _p(f"SHA-256 {signature.sha256}", MONO),
            _p(f"Statement signed: \u201c{signature.statement}\u201d"),
        ]
        story.append(KeepTogether(block))
        diff = services.changes_since_signed(entry_list)
        if diff:
            later = signing.versions(entry_list).filter(number__gt=signature.version.number)
            amended = [
                _p("Amended since signing", H2),
                _p(
                    f"The list has been amended since version {signature.version.number} was "
                    "signed. The signature above covers that version only; the changes are:"
                ),
            ]
            amended += [_p(f"\u2022 {line}") for line in amendment_lines(diff)]
            reasons = [
                f"Version {v.number}, {_when(v.created_at)}, by {v.created_by_repr}: {v.reason}"
                for v in later.order_by("number")
            ]
            if reasons:
                amended.append(_p("Versions since signing:", BODY))
                amended += [_p(r, SMALL) for r in reasons]
            story.append(KeepTogether(amended))
            if entry_list.status != entry_list.Status.SUBMITTED:
                story.append(KeepTogether(_blank_signature(entry_list, "Signature again")))

    footer = (
        f"Entry list · {centre.number} {centre.name} · {qualification.number} · "
        f"{cohort.academic_year}"
        + (f" · version {version.number}" if version else "")
        + f" · printed {now:%d/%m/%Y %H:%M}"
    )
    return _build(
        story,
        pagesize=landscape(A4),
        title=f"Entry list: {qualification.title} {cohort.academic_year}",
        footer=footer,
    )


def entry_list_xlsx(entry_list) -> bytes:
    """The same rows as the PDF, with the list's facts on a second sheet."""
    cohort = entry_list.cohort
    version = signing.latest_version(entry_list)
    signature = signing.latest_signature(entry_list)
    about = [
        ["Centre", f"{cohort.centre.name} ({cohort.centre.number})"],
        ["Qualification", cohort.qualification.title],
        ["Qualification number", cohort.qualification.number],
        ["Academic year", cohort.academic_year],
        ["List version", version.number if version else "not yet returned"],
        ["Status", entry_list.get_status_display()],
    ]
    if signature:
        about += [
            ["Signed by", f"{signature.signer_name}, {signature.role_label}"],
            ["Signed at", _when(signature.signed_at)],
            ["Signed version", signature.version.number],
            ["SHA-256", signature.sha256],
        ]
    return xlsx_bytes(
        [
            ("Entry list", ENTRY_HEADINGS, entry_list_rows(entry_list)),
            ("About", ["", ""], about),
        ]
    )


# --- for Pearson (Edexcel Online) --------------------------------------------------------

PEARSON_HEADINGS = [
    "Centre reference",
    "First names",
    "Last names",
    "Sex",
    "Date of birth",
    "Planned completion",
    "ULN",
    "Qualification number",
    "Programme code",
]
FIRST_NAMES_MAX = 20
LAST_NAMES_MAX = 30
_TRANSLITERATE = str.maketrans(
    {
        "ß": "SS",
        "ẞ": "SS",
        "æ": "AE",
        "Æ": "AE",
        "œ": "OE",
        "Œ": "OE",
        "ø": "O",
        "Ø": "O",
        "ł": "L",
        "Ł": "L",
        "đ": "D",
        "Đ": "D",
        "ð": "D",
        "Ð": "D",
        "þ": "TH",
        "Þ": "TH",
        "ı": "I",
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
    }
)
_NOT_PEARSON = re.compile(r"[^A-Z'.:()/\- ]")


def pearson_name(value: str) -> str:
    """A name in Pearson's alphabet: upper-case A-Z and ' . : ( ) / - and spaces.

    Accents are stripped (é -> E), a few letters without a decomposition are spelt out
    (ß -> SS, Ø -> O), anything else is removed; spaces are collapsed, and a leading
    hyphen is dropped (it is not part of a name, and would start a formula in Excel).
    """
    text = unicodedata.normalize("NFKD", (value or "").translate(_TRANSLITERATE))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = re.sub(r"\s+", " ", text)
    text = _NOT_PEARSON.sub("", text)
    return re.sub(r" {2,}", " ", text).strip(" -")


def planned_completion(cohort) -> dt.date:
    """31 August at the end of the programme's academic year ("2026/27" -> 31/08/2027)."""
    start = int(cohort.academic_year[:4])
    return dt.date(start + 1, 8, 31)


class PearsonRowsRefused(Exception):
    """Rows Pearson would refuse: nothing was produced. `problems` names row, field, reason."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): the file was not produced")


def pearson_rows(entry_list, today: dt.date | None = None) -> tuple[list[list], list[dict]]:
    """Every row cleaned for Pearson, and every problem: {row, learner, field, reason}.

    "row" is the learner's number on the entry list (the "No." of the PDF and XLSX).

    Column order is UNCONFIRMED: Pearson documents the fields of its bulk registration
    spreadsheet (Centre reference, First names, Last names, Sex, Date of birth, Planned
    completion, ULN) for Functional Skills and says BTEC uses the same information; the
    exact BTEC column order was not found. Planned completion is 31/08 at the end of the
    programme's academic year (the programme records one year, not its length).
    """
    today = today or timezone.localdate()
    cohort = entry_list.cohort
    completion = planned_completion(cohort)
    problems: list[dict] = []
    if completion <= today:
        problems.append(
            {
                "row": None,
                "learner": "",
                "field": "Planned completion",
                "reason": f"{_date(completion)} is not in the future, and Pearson refuses a "
                "planned completion date in the past.",
            }
        )
    rows = []
    for n, reg in enumerate(entry_list.rows(), start=1):
        learner = reg.learner
        who = str(learner)

        def problem(field, reason, n=n, who=who):
            problems.append({"row": n, "learner": who, "field": field, "reason": reason})

        first, last = pearson_name(learner.first_name), pearson_name(learner.last_name)
        for field, name, original, limit in (
            ("First names", first, learner.first_name, FIRST_NAMES_MAX),
            ("Last names", last, learner.last_name, LAST_NAMES_MAX),
        ):
            if not name:
                problem(
                    field,
                    f"nothing is left of \u201c{original}\u201d in Pearson's alphabet "
                    "(A-Z ' . : ( ) / -).",
                )
            elif len(name) > limit:
                problem(
                    field,
                    f"\u201c{name}\u201d is {len(name)} characters; Pearson allows {limit} "
                    "including spaces. Agree a shortened legal name with the learner.",
                )
        if learner.sex not in ("M", "F"):
            problem("Sex", "must be M or F.")
        if not learner.date_of_birth:
            problem("Date of birth", "missing: Pearson requires it.")
        if not learner.uln:
            problem("ULN", "missing: Pearson requires a ULN for learners at UK centres.")
        elif err := uln_problem(learner.uln):
            problem("ULN", err)
        reference = learner.candidate_number or ""
        if reference and not re.fullmatch(r"[A-Za-z0-9]{1,10}", reference):
            problem("Centre reference", "must be up to 10 letters and digits.")
        rows.append(
            [
                reference,
                first,
                last,
                learner.sex,
                _date(learner.date_of_birth),
                _date(completion),
                learner.uln or "",
                cohort.qualification.number,
                reg.programme_code,
            ]
        )
    if not rows:
        problems.append(
            {
                "row": None,
                "learner": "",
                "field": "",
                "reason": "There are no entries on this list.",
            }
        )
    return rows, problems


def pearson_xlsx(entry_list, today: dt.date | None = None) -> bytes:
    """The entries for keying into Edexcel Online; PearsonRowsRefused if any row is wrong."""
    rows, problems = pearson_rows(entry_list, today)
    if problems:
        raise PearsonRowsRefused(problems)
    return xlsx_bytes([("Registrations", PEARSON_HEADINGS, rows)])


# --- learners' registration notices ------------------------------------------------------

LETTER_STYLE = ParagraphStyle("letter", parent=BODY, fontSize=10.5, leading=14)
LETTER_HEADING = ParagraphStyle(
    "letterhead", parent=LETTER_STYLE, fontName="Helvetica-Bold", spaceBefore=6
)


def _letter_lines(text: str) -> list:
    """The notice text as paragraphs: indentation kept, a line introducing indented ones bold."""
    lines = text.splitlines()
    story = []
    for i, line in enumerate(lines):
        if not line.strip():
            story.append(Spacer(1, 2.5 * mm))
            continue
        indent = len(line) - len(line.lstrip(" "))
        following = lines[i + 1] if i + 1 < len(lines) else ""
        is_heading = indent == 0 and following.startswith("  ")
        style = LETTER_HEADING if is_heading else LETTER_STYLE
        story.append(
            Paragraph(
                escape(line.strip()),
                ParagraphStyle(f"l{indent}", parent=style, leftIndent=indent * 2.5 * mm),
            )
        )
    return story


def letters_pdf(notices, *, batch: str = "") -> bytes:
    """One A4 page per learner: the notice as e-mailed, for printing and handing out.

    `notices` are registrations.notices.Notice objects (notices_for_round, the letters
    of send_notices, batch_notices); LearnerNotice rows are accepted too and regenerated
    (a letter whose notice has changed since it was recorded is left out).
    """
    from .models import LearnerNotice
    from .notices import notices_from_records

    notices = list(notices)
    if notices and isinstance(notices[0], LearnerNotice):
        notices = notices_from_records(notices)
    batch = batch or next((n.batch for n in notices if n.batch), "")
    width, height = A4
    # The page frame less its 6pt padding on each side.
    frame_w, frame_h = width - 28 * mm - 12, height - 30 * mm - 12
    story = []
    for i, notice in enumerate(notices):
        centre, learner = notice.round.centre, notice.learner
        date = timezone.localtime(notice.sent_at) if notice.sent_at else timezone.localtime()
        head = Table(
            [
                [
                    Paragraph(
                        f"<b>{escape(centre.name)}</b><br/>Exams office"
                        + (f"<br/>{escape(centre.email)}" if centre.email else ""),
                        LETTER_STYLE,
                    ),
                    _p(date.strftime("%d/%m/%Y"), RIGHT),
                ]
            ],
            colWidths=[frame_w * 0.7, frame_w * 0.3],
        )
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        page = [
            head,
            Spacer(1, 6 * mm),
            _p(
                f"Private: for {learner.first_name} {learner.last_name.upper()}"
                + (
                    f", candidate number {learner.candidate_number}"
                    if learner.candidate_number
                    else ""
                ),
                LETTER_HEADING,
            ),
            _p("Your BTEC registration: please check it", TITLE),
            Spacer(1, 2 * mm),
            *_letter_lines(notice.text),
        ]
        story.append(KeepInFrame(frame_w, frame_h, page, mode="shrink"))
        if i < len(notices) - 1:
            story.append(PageBreak())
    if not story:
        story.append(_p("There are no letters in this batch."))
    footer = "Registration notice" + (f" · letters batch {batch}" if batch else "")
    return _build(story, pagesize=A4, title="Registration notices", footer=footer)
