"""Registration numbers from Edexcel Online: previewed by row, applied in one transaction.

The state is built through registrations.services (a programme's list of four learners,
entered, returned, signed and submitted to Pearson). The bad files are made here. Every
refusal is checked two ways: the message names the row, the column and the reason, and
no registration changed before the exams officer confirmed.
"""

import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from accounts.roles import Role
from audit.models import AuditEvent
from qualifications.models import Unit
from registrations import number_import, services
from registrations.models import Registration, RegistrationNumberImport, RegistrationStep
from signatures import services as signing
from todos.models import ToDo

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
)

R = Role
TODAY = dt.date(2026, 9, 14)
HEADINGS = [
    "Centre Number",
    "Registration Number",
    "Candidate Number",
    "ULN",
    "Surname",
    "Forename",
    "Date of Birth",
]
pytestmark = pytest.mark.usefixtures("_september")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Each import keeps its file and rows log: keep them out of the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


def make_uln(n: int) -> str:
    while True:
        prefix = f"{300000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        n += 10_000_000


def csv_bytes(rows, encoding="utf-8") -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def line(learner, number, centre="40001", **override):
    values = {
        "Centre Number": centre,
        "Registration Number": number,
        "Candidate Number": learner.candidate_number,
        "ULN": learner.uln or "",
        "Surname": learner.last_name.upper(),
        "Forename": learner.first_name.upper(),
        "Date of Birth": f"{learner.date_of_birth:%d/%m/%Y}",
    } | override
    return [values[h] for h in HEADINGS]


def submit_list(rnd, cohort, cast, learners):
    """Request, propose, enter, return, sign and submit: the list is with Pearson."""
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=eo)
    for learner in learners:
        services.propose_entry(req, learner=learner, by=pl)
    services.finish_proposals(req, by=pl)
    entry_list = services.entry_list_for(cohort, rnd)
    services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
    services.return_entry_list(entry_list, by=eo)
    entry_list.refresh_from_db()
    services.sign_entry_list(
        entry_list, user=pl, password=PASSWORD, seen_sha256=signing.current_sha256(entry_list)
    )
    entry_list.refresh_from_db()
    services.submit_entry_list(entry_list, by=eo, submitted_on=TODAY)
    return entry_list


def make_cohort(centre, cast, number, title, learners):
    q = QualificationFactory(number=number, title=title)
    Unit.objects.create(qualification=q, number="1", title="Core", glh=90, assessment="external")
    p = CohortFactory(centre=centre, qualification=q, leader=cast[R.PROGRAMME_LEADER])
    group = TeachingGroupFactory(cohort=p, name=f"12{number[-1]}")
    group.learners.add(*learners)
    return p


@pytest.fixture
def learners(own_centre):
    people = [
        ("Quill", "Amy", dt.date(2009, 3, 4), make_uln(1), "0101"),
        ("Penrose", "Ben", dt.date(2009, 7, 21), make_uln(2), "0102"),
        ("Tarrant", "Cal", dt.date(2008, 11, 30), make_uln(3), "0103"),
        ("Oakes", "Dee", dt.date(2009, 1, 15), None, "0104"),  # no ULN on record
    ]
    return {
        last: LearnerFactory(
            centre=own_centre,
            last_name=last,
            first_name=first,
            date_of_birth=born,
            uln=uln,
            candidate_number=cand,
        )
        for last, first, born, uln, cand in people
    }


@pytest.fixture
def rnd(own_centre, cast):
    return services.open_round(centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER])


@pytest.fixture
def cohort(own_centre, cast, learners):
    return make_cohort(
        own_centre,
        cast,
        "603/1111/1",
        "Pearson BTEC Level 3 National Extended Certificate in Testing",
        learners.values(),
    )


@pytest.fixture
def submitted(rnd, cohort, cast, learners):
    """The four learners' registrations, submitted to Pearson and awaiting numbers."""
    submit_list(rnd, cohort, cast, learners.values())
    regs = {r.learner.last_name: r for r in cohort.registrations.select_related("learner")}
    assert {r.status for r in regs.values()} == {Registration.Status.SUBMITTED}
    return regs


