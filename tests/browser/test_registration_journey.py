"""The September registration cycle, start to finish, by the demo's people in a browser.

The exams officer (eo) opens the round, enters the centre's dates and requests entries;
the programme leader (pl) proposes, leaving one Business learner out; the exams officer
makes the entries and returns the lists; the programme leader signs them; the exams
officer records the submissions to Pearson. The Quality Nominee (qn) then starts and
runs the entry check, which finds the learner left out; the programme leader answers
the question on it, the exams officer records the amendment, and the Quality Nominee
resolves it and closes the check before its deadline. The learners' pages then show the
whole history. Each person logs in in turn on the one page, through the log-in form.

Both of the lead centre's programmes go through the round: the check compares every
teaching group of the round's programmes with the entries, so a programme left out
would show its whole class as "not entered".
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from btecqa.demo import DEMO_PASSWORD, load_demo
from registrations.calendar import academic_year_for, default_entry_check_deadline
from registrations.models import EntryCheck, EntryList
from signatures import services as signing

from .conftest import assert_no_axe_violations, become_as

LOGIN_PATH = "/accounts/login/"
CENTRE = "Larchfield Vale Academy"
BUSINESS = "Pearson BTEC Level 3 National Extended Certificate in Business"
SCIENCE = "Pearson BTEC Level 3 National Extended Certificate in Applied Science"
NAMES = {"eo": "Priya Okonjo", "pl": "Hannah Brightwell", "qn": "Tomas Whitacre"}
ACTOR = {u: f"{name} ({u})" for u, name in NAMES.items()}  # as the audit trail names them
WHEN = r"\d\d/\d\d/\d{4} \d\d:\d\d "
# Two of this year's Business group (27 learners); no two demo learners share a name.
LEFT_OUT = "NETHERBY, Ben"
ENTERED = "KITTERING, Wes"
BUSINESS_GROUP_SIZE = 27
SCIENCE_GROUP_SIZE = 13


@pytest.fixture
def demo(transactional_db):
    """The demo centres, people, programmes and learners, and last year's round (its intake
    now continuing in year 2), without this year's round. The demo's day is today: the
    journey's own dates (half term, due dates) are set from it."""
    load_demo(with_round=False)


