"""The round's documents and the learners' notices: what the office prints, downloads and sends.

PDF text is read back from the bytes reportlab wrote (tests/pdf_reading.py).
"""

import datetime as dt
import hashlib
import io
import itertools
import re
import time
import zipfile

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AuditEvent
from learners.services import update_learner
from outbox.models import OutgoingEmail
from outbox.services import send_pending
from outbox.tasks import send_pending as send_pending_task
from qualifications.models import Unit
from registrations import documents, notices, services
from registrations.models import LearnerNotice, Registration
from signatures import services as signing

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
)
from .pdf_reading import pdf_page_strings, pdf_pages, pdf_strings, pdf_text

R = Role
TODAY = dt.date(2026, 9, 14)
STAFF = set(Role) - {R.GOVERNOR, R.STANDARDS_VERIFIER}
pytestmark = pytest.mark.usefixtures("_september")


@pytest.fixture
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


# --- helpers ------------------------------------------------------------------------------


_ULNS = itertools.count(1)


def uln() -> str:
    n = next(_ULNS)
    while True:
        prefix = f"{300000000 + n:09d}"
        r = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if r:
            return prefix + str(10 - r)
        n += 10_000_000


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[title].iter_rows(values_only=True))


# --- the round ----------------------------------------------------------------------------


@pytest.fixture
def qualification(db):
    q = QualificationFactory(
        title="BTEC National Extended Certificate in Testing", number="603/0001/2"
    )
    Unit.objects.create(qualification=q, number="1", title="Core", glh=90, assessment="external")
    Unit.objects.create(
        qualification=q,
        number="8",
        title="Optional Practice",
        glh=60,
        assessment="internal",
        mandatory=False,
    )
    return q


def _cohort(centre, qualification, leader, surnames):
    p = CohortFactory(centre=centre, qualification=qualification, leader=leader)
    p.optional_units.set(qualification.units.filter(mandatory=False))
    group = TeachingGroupFactory(cohort=p, name="12A")
    for n, name in enumerate(surnames, start=1):
        group.learners.add(
            LearnerFactory(centre=centre, last_name=name, first_name=f"Kit{n}", uln=uln())
        )
    return p


@pytest.fixture
def cohort(own_centre, cast, qualification):
    return _cohort(
        own_centre, qualification, cast[R.PROGRAMME_LEADER], ("Ashworth", "Brindley", "Carrow")
    )


@pytest.fixture
def rnd(own_centre, cast):
    return services.open_round(centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER])


def _returned(rnd, cohort, eo, pl):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=eo)
    for learner in cohort.teaching_groups.get().learners.all():
        services.propose_entry(req, learner=learner, by=pl, pathway="General")
    services.finish_proposals(req, by=pl)
    entry_list = services.entry_list_for(cohort, rnd)
    services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
    services.return_entry_list(entry_list, by=eo)
    entry_list.refresh_from_db()
    return entry_list


def _sign(entry_list, pl):
    services.sign_entry_list(
        entry_list, user=pl, password=PASSWORD, seen_sha256=signing.current_sha256(entry_list)
    )
    entry_list.refresh_from_db()
    return entry_list


@pytest.fixture
def returned(rnd, cohort, cast):
    return _returned(rnd, cohort, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER])


@pytest.fixture
def signed(returned, cast):
    return _sign(returned, cast[R.PROGRAMME_LEADER])


@pytest.fixture
def theirs(other_centre, make_user, qualification):
    """Another centre's round, list and letters batch."""
    eo = make_user("eo_other", R.EXAMS_OFFICER, centre=other_centre)
    pl = make_user("pl_other", R.PROGRAMME_LEADER, centre=other_centre)
    p = _cohort(other_centre, qualification, pl, ("Dunmore",))
    r = services.open_round(centre=other_centre, academic_year="2026/27", by=eo)
    entry_list = _returned(r, p, eo, pl)
    notices.send_notices(r, eo)
    return {"round": r, "list": entry_list}


# --- the entry list PDF ------------------------------------------------------------------