@pytest.fixture
def eo(cast):
    return cast[R.EXAMS_OFFICER]


def state():
    """Everything applying could write, to compare before and after."""
    return (
        sorted(
            Registration.objects.values_list(
                "id", "status", "registration_number", "registered_on", "lock_version"
            )
        ),
        RegistrationStep.objects.count(),
        AuditEvent.objects.count(),
        sorted(ToDo.objects.filter(closed_at=None).values_list("kind", "target_id")),
    )


def preview(centre, by, data, name="export.csv"):
    return number_import.preview_registration_numbers(data, centre, by, file_name=name)


def rows_of(imp):
    """Every row of the import as its rows log keeps it."""
    return list(number_import.logged_rows(imp))


def problems_of(imp, row):
    """The (column, reason) pairs shown for one spreadsheet row."""
    (found,) = [r for r in rows_of(imp) if r.row == row]
    return [(p.column, p.reason) for p in found.problems]


def outcome(imp, row):
    return next(r for r in rows_of(imp) if r.row == row).outcome


def file_problem(imp) -> str:
    assert imp.status == RegistrationNumberImport.Status.REFUSED
    return " | ".join(e["reason"] for e in imp.errors if e.get("file"))


def refused_to_apply(imp, by):
    with pytest.raises(number_import.ImportRefused) as exc:
        number_import.apply_registration_numbers(imp, by)
    return " | ".join(str(p) for p in exc.value.problems)


# --------------------------------------------------------------------------- the good path


