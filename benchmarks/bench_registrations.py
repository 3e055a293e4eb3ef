"""The registration round at the size of a big programme.

registrations.list   The entry list page of a 300-learner programme (signed, so the
                     signature, the hash of what is on screen and the difference since
                     signing are all worked out) against a bare Django view rendering
                     the same 300 rows with one query, both through the test Client.
registrations.docs   The 300-row entry list PDF and a batch of 300 notice letters
                     against the same text drawn on a bare reportlab canvas (goals
                     10x and 3x), and the list's XLSX against openpyxl appending the
                     same rows: seconds and peak memory.
registrations.numbers  Import of 5,000 registration numbers: preview and apply.
"""

from __future__ import annotations

import datetime as dt
import statistics
import warnings

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import RoleAssignment
from accounts.roles import Role
from benchmarks.harness import mebibytes, peak_memory, seconds, timed
from btecqa.demo import demo_uln
from centres.models import Centre
from learners.models import Cohort, Learner, TeachingGroup
from qualifications.models import Qualification, Unit
from registrations import services
from registrations.models import Registration, RegistrationRound
from signatures.services import current_sha256

LIST_ROWS = 300
REQUESTS = 15
PASSWORD = "bench-password-2026"
CENTRE = ("90030", "Benchmark Registrations Academy")
ULN_OFFSET = 50_000  # demo_uln(n) for n past any demo learner


def _user(username: str, centre, role):
    user, new = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": "Bench", "last_name": role.label, "email": f"{username}@x.org"},
    )
    if new:
        user.set_password(PASSWORD)
        user.save()
    RoleAssignment.objects.get_or_create(user=user, centre=centre, role=role)
    return user


def cohort_of(rows: int, centre_number=CENTRE):
    """A signed entry list of `rows` learners, built through the services the pages use."""
    centre, _ = Centre.objects.get_or_create(
        number=centre_number[0], defaults={"name": centre_number[1]}
    )
    eo = _user(f"bench.eo.{centre.number}", centre, Role.EXAMS_OFFICER)
    pl = _user(f"bench.pl.{centre.number}", centre, Role.PROGRAMME_LEADER)
    qualification, _ = Qualification.objects.get_or_create(
        number="603/0001/2",
        defaults={
            "title": "Pearson BTEC Level 3 National Diploma in Benchmarking",
            "level": "3",
            "glh": 720,
        },
    )
    unit, _ = Unit.objects.get_or_create(
        qualification=qualification,
        number="9",
        defaults={
            "title": "Optional Benchmarking",
            "glh": 60,
            "assessment": "internal",
            "mandatory": False,
        },
    )
    cohort, _ = Cohort.objects.get_or_create(
        qualification=qualification,
        centre=centre,
        start_year="2026/27",
        defaults={"leader": pl},
    )
    if cohort.registrations.count() == rows:
        return cohort, eo, pl
    cohort.optional_units.set([unit])
    group = TeachingGroup.objects.create(cohort=cohort, name="Bench", delivering_centre=centre)
    learners = Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"Learner{i:04d}",
                last_name=f"Surname{i % 97:02d}",
                date_of_birth=dt.date(2009, 1 + i % 12, 1 + i % 28),
                sex="FM"[i % 2],
                uln=demo_uln(ULN_OFFSET + i),
                candidate_number=f"{i + 1:04d}",
                email=f"l{i}@example.org" if i % 2 else "",
            )
            for i in range(rows)
        ]
    )
    group.learners.add(*learners)
    rnd, _ = RegistrationRound.objects.get_or_create(
        centre=centre, academic_year="2026/27", defaults={"opened_by": eo}
    )
    with transaction.atomic():
        services.request_entries(
            rnd, cohort=cohort, due_date=dt.date.today() + dt.timedelta(days=7), by=eo
        )
        regs = Registration.objects.bulk_create(
            [
                Registration(learner=lr, cohort=cohort, centre=centre, status="entered")
                for lr in learners
            ]
        )
        Registration.optional_units.through.objects.bulk_create(
            [
                Registration.optional_units.through(registration_id=r.pk, unit_id=unit.pk)
                for r in regs
            ]
        )
        entry_list = cohort.entry_lists.get()
        services.return_entry_list(entry_list, by=eo)
        entry_list.refresh_from_db()
        services.sign_entry_list(
            entry_list, user=pl, password=PASSWORD, seen_sha256=current_sha256(entry_list)
        )
    return cohort, eo, pl


