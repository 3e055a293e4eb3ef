"""The registration round's documents: functions that build bytes, nothing else.

- `entry_list_pdf(entry_list)`: the entry list laid out for the programme leader to
  check and sign (A4 landscape, the table repeats its headings on every page).
- `entry_list_xlsx(entry_list)`: the same rows as a spreadsheet.
- `pearson_xlsx(entry_list)`: the entries laid out for keying or uploading into Edexcel
  Online, refused (PearsonRowsRefused, naming row, field and reason) if any row would be
  refused by Pearson.
- `letters_pdf(notices, preview=False)`: one page per learner, the printed registration
  notices; a preview says so on every page.
- `describe_changes(diff, units)`: what changed between versions of a list, in words, for
  the list page, the versions page and the PDF.

Every page and sheet is made with the document toolkit (`documents.pdf`, `documents.xlsx`):
dates read dd/mm/yyyy, times are local, text in a PDF is plain text (never markup) and a
spreadsheet never carries a formula. Rows are read once, as signed (`snapshot_rows`), with
each learner's home centre beside them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping

from django.utils import timezone
from reportlab.platypus import PageBreak, Spacer

from documents.formats import uk_date, uk_datetime
from documents.pdf import (
    H2,
    SMALL,
    TITLE,
    DataTable,
    Document,
    Line,
    TextBlock,
    facts,
    mm,
    para,
    signed_block,
    unsigned_block,
)
from documents.xlsx import Column, Sheet, xlsx_bytes
from learners.validators import uln_problem
from qualifications.models import Unit
from signatures import display
from signatures import services as signing

from . import services
from .models import snapshot_rows

# --- reading a list once --------------------------------------------------------------------


def list_rows(entry_list) -> tuple[list[dict], list[str]]:
    """The list's rows exactly as signed (snapshot_rows), and each row's home centre number.

    Two queries, no model instances. The rows can be handed to entry_list.snapshot() and
    services.changes_since_signed(), so a document hashes and compares what it prints.
    """
    rows = snapshot_rows(entry_list.cohort_id, extra=("centre__number",))
    homes = [row.pop("_extra")["centre__number"] for row in rows]
    return rows, homes


def qualification_units(qualification) -> dict[str, Unit]:
    """The qualification's units by number (one query), to print numbers with titles."""
    return {u.number: u for u in qualification.units.all()}


def _unit_order(numbers, units: Mapping[str, Unit]) -> list[str]:
    return sorted(numbers, key=lambda n: (units[n].sort_key, n) if n in units else (10**9, n))


def units_text(numbers, units: Mapping[str, Unit], *, titles: bool = True) -> str:
    """Unit numbers in the qualification's order: "8 (Optional Practice), 9 (...)"."""
    if not numbers:
        return "none" if titles else ""
    ordered = _unit_order(numbers, units)
    if not titles:
        return ", ".join(ordered)
    return ", ".join(f"{n} ({units[n].title})" if n in units else n for n in ordered)


def file_stem(entry_list) -> str:
    p = entry_list.cohort
    raw = f"{p.centre.number}-{p.qualification.number}-{entry_list.round.academic_year}"
    return re.sub(r"[^A-Za-z0-9]+", "-", raw).strip("-")


def _person(row: dict) -> str:
    number = row["candidate_number"] or "no candidate number"
    return f"{row['last_name'].upper()}, {row['first_name']} ({number})"


# --- what changed, in words -------------------------------------------------------------------

FIELD_LABELS = {  # the order a row's changes are listed in
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


def describe_changes(diff: dict | None, units: Mapping[str, Unit]) -> list[display.RowChange]:
    """diff_rows() between two versions of a list as lines: labels, unit titles, yes/no,
    dd/mm/yyyy ("Changed: BRINDLEY, Kit2 (0002): pathway was General, now Applied")."""
    return display.describe_changes(
        diff,
        who=_person,
        labels=FIELD_LABELS,
        show={"optional_units": lambda numbers: units_text(numbers, units)},
        hidden={"key", "learner"},
    )


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
    "Home centre",
    "Pathway",
    "Optional units",
    "Programme code",
    "New starter",
]
# mm; 262 of the 264 a landscape page leaves
ENTRY_WIDTHS = [9, 29, 27, 19, 9, 21, 27, 19, 14, 25, 24, 21, 14]
MISSING_CODE = "missing"


def partner_without_code(row: dict, home: str, centre_number: str) -> bool:
    """A partner centre's learner with no consortium programme code or sub-site."""
    return home != centre_number and not row["programme_code"]