def test_exams_officer_previews_then_confirms_the_export(
    client, eo, own_centre, learners, submitted
):
    rows = [HEADINGS] + [line(lr, f"RN{i:05d}") for i, lr in enumerate(learners.values(), 1)]
    client.force_login(eo)
    before = state()
    response = client.post(
        reverse("registrations:numbers_upload"),
        {"centre": own_centre.pk, "file": SimpleUploadedFile("eol.csv", csv_bytes(rows))},
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing has been written yet" in page
    assert "Confirm and record the registration numbers" in page
    assert "QUILL, Amy" in page and "RN00001" in page
    imp = RegistrationNumberImport.objects.get()
    assert imp.counts["matched"] == 4 and imp.uploaded_by == eo
    assert state() == before  # previewing wrote no registration, step, event or to-do

    response = client.post(reverse("registrations:numbers_apply", args=[imp.pk]), follow=True)
    assert "4 registrations recorded as registered." in response.content.decode()
    for i, last in enumerate(learners, 1):
        reg = Registration.objects.get(pk=submitted[last].pk)
        assert reg.status == Registration.Status.REGISTERED
        assert reg.registration_number == f"RN{i:05d}"
        assert reg.registered_on == TODAY
        step = reg.steps.last()
        assert step.what == "Registered" and f"RN{i:05d}" in step.detail
    events = AuditEvent.objects.filter(action="registrations.registration.registered")
    assert events.count() == 4
    assert AuditEvent.objects.filter(action="registrations.numbers.imported").count() == 1
    imp.refresh_from_db()
    assert imp.status == RegistrationNumberImport.Status.APPLIED and imp.counts["applied"] == 4
    assert not ToDo.objects.filter(kind=number_import.NUMBERS_TODO).exists()
    # The learner's page shows the number and the step.
    page = client.get(reverse("learners:learner_detail", args=[learners["Quill"].pk]))
    text = page.content.decode()
    assert "Pearson no. RN00001" in text and "Registered" in text


def test_an_xlsx_export_with_a_title_row_and_numbers_stored_as_numbers(
    own_centre, eo, learners, submitted
):
    amy, ben = learners["Quill"], learners["Penrose"]
    data = xlsx_bytes(
        [
            ["Edexcel Online: learner registrations, centre 40001"],
            ["Learner Registration Number", "Centre No", "Cand No", "ULN", "Last Name", "DOB"],
            ["RX1", 40001, 101, int(amy.uln), "Quill", dt.datetime(2009, 3, 4)],
            ["RX2", 40001, 102, int(ben.uln), "Penrose", dt.datetime(2009, 7, 21)],
        ]
    )
    imp = preview(own_centre, eo, data, "eol.xlsx")
    assert imp.counts["header_row"] == 2
    assert [r.outcome for r in rows_of(imp)] == ["matched", "matched"]
    number_import.apply_registration_numbers(imp, eo)
    assert Registration.objects.get(pk=submitted["Quill"].pk).registration_number == "RX1"


def test_registration_date_column_is_used_when_present(own_centre, eo, learners, submitted):
    amy = learners["Quill"]
    data = csv_bytes(
        [["Reg No", "ULN", "Registration Date"], ["RD1", amy.uln, "14/09/2026"]],
    )
    with time_machine.travel(dt.datetime(2026, 9, 20, 9, 0), tick=True):
        imp = number_import.apply_registration_numbers(preview(own_centre, eo, data), eo)
    assert imp.counts["applied"] == 1
    assert Registration.objects.get(pk=submitted["Quill"].pk).registered_on == TODAY


# --------------------------------------------------------------------------- matching order


def test_matched_by_uln_then_candidate_number_then_name_and_date_of_birth(
    own_centre, eo, learners, submitted
):
    amy, ben, cal, dee = learners.values()
    rows = [
        HEADINGS,
        # ULN alone; the name as typed in the file does not matter once the ULN matches
        line(amy, "M1", **{"Candidate Number": "", "Surname": "Q-uill", "Forename": "A"}),
        # no ULN: the candidate number
        line(ben, "M2", **{"ULN": ""}),
        # neither: the name and date of birth, whatever the case and accents
        line(cal, "M3", **{"ULN": "", "Candidate Number": "", "Surname": "tárrant"}),
        # no ULN on record for this learner: the candidate number still finds her
        line(dee, "M4"),
    ]
    imp = preview(own_centre, eo, csv_bytes(rows))
    by_row = {r.row: r for r in rows_of(imp)}
    assert [by_row[n].matched_by for n in (2, 3, 4, 5)] == [
        "ULN",
        "candidate number",
        "name and date of birth",
        "candidate number",
    ]
    assert {by_row[n].outcome for n in (2, 3, 4, 5)} == {"matched"}
    assert by_row[2].registration_id == submitted["Quill"].pk


def test_identifiers_that_name_different_learners_are_a_conflict(
    own_centre, eo, learners, submitted
):
    amy, ben = learners["Quill"], learners["Penrose"]
    other_uln = make_uln(50)
    rows = [
        HEADINGS,
        line(amy, "C1", **{"Candidate Number": ben.candidate_number}),
        # the ULN is unknown but the candidate number is Ben's, who has another ULN
        line(ben, "C2", **{"ULN": other_uln}),
    ]
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert problems_of(imp, 2) == [
        (
            "ULN",
            "the row's identifiers name different learners: the ULN gives QUILL, Amy; "
            "the candidate number gives PENROSE, Ben; the name and date of birth gives QUILL, Amy",
        )
    ]
    assert problems_of(imp, 3) == [
        (
            "ULN",
            f"matched by candidate number to PENROSE, Ben, whose ULN is {ben.uln}, not {other_uln}",
        )
    ]
    assert outcome(imp, 2) == outcome(imp, 3) == "conflict"


# --------------------------------------------------------------------------- bad input by row


def test_unknown_learner_is_unmatched_and_left_on_a_todo(own_centre, eo, learners, submitted):
    stranger_uln = make_uln(77)
    rows = [
        HEADINGS,
        line(learners["Quill"], "U1"),
        ["40001", "U2", "0999", stranger_uln, "NOBODY", "NEMO", "01/01/2009"],
    ]
    before = state()
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert state() == before
    assert outcome(imp, 3) == "unmatched"
    assert problems_of(imp, 3) == [
        (
            "ULN",
            f"unknown learner: no learner at centre 40001 has ULN {stranger_uln}, "
            "candidate number 0999, NOBODY, NEMO born 01/01/2009",
        )
    ]
    number_import.apply_registration_numbers(imp, eo)
    assert Registration.objects.get(pk=submitted["Quill"].pk).registration_number == "U1"
    todo = ToDo.objects.get(kind=number_import.NUMBERS_TODO, closed_at=None)
    assert todo.role == R.EXAMS_OFFICER and todo.centre == own_centre
    assert "1 row of export.csv" in todo.title
    assert todo.target == imp

    # Importing the same file again changes nothing: no registration, no new to-do.
    after = state()
    again = preview(own_centre, eo, csv_bytes(rows))
    assert outcome(again, 2) == "unchanged" and outcome(again, 3) == "unmatched"
    assert again.counts["same_file_applied"]
    number_import.apply_registration_numbers(again, eo)
    now = state()
    assert now[0] == after[0] and now[1] == after[1]
    assert ToDo.objects.filter(kind=number_import.NUMBERS_TODO, closed_at=None).count() == 1

    # Once the learner is found and registered, the to-do closes by itself.
    learners["Oakes"].uln = stranger_uln
    learners["Oakes"].save()
    number_import.apply_registration_numbers(
        preview(own_centre, eo, csv_bytes([HEADINGS, rows[2]])), eo
    )
    assert not ToDo.objects.filter(kind=number_import.NUMBERS_TODO, closed_at=None).exists()


def test_a_learner_with_nothing_submitted_is_unmatched(own_centre, eo, learners, submitted):
    newcomer = LearnerFactory(centre=own_centre, last_name="Fenwick", candidate_number="0200")
    imp = preview(own_centre, eo, csv_bytes([HEADINGS, line(newcomer, "N1")]))
    assert problems_of(imp, 2) == [
        (
            "Candidate Number",
            f"{newcomer} (found by candidate number) has no registration submitted to Pearson "
            "at centre 40001",
        )
    ]


def test_duplicate_rows_are_an_error_on_both(client, own_centre, eo, learners, submitted):
    amy, ben, cal = learners["Quill"], learners["Penrose"], learners["Tarrant"]
    rows = [
        HEADINGS,
        line(amy, "D1"),
        line(ben, "D2"),
        line(amy, "D3"),  # the same learner again, another number
        line(cal, "D2"),  # Ben's number again
        line(learners["Oakes"], "D5"),
    ]
    before = state()
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert state() == before
    assert problems_of(imp, 2) == [
        ("Registration Number", "duplicate rows: the same learner (QUILL, Amy) is also on row 4")
    ]
    assert problems_of(imp, 4) == [
        ("Registration Number", "duplicate rows: the same learner (QUILL, Amy) is also on row 2")
    ]
    assert problems_of(imp, 3) == [
        ("Registration Number", "duplicate rows: registration number D2 is also on row 5")
    ]
    assert problems_of(imp, 5) == [
        ("Registration Number", "duplicate rows: registration number D2 is also on row 3")
    ]
    assert [outcome(imp, n) for n in range(2, 7)] == ["error"] * 4 + ["matched"]
    client.force_login(eo)
    page = client.get(reverse("registrations:numbers_preview", args=[imp.pk])).content.decode()
    assert "duplicate rows: the same learner (QUILL, Amy) is also on row 4" in page
    number_import.apply_registration_numbers(imp, eo)
    statuses = dict(Registration.objects.values_list("learner__last_name", "status"))
    assert statuses == {
        "Quill": "submitted",
        "Penrose": "submitted",
        "Tarrant": "submitted",
        "Oakes": "registered",
    }


def test_another_centres_number_is_an_error_for_that_row(
    own_centre, other_centre, eo, learners, submitted
):
    rows = [HEADINGS, line(learners["Quill"], "X1"), line(learners["Penrose"], "X2", "40003")]
    before = state()
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert state() == before
    assert outcome(imp, 2) == "matched" and outcome(imp, 3) == "error"
    assert problems_of(imp, 3) == [
        (
            "Centre Number",
            "another centre's number: this row is for centre 40003, but this import is for "
            "centre 40001; upload each centre's export at its own centre",
        )
    ]
    # A file that is all another centre's is refused outright.
    all_theirs = preview(own_centre, eo, csv_bytes([HEADINGS, rows[2]]))
    assert all_theirs.status == RegistrationNumberImport.Status.REFUSED
    assert "this import was refused" in refused_to_apply(all_theirs, eo)
    assert state() == before


def test_bad_values_name_row_column_and_reason(own_centre, eo, learners, submitted):
    amy = learners["Quill"]
    rows = [
        HEADINGS,
        line(amy, "", **{"ULN": "1234567890"}),
        line(learners["Penrose"], "=HYPERLINK(1)"),
        line(learners["Tarrant"], "OK1", **{"Date of Birth": "31/02/2009"}),
    ]
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert problems_of(imp, 2) == [
        ("ULN", "ULN 1234567890: the check digit should be 9, not 0"),
        ("Registration Number", "missing: the registration number is empty"),
    ]
    assert problems_of(imp, 3) == [
        ("Registration Number", "formulas are not accepted; paste values"),
    ]
    assert problems_of(imp, 4) == [("Date of Birth", "31/02/2009 is not a real date")]


def test_a_windows_1252_export_is_read(own_centre, eo, learners, submitted):
    zoe = LearnerFactory(
        centre=own_centre,
        last_name="Hollis",
        first_name="Zoë",
        date_of_birth=dt.date(2009, 2, 2),
        candidate_number="0300",
    )
    rows = [["Reg No", "Surname", "Forename", "DOB"], ["W1", "Hollis", "Zoë", "02/02/2009"]]
    imp = preview(own_centre, eo, csv_bytes(rows, "cp1252"))
    assert rows_of(imp)[0].learner_id == zoe.pk
    assert problems_of(imp, 2)[0][1].endswith(
        "has no registration submitted to Pearson at centre 40001"
    )


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [
                ["ULN", "Surname", "Forename", "Date of Birth"],
                ["1000000043", "A", "B", "01/01/2009"],
            ],
            "wrong layout: there is no registration number column (a heading such as "
            "\u201cRegistration Number\u201d, \u201cLearner Registration Number\u201d or "
            "\u201cReg No\u201d); headings found: ULN, Surname, Forename, Date of Birth",
        ),
        (
            [["Registration Number", "Surname", "Qualification"], ["R1", "A", "603/1111/1"]],
            "wrong layout: there is no way to match a learner: the file needs a ULN column, a "
            "Candidate Number column, or Surname, Forename and Date of Birth columns; headings "
            "found: Registration Number, Surname, Qualification",
        ),
        (
            [["Name", "Class", "Mark"], ["A", "12A", "40"]],
            "wrong layout: none of the first 10 rows has the headings of an Edexcel Online "
            "export (such as Registration Number, ULN, Candidate Number, Surname, Forename, "
            "Date of Birth); row 1 has: Name, Class, Mark",
        ),
    ],
    ids=["no-number-column", "no-way-to-match", "no-header"],
)
def test_a_wrong_layout_is_refused(own_centre, eo, submitted, rows, expected):
    before = state()
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert file_problem(imp) == expected
    assert imp.errors[0]["row"] == 1
    assert "this import was refused" in refused_to_apply(imp, eo)
    assert state() == before