def ddmmyyyy(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def half_term_after(today: dt.date) -> dt.date:
    """A Monday two to three weeks ahead: the entry check's deadline is still to come."""
    day = today + dt.timedelta(days=14)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


# -- helpers ---------------------------------------------------------------------------


def expect_message(page, text) -> None:
    """Exactly one flash message, with this text (a string or a pattern)."""
    expect(page.locator("[aria-live=polite] > [role=status]")).to_have_text([text])


def nav_to(page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def dashboard(page, site) -> None:
    nav_to(page, "Dashboard")
    page.wait_for_url(f"{site}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")


def open_todo(page, site, title: str) -> None:
    """From anywhere: the dashboard, then the to-do with this title."""
    dashboard(page, site)
    page.get_by_role("region", name="Needs my action").get_by_role(
        "link", name=title, exact=True
    ).click()


def open_round(page, site, year: str) -> None:
    nav_to(page, "Registrations")
    page.wait_for_url(f"{site}/registrations/")
    page.get_by_role("link", name=year, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Registrations {year}")


def cohort_row(page, title: str):
    """The round page's row for this year's new cohort of `title` (not a continuing one)."""
    return page.locator("tbody tr").filter(has_text=title).filter(has_text="First year")


def entry_list_title(title: str):
    return re.compile(rf"^Entry list: {re.escape(title)}$")


def list_status(page):
    return page.locator("#list-status")


def definition(scope, term: str):
    """The <dd> after the <dt> with exactly this text."""
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


# -- the steps -------------------------------------------------------------------------


def request_entries(page, cohort: str, due: dt.date) -> None:
    """On the round page: ask the programme's leader for entries."""
    page.get_by_label("Cohort").select_option(label=cohort)
    page.get_by_label("Due date").fill(ddmmyyyy(due))
    page.get_by_role("button", name="Request entries").click()
    expect_message(page, f"Entries requested from {NAMES['pl']} by {ddmmyyyy(due)}.")


def propose(page, site, title: str, year: str, group_size: int, leave_out: str | None) -> None:
    """The programme leader, from the to-do: tick the class (but one), propose, send."""
    open_todo(page, site, f"Propose entries for {title} {year}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Propose entries: {title}")
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Propose "))
    expect(boxes).to_have_count(group_size)
    for i in range(group_size):
        boxes.nth(i).check()
    proposed = group_size
    if leave_out:
        page.get_by_role("checkbox", name=f"Propose {leave_out}", exact=True).uncheck()
        proposed -= 1
    if title == BUSINESS:
        assert_no_axe_violations(page)
    page.get_by_role("button", name="Propose the ticked learners").click()
    expect_message(page, f"{proposed} learners proposed.")
    expect(boxes).to_have_count(group_size - proposed)
    if leave_out:
        row = page.locator("tbody tr").filter(has_text=leave_out)
        expect(row.locator("td").last).to_have_text("Not proposed")
    page.get_by_role("button", name=f"Send {proposed} proposals to the exams office").click()
    expect_message(page, "Proposals sent to the exams office.")
    expect(page.get_by_text(re.compile(r"· Proposed by the programme leader$"))).to_be_visible()
    expect(page.get_by_role("button", name="Propose the ticked learners")).to_have_count(0)


def enter_and_return(page, site, title: str, year: str, count: int) -> None:
    """The exams officer, from the round page: make the proposed entries, return the list."""
    open_round(page, site, year)
    row = cohort_row(page, title)
    expect(row.get_by_role("link", name="Proposed by the programme leader")).to_be_visible()
    row.get_by_role("link", name="Being prepared").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(entry_list_title(title))
    proposed = page.get_by_role("region", name="Proposed by the programme leader")
    expect(proposed.get_by_role("checkbox", checked=True)).to_have_count(count)
    proposed.get_by_role("button", name="Make the ticked entries").click()
    expect_message(page, f"{count} entries made.")
    expect(page.locator("#entries tbody tr")).to_have_count(count)
    expect(page.locator("#entries tbody tr td.entry-status")).to_have_text(["Entered"] * count)
    page.get_by_role("button", name="Return the list to the programme leader to sign").click()
    expect_message(page, "The list has gone to the programme leader to check and sign.")
    expect(list_status(page)).to_have_text("Awaiting the programme leader's signature")


def sign(page, site, title: str, year: str) -> None:
    """The programme leader, from the to-do: check the list, re-enter the password, sign."""
    open_todo(page, site, f"Check, sign and date the entry list for {title} {year}")
    expect(page.get_by_role("heading", level=1)).to_have_text(entry_list_title(title))
    expect(list_status(page)).to_have_text("Awaiting the programme leader's signature")
    signing_box = page.get_by_role("region", name="Sign and date")
    expect(signing_box).to_contain_text(EntryList.signing_statement)
    if title == BUSINESS:
        assert_no_axe_violations(page)
    signing_box.get_by_label("Password").fill(DEMO_PASSWORD)
    signing_box.get_by_role("button", name="Sign the entry list").click()
    expect_message(page, "Signed and dated. The exams office has been told.")
    expect(list_status(page)).to_have_text("Signed")
    signature = signing.latest_signature(
        EntryList.objects.get(
            cohort__qualification__title=title,
            cohort__centre__number="91234",
            cohort__start_year=year[:7],  # the cohort's span starts with its first year
        )
    )
    expect(page.locator("#signature")).to_have_text(
        re.compile(
            rf"^\s*Signed by {NAMES['pl']} \(Programme Leader\) on "
            rf"{re.escape(ddmmyyyy(timezone.localdate()))} at \d\d:\d\d, version 1\."
            rf"\s+SHA-256 {signature.sha256}\s*$"
        )
    )
    assert re.fullmatch(r"[0-9a-f]{64}", signature.sha256)
    expect(page.get_by_role("region", name="Sign and date")).to_have_count(0)
    if title == BUSINESS:
        assert_no_axe_violations(page)


def submit(page, site, title: str, year: str, count: int) -> None:
    """The exams officer, from the to-do: record the submission to Pearson (today)."""
    open_todo(page, site, f"Make any amendments and submit the entries for {title} {year}")
    expect(page.get_by_role("heading", level=1)).to_have_text(entry_list_title(title))
    today = ddmmyyyy(timezone.localdate())
    box = page.get_by_role("region", name="Record the submission to Pearson")
    expect(box.get_by_label("Submitted to Pearson on")).to_have_value(today)
    box.get_by_role("button", name="Record submission").click()
    expect_message(page, "Submission to Pearson recorded.")
    expect(list_status(page)).to_have_text("Submitted to Pearson")
    expect(page.get_by_text(f"· submitted to Pearson on {today}")).to_be_visible()
    expect(page.locator("#entries tbody tr td.entry-status")).to_have_text(
        ["Submitted to Pearson"] * count
    )
    expect(page.get_by_role("region", name="Record the submission to Pearson")).to_have_count(0)


def discrepancy_status(page):
    return page.locator("#status")


# -- the journey -----------------------------------------------------------------------


def test_september_registration_cycle_with_the_demo_users(page, site, demo, browser_log):
    today = timezone.localdate()
    year = academic_year_for(today)
    half_term = half_term_after(today)
    deadline = default_entry_check_deadline(half_term)
    assert deadline > today
    due = today + dt.timedelta(days=7)
    business_group = f"{year[2:4]}BUS-L"
    # This year's intake: a two-year cohort, named by its span.
    span = f"{year}–{int(year[:4]) + 1}/{(int(year[:4]) + 2) % 100:02d}"
    business_year = f"{BUSINESS} {span}"

    # 1. The exams officer opens the round, enters the centre's dates, requests entries.
    become_as(page, site, "eo", NAMES["eo"])
    nav_to(page, "Registrations")
    page.wait_for_url(f"{site}/registrations/")
    # Only last year's round, closed: its intake is in its second year now.
    expect(page.get_by_role("link", name=year, exact=True)).to_have_count(0)
    page.get_by_role("link", name="Open a round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the registration round")
    expect(page.get_by_label("Centre").locator("option:checked")).to_have_text(f"{CENTRE} (91234)")
    expect(page.get_by_label("Academic year")).to_have_value(year)
    page.get_by_role("button", name="Open the round").click()
    expect_message(
        page, f"Registrations {year}, {CENTRE} opened. Now request entries from each programme."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Registrations {year}")
    expect(definition(page, "Centre dates")).to_have_text("Not entered yet (centre dates).")

    definition(page, "Centre dates").get_by_role("link", name="centre dates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centre dates for the year")
    page.get_by_label("Centre").select_option(label=f"{CENTRE} (91234)")
    page.get_by_label("Academic year").fill(year)
    page.get_by_role("textbox", name=re.compile(r"^Term starts")).fill(
        ddmmyyyy(dt.date(int(year[:4]), 9, 1))
    )
    page.get_by_label("October half term starts").fill(ddmmyyyy(half_term))
    page.get_by_role("button", name="Save dates").click()
    expect_message(page, f"Dates saved. The entry check closes on {ddmmyyyy(deadline)}.")
    saved = page.locator("tbody tr").filter(has_text=CENTRE).filter(has_text=year)
    expect(saved.locator("td")).to_have_text(
        [
            CENTRE,
            year,
            ddmmyyyy(dt.date(int(year[:4]), 9, 1)),
            ddmmyyyy(half_term),
            # The deadline, and (when today puts half term after Pearson's 1 November) the
            # warning that corrections found by the check would pay late fees.
            re.compile(rf"^{re.escape(ddmmyyyy(deadline))} \(default\)"),
        ]
    )
    pearson = dt.date(int(year[:4]), 11, 1)
    warning = saved.get_by_role("alert")
    if deadline > pearson:
        expect(warning).to_contain_text("falls after Pearson's registration deadline")
    else:
        expect(warning).to_have_count(0)

    open_round(page, site, year)
    expect(definition(page, "October half term")).to_have_text(ddmmyyyy(half_term))
    expect(definition(page, "Entry check deadline")).to_have_text(ddmmyyyy(deadline))
    expect(cohort_row(page, BUSINESS).locator("td").nth(4)).to_have_text("Not yet")
    request_entries(page, business_year, due)
    expect(cohort_row(page, BUSINESS).locator("td").nth(4)).to_have_text(
        f"Requested, due {ddmmyyyy(due)}"
    )
    request_entries(page, f"{SCIENCE} {span}", due)
    expect(cohort_row(page, SCIENCE).locator("td").nth(4)).to_have_text(
        f"Requested, due {ddmmyyyy(due)}"
    )
    # Every new cohort has been asked: only last year's (continuing) are left to ask.
    last = f"{int(year[:4]) - 1}/{year[2:4]}–{year}"
    expect(page.get_by_label("Cohort").locator("option:not([value=''])")).to_have_text(
        [f"{SCIENCE} {last}", f"{BUSINESS} {last}"]  # by title
    )
    expect(cohort_row(page, BUSINESS).locator("td").nth(5)).to_have_text("Being prepared")
    assert_no_axe_violations(page)

    # 2. The programme leader proposes: all the Business class but one, all of Science.
    become_as(page, site, "pl", NAMES["pl"])
    propose(page, site, BUSINESS, span, BUSINESS_GROUP_SIZE, leave_out=LEFT_OUT)
    propose(page, site, SCIENCE, span, SCIENCE_GROUP_SIZE, leave_out=None)
    dashboard(page, site)
    expect(page.get_by_role("link", name=re.compile(r"^Propose entries"))).to_have_count(0)

    # 3. The exams officer makes the entries and returns each list to be signed.
    become_as(page, site, "eo", NAMES["eo"])
    open_ = page.get_by_role("region", name="Needs my action")
    expect(open_.get_by_role("link", name=f"Make the entries for {business_year}")).to_be_visible()
    enter_and_return(page, site, BUSINESS, year, BUSINESS_GROUP_SIZE - 1)
    enter_and_return(page, site, SCIENCE, year, SCIENCE_GROUP_SIZE)
    dashboard(page, site)
    expect(page.get_by_role("link", name=re.compile(r"^Make the entries"))).to_have_count(0)

    # 4. The programme leader checks and signs each list.
    become_as(page, site, "pl", NAMES["pl"])
    sign(page, site, BUSINESS, span)
    sign(page, site, SCIENCE, span)

    # 5. The exams officer records each submission to Pearson.
    become_as(page, site, "eo", NAMES["eo"])
    submit(page, site, BUSINESS, span, BUSINESS_GROUP_SIZE - 1)
    submit(page, site, SCIENCE, span, SCIENCE_GROUP_SIZE)
    open_round(page, site, year)
    expect(cohort_row(page, BUSINESS).locator("td").nth(5)).to_have_text("Submitted to Pearson")
    expect(cohort_row(page, SCIENCE).locator("td").nth(5)).to_have_text("Submitted to Pearson")

    # 6. The Quality Nominee starts and runs the entry check: the learner left out is found.
    become_as(page, site, "qn", NAMES["qn"])
    open_round(page, site, year)
    page.get_by_role("navigation", name="Round tools").get_by_role(
        "link", name="Entry check (not started)"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start the entry check")
    expect(page.get_by_text("The check must be closed by")).to_have_text(
        f"The check must be closed by {ddmmyyyy(deadline)} "
        f"(the October half term starts {ddmmyyyy(half_term)})."
    )
    page.get_by_role("button", name="Start the entry check").click()
    expect_message(
        page,
        f"Entry check started: it closes on {ddmmyyyy(deadline)}. "
        "Now run it against the class lists.",
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Entry check {year}")
    expect(
        page.get_by_text("The check has not been run against the class lists yet.")
    ).to_be_visible()
    page.get_by_role("button", name="Run the check against the class lists").click()
    expect_message(page, "1 new discrepancy found against the class lists.")
    expect(page.locator("#deadline")).to_contain_text(f"deadline {ddmmyyyy(deadline)}")
    expect(page.locator("#deadline")).not_to_contain_text("Late")
    outstanding = page.get_by_role("table", name="Discrepancies not yet resolved")
    expect(outstanding.locator("tbody tr")).to_have_count(1)
    expect(outstanding.locator("tbody tr td")).to_have_text(
        [
            LEFT_OUT,
            BUSINESS,
            "In a teaching group but not entered",
            f"In teaching group {business_group} for {BUSINESS} but not entered for it.",
            "Open",
        ]
    )
    assert_no_axe_violations(page)

    outstanding.get_by_role("link", name=LEFT_OUT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("In a teaching group but not entered")
    expect(discrepancy_status(page)).to_have_text("Open")
    assert_no_axe_violations(page)
    question = "Ben is on the 12 Business register: should he have been entered?"
    page.get_by_label("Question for the programme leader").fill(question)
    page.get_by_role("button", name="Ask the programme leader").click()
    expect_message(page, "Question sent to the programme leader.")
    expect(discrepancy_status(page)).to_have_text("Asked the programme leader")

    # 7. The programme leader answers, from the dashboard.
    become_as(page, site, "pl", NAMES["pl"])
    checks = page.get_by_role("region", name="Entry checks")
    expect(checks).to_contain_text("1 discrepancy outstanding, 1 waiting on you")
    open_todo(page, site, f"Answer the Quality Nominee's question on {LEFT_OUT} ({business_year})")
    expect(definition(page, "Question to the programme leader")).to_have_text(question)
    answer = "Yes: I missed him when ticking the list. He is staying on the course."
    page.get_by_label("Your answer").fill(answer)
    page.get_by_role("button", name="Send the answer").click()
    expect_message(page, "Answer sent to the Quality Nominee.")
    expect(discrepancy_status(page)).to_have_text("Answered by the programme leader")

    # 8. The Quality Nominee reads the answer and passes it to the exams officer.
    become_as(page, site, "qn", NAMES["qn"])
    open_todo(page, site, f"Read the programme leader's answer on {LEFT_OUT} ({business_year})")
    expect(definition(page, "Answer")).to_contain_text(answer)
    page.get_by_role("button", name="Pass to the exams officer to amend").click()
    expect_message(page, "Passed to the exams officer to amend.")
    expect(discrepancy_status(page)).to_have_text("Passed to the exams officer to amend")

    # 9. The exams officer records the amendment: the list is submitted, so it was made
    #    at Pearson as a late entry.
    #    A note alone does not enter him: the exams officer records him as a new starter
    #    from the discrepancy (the cohort comes with the link) and actions it at Pearson.
    become_as(page, site, "eo", NAMES["eo"])
    open_todo(page, site, f"Amend the entry for {LEFT_OUT} ({business_year}): entry check")
    discrepancy_url = page.url
    page.get_by_role("region", name="Amend the entry").get_by_role(
        "link", name="record a new starter"
    ).click()
    expect(page.get_by_label("Programme joined")).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Programme joined").locator("option:checked")).to_contain_text(
        BUSINESS
    )
    page.get_by_label("Details").fill("Missed from the signed list; in 26BUS-L since September.")
    page.get_by_role("button", name="Send to the exams officer").click()
    expect_message(
        page, f"New starter for {LEFT_OUT} sent to the exams officer and the Quality Nominee."
    )
    page.get_by_label("Done at Pearson on").fill(ddmmyyyy(timezone.localdate()))
    page.get_by_label("Pearson's reference").fill("EOL-LATE-0001")
    page.get_by_role("button", name="Record as done at Pearson").click()
    expect_message(page, re.compile(rf"^New starter for {re.escape(LEFT_OUT)} done at Pearson on "))
    page.goto(discrepancy_url)
    amendment = "Entered at Pearson as a late entry on the Business programme."
    page.get_by_role("region", name="Amend the entry").get_by_label("What you changed").fill(
        amendment
    )
    page.get_by_role("button", name="Record the amendment").click()
    expect_message(page, "Amendment recorded: the Quality Nominee has been asked to confirm it.")
    expect(discrepancy_status(page)).to_have_text("Amended by the exams officer")

    # 10. The Quality Nominee resolves it and closes the check, before the deadline.
    become_as(page, site, "qn", NAMES["qn"])
    open_todo(page, site, f"Confirm the exams officer's amendment for {LEFT_OUT} ({business_year})")
    expect(definition(page, "Amendment")).to_contain_text(amendment)
    page.get_by_role("region", name="Resolve").get_by_role("button", name="Resolve").click()
    expect_message(page, "Discrepancy resolved.")
    expect(discrepancy_status(page)).to_have_text("Resolved")
    history = page.get_by_role("region", name="History").get_by_role("listitem")
    qn, pl, eo = (re.escape(ACTOR[u]) for u in ("qn", "pl", "eo"))
    expect(history).to_have_text(
        [
            re.compile(rf"^{WHEN}Found by the check — {qn}$"),
            re.compile(rf"^{WHEN}Question to the programme leader — {qn}: {re.escape(question)}$"),
            re.compile(rf"^{WHEN}Answered by the programme leader — {pl}: {re.escape(answer)}$"),
            re.compile(rf"^{WHEN}Passed to the exams officer — {qn}$"),
            re.compile(rf"^{WHEN}Amended by the exams officer — {eo}: {re.escape(amendment)}$"),
            re.compile(rf"^{WHEN}Resolved — {qn}$"),
        ]
    )
    assert_no_axe_violations(page)

    page.get_by_role("link", name=f"entry check {year}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Entry check {year}")
    expect(page.get_by_text("Nothing outstanding.")).to_be_visible()
    resolved = page.get_by_role("table", name="Resolved discrepancies")
    expect(resolved.locator("tbody tr")).to_have_count(1)
    expect(resolved.locator("tbody tr")).to_contain_text(LEFT_OUT)
    page.get_by_role("button", name="Close the check").click()
    expect_message(page, "Entry check closed: every discrepancy is resolved.")
    expect(page.locator("#deadline")).to_have_text(
        f"Closed on time: closed {ddmmyyyy(today)}, deadline {ddmmyyyy(deadline)}"
    )
    expect(page.get_by_text(f"closed {ddmmyyyy(today)} by {NAMES['qn']}")).to_be_visible()
    expect(page.get_by_role("button", name="Close the check")).to_have_count(0)
    check = EntryCheck.objects.get(round__academic_year=year, round__centre__number="91234")
    assert check.closed_at is not None and timezone.localdate(check.closed_at) <= check.deadline
    closed = AuditEvent.objects.get(
        action="registrations.entry_check.closed", object_id=str(check.pk)
    )
    assert closed.after_data["late"] is False
    dashboard(page, site)
    expect(page.get_by_role("region", name="Entry checks")).to_have_count(0)

    # 11. The learners' pages show the whole history.
    become_as(page, site, "eo", NAMES["eo"])
    open_round(page, site, year)
    cohort_row(page, BUSINESS).get_by_role("link", name="Submitted to Pearson").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(entry_list_title(BUSINESS))
    page.locator("#entries").get_by_role("link", name=ENTERED, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENTERED)
    registrations = page.get_by_role("region", name="Registrations")
    expect(registrations.get_by_role("heading", level=3)).to_have_text(
        f"{business_year} Submitted to Pearson"
    )
    when = rf"{re.escape(ddmmyyyy(today))} \d\d:\d\d · "
    expect(registrations.get_by_role("listitem")).to_have_text(
        [
            re.compile(rf"^{when}Proposed \({NAMES['pl']}\)$"),
            re.compile(
                rf"^{when}Entered: entry list for {re.escape(business_year)} \({NAMES['eo']}\)$"
            ),
            re.compile(rf"^{when}Signed: entry list version 1 \({NAMES['pl']}\)$"),
            re.compile(
                rf"^{when}Submitted: to Pearson on {re.escape(ddmmyyyy(today))} "
                rf"\(list version \d+\) \({NAMES['eo']}\)$"
            ),
        ]
    )
    assert_no_axe_violations(page)

    # The learner left out: no registration, and the discrepancy's steps on the audit trail.
    open_round(page, site, year)
    page.get_by_role("navigation", name="Round tools").get_by_role(
        "link", name="Entry check", exact=True
    ).click()
    page.get_by_role("table", name="Resolved discrepancies").get_by_role(
        "link", name=LEFT_OUT
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("In a teaching group but not entered")
    page.get_by_role("main").get_by_role("link", name=LEFT_OUT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LEFT_OUT)
    expect(page.get_by_role("region", name="Programmes and teaching groups")).to_contain_text(
        f"{business_year} — group {business_group}"
    )
    # He is registered now, as a new starter actioned at Pearson, not by a note.
    expect(page.get_by_role("region", name="Registrations")).to_contain_text(
        f"{business_year} Submitted to Pearson"
    )
    expect(page.get_by_role("region", name="Registrations")).to_contain_text(
        "Pearson reference EOL-LATE-0001"
    )
    timeline = page.get_by_role("region", name="Audit timeline")
    # Newest first; the to-dos opened and closed along the way are on it too.
    # Each step reads as a sentence (the audit action registry), newest first.
    steps = timeline.locator("tbody tr").filter(
        has_text=re.compile(
            "resolved In a teaching group|amended the entry of|to the exams officer to amend"
            "|answered about|asked the programme leader about|The entry check found"
        )
    )
    expect(steps.locator("td:nth-child(3)")).to_have_text(
        [
            re.compile(f"^{re.escape(ACTOR['qn'])} resolved In a teaching group"),
            re.compile(f"^{re.escape(ACTOR['eo'])} amended the entry of {re.escape(LEFT_OUT)}"),
            re.compile(f"^{re.escape(ACTOR['qn'])} passed .* to the exams officer to amend$"),
            re.compile(f"^{re.escape(ACTOR['pl'])} answered about {re.escape(LEFT_OUT)}"),
            re.compile(f"^{re.escape(ACTOR['qn'])} asked the programme leader about"),
            re.compile("^The entry check found In a teaching group but not entered"),
        ]
    )
    expect(steps.locator("td:nth-child(2)")).to_have_text(
        [ACTOR[u] for u in ("qn", "eo", "qn", "pl", "qn", "qn")]
    )
    expect(steps.nth(1)).to_contain_text(amendment)
    expect(steps.nth(3)).to_contain_text(answer)
    expect(steps.nth(4)).to_contain_text(question)
    expect(timeline.locator("tbody tr").last.locator("td:nth-child(3)")).to_have_text(
        f"system added {LEFT_OUT}"
    )
    assert_no_axe_violations(page)

    assert browser_log.csp_violations() == [], "\n".join(browser_log.csp_violations())
    assert browser_log.page_errors == [], "\n".join(browser_log.page_errors)