_DOB, _CODE = ENTRY_HEADINGS.index("Date of birth"), ENTRY_HEADINGS.index("Programme code")


def _cells(n: int, r: dict, home: str, units) -> list:
    return [
        n,
        r["last_name"],
        r["first_name"],
        dt.date.fromisoformat(r["date_of_birth"]),
        r["sex"],
        r["uln"],
        r["uci"],
        r["candidate_number"],
        home,
        r["pathway"],
        units_text(r["optional_units"], units, titles=False),
        r["programme_code"],
        "Yes" if r["new_starter"] else "",
    ]


def entry_list_rows(entry_list, rows=None, homes=None, units=None) -> list[list]:
    """The list's rows in its order, as the XLSX holds them (a date of birth is a date)."""
    if rows is None:
        rows, homes = list_rows(entry_list)
    units = units if units is not None else qualification_units(entry_list.cohort.qualification)
    return [
        _cells(n, r, home, units)
        for n, (r, home) in enumerate(zip(rows, homes, strict=True), start=1)
    ]


def _printed_rows(rows, homes, units, centre_number: str) -> list[list[str]]:
    """The same, as the PDF prints them: text, dd/mm/yyyy, a partner's missing code marked."""
    out = []
    for n, (r, home) in enumerate(zip(rows, homes, strict=True), start=1):
        cells = _cells(n, r, home, units)
        cells[0], cells[_DOB] = str(n), uk_date(cells[_DOB])
        if partner_without_code(r, home, centre_number):
            cells[_CODE] = MISSING_CODE
        out.append(cells)
    return out


def _version_text(version, sha_now: str) -> str:
    if version is None:
        return "not yet returned for signing (no version frozen)"
    reason = version.reason or "no reason given"
    text = f"{version.number}, frozen {uk_datetime(version.created_at)} ({reason})"
    if version.sha256 != sha_now:
        text += "; the list has changed since this version"
    return text


def entry_list_pdf(entry_list) -> bytes:
    """The entry list laid out for signing: header, every row, open queries, signature."""
    cohort = entry_list.cohort
    centre, qualification = cohort.centre, cohort.qualification
    rows, homes = list_rows(entry_list)
    units = qualification_units(qualification)
    version = signing.latest_version(entry_list)
    signature = signing.latest_signature(entry_list)
    sha_now = signing.content_sha256(entry_list.snapshot(rows))
    leader = cohort.leader
    printed = timezone.now()
    partners_missing = sum(
        partner_without_code(r, h, centre.number) for r, h in zip(rows, homes, strict=True)
    )

    story = [
        para("Entry list for checking and signing", TITLE),
        facts(
            [
                ("Centre", f"{centre.name} ({centre.number})"),
                ("Qualification", f"{qualification.title} ({qualification.number})"),
                ("Cohort", cohort.span),
                ("Academic year", entry_list.round.academic_year),
                ("Programme leader", str(leader) if leader else "not set"),
                ("List version", _version_text(version, sha_now)),
                ("Status", entry_list.get_status_display()),
                ("Entries", str(len(rows))),
                ("Printed", uk_datetime(printed)),
            ]
        ),
        Spacer(1, 4 * mm),
    ]
    if rows:
        story.append(
            DataTable(
                ENTRY_HEADINGS,
                _printed_rows(rows, homes, units, centre.number),
                [w * mm for w in ENTRY_WIDTHS],
            )
        )
        optional = [u for u in units.values() if not u.mandatory]
        if optional:
            key = "; ".join(f"{u.number} {u.title}" for u in optional)
            story += [Spacer(1, 2 * mm), para(f"Optional units: {key}", SMALL)]
        if partners_missing:
            story.append(
                para(
                    f"Programme code {MISSING_CODE} ({partners_missing} row"
                    f"{'s' if partners_missing != 1 else ''}): a partner centre's learner, "
                    "registered through their home centre, with no consortium programme code "
                    "or sub-site. Set it before the entries go to Pearson: without it they "
                    "would be keyed on this centre's own list.",
                    SMALL,
                )
            )
    else:
        story.append(para("There are no entries on this list."))

    queries = list(
        entry_list.queries.filter(answered_at__isnull=True).select_related(
            "registration__learner", "raised_by"
        )
    )
    if queries:
        story.append(para(f"Open queries on rows ({len(queries)})", H2))
        for q in queries:
            by = q.raised_by.get_full_name() or q.raised_by.get_username()
            story.append(
                para(
                    f"{q.registration.learner}: {q.reason} (raised by {by}, "
                    f"{uk_datetime(q.raised_at)})"
                )
            )

    leader_name = (leader.get_full_name() or leader.get_username()) if leader else ""
    blank = {"signer": "Programme leader", "name": leader_name}
    if signature is None:
        story.append(unsigned_block(entry_list.signing_statement, **blank))
    else:
        story.append(signed_block(signature))
        diff = services.changes_since_signed(entry_list, rows, signature)
        if diff:
            story += _amendments(entry_list, signature, diff, units)
            if entry_list.status != entry_list.Status.SUBMITTED:
                story.append(
                    unsigned_block(entry_list.signing_statement, heading="Signature again", **blank)
                )

    footer = (
        f"Entry list \u00b7 {centre.number} \u00b7 {qualification.number} \u00b7 "
        f"{entry_list.round.academic_year}"
        + (f" \u00b7 version {version.number}" if version else "")
    )
    return Document(
        title=f"Entry list: {qualification.title} {entry_list.round.academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=footer,
        landscape=True,
        printed=printed,
    ).build(story)