def _empty_xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"\r\n  \r\n", "the file is empty"),
        (csv_bytes([HEADINGS]), "the file is empty: there are no rows below the headings (row 1)"),
        (_empty_xlsx(), "the file is empty: it has no rows at all"),
    ],
    ids=["zero-bytes", "blank-lines", "headings-only", "empty-workbook"],
)
def test_an_empty_file_is_refused(own_centre, eo, submitted, data, expected):
    before = state()
    imp = preview(own_centre, eo, data)
    assert file_problem(imp) == expected
    assert rows_of(imp) == []
    assert state() == before


def _zip_not_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("notes.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", "this is not a CSV or XLSX file (it looks like a PDF document)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "this is not a CSV or XLSX file (it looks like a PNG image)",
        ),
        (
            _zip_not_xlsx(),
            "this is not a CSV or XLSX file (it is a zip archive but not an Excel workbook)",
        ),
        (
            b"<html><body>export</body></html>",
            "this is not a CSV or XLSX file (it looks like a web page",
        ),
    ],
    ids=["pdf", "png", "zip", "html"],
)
def test_not_a_spreadsheet_is_refused(client, own_centre, eo, submitted, data, expected):
    before = state()
    client.force_login(eo)
    response = client.post(
        reverse("registrations:numbers_upload"),
        {"centre": own_centre.pk, "file": SimpleUploadedFile("eol.xlsx", data)},
        follow=True,
    )
    imp = RegistrationNumberImport.objects.get()
    assert file_problem(imp).startswith(expected)
    page = response.content.decode()
    assert "The file cannot be used" in page and "Confirm and record" not in page
    assert state() == before