def _median(fn, repeats=REQUESTS):
    times, result = [], None
    for _ in range(repeats):
        with timed() as t:
            result = fn()
        times.append(t.seconds)
    return statistics.median(times), result


def bench_list(table, _events: int) -> None:
    cohort, eo, _pl = cohort_of(LIST_ROWS)
    entry_list = cohort.entry_lists.get()
    client = Client()
    client.force_login(eo)
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls"):

        def page():
            response = client.get(entry_list.get_absolute_url())
            assert response.status_code == 200, response.status_code
            return response.content.decode()

        def bare():
            response = client.get(f"/bench/entry-list/{cohort.pk}/")
            assert response.status_code == 200, response.status_code
            return response.content.decode()

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            page()
            bare()
        with CaptureQueriesContext(connection) as captured:
            html = page()
        queries = len(captured)
        with CaptureQueriesContext(connection) as captured:
            bare()
        bare_queries = len(captured)
        figure, _ = _median(page)
        floor, floor_html = _median(bare)
    shown = html.count("SURNAME")
    assert shown >= LIST_ROWS and floor_html.count("SURNAME") == LIST_ROWS, (shown,)
    table.row(
        f"registrations.list page x{LIST_ROWS}",
        figure,
        floor,
        seconds,
        floor_is="bare view, 1 query",
        goal=2,
        note=f"{queries} queries (bare view {bare_queries}, both with session+user); "
        f"median of {REQUESTS}",
    )


def _plain_pdf(pages: list[list[str]]) -> bytes:
    """The floor: the same lines drawn with reportlab's canvas, no layout at all."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for lines in pages:
        y = A4[1] - 40
        for line in lines:
            if y < 40:
                pdf.showPage()
                y = A4[1] - 40
            pdf.drawString(30, y, line)
            y -= 11
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _plain_xlsx(rows: list[list]) -> bytes:
    """The floor: openpyxl's write-only workbook, every value appended as it is."""
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Entry list")
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


DOC_REPEATS = 5


def _alternating(figure_fn, floor_fn, repeats=DOC_REPEATS):
    """(best figure, its result, best floor): the two run turn about, so a busy machine
    slows both alike and the ratio holds."""
    figure, floor, result = float("inf"), float("inf"), None
    figure_fn(), floor_fn()  # warm: fonts, styles, the query cache
    for _ in range(repeats):
        with timed() as t:
            result = figure_fn()
        figure = min(figure, t.seconds)
        with timed() as t:
            floor_fn()
        floor = min(floor, t.seconds)
    return figure, result, floor


LIST_FIELDS = (
    "last_name",
    "first_name",
    "date_of_birth",
    "sex",
    "uln",
    "candidate_number",
    "pathway",
    "optional_units",
    "programme_code",
)


def bench_docs(table, _events: int) -> None:
    """Each document against the same text drawn (or cells appended) the simplest way.

    The figure includes reading the list (its queries, the hash of what is printed, the
    changes since signing); the floor is handed its lines ready-made. Each is the best of
    DOC_REPEATS runs, the two taking turns in the same run.
    """
    from registrations import documents, notices

    cohort, eo, _pl = cohort_of(LIST_ROWS)
    entry_list = cohort.entry_lists.get()
    rows = entry_list.snapshot()["rows"]
    assert len(rows) == LIST_ROWS
    list_lines = [" ".join(str(r[k]) for k in LIST_FIELDS) for r in rows]

    figure, pdf, floor = _alternating(
        lambda: documents.entry_list_pdf(entry_list), lambda: _plain_pdf([list_lines])
    )
    _, peak = peak_memory(documents.entry_list_pdf, entry_list)
    table.row(
        f"registrations.docs list PDF x{LIST_ROWS}",
        figure,
        floor,
        seconds,
        floor_is="canvas, same lines",
        goal=10,
        note=f"{len(pdf) / 1024:,.0f} KiB; peak memory {mebibytes(peak)}; queries included; "
        f"best of {DOC_REPEATS}",
    )

    # Every learner's notice as a letter (the office's worst case: nobody has an e-mail).
    letters = notices.notices_for_round(entry_list.round)
    pages = [n.text.splitlines() for n in letters]
    figure, data, floor = _alternating(
        lambda: documents.letters_pdf(letters), lambda: _plain_pdf(pages)
    )
    _, peak = peak_memory(documents.letters_pdf, letters)
    table.row(
        f"registrations.docs letters x{len(letters)}",
        figure,
        floor,
        seconds,
        floor_is="canvas, same text",
        goal=3,
        note=f"{len(data) / 1024:,.0f} KiB; peak memory {mebibytes(peak)}; best of {DOC_REPEATS}",
    )

    # The spreadsheet: the one writer (dates as UK date cells, frozen heading, widths,
    # formula and control-character checks) against openpyxl appending the same rows.
    cells = documents.entry_list_rows(entry_list)
    figure, data, floor = _alternating(
        lambda: documents.entry_list_xlsx(entry_list), lambda: _plain_xlsx(cells)
    )
    _, peak = peak_memory(documents.entry_list_xlsx, entry_list)
    table.row(
        f"registrations.docs list XLSX x{LIST_ROWS}",
        figure,
        floor,
        seconds,
        floor_is="openpyxl write-only",
        goal=2,
        note=f"{len(data) / 1024:,.0f} KiB; peak memory {mebibytes(peak)}; queries included; "
        f"best of {DOC_REPEATS}",
    )