def _amendments(entry_list, signature, diff, units) -> list:
    number = signature.version.number
    story = [
        para("Amended since signing", H2),
        para(
            f"The list has been amended since version {number} was signed. The signature "
            "above covers that version only; the changes are:"
        ),
    ]
    story += [para(f"\u2022 {line}") for line in describe_changes(diff, units)]
    later = signing.versions(entry_list).filter(number__gt=number).order_by("number")
    reasons = [
        f"Version {v.number}, {uk_datetime(v.created_at)}, by {v.created_by_repr}: {v.reason}"
        for v in later
    ]
    if reasons:
        story.append(para("Versions since signing:"))
        story += [para(r, SMALL) for r in reasons]
    return story


def entry_list_xlsx(entry_list) -> bytes:
    """The same rows as the PDF, with the list's facts on a second sheet."""
    cohort = entry_list.cohort
    version = signing.latest_version(entry_list)
    signature = signing.latest_signature(entry_list)
    about = [
        ["Centre", f"{cohort.centre.name} ({cohort.centre.number})"],
        ["Qualification", cohort.qualification.title],
        ["Qualification number", cohort.qualification.number],
        ["Cohort", cohort.span],
        ["Academic year", entry_list.round.academic_year],
        ["List version", version.number if version else "not yet returned"],
        ["Status", entry_list.get_status_display()],
    ]
    if signature:
        about += [
            ["Signed by", f"{signature.signer_name}, {signature.role_label}"],
            ["Signed at", signature.signed_at],
            ["Signed version", signature.version.number],
            ["SHA-256", signature.sha256],
        ]
    return xlsx_bytes(
        [
            Sheet("Entry list", ENTRY_HEADINGS, entry_list_rows(entry_list)),
            Sheet("About", [Column("About this list", 22), Column("", 70)], about),
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
SEX_MISSING = (
    "missing: no sex is recorded for this learner, and Pearson requires M or F. Record it on "
    "the learner's page."
)
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
    """The end of the cohort's final year: a two-year cohort starting 2026/27 -> 31/08/2028."""
    return cohort.planned_completion


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
    cohort's final year (a two-year cohort starting 2026/27 completes on 31/08/2028).
    """
    today = today or timezone.localdate()
    cohort = entry_list.cohort
    centre = cohort.centre
    completion = planned_completion(cohort)
    problems: list[dict] = []
    if completion <= today:
        problems.append(
            {
                "row": None,
                "learner": "",
                "field": "Planned completion",
                "reason": f"{uk_date(completion)} is not in the future, and Pearson refuses a "
                "planned completion date in the past.",
            }
        )
    rows, homes = list_rows(entry_list)
    out = []
    for n, (row, home) in enumerate(zip(rows, homes, strict=True), start=1):
        who = f"{row['last_name'].upper()}, {row['first_name']}"

        def problem(field, reason, n=n, who=who):
            problems.append({"row": n, "learner": who, "field": field, "reason": reason})

        first, last = pearson_name(row["first_name"]), pearson_name(row["last_name"])
        for field, name, original, limit in (
            ("First names", first, row["first_name"], FIRST_NAMES_MAX),
            ("Last names", last, row["last_name"], LAST_NAMES_MAX),
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
        sex = (row["sex"] or "").strip()  # blank when the MIS file had no Sex column
        if not sex:
            problem("Sex", SEX_MISSING)
        elif sex not in ("M", "F"):
            problem("Sex", f"\u201c{sex}\u201d is not M or F, which Pearson requires.")
        if not row["date_of_birth"]:
            problem("Date of birth", "missing: Pearson requires it.")
        if not row["uln"]:
            problem("ULN", "missing: Pearson requires a ULN for learners at UK centres.")
        elif err := uln_problem(row["uln"]):
            problem("ULN", err)
        reference = row["candidate_number"] or ""
        if reference and not re.fullmatch(r"[A-Za-z0-9]{1,10}", reference):
            problem("Centre reference", "must be up to 10 letters and digits.")
        if partner_without_code(row, home, centre.number):
            problem(
                "Programme code",
                f"a learner of centre {home}, registered through their home centre: the row "
                "needs the consortium programme code or sub-site, or it would be keyed on "
                f"{centre.number}'s own list.",
            )
        out.append(
            [
                reference,
                first,
                last,
                sex,
                dt.date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"] else None,
                completion,
                row["uln"],
                cohort.qualification.number,
                row["programme_code"],
            ]
        )
    if not out:
        problems.append(
            {
                "row": None,
                "learner": "",
                "field": "",
                "reason": "There are no entries on this list.",
            }
        )
    return out, problems


def pearson_xlsx(entry_list, today: dt.date | None = None) -> bytes:
    """The entries for keying into Edexcel Online; PearsonRowsRefused if any row is wrong."""
    rows, problems = pearson_rows(entry_list, today)
    if problems:
        raise PearsonRowsRefused(problems)
    return xlsx_bytes([Sheet("Registrations", PEARSON_HEADINGS, rows)])


# --- learners' registration notices ------------------------------------------------------

LETTER_SIZE = 10.5
INDENT = 2.5 * mm  # per space of indentation in the notice text


def _notice_lines(text: str) -> list[Line]:
    """The notice text as lines: indentation kept, a line introducing indented ones bold."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            out.append(Line(""))
            continue
        indent = len(line) - len(line.lstrip(" "))
        following = lines[i + 1] if i + 1 < len(lines) else ""
        heading = indent == 0 and following.startswith("  ")
        out.append(
            Line(line.strip(), bold=heading, indent=indent * INDENT, space_before=3 * heading)
        )
    return out


def _letter(notice, date: str) -> TextBlock:
    centre, learner = notice.round.centre, notice.learner
    private = f"Private: for {learner.first_name} {learner.last_name.upper()}"
    if learner.candidate_number:
        private += f", candidate number {learner.candidate_number}"
    lines = [
        Line(centre.name, bold=True, right=date),
        Line("Exams office"),
        *([Line(centre.email)] if centre.email else []),
        Line(""),
        Line(private, bold=True, space_before=8),
        Line("Your BTEC registration: please check it", bold=True, size=15, space_before=4),
        Line(""),
        *_notice_lines(notice.text),
    ]
    return TextBlock(lines, shrink=True)


def letters_pdf(notices, *, batch: str = "", preview: bool = False, footer: str = "") -> bytes:
    """One A4 page per learner: the notice as e-mailed, for printing and handing out.

    `notices` are registrations.notices.Notice objects (notices_for_round, the letters
    of send_notices, batch_notices); LearnerNotice rows are accepted too and regenerated
    (a letter whose notice has changed since it was recorded is left out). A preview is
    marked PREVIEW on every page and dated today. `footer` says what the letters are
    (a cohort's letters) in place of the batch.
    """
    from .models import LearnerNotice
    from .notices import notices_from_records

    notices = list(notices)
    if notices and isinstance(notices[0], LearnerNotice):
        notices = notices_from_records(notices)
    batch = batch or next((n.batch for n in notices if n.batch), "")
    today = uk_date(timezone.localdate())
    story: list = []
    for notice in notices:
        if story:
            story.append(PageBreak())
        sent = uk_date(timezone.localtime(notice.sent_at)) if notice.sent_at else today
        story.append(_letter(notice, today if preview else sent))
    if not story:
        story.append(para("There are no letters in this batch."))
    centres = {n.round.centre for n in notices}
    centre = next(iter(centres)) if len(centres) == 1 else None
    if preview and not footer:
        footer = "Registration notice \u00b7 preview of the letters not yet sent"
    elif not footer:
        footer = "Registration notice" + (f" \u00b7 letters batch {batch}" if batch else "")
    return Document(
        title="Registration notices" + (" (preview)" if preview else ""),
        centre=f"{centre.name} ({centre.number})" if centre else "",
        footer=footer,
        preview=preview,
        preview_note="PREVIEW: not sent, and nothing has been recorded",
    ).build(story)