# --------------------------------------------------------------------------- conflicts


def test_a_number_already_held_by_another_registration_is_a_conflict(
    own_centre, other_centre, eo, learners, submitted, make_user
):
    amy, ben = learners["Quill"], learners["Penrose"]
    number_import.apply_registration_numbers(
        preview(own_centre, eo, csv_bytes([HEADINGS, line(amy, "H1")])), eo
    )
    # Another centre's registration already holds H9 (numbers are Pearson's, unique).
    stranger = LearnerFactory(centre=other_centre, last_name="Elsewhere")
    cohort = CohortFactory(centre=other_centre)
    Registration.objects.create(
        learner=stranger,
        cohort=cohort,
        centre=other_centre,
        status=Registration.Status.REGISTERED,
        registration_number="H9",
    )
    rows = [HEADINGS, line(ben, "H1"), line(learners["Tarrant"], "H9"), line(amy, "H2")]
    before = state()
    imp = preview(own_centre, eo, csv_bytes(rows))
    assert problems_of(imp, 2) == [
        (
            "Registration Number",
            "registration number H1 is already held by QUILL, Amy's registration on "
            "Pearson BTEC Level 3 National Extended Certificate in Testing 2026/27",
        )
    ]
    assert problems_of(imp, 3) == [
        (
            "Registration Number",
            "registration number H9 is already held by a registration at another centre",
        )
    ]
    # Already registered with another number: never overwritten.
    assert problems_of(imp, 4) == [
        (
            "Registration Number",
            "QUILL, Amy is already registered on Pearson BTEC Level 3 National Extended "
            "Certificate in Testing 2026/27 with number H1; the file gives H2",
        )
    ]
    assert [outcome(imp, n) for n in (2, 3, 4)] == ["conflict"] * 3
    number_import.apply_registration_numbers(imp, eo)
    assert state()[0] == before[0]  # no registration changed
    todo = ToDo.objects.get(kind=number_import.NUMBERS_TODO, closed_at=None)
    assert "3 rows" in todo.title