def test_unsigned_list_pdf_has_everything_to_check_and_blank_lines_to_sign(client, cast, returned):
    client.force_login(cast[R.PROGRAMME_LEADER])
    response = client.get(reverse("registrations:entry_list_pdf", args=[returned.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "entry-list-40001-603-0001-2-2026-27.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Own Test Academy (40001)" in text
    assert "BTEC National Extended Certificate in Testing (603/0001/2)" in text
    assert "2026/27" in text
    assert "List version 1, frozen 14/09/2026" in text
    for surname in ("Ashworth", "Brindley", "Carrow"):
        assert surname in text
    learner = returned.rows().first().learner
    assert learner.uln in text and learner.candidate_number in text
    assert "17/05/2009" in text  # dd/mm/yyyy
    assert "General" in text and "8 Optional Practice" in text
    # Not signed: blank lines for a wet signature, no hash.
    assert "Signed ____" in text and "Date ____" in text
    assert "I have checked these entries against my class lists" in text
    assert re.search(r"SHA-256 [0-9a-f]{64}", text) is None


def test_signed_list_pdf_shows_signer_role_time_hash_and_statement(client, cast, signed):
    signature = signing.latest_signature(signed)
    client.force_login(cast[R.HEAD_OF_CENTRE])
    text = pdf_text(client.get(reverse("registrations:entry_list_pdf", args=[signed.pk])).content)
    pl = cast[R.PROGRAMME_LEADER]
    assert f"Signed by {pl.get_full_name()}, Programme Leader, on 14/09/2026 at" in text
    assert f"SHA-256 {signature.sha256}" in text
    assert signed.signing_statement in text
    assert "Signed ____" not in text
    assert "Amended since signing" not in text


def test_amended_list_pdf_says_so_and_lists_the_amendments(client, cast, signed):
    reg = signed.rows().get(learner__last_name="Brindley")
    services.amend_registration(
        reg, by=cast[R.EXAMS_OFFICER], reason="Moved to the applied pathway", pathway="Applied"
    )
    signed.refresh_from_db()
    client.force_login(cast[R.EXAMS_OFFICER])
    text = pdf_text(client.get(reverse("registrations:entry_list_pdf", args=[signed.pk])).content)
    assert "Amended since signing" in text
    assert "Changed: BRINDLEY, Kit2" in text
    assert "pathway was General, now Applied" in text
    assert "Moved to the applied pathway" in text
    # The old signature still shows, and there is room to sign the amended list.
    assert "Signed by" in text and "Signed ____" in text


def test_open_queries_are_listed_on_the_pdf(cast, returned):
    reg = returned.rows().get(learner__last_name="Carrow")
    services.query_row(
        returned, registration=reg, reason="Left in July, please check", by=cast[R.PROGRAMME_LEADER]
    )
    text = pdf_text(documents.entry_list_pdf(returned))
    assert "Open queries on rows (1)" in text
    assert "Left in July, please check" in text


def test_a_300_row_list_prints_on_pages_with_headings_repeated(cast, rnd, qualification):
    surnames = [f"Surname{n:03d}" for n in range(300)]
    cohort = _cohort(rnd.centre, qualification, cast[R.PROGRAMME_LEADER], surnames)
    entry_list = _returned(rnd, cohort, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER])
    started = time.perf_counter()
    data = documents.entry_list_pdf(entry_list)
    elapsed = time.perf_counter() - started
    strings = pdf_strings(data)
    pages = pdf_page_strings(data)
    assert len(pages) >= 8
    with_rows = [page for page in pages if any(re.fullmatch(r"Surname\d{3}", s) for s in page)]
    assert len(with_rows) >= len(pages) - 1  # the last page may hold only the signature
    for n, page in enumerate(with_rows, start=1):  # the heading row repeats on every page
        assert page.count("Surname") == page.count("Forename") == 1, n
    assert all(name in strings for name in surnames)
    # Every page has the furniture: centre, title, the printed date, "Page x of y".
    for n, page in enumerate(pages, start=1):
        assert "Own Test Academy (40001)" in page
        assert f"Page {n} of " in page and str(len(pages)) in page
        assert any("printed 14/09/2026 " in s for s in page)
    assert "Signed ____" in pdf_text(data)
    assert elapsed < 10, elapsed


# --- what changed, in words -----------------------------------------------------------------


def test_changes_read_as_labels_and_values_on_the_page_the_versions_and_the_pdf(
    client, cast, signed, qualification
):
    """Not `optional_units ['8'] -> ['9']`: the unit's number and title, dates dd/mm/yyyy."""
    applied = Unit.objects.create(
        qualification=qualification,
        number="9",
        title="Applied Practice",
        glh=60,
        assessment="internal",
        mandatory=False,
    )
    eo = cast[R.EXAMS_OFFICER]
    reg = signed.rows().get(learner__last_name="Brindley")
    services.amend_registration(reg, by=eo, reason="Swapped unit", optional_units=[applied])
    update_learner(
        reg.learner,
        by=eo,
        changes={"date_of_birth": dt.date(2009, 6, 18)},
        reason="Birth certificate seen",
    )
    services.amend_registration(reg, by=eo, reason="Sport pathway", pathway="Sport")
    who = f"BRINDLEY, Kit2 ({reg.learner.candidate_number})"
    expected = [
        f"Changed: {who}: date of birth was 17/05/2009, now 18/06/2009",
        "pathway was General, now Sport",
        "optional units was 8 (Optional Practice), now 9 (Applied Practice)",
    ]
    client.force_login(eo)
    page = client.get(signed.get_absolute_url()).content.decode()
    changes = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.split('id="changes"')[1]))
    for text in expected:
        assert text in changes, text
    versions = client.get(reverse("registrations:entry_list_versions", args=[signed.pk]))
    versions = re.sub(r"<[^>]+>|\s+", " ", versions.content.decode())
    assert "optional units was 8 (Optional Practice), now 9 (Applied Practice)" in versions
    assert "pathway was General, now Sport" in versions
    pdf = pdf_text(client.get(reverse("registrations:entry_list_pdf", args=[signed.pk])).content)
    for text in expected:
        assert text in pdf, text
    for shown in (changes, versions, pdf):
        assert "['" not in shown and "optional_units" not in shown and "date_of_birth" not in shown


