"""The learners app, as an exams office meets it: the MIS import of a year's learners, and the
learner list searched over a large centre.

learners.import  A generated SIMS-like XLSX of 10,000 learners through the importer's two
                 steps, as the upload page and `import_learners` call them:
                 preview_import() (reads and checks everything, writes no learner, keeps
                 the rows log) and commit_import() (reads the checked rows back from the
                 log, plans them against the database again and applies them, with an
                 audit event per learner, in one transaction). The floor, measured in the
                 same run: openpyxl load_workbook(read_only=True) reading every row of the
                 same file, plus one Learner bulk_create of the same rows (committed, then
                 deleted untimed). Goal: each within 2x. Each time is the best of REPEATS
                 runs, the floor's parts alike, so a busy machine moves figure and floor
                 together. For context, commit against that floor plus a bulk_create of its
                 10,000 audit events (hashes precomputed), and preview's peak Python memory
                 (tracemalloc) at 2,000 and 10,000 rows: flat if the rows were streamed
                 through, not held (goal: within 1.5x).
learners.list    The learner list page (Django test Client, logged in as the centre's exams
                 officer) over 20,000 learners at one centre, a third in teaching groups:
                 page 1, a surname fragment, a ULN. Each is the median of REQUESTS requests,
                 with its query count, against the floor of a bare view (below, through the
                 same Client, middleware, session and user) that fetches the same 50 (or
                 fewer) rows with one query as a values list and renders them through a
                 minimal django.template.Template, as the entry list is measured. Goal: 2x.

The sizes are fixed (run.py's --events is the audit benchmarks' N).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
import warnings
from collections.abc import Callable, Iterator

import openpyxl
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import RoleAssignment
from accounts.roles import Role
from audit.models import AuditEvent, AuditEventDetail
from audit.services import _actor_repr, canonical_json, pending_details
from benchmarks.harness import best_time, mebibytes, peak_memory, per_second, seconds, timed
from centres.models import Centre
from learners.imports import AUDITED_FIELDS, LEARNERS, commit_import, preview_import
from learners.models import Cohort, Learner, LearnerImport, TeachingGroup
from qualifications.models import Qualification

IMPORT_ROWS = 10_000
SMALL_ROWS = 2_000  # preview memory is measured here too: flat means alike
WARM_ROWS = 200
LIST_LEARNERS = 20_000
REQUESTS = 41  # requests of each kind; the median is kept (enough that one slow one moves nothing)
REPEATS = 3  # runs of each import step (and of the floor's parts); the best is kept
PAGE_SIZE = 50  # learners.views.PAGE_SIZE
BATCH_SIZE = 500  # the batch_size _apply_learners gives bulk_create
MEMORY_FLAT = 1.5  # peak at 10k over peak at 2k that still reads as flat

IMPORT_CENTRE = ("90010", "Benchmark Import Academy")
WARM_CENTRE = ("90011", "Benchmark Warm-up School")
LIST_CENTRE = ("90020", "Benchmark Sixth Form College")

# The ULNs of each population come from their own range of nine-digit prefixes: a ULN is
# unique across centres, and the importer refuses one held at another centre.
IMPORT_ULNS = 300_000_000
WARM_ULNS = 310_000_000
LIST_ULNS = 320_000_000

SURNAMES = (
    "Abbott", "Ahmed", "Anderson", "Bailey", "Baker", "Begum", "Clarke", "Cooper", "Davies",
    "Edwards", "Evans", "Green", "Hall", "Harris", "Hughes", "Hussain", "Jackson", "James",
    "Johnson", "Jones", "Khan", "King", "Lewis", "Martin", "Morgan", "Patel", "Phillips",
    "Roberts", "Robinson", "Scott", "Smith", "Taylor", "Thomas", "Thompson", "Turner",
    "Walker", "Ward", "White", "Williams", "Wilson", "Wood", "Wright",
)  # fmt: skip
FORENAMES = (
    "Aaliyah", "Adam", "Aisha", "Alfie", "Amelia", "Archie", "Ava", "Ben", "Charlie", "Chloe",
    "Daniel", "Ella", "Emily", "Erin", "Ethan", "Evie", "Freya", "George", "Grace", "Harry",
    "Isabella", "Isla", "Jack", "Jacob", "Leo", "Lily", "Logan", "Mia", "Mohammed", "Noah",
    "Oliver", "Oscar", "Poppy", "Ruby", "Sophie", "Theo", "Thomas", "Zara",
)  # fmt: skip
SURNAME_FRAGMENT = "son"  # Anderson, Jackson, Johnson, Robinson, Thompson, Wilson; no forename
HEADINGS = (
    "Adno",
    "UPN",
    "ULN",
    "Legal Surname",
    "Legal Forename",
    "Preferred Forename",
    "DOB",
    "Gender",
    "Reg Group",
    "Candidate No",
    "Email",
)


# --------------------------------------------------------------------------- people


def valid_ulns(prefix: int) -> Iterator[str]:
    """ULNs from the nine-digit prefix on, with their check digit (learners.validators)."""
    while True:
        first = f"{prefix:09d}"
        remainder = sum(int(first[i]) * (10 - i) for i in range(9)) % 11
        if remainder:  # remainder 0: no valid ULN has these nine digits
            yield first + str(10 - remainder)
        prefix += 1


def people(n: int, uln_prefix: int) -> Iterator[dict]:
    """n learners, each one's legal name and date of birth unlike any other's.

    Candidate numbers 0001..9999 cannot cover more than 9,999 learners at a centre, so
    every tenth learner has none yet (as in a real intake, given one later), nor has
    anyone once the numbers run out (past about 11,100 learners).
    """
    ulns = valid_ulns(uln_prefix)
    names = len(SURNAMES) * len(FORENAMES)
    for i in range(n):
        first = FORENAMES[i % len(FORENAMES)]
        last = SURNAMES[(i // len(FORENAMES)) % len(SURNAMES)]
        # names repeat every `names` learners; the birthday then moves on by 100 days
        born = dt.date(2008, 9, 1) + dt.timedelta(days=(i // names) * 100 + i % 100)
        cand = i // 10 * 9 + i % 10 + 1  # 0001..9999 in order, skipping every tenth learner
        yield {
            "admission_number": f"{100000 + i}",
            "upn": f"A{820000000000 + i:012d}",
            "uln": next(ulns),
            "last_name": last,
            "first_name": first,
            "preferred_name": "Alfie" if first == "Alfie" and i % 7 == 0 else "",
            "date_of_birth": born,
            "sex": "F" if i % 2 else "M",
            "group": f"12{'ABCDEFGH'[i % 8]}",
            "candidate_number": "" if i % 10 == 9 or cand > 9999 else f"{cand:04d}",
            "email": f"{first}.{last}.{i}@students.example.org".lower(),
        }


def sims_xlsx(n: int, uln_prefix: int) -> bytes:
    """A SIMS-like export of n learners: a title row, then headings, dates as date cells."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Student List")
    ws.append(["Student List - Year 12 and 13 (exported from SIMS)"])
    ws.append(list(HEADINGS))
    for p in people(n, uln_prefix):
        ws.append(
            [
                p["admission_number"],
                p["upn"],
                p["uln"],
                p["last_name"],
                p["first_name"],
                p["preferred_name"] or None,
                p["date_of_birth"],
                "Female" if p["sex"] == "F" else "Male",
                p["group"],
                p["candidate_number"] or None,
                p["email"],
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _centre(number_name: tuple[str, str]) -> Centre:
    number, name = number_name
    centre, _ = Centre.objects.get_or_create(number=number, defaults={"name": name})
    return centre


def _officer(username: str, centre: Centre):
    user, _ = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": "Bench",
            "last_name": "Officer",
            "email": f"{username}@example.org",
        },
    )
    RoleAssignment.objects.get_or_create(user=user, centre=centre, role=Role.EXAMS_OFFICER)
    return user