def test_two_live_registrations_need_the_qualification_column(
    own_centre, rnd, cast, eo, learners, submitted
):
    amy = learners["Quill"]
    second = make_cohort(
        own_centre, cast, "603/2222/2", "Pearson BTEC Level 3 National Diploma in Sampling", [amy]
    )
    submit_list(rnd, second, cast, [amy])
    imp = preview(own_centre, eo, csv_bytes([HEADINGS, line(amy, "Q1")]))
    assert outcome(imp, 2) == "conflict"
    assert problems_of(imp, 2) == [
        (
            "Registration Number",
            "QUILL, Amy has 2 registrations submitted to Pearson (Pearson BTEC Level 3 National "
            "Extended Certificate in Testing 2026/27; Pearson BTEC Level 3 National Diploma in "
            "Sampling 2026/27): add a Qualification column to say which this number is for",
        )
    ]
    with_qualification = csv_bytes(
        [
            [*HEADINGS, "Qualification"],
            [*line(amy, "Q1"), "603/2222/2"],
            [*line(amy, "Q2"), "BTEC Level 3 National Extended Certificate in Testing"],
        ]
    )
    imp = preview(own_centre, eo, with_qualification)
    assert [outcome(imp, 2), outcome(imp, 3)] == ["matched", "matched"]
    number_import.apply_registration_numbers(imp, eo)
    numbers = dict(
        Registration.objects.filter(learner=amy).values_list(
            "cohort__qualification__number", "registration_number"
        )
    )
    assert numbers == {"603/2222/2": "Q1", "603/1111/1": "Q2"}

    wrong = csv_bytes(
        [[*HEADINGS, "Qualification"], [*line(learners["Penrose"], "Q3"), "603/9999/9"]]
    )
    imp = preview(own_centre, eo, wrong)
    assert problems_of(imp, 2) == [
        (
            "Qualification",
            "PENROSE, Ben's registrations with Pearson are for Pearson BTEC Level 3 National "
            "Extended Certificate in Testing 2026/27; none is 603/9999/9",
        )
    ]