def test_changes_in_words_say_yes_no_blank_and_removed():
    units = {"8": Unit(number="8", title="Optional Practice", sort_key=8)}
    row = {
        "key": "1",
        "learner": 1,
        "last_name": "Hale",
        "first_name": "Amy",
        "candidate_number": "0001",
        "programme_code": "",
        "new_starter": False,
        "optional_units": ["8"],
    }
    gone = {**row, "key": "2", "last_name": "Moss", "candidate_number": ""}
    after = {**row, "programme_code": "KM01", "new_starter": True, "optional_units": []}
    lines = documents.describe_changes(signing.diff_rows([row, gone], [after]), units)
    assert [str(line) for line in lines] == [
        "Removed: MOSS, Amy (no candidate number)",
        "Changed: HALE, Amy (0001): optional units was 8 (Optional Practice), now none; "
        "programme code was blank, now KM01; new starter was no, now yes",
    ]


# --- consortium lists -------------------------------------------------------------------------


@pytest.fixture
def consortium(rnd, cohort, cast, partner_centre):
    """The own centre's list with one partner centre's learner on it (no programme code).

    Proposing or entering such a learner is refused now (tests/test_registration_rules.py);
    the row is written as one entered before that check, which the list, its documents and
    the Pearson file must still show as missing its code."""
    entry_list = _returned(rnd, cohort, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER])
    visitor = LearnerFactory(
        centre=partner_centre, last_name="Kestrelson", first_name="Pat", uln=uln()
    )
    cohort.teaching_groups.get().learners.add(visitor)
    Registration.objects.create(
        learner=visitor,
        cohort=cohort,
        centre=partner_centre,
        pathway="General",
        round=rnd,
        status=Registration.Status.ENTERED,
    )
    return entry_list, entry_list.rows().get(learner=visitor)