# --------------------------------------------------------------------------- the import


def _preview(centre, user, data: bytes, name: str):
    return preview_import(
        centre=centre, kind=LEARNERS, uploaded_file=data, file_name=name, user=user
    )


def _check_preview(preview, n: int) -> LearnerImport:
    assert preview.ok, [str(p) for p in preview.errors[:5]]
    counts = preview.counts
    assert counts["create"] == n and counts["warnings"] == 0, counts
    return preview.import_obj


def _parse(data: bytes) -> list[tuple]:
    """The floor's read: every row of the first sheet, values only, as the importer opens it."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _floor_learners(centre, rows: list[tuple]) -> list[Learner]:
    """The Learner rows commit writes for this file, built from the parsed cells (untimed)."""
    col = {h: i for i, h in enumerate(rows[1])}
    learners = []
    for r in rows[2:]:
        learners.append(
            Learner(
                centre=centre,
                first_name=r[col["Legal Forename"]],
                last_name=r[col["Legal Surname"]],
                preferred_name=r[col["Preferred Forename"]] or "",
                date_of_birth=r[col["DOB"]].date(),
                sex=r[col["Gender"]][0],
                uln=r[col["ULN"]],
                candidate_number=r[col["Candidate No"]] or "",
                admission_number=r[col["Adno"]],
                email=r[col["Email"]],
            )
        )
    return learners


def _floor_events(actor, learners: list[Learner]) -> list[AuditEvent]:
    """The learner.created events commit appends, every value computed up front (untimed)."""
    now = timezone.now()
    common = dict(
        occurred_at=now,
        actor_id=actor.pk,
        actor_repr=_actor_repr(actor)[:200],
        action="learners.learner.created",
        object_type=Learner._meta.label,
        before="",
        prev_hash="a" * 64,
        hash="b" * 64,
    )
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return [
        AuditEvent(
            seq=head + 1 + i,
            object_id=str(lr.pk),
            object_repr=str(lr)[:300],
            learner_id=lr.pk,
            learner_repr=str(lr)[:200],
            centre_id=lr.centre_id,
            after=canonical_json(
                {f: getattr(lr, f) for f in AUDITED_FIELDS} | {"reason": "MIS import"}
            ),
            **common,
        )
        for i, lr in enumerate(learners)
    ]


def _delete_learners(centre) -> None:
    """Untimed: the centre as it was before an import, so the next run creates them all again
    (with what each import recorded it did to them)."""
    from learners.models import LearnerImportChange

    LearnerImportChange.objects.filter(learner__centre=centre).delete()
    Learner.objects.filter(centre=centre).delete()


def _warm_up(user) -> None:
    """The code, the tables and the connection used once, on a small file at another centre."""
    centre = _centre(WARM_CENTRE)
    RoleAssignment.objects.get_or_create(user=user, centre=centre, role=Role.EXAMS_OFFICER)
    data = sims_xlsx(WARM_ROWS, WARM_ULNS)
    rows = _parse(data)
    with transaction.atomic():
        Learner.objects.bulk_create(_floor_learners(centre, rows), batch_size=BATCH_SIZE)
    _delete_learners(centre)
    commit_import(_check_preview(_preview(centre, user, data, "warm.xlsx"), WARM_ROWS), user)
    _delete_learners(centre)


def bench_import(table, _events: int) -> None:
    """preview and commit of a 10,000-learner XLSX against openpyxl's read plus a bulk_create.

    Each is the best of REPEATS runs after an untimed warm-up (the learners are deleted,
    untimed, between runs); peak memory is measured in runs of its own, as tracemalloc
    slows what it traces.
    """
    centre = _centre(IMPORT_CENTRE)
    user = _officer("bench.import", centre)
    _delete_learners(centre)
    _warm_up(user)
    data = sims_xlsx(IMPORT_ROWS, IMPORT_ULNS)
    small = sims_xlsx(SMALL_ROWS, IMPORT_ULNS)
    n = IMPORT_ROWS

    # Floor: read every row with openpyxl, then one bulk_create of the same learners.
    parse, rows = best_time(lambda: _parse(data), REPEATS)
    assert len(rows) == n + 2, len(rows)
    learners = _floor_learners(centre, rows)
    del rows
    insert = float("inf")
    for _ in range(REPEATS):
        for learner in learners:
            learner.pk = None
        with timed() as t, transaction.atomic():
            Learner.objects.bulk_create(learners, batch_size=BATCH_SIZE)
        insert = min(insert, t.seconds)
        _delete_learners(centre)
    learners = Learner.objects.bulk_create(learners, batch_size=BATCH_SIZE)
    events = _floor_events(user, learners)
    with timed() as audit_insert, transaction.atomic():  # rolled back: the trail is append-only
        AuditEvent.objects.bulk_create(events, batch_size=1000)
        AuditEventDetail.objects.bulk_create(pending_details(events), batch_size=1000)
        transaction.set_rollback(True)
    del learners, events
    _delete_learners(centre)
    floor = parse + insert

    preview_s = commit_s = float("inf")
    for _ in range(REPEATS):
        with timed() as preview_t:
            preview = _preview(centre, user, data, "sims-10000.xlsx")
        committed = _check_preview(preview, n)
        del preview
        with timed() as commit_t:
            done = commit_import(committed, user)
        assert done.counts["create"] == n == Learner.objects.filter(centre=centre).count()
        assert LearnerImport.objects.get(pk=committed.pk).status == LearnerImport.Status.COMMITTED
        preview_s, commit_s = min(preview_s, preview_t.seconds), min(commit_s, commit_t.seconds)
        del done
        _delete_learners(centre)

    # Memory, in runs of their own: preview at 10k and 2k, commit at 10k.
    preview, peak_preview = peak_memory(_preview, centre, user, data, "sims-10000.xlsx")
    again = _check_preview(preview, n)
    del preview
    preview, peak_small = peak_memory(_preview, centre, user, small, "sims-2000.xlsx")
    _check_preview(preview, SMALL_ROWS)
    del preview
    done, peak_commit = peak_memory(commit_import, again, user)
    assert done.counts["create"] == n
    del done

    note = f"read {parse:.3f} + insert {insert:.3f} s; {per_second(n, preview_s)} rows"
    table.row(
        f"learners.import preview x{n:,}",
        preview_s,
        floor,
        seconds,
        floor_is="openpyxl + bulk_create",
        goal=2,
        note=note,
    )
    table.row(
        f"learners.import commit x{n:,}",
        commit_s,
        floor,
        seconds,
        floor_is="openpyxl + bulk_create",
        goal=2,
        note=f"{per_second(n, commit_s)} rows; the checked rows from the log, each learner "
        "matched again and audited",
    )
    with_audit = floor + audit_insert.seconds
    table.row(
        "  commit vs floor + audit rows",
        commit_s,
        with_audit,
        seconds,
        floor_is="floor + audit inserts",
        note=f"events insert {audit_insert.seconds:.3f} s; "
        f"commit - preview = {commit_s - preview_s:.3f} s",
    )
    table.row(
        f"  preview peak memory @{n:,}",
        peak_preview,
        peak_small,
        mebibytes,
        floor_is=f"same @{SMALL_ROWS:,} rows",
        goal=MEMORY_FLAT,  # the issue: memory flat in the number of rows
        note="flat"
        if peak_preview <= MEMORY_FLAT * peak_small
        else f"GROWS with rows ({(peak_preview - peak_small) / (n - SMALL_ROWS) / 1024:.1f} "
        "KiB a row more)",
    )
    table.row(
        f"  commit peak memory @{n:,}",
        peak_commit,
        peak_preview,
        mebibytes,
        floor_is=f"preview @{n:,} rows",
    )


# --------------------------------------------------------------------------- the list

FLOOR_TEMPLATE = Template(
    "<table>{% for pk, last, first, cand, uln in rows %}"
    '<tr><td><a href="/learners/{{ pk }}/">{{ last|upper }}, {{ first }}</a></td>'
    "<td>{{ cand }}</td><td>{{ uln }}</td></tr>{% endfor %}</table>"
)
ROW_LINK = re.compile(r'href="/learners/(\d+)/"')
_BARE_ROWS: dict = {}  # case -> the values-list queryset the bare view pages


def bare_learner_list(request):
    """The same rows with one query and a plain template, behind the same middleware,
    session and user as the page: what the page cannot go below."""
    rows = list(_BARE_ROWS[request.GET["case"]][:PAGE_SIZE])
    return HttpResponse(FLOOR_TEMPLATE.render(Context({"rows": rows})))


urlpatterns = [  # ROOT_URLCONF while the list is measured: the app's URLs and the bare view
    path("bench/learners/", bare_learner_list),
    path("", include("btecqa.urls")),
]


def _list_world():
    """20,000 learners at one centre, a third of them in one of 16 teaching groups.

    On PostgreSQL the tables are analysed after the bulk load, as autovacuum would have
    done by the time anyone searched them, so the plans do not depend on its timing.
    """
    centre = _centre(LIST_CENTRE)
    user = _officer("bench.list", centre)
    if Learner.objects.filter(centre=centre).count() == LIST_LEARNERS:
        return centre, user
    qualification, _ = Qualification.objects.get_or_create(
        number="603/0000/1",
        defaults={
            "title": "Pearson BTEC Level 3 National Extended Diploma in Benchmarking",
            "level": "3",
            "glh": 1080,
        },
    )
    groups = []
    for year in ("2025/26", "2026/27"):
        cohort, _ = Cohort.objects.get_or_create(
            qualification=qualification, centre=centre, start_year=year
        )
        for letter in "ABCDEFGH":
            group, _ = TeachingGroup.objects.get_or_create(
                cohort=cohort,
                name=f"{year[2:4]}{letter}/Bm",
                defaults={"delivering_centre": centre},
            )
            groups.append(group)
    learners = [
        Learner(
            centre=centre,
            **{k: v for k, v in p.items() if k not in ("upn", "group")},
        )
        for p in people(LIST_LEARNERS, LIST_ULNS)
    ]
    with transaction.atomic():
        Learner.objects.bulk_create(learners, batch_size=1000)
        Through = TeachingGroup.learners.through
        Through.objects.bulk_create(
            [
                Through(teachinggroup_id=groups[i % len(groups)].pk, learner_id=lr.pk)
                for i, lr in enumerate(learners)
                if i % 3 == 0
            ],
            batch_size=1000,
        )
    if connection.vendor == "postgresql":
        # As autovacuum leaves tables after a bulk load, not at its own timing: planner
        # statistics, and the visibility map that lets COUNT(*) answer from the index.
        with connection.cursor() as cursor:
            for model in (Learner, TeachingGroup.learners.through):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return centre, user


def _median(fn: Callable, repeats: int = REQUESTS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        with timed() as timing:
            result = fn()
        times.append(timing.seconds)
    return statistics.median(times), result


def bench_list(table, _events: int) -> None:
    """The learner list over 20,000 learners: page 1, a surname fragment, a ULN."""
    centre, user = _list_world()
    client = Client()
    client.force_login(user)
    url = reverse("learners:learner_list")
    uln = (
        Learner.objects.filter(centre=centre)
        .order_by("pk")
        .values_list("uln", flat=True)[LIST_LEARNERS // 2]
    )
    base = Learner.objects.filter(centre=centre)
    surname = base.filter(last_name__icontains=SURNAME_FRAGMENT)
    cases = (
        ("page 1", {}, base),
        (f"q={SURNAME_FRAGMENT!r}", {"q": SURNAME_FRAGMENT}, surname),
        ("q=<ULN>", {"q": uln}, base.filter(uln=uln)),
    )
    with override_settings(ROOT_URLCONF="benchmarks.bench_learners"):
        for label, params, floor_qs in cases:
            _measure_list(table, client, url, label, params, floor_qs)


def _measure_list(table, client, url, label, params, floor_qs) -> None:
    def page():
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    _BARE_ROWS[label] = floor_qs.order_by("last_name", "first_name", "pk").values_list(
        "pk", "last_name", "first_name", "candidate_number", "uln"
    )

    def bare():
        response = client.get("/bench/learners/", {"case": label})
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    with warnings.catch_warnings():  # whitenoise: the throwaway VAR_DIR has no staticfiles/
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        page()  # warm: templates compiled and cached, the connection open
        bare()
    with CaptureQueriesContext(connection) as captured:
        html = page()
    queries = len(captured)  # now: the next request clears the connection's query log
    with CaptureQueriesContext(connection) as captured:
        floor_html = bare()
    bare_queries = len(captured)
    figure, _ = _median(page)
    floor, _ = _median(bare)
    shown = [int(pk) for pk in ROW_LINK.findall(html)]
    expected = [int(pk) for pk in ROW_LINK.findall(floor_html)]
    assert shown == expected and shown, (label, shown[:3], expected[:3])
    table.row(
        f"learners.list {label}",
        figure,
        floor,
        seconds,
        floor_is="bare view, 1 query",
        goal=2,
        note=f"{queries} queries (bare view {bare_queries}, both with session+user); "
        f"{len(shown)} rows shown; median of {REQUESTS}, {LIST_LEARNERS:,} learners",
    )