# --------------------------------------------------------------------------- applying


def test_applying_is_one_transaction(own_centre, eo, learners, submitted, monkeypatch):
    stranger = ["40001", "T9", "0999", make_uln(88), "NOBODY", "NEMO", "01/01/2009"]
    rows = [HEADINGS] + [line(lr, f"T{i}") for i, lr in enumerate(learners.values())] + [stranger]
    imp = preview(own_centre, eo, csv_bytes(rows))
    before = state()

    def broken(*args, **kwargs):
        raise RuntimeError("the to-do could not be opened")

    # The last write of the apply fails: the registrations already updated roll back with it.
    monkeypatch.setattr(number_import, "open_todo", broken)
    with pytest.raises(RuntimeError):
        number_import.apply_registration_numbers(imp, eo)
    assert state() == before
    imp.refresh_from_db()
    assert imp.status == RegistrationNumberImport.Status.PREVIEWED and imp.applied_at is None
    monkeypatch.undo()
    number_import.apply_registration_numbers(imp, eo)
    assert Registration.objects.filter(status=Registration.Status.REGISTERED).count() == 4


def test_an_applied_import_is_never_applied_again(client, own_centre, eo, learners, submitted):
    imp = preview(own_centre, eo, csv_bytes([HEADINGS, line(learners["Quill"], "A1")]))
    number_import.apply_registration_numbers(imp, eo)
    imp.refresh_from_db()
    applied_at = imp.applied_at
    after = state()
    assert "it cannot be applied again" in refused_to_apply(imp, eo)
    client.force_login(eo)
    response = client.post(reverse("registrations:numbers_apply", args=[imp.pk]), follow=True)
    assert "Nothing was written: this import was applied on" in response.content.decode()
    imp.refresh_from_db()
    assert imp.status == RegistrationNumberImport.Status.APPLIED and imp.applied_at == applied_at
    assert state() == after
    # The same file again: every row unchanged, nothing to confirm.
    again = preview(own_centre, eo, csv_bytes([HEADINGS, line(learners["Quill"], "A1")]))
    assert again.counts["unchanged"] == 1 and not number_import.can_apply(again)
    page = client.get(reverse("registrations:numbers_preview", args=[again.pk])).content.decode()
    assert "This file was applied before" in page and "There is nothing to apply" in page