def test_a_consortium_list_shows_each_learners_home_centre(client, cast, consortium):
    entry_list, visitor = consortium
    client.force_login(cast[R.EXAMS_OFFICER])
    html = client.get(entry_list.get_absolute_url()).content.decode()
    heads = re.findall(r'<th scope="col">(.*?)</th>', html.split('id="entries"')[1])
    assert "Home centre" in heads
    rows = [
        [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(\s*<td>.*?)</tr>", html.split('id="entries"')[1], re.S)
    ]
    cells = {row[0]: row for row in rows}
    home = heads.index("Home centre")
    assert cells["KESTRELSON, Pat"][home] == "40002"
    assert cells["ASHWORTH, Kit1"][home] == "40001"
    code = cells["KESTRELSON, Pat"][heads.index("Programme code")]
    assert code.startswith("missing") and "consortium programme code or sub-site" in code

    pdf = client.get(reverse("registrations:entry_list_pdf", args=[entry_list.pk])).content
    strings = pdf_strings(pdf)
    row = strings[strings.index("Kestrelson") - 1 :][:14]
    assert "40002" in row and "missing" in row
    assert "a partner centre's learner, registered through their home centre" in pdf_text(pdf)

    data = client.get(reverse("registrations:entry_list_xlsx", args=[entry_list.pk])).content
    rows = {r[1]: r for r in sheet_rows(data, "Entry list")[1:]}
    assert rows["Kestrelson"][8] == "40002" and rows["Ashworth"][8] == "40001"


def test_a_partners_learner_without_the_consortium_code_is_refused_for_pearson(
    client, cast, consortium
):
    entry_list, visitor = consortium
    with pytest.raises(documents.PearsonRowsRefused) as refused:
        documents.pearson_xlsx(entry_list)
    (problem,) = refused.value.problems
    assert (problem["row"], problem["learner"], problem["field"]) == (
        4,
        "KESTRELSON, Pat",
        "Programme code",
    )
    assert "a learner of centre 40002" in problem["reason"]
    assert "consortium programme code or sub-site" in problem["reason"]

    services.amend_registration(
        visitor, by=cast[R.EXAMS_OFFICER], reason="Consortium code", programme_code="KM-CONS1"
    )
    rows = sheet_rows(documents.pearson_xlsx(entry_list), "Registrations")
    assert [r[-1] for r in rows if r[2] == "KESTRELSON"] == ["KM-CONS1"]
    client.force_login(cast[R.EXAMS_OFFICER])
    html = client.get(entry_list.get_absolute_url()).content.decode()
    assert "KM-CONS1" in html and "needs the consortium programme code" not in html


def test_a_single_centre_list_page_has_no_home_centre_column(client, cast, returned):
    client.force_login(cast[R.EXAMS_OFFICER])
    html = client.get(returned.get_absolute_url()).content.decode()
    assert "Home centre" not in html.split('id="entries"')[1]


# --- the entry list XLSX -----------------------------------------------------------------


def test_entry_list_xlsx_has_the_same_rows(client, cast, returned):
    client.force_login(cast[R.ASSESSOR_IV])
    response = client.get(reverse("registrations:entry_list_xlsx", args=[returned.pk]))
    assert response.status_code == 200
    rows = sheet_rows(response.content, "Entry list")
    assert rows[0] == tuple(documents.ENTRY_HEADINGS)
    assert [r[1] for r in rows[1:]] == ["Ashworth", "Brindley", "Carrow"]
    first = returned.rows().first().learner
    assert rows[1][3] == dt.datetime(2009, 5, 17) and rows[1][5] == first.uln
    assert rows[1][7] == first.candidate_number and rows[1][8] == "40001"
    assert rows[1][10] == "8"
    ws = load_workbook(io.BytesIO(response.content))["Entry list"]
    assert ws["D2"].number_format == "dd/mm/yyyy"  # a real date, shown the UK way
    assert ws.freeze_panes == "A2"


def test_spreadsheets_never_carry_a_formula(client, cast, rnd, own_centre, qualification):
    cohort = _cohort(
        own_centre, qualification, cast[R.PROGRAMME_LEADER], ['=HYPERLINK("a")', "Ashworth"]
    )
    entry_list = _returned(rnd, cohort, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER])
    client.force_login(cast[R.EXAMS_OFFICER])
    for name in ("registrations:entry_list_xlsx", "registrations:pearson_xlsx"):
        data = client.get(reverse(name, args=[entry_list.pk])).content
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
            assert not any(b"<f>" in zf.read(n) for n in sheets), name
        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        texts = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert texts == [], name
    entry_rows = sheet_rows(
        client.get(reverse("registrations:entry_list_xlsx", args=[entry_list.pk])).content,
        "Entry list",
    )
    assert '=HYPERLINK("a")' in [r[1] for r in entry_rows]  # as text, quote-prefixed
    pearson = sheet_rows(
        client.get(reverse("registrations:pearson_xlsx", args=[entry_list.pk])).content,
        "Registrations",
    )
    assert "HYPERLINK(A)" in [r[2] for r in pearson]


# --- for Pearson ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Zoë-Anne", "ZOE-ANNE"),
        ("O\u2019Neil", "O'NEIL"),
        ("José  María", "JOSE MARIA"),
        ("Ødegård", "ODEGARD"),
        ("Strauß", "STRAUSS"),
        ("St. John (Jr)", "ST. JOHN (JR)"),
        ("Smith_2 & co!", "SMITH CO"),
        ("-Kit", "KIT"),
        ("王", ""),
    ],
)
def test_names_are_put_in_pearsons_alphabet(raw, clean):
    assert documents.pearson_name(raw) == clean