NUMBERS_ROWS = 5_000
NUMBERS_CENTRE = ("90031", "Benchmark Numbers College")


def _numbers_world():
    """5,000 learners with a registration submitted to Pearson, awaiting their numbers."""
    centre, _ = Centre.objects.get_or_create(
        number=NUMBERS_CENTRE[0], defaults={"name": NUMBERS_CENTRE[1]}
    )
    eo = _user(f"bench.eo.{centre.number}", centre, Role.EXAMS_OFFICER)
    qualification, _ = Qualification.objects.get_or_create(
        number="603/0002/3",
        defaults={
            "title": "Pearson BTEC Level 3 National Diploma in Numbers",
            "level": "3",
            "glh": 720,
        },
    )
    cohort, _ = Cohort.objects.get_or_create(
        qualification=qualification, centre=centre, start_year="2026/27"
    )
    learners = Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"Number{i:05d}",
                last_name=f"Learner{i % 89:02d}",
                date_of_birth=dt.date(2009, 1 + i % 12, 1 + i % 28),
                sex="FM"[i % 2],
                uln=demo_uln(ULN_OFFSET + 10_000 + i),
                candidate_number=f"{i % 9999 + 1:04d}" if i < 9999 else "",
            )
            for i in range(NUMBERS_ROWS)
        ],
        batch_size=1000,
    )
    Registration.objects.bulk_create(
        [
            Registration(
                learner=lr,
                cohort=cohort,
                centre=centre,
                status="submitted",
                submitted_on=dt.date(2026, 10, 1),
            )
            for lr in learners
        ],
        batch_size=1000,
    )
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Centre Number", "Registration Number", "ULN", "Surname", "Forename", "Date of Birth"]
    )
    for i, lr in enumerate(learners):
        writer.writerow(
            [
                centre.number,
                f"R{i:07d}",
                lr.uln,
                lr.last_name.upper(),
                lr.first_name.upper(),
                f"{lr.date_of_birth:%d/%m/%Y}",
            ]
        )
    return centre, eo, cohort, out.getvalue().encode()


def bench_numbers(table, _events: int) -> None:
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from registrations.number_import import apply_registration_numbers, preview_registration_numbers

    centre, eo, cohort, data = _numbers_world()

    def floor():
        """Parse the CSV and write every number with one bulk_update: no matching, no checks."""
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        by_uln = {r["ULN"]: r["Registration Number"] for r in rows}
        regs = list(cohort.registrations.select_related("learner"))
        for reg in regs:
            reg.registration_number = by_uln[reg.learner.uln]
        with transaction.atomic():
            Registration.objects.bulk_update(regs, ["registration_number"], batch_size=1000)
            transaction.set_rollback(True)

    floor()
    with timed() as f:
        floor()
    with timed() as p:
        imp = preview_registration_numbers(
            SimpleUploadedFile("numbers.csv", data, content_type="text/csv"), centre, eo
        )
    assert imp.counts.get("matched") == NUMBERS_ROWS, imp.counts
    with timed() as a:
        apply_registration_numbers(imp, eo)
    assert cohort.registrations.filter(status="registered").count() == NUMBERS_ROWS
    table.row(
        f"registrations.numbers preview x{NUMBERS_ROWS:,}",
        p.seconds,
        f.seconds,
        seconds,
        floor_is="csv + 1 bulk_update",
        note="reads, checks and matches every row; writes none",
    )
    table.row(
        f"registrations.numbers apply x{NUMBERS_ROWS:,}",
        a.seconds,
        f.seconds,
        seconds,
        floor_is="csv + 1 bulk_update",
        note="re-matched under lock; a step and an audit event per registration",
    )