def test_a_preview_overtaken_by_another_import_is_refused_and_refreshed(
    own_centre, eo, learners, submitted
):
    amy, ben = learners["Quill"], learners["Penrose"]
    first = preview(own_centre, eo, csv_bytes([HEADINGS, line(amy, "S1"), line(ben, "S2")]))
    second = preview(own_centre, eo, csv_bytes([HEADINGS, line(amy, "S9")]))
    number_import.apply_registration_numbers(second, eo)
    before = state()
    message = refused_to_apply(first, eo)
    assert message.startswith(
        "row 2: previewed as matched, now conflict: QUILL, Amy is already registered on"
    )
    assert state() == before
    first.refresh_from_db()
    assert first.status == RegistrationNumberImport.Status.PREVIEWED
    assert outcome(first, 2) == "conflict" and first.counts["conflict"] == 1
    # Confirming the refreshed preview applies what still matches.
    number_import.apply_registration_numbers(first, eo)
    assert Registration.objects.get(pk=submitted["Penrose"].pk).registration_number == "S2"
    assert Registration.objects.get(pk=submitted["Quill"].pk).registration_number == "S9"


def test_queries_do_not_grow_with_the_number_of_rows(own_centre, eo, cast):
    cohort = CohortFactory(centre=own_centre)
    people = [
        LearnerFactory(centre=own_centre, uln=make_uln(100 + i), candidate_number=f"{i + 1:04d}")
        for i in range(60)
    ]
    Registration.objects.bulk_create(
        Registration(
            learner=lr,
            cohort=cohort,
            centre=own_centre,
            status=Registration.Status.SUBMITTED,
            submitted_on=TODAY,
        )
        for lr in people
    )

    def run(learners_):
        data = csv_bytes([HEADINGS] + [line(lr, f"P{lr.pk}") for lr in learners_])
        with CaptureQueriesContext(connection) as reading:
            imp = preview(own_centre, eo, data)
        with CaptureQueriesContext(connection) as applying:
            number_import.apply_registration_numbers(imp, eo)
        assert imp.counts["matched"] == len(learners_)
        return len(reading), len(applying)

    run(people[:5])  # the first run also creates the audit chain's head and caches roles
    small = run(people[5:15])
    large = run(people[15:])
    assert small == large


# --------------------------------------------------------------------------- access


@pytest.fixture
def theirs(other_centre, make_user):
    """An import at an unrelated centre, by its own exams officer."""
    their_eo = make_user("their_eo", R.EXAMS_OFFICER, centre=other_centre)
    return preview(
        other_centre, their_eo, csv_bytes([HEADINGS, ["40003", "Z1", "0001", "", "", "", ""]])
    )


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_access_by_role_and_centre(client, cast, own_centre, learners, submitted, theirs, role):
    ours = preview(
        own_centre, cast[R.EXAMS_OFFICER], csv_bytes([HEADINGS, line(learners["Quill"], "K1")])
    )
    client.force_login(cast[role])
    upload = client.get(reverse("registrations:numbers_upload"))
    mine = client.get(reverse("registrations:numbers_preview", args=[ours.pk]))
    other = client.get(reverse("registrations:numbers_preview", args=[theirs.pk]))
    apply_other = client.post(reverse("registrations:numbers_apply", args=[theirs.pk]))
    if role == R.EXAMS_OFFICER:
        assert (upload.status_code, mine.status_code) == (200, 200)
        assert (other.status_code, apply_other.status_code) == (404, 404)
        assert "QUILL, Amy" in mine.content.decode()
    else:
        assert {upload.status_code, mine.status_code, other.status_code} == {403}
        assert apply_other.status_code == 403
        response = client.post(reverse("registrations:numbers_apply", args=[ours.pk]))
        assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == RegistrationNumberImport.Status.PREVIEWED
    assert Registration.objects.get(pk=submitted["Quill"].pk).status == "submitted"


def test_the_centre_choice_is_limited_to_the_officers_centres(client, eo, other_centre, own_centre):
    client.force_login(eo)
    page = client.get(reverse("registrations:numbers_upload")).content.decode()
    assert own_centre.name in page and other_centre.name not in page
    response = client.post(
        reverse("registrations:numbers_upload"),
        {"centre": other_centre.pk, "file": SimpleUploadedFile("eol.csv", csv_bytes([HEADINGS]))},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not RegistrationNumberImport.objects.exists()