def test_pearson_xlsx_is_laid_out_for_edexcel_online(client, cast, returned):
    learner = returned.rows().get(learner__last_name="Ashworth").learner
    learner.first_name, learner.last_name = "Zoë Anne", "Ashworth-Ødegård"
    learner.save()
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.get(reverse("registrations:pearson_xlsx", args=[returned.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(response.content, "Registrations")
    assert rows[0] == tuple(documents.PEARSON_HEADINGS)
    assert rows[1] == (
        learner.candidate_number,
        "ZOE ANNE",
        "ASHWORTH-ODEGARD",
        "F",
        dt.datetime(2009, 5, 17),
        dt.datetime(2027, 8, 31),
        learner.uln,
        "603/0001/2",
        None,
    )
    assert len(rows) == 4


def test_pearson_xlsx_is_refused_naming_row_field_and_reason(client, cast, returned):
    by_name = {r.learner.last_name: r.learner for r in returned.rows()}
    by_name["Ashworth"].uln = None
    by_name["Ashworth"].save()
    by_name["Brindley"].last_name = "Brindley-Featherstonehaugh-Smythe"  # 33 characters
    by_name["Brindley"].save()
    by_name["Carrow"].first_name = "王"
    by_name["Carrow"].save()
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.get(reverse("registrations:pearson_xlsx", args=[returned.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "the spreadsheet was not produced" in html
    cells = [
        [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", html.split('id="problems"')[1], re.S)
    ]
    cells = [c for c in cells if c]
    assert [c[:3] for c in cells] == [
        ["1", "ASHWORTH, Kit1", "ULN"],
        ["2", "BRINDLEY-FEATHERSTONEHAUGH-SMYTHE, Kit2", "Last names"],
        ["3", "CARROW, 王", "First names"],
    ]
    assert "missing: Pearson requires a ULN" in cells[0][3]
    assert "33 characters; Pearson allows 30" in cells[1][3]
    assert "nothing is left" in cells[2][3]


def test_a_learner_with_no_sex_recorded_is_refused_for_pearson(client, cast, returned):
    """A learner imported from a file without a Sex column has it blank: refused, by name."""
    learner = returned.rows().get(learner__last_name="Brindley").learner
    type(learner).objects.filter(pk=learner.pk).update(sex="")
    client.force_login(cast[R.EXAMS_OFFICER])
    html = client.get(reverse("registrations:pearson_xlsx", args=[returned.pk])).content.decode()
    assert "the spreadsheet was not produced" in html
    rows = [
        [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", html.split('id="problems"')[1], re.S)
    ]
    assert [r for r in rows if r] == [
        ["2", "BRINDLEY, Kit2", "Sex", documents.SEX_MISSING.replace("'", "&#x27;")]
    ]


def test_a_planned_completion_in_the_past_is_refused(returned):
    with pytest.raises(documents.PearsonRowsRefused) as refused:
        documents.pearson_xlsx(returned, today=dt.date(2027, 9, 1))
    assert refused.value.problems[0]["field"] == "Planned completion"
    assert "31/08/2027 is not in the future" in refused.value.problems[0]["reason"]


# --- learners' notices ------------------------------------------------------------------


@pytest.fixture
def told(rnd, returned):
    """Ashworth has an e-mail address; Brindley and Carrow get letters."""
    for reg in returned.rows():
        reg.learner.email = (
            "ashworth@learners.example.org" if reg.learner.last_name == "Ashworth" else ""
        )
        reg.learner.save()
    send_pending()  # the round's e-mails so far (the entry request) are out of the way
    mail.outbox.clear()
    return returned


def test_notices_are_emailed_or_printed_and_recorded(rnd, told, cast):
    eo = cast[R.EXAMS_OFFICER]
    result = notices.send_notices(rnd, eo)
    assert result.emailed == 1 and result.skipped == 0
    assert [n.learner.last_name for n in result.letters] == ["Brindley", "Carrow"]

    # Recorded and queued, not sent: the outbox task sends it after commit.
    assert mail.outbox == []
    assert send_pending() == (1, False)
    (message,) = mail.outbox
    assert message.to == ["ashworth@learners.example.org"]
    ashworth = told.rows().get(learner__last_name="Ashworth").learner
    for fact in (
        "BTEC National Extended Certificate in Testing",
        "Qualification number: 603/0001/2",
        "Pathway: General",
        "Unit 8: Optional Practice",
        f"ULN (Unique Learner Number): {ashworth.uln}",
        f"Candidate number: {ashworth.candidate_number}",
        "has entered you for the BTEC qualification below in 2026/27",
        "You are not registered with Pearson yet",
        "What you are entered for",
        "Status: entered by the centre; not registered with Pearson yet",
        "Date of birth: 17/05/2009",
        "See the exams office",
        "printed on your certificate",
    ):
        assert fact in message.body, fact

    records = {n.learner.last_name: n for n in LearnerNotice.objects.select_related("learner")}
    assert records["Ashworth"].method == "email" and records["Ashworth"].batch == ""
    assert records["Ashworth"].content_sha256 == hashlib.sha256(message.body.encode()).hexdigest()
    assert records["Ashworth"].content == message.body
    assert OutgoingEmail.objects.get(key=notices.email_key(records["Ashworth"])).status == "sent"
    assert {records["Brindley"].method, records["Carrow"].method} == {"letter"}
    assert records["Brindley"].batch == records["Carrow"].batch == result.batch != ""
    assert all(r.sent_by == eo and r.round == rnd for r in records.values())
    events = AuditEvent.objects.filter(action="registrations.notice.sent")
    assert sorted(e.learner_id for e in events) == sorted(r.learner_id for r in records.values())

    data = documents.letters_pdf(result.letters)
    assert pdf_pages(data) == 2
    text = pdf_text(data)
    assert "Dear Kit2" in text and "Dear Kit3" in text and "Dear Kit1" not in text
    assert "printed on your certificate" in text and result.batch in text
    # The recorded notices print the same letters (as a benchmark would call it).
    reprinted = documents.letters_pdf(LearnerNotice.objects.filter(method="letter"))
    assert pdf_pages(reprinted) == 2 and "Dear Kit2" in pdf_text(reprinted)


def test_the_same_notice_is_never_sent_twice_but_a_changed_one_is(rnd, told, cast):
    eo = cast[R.EXAMS_OFFICER]
    notices.send_notices(rnd, eo)
    send_pending()
    again = notices.send_notices(rnd, eo)
    send_pending()
    assert (again.emailed, len(again.letters), again.skipped) == (0, 0, 3)
    assert again.batch == "" and len(mail.outbox) == 1

    reg = told.rows().get(learner__last_name="Ashworth")
    services.amend_registration(reg, by=eo, reason="Applied pathway", pathway="Applied")
    third = notices.send_notices(rnd, eo)
    send_pending()
    assert (third.emailed, len(third.letters), third.skipped) == (1, 0, 2)
    assert "Pathway: Applied" in mail.outbox[1].body
    assert LearnerNotice.objects.count() == 4
    assert OutgoingEmail.objects.filter(kind="registrations.notice", status="sent").count() == 2


def test_a_failed_email_stays_queued_and_is_retried_and_one_given_up_is_sent_again(
    client, rnd, told, cast, settings
):
    eo = cast[R.EXAMS_OFFICER]
    url = reverse("registrations:round_notices", args=[rnd.pk])
    settings.EMAIL_BACKEND = "tests.broken_mail.Backend"
    result = notices.send_notices(rnd, eo)
    assert result.emailed == 1 and len(result.letters) == 2
    assert send_pending() == (0, False)
    record = LearnerNotice.objects.get(method="email")
    email = OutgoingEmail.objects.get(key=notices.email_key(record))
    assert (email.status, email.attempts) == ("pending", 1)
    assert "mail server unreachable" in email.last_error
    client.force_login(eo)
    html = client.get(url).content.decode()
    assert "waiting to be sent, will try again after" in html
    assert "mail server unreachable" in html

    # The server stays down until the outbox gives up: the notice counts as not told.
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 5)):
        assert send_pending() == (0, False)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 2)
    html = client.get(url).content.decode()
    assert "not delivered after 2 tries" in html and html.count("Not told yet") == 1

    # Sending again records a new notice and queues a new e-mail; this time it goes.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry = notices.send_notices(rnd, eo)
    assert (retry.emailed, len(retry.letters), retry.skipped) == (1, 0, 2)
    assert send_pending() == (1, False)
    assert [m.to for m in mail.outbox] == [["ashworth@learners.example.org"]]
    assert LearnerNotice.objects.filter(method="email").count() == 2


def test_notices_page_sends_and_shows_when_and_how(client, cast, rnd, told):
    client.force_login(cast[R.EXAMS_OFFICER])
    url = reverse("registrations:round_notices", args=[rnd.pk])
    html = client.get(url).content.decode()
    assert html.count("Not told yet") == 3
    assert "Download the latest letters" not in html

    response = client.post(url, follow=True)
    html = response.content.decode()
    assert "Notices sent: 1 e-mail queued to send; 2 letters to print" in html
    assert html.count("Told, up to date") == 3
    assert "E-mail to ashworth@learners.example.org" in html
    # The request recorded the notice; it did not speak to the mail server.
    assert mail.outbox == [] and "E-mail (waiting to be sent)" in html
    send_pending_task.delay()
    assert [m.to for m in mail.outbox] == [["ashworth@learners.example.org"]]
    html = client.get(url).content.decode()
    assert "E-mail (sent 14/09/2026 " in html and "waiting to be sent" not in html
    assert html.count("Printed letter (no e-mail address)") == 2
    assert "14/09/2026" in html
    batch = LearnerNotice.objects.filter(method="letter").first().batch
    assert f"batch {batch}" in html and "Download the latest letters" in html

    html = client.post(url, follow=True).content.decode()
    assert "3 skipped: already told, and nothing has changed" in html

    response = client.get(reverse("registrations:round_letters", args=[rnd.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert pdf_pages(response.content) == 2
    assert "BRINDLEY" in text and "CARROW" in text and "ASHWORTH" not in text


def test_a_reprinted_batch_is_the_letters_as_sent_even_after_a_change(client, cast, rnd, told):
    eo = cast[R.EXAMS_OFFICER]
    notices.send_notices(rnd, eo)
    reg = told.rows().get(learner__last_name="Carrow")
    services.amend_registration(reg, by=eo, reason="Applied pathway", pathway="Applied")
    client.force_login(eo)
    response = client.get(reverse("registrations:round_letters", args=[rnd.pk]))
    text = pdf_text(response.content)
    # The reprint is the evidence of what each learner was told: the old letter, unchanged.
    assert pdf_pages(response.content) == 2 and "BRINDLEY" in text and "CARROW" in text
    assert "Applied" not in text
    page = client.get(reverse("registrations:round_notices", args=[rnd.pk])).content.decode()
    assert "Changed since last told" in page
    # Sending again tells Carrow the new status, in a new batch.
    result = notices.send_notices(rnd, eo)
    assert [n.learner.last_name for n in result.letters] == ["Carrow"]
    assert "Applied" in pdf_text(documents.letters_pdf(result.letters))


def test_a_notice_says_entered_until_pearson_registers_then_gives_the_number(
    client, cast, rnd, told
):
    eo = cast[R.EXAMS_OFFICER]
    notices.send_notices(rnd, eo)
    send_pending()
    (entered,) = mail.outbox
    assert "has entered you for the BTEC qualification below" in entered.body
    assert "Status: entered by the centre; not registered with Pearson yet" in entered.body
    assert "registered with Pearson for" not in entered.body

    # Pearson registers Ashworth (as the registration-number import records it).
    reg = told.rows().get(learner__last_name="Ashworth")
    type(reg).objects.filter(pk=reg.pk).update(
        status="registered", registration_number="R1234567", registered_on=dt.date(2026, 10, 9)
    )
    client.force_login(eo)
    page = client.get(reverse("registrations:round_notices", args=[rnd.pk])).content.decode()
    assert "(registered with Pearson, R1234567)" in page
    assert page.count("(entered, not yet registered)") == 2
    assert page.count("Changed since last told") == 1  # the notice now says more: send it

    result = notices.send_notices(rnd, eo)
    assert (result.emailed, len(result.letters), result.skipped) == (1, 0, 2)
    send_pending()
    registered = mail.outbox[1].body
    assert "has registered you with Pearson for the BTEC qualification below" in registered
    assert "What you are registered for" in registered
    assert (
        "Status: registered with Pearson on 09/10/2026, registration number R1234567" in registered
    )
    assert "not registered" not in registered


def test_a_notice_for_a_list_sent_to_pearson_is_still_not_registered(rnd, told, cast):
    reg = told.rows().get(learner__last_name="Carrow")
    type(reg).objects.filter(pk=reg.pk).update(status="submitted", submitted_on=TODAY)
    (notice,) = [n for n in notices.notices_for_round(rnd) if n.learner.last_name == "Carrow"]
    assert (
        "Status: entered, and sent to Pearson on 14/09/2026; not registered with Pearson yet "
        "(Pearson has not issued a registration number)" in notice.text
    )


def test_the_letters_can_be_previewed_before_anything_is_sent(client, cast, rnd, told):
    client.force_login(cast[R.EXAMS_OFFICER])
    page_url = reverse("registrations:round_notices", args=[rnd.pk])
    html = client.get(page_url).content.decode()
    preview_url = reverse("registrations:round_letters_preview", args=[rnd.pk])
    assert f'href="{preview_url}"' in html and "Preview the 2 letters to print" in html
    # The letters download is not yet there: it says why and points to the preview.
    response = client.get(reverse("registrations:round_letters", args=[rnd.pk]), follow=True)
    assert "No letters have been sent for this round yet" in response.content.decode()
    assert "Preview the letters first" in response.content.decode()

    events, emails = AuditEvent.objects.count(), OutgoingEmail.objects.count()
    response = client.get(preview_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_page_strings(response.content)
    assert len(pages) == 2
    for page in pages:  # every page says it is a preview
        assert "PREVIEW" in page
        assert "PREVIEW: not sent, and nothing has been recorded" in page
    text = pdf_text(response.content)
    assert "Dear Kit2" in text and "Dear Kit3" in text and "Dear Kit1" not in text
    assert "14/09/2026" in text and "printed on your certificate" in text
    # Nothing was recorded: no notice, no audit event, no e-mail, no batch.
    assert not LearnerNotice.objects.exists()
    assert (AuditEvent.objects.count(), OutgoingEmail.objects.count()) == (events, emails)
    assert client.get(page_url).content.decode().count("Not told yet") == 3

    # The letters sent are the letters previewed; afterwards there is nothing to preview.
    result = notices.send_notices(rnd, cast[R.EXAMS_OFFICER])
    sent = documents.letters_pdf(result.letters)
    assert [s for s in pdf_strings(sent) if s.startswith("Dear ")] == [
        s for s in pdf_strings(response.content) if s.startswith("Dear ")
    ]
    assert "PREVIEW" not in pdf_text(sent)
    response = client.get(preview_url, follow=True)
    assert "There are no letters to preview" in response.content.decode()
    assert "Preview the" not in client.get(page_url).content.decode()


# --- who may ------------------------------------------------------------------------------

VIEWERS = {"registrations:entry_list_pdf": STAFF, "registrations:entry_list_xlsx": STAFF}
OFFICE = {
    "registrations:pearson_xlsx": {R.EXAMS_OFFICER},
    "registrations:round_notices": {R.EXAMS_OFFICER},
    "registrations:round_letters": {R.EXAMS_OFFICER},
    "registrations:round_letters_preview": {R.EXAMS_OFFICER},
}


def _url(name, entry_list, rnd):
    pk = rnd.pk if name.startswith("registrations:round_") else entry_list.pk
    return reverse(name, args=[pk])


@pytest.mark.parametrize("role", sorted(Role, key=str))
@pytest.mark.parametrize("name", sorted(VIEWERS | OFFICE))
def test_who_may_open_each_document_at_their_own_centre(client, cast, rnd, returned, name, role):
    eo = cast[R.EXAMS_OFFICER]
    notices.send_notices(rnd, eo)  # a letters batch to download
    reg = returned.rows().get(learner__last_name="Carrow")  # and a changed letter to preview
    services.amend_registration(reg, by=eo, reason="Applied pathway", pathway="Applied")
    client.force_login(cast[role])
    response = client.get(_url(name, returned, rnd))
    expected = 200 if role in (VIEWERS | OFFICE)[name] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role", [R.EXAMS_OFFICER, R.PROGRAMME_LEADER, R.QUALITY_NOMINEE])
@pytest.mark.parametrize("name", sorted(VIEWERS | OFFICE))
def test_another_centres_documents_are_a_404(client, cast, returned, theirs, name, role):
    """A role that may use the page here finds nothing there; one too weak is refused first."""
    client.force_login(cast[role])
    url = _url(name, theirs["list"], theirs["round"])
    expected = 404 if role in (VIEWERS | OFFICE)[name] else 403
    assert client.get(url).status_code == expected
    if name == "registrations:round_notices":
        assert client.post(url).status_code == expected
        assert not LearnerNotice.objects.filter(sent_by=cast[role]).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, returned, rnd):
    for name in VIEWERS | OFFICE:
        response = client.get(_url(name, returned, rnd))
        assert response.status_code == 302 and "login" in response["Location"]
