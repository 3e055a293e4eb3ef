"""A unit's assessment, plan to tracking sheet, by the demo's people in a browser.

The demo stands before this year's registration round: last year's intake is in its
second year, registered. Its Lead IV (liv) has written this year's assessment plan for the
lead school's Business cohort and submitted it; the Quality Nominee (qn) returned it with
a comment on the first unit's row. In the browser the Lead IV puts that row right and
signs and submits again; the Quality Nominee approves and signs, and reads it on the
audit trail. The first unit's assessor (Grace Lindholm, assessor) writes its brief; its
internal verifier (the Lead IV) checks it against Pearson's checklist and signs it off;
the assessor signs it too and issues it. She then opens the class grid and records two
learners' decisions with the keyboard only, and saves (htmx posts the grid). The programme
leader (pl) had seen the tracking sheet with the unit not started; now one learner's unit
is graded and the other's in progress. She signs the sheet off and finds the decisions on
the learner's audit timeline. Each person logs in through the log-in form; axe runs on every page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from btecqa.demo import DEMO_PASSWORD, load_demo
from registrations.calendar import academic_year_for

from .conftest import assert_no_axe_violations, become_as

LOGIN_PATH = "/accounts/login/"
CENTRE = "Larchfield Vale Academy"
BUSINESS = "Pearson BTEC Level 3 National Extended Certificate in Business"
NAMES = {"liv": "Daniel Osterby", "qn": "Tomas Whitacre", "assessor": "Grace Lindholm"}
NAMES["pl"] = "Hannah Brightwell"
ROW_COMMENT = "Use a practical task for this unit."
OVERALL_COMMENT = "Spread the methods: IV sampling needs more than written reports."


def _level(code: str) -> str:
    """P, M or D, from a criterion code such as 'A.P1' or 'AB.D1'."""
    return code.rsplit(".", 1)[-1][:1].upper()


@pytest.fixture
def demo(transactional_db):
    """The demo before this year's round, and this year's plan for last year's Business
    intake (now in Year 13): written and submitted by the Lead IV, returned by the Quality
    Nominee with a comment on the first unit's row. What the journey needs to know of it
    (the first row, its criteria, the last two learners on its grid) is read back."""
    from assessment import selectors_decisions as grids
    from assessment import selectors_plans
    from assessment import services_plans as plans
    from assessment.selectors_tracking import cohort_units
    from learners.models import Cohort, _shift
    from signatures import services as signing

    load_demo(with_round=False)
    users = {u.username: u for u in get_user_model().objects.all()}
    liv, grace, qn = users["liv"], users["assessor"], users["qn"]
    today = timezone.localdate()
    year = academic_year_for(today)
    cohort = Cohort.objects.get(
        centre__name=CENTRE, qualification__title=BUSINESS, start_year=_shift(year, -1)
    )
    plan = plans.start_plan(cohort, academic_year=year, by=liv)
    for i, unit in enumerate(selectors_plans.internal_units(plan)):
        assessor, iv = (grace, liv) if i % 2 == 0 else (liv, grace)
        weeks = dt.timedelta(weeks=4 * i)
        plans.save_assignment(
            plan,
            by=liv,
            data={
                "unit": unit,
                "title": f"Unit {unit.number} assignment: {unit.title}"[:200],
                "method": "written_report",
                "assessor": assessor,
                "internal_verifier": iv,
                "brief_iv_by": today + weeks,
                "hand_out": today + weeks,
                "hand_in": today + weeks + dt.timedelta(weeks=4),
                "resubmission_by": today + weeks + dt.timedelta(weeks=7),
                "decisions_iv_by": today + weeks + dt.timedelta(weeks=6),
            },
            criteria=list(unit.criteria.all()),
        )
    plan.refresh_from_db()
    seen = signing.current_sha256(plan)
    plans.submit_plan(plan, by=liv, password=DEMO_PASSWORD, seen_sha256=seen)
    plan.refresh_from_db()
    first = plan.assignments.select_related("unit").order_by("unit__sort_key", "pk").first()
    plans.return_plan(plan, by=qn, comment=OVERALL_COMMENT, row_comments={first.pk: ROW_COMMENT})
    # The last two rows of the class grid: the save button is a few Tabs after them.
    learners = grids.grid_learners(grace, first)[-2:]
    return {
        "year": year,
        "cohort": cohort,
        "span": cohort.span,
        "row": first,
        "unit": first.unit,
        "criteria": [c.code for c in grids.assignment_criteria(first)],
        "learners": [(learner.first_name, learner.last_name) for learner in learners],
        "learner_ids": [learner.pk for learner in learners],
        "criterion_ids": {c.code: c.pk for c in grids.assignment_criteria(first)},
        "unit_column": [u.pk for u in cohort_units(cohort)].index(first.unit_id),
    }


# -- helpers ---------------------------------------------------------------------------


def nav_to(page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()
    assert_no_axe_violations(page)


def expect_message(page, text) -> None:
    """Exactly one flash message, with this text (a string or a pattern)."""
    expect(page.locator("[aria-live=polite] > [role=status]")).to_have_text([text])


def open_plan(page, span: str) -> None:
    """From the menu: the lead school's Business plan for the cohort with this span."""
    nav_to(page, "Assessment plans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment plans")
    row = page.locator("tbody tr").filter(has_text=span).filter(has_text=CENTRE)
    row.get_by_role("link", name=BUSINESS, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Assessment plan: {BUSINESS}")
    assert_no_axe_violations(page)


def plan_status(page):
    return page.locator("h1 + p strong")


def unit_section(page, unit):
    return page.get_by_role("region", name=f"Unit {unit.number}: {unit.title}")


def open_brief(page, span: str, unit, status: str) -> None:
    open_plan(page, span)
    unit_section(page, unit).get_by_role("link", name=f"Brief: {status}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Assignment brief: Unit ")
    )
    expect(page.locator("h1 + p strong")).to_have_text(status)
    assert_no_axe_violations(page)


def definition(scope, term: str):
    """The <dd> after the <dt> with exactly this text."""
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until the keyboard focus is on the element `selector` finds (failing after
    `most` presses): the grid is filled as a keyboard user fills it, control by control."""
    for _ in range(most):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def open_tracking_sheet(page, span: str) -> None:
    nav_to(page, "Cohorts")
    row = page.locator("tbody tr").filter(has_text=span).filter(has_text=CENTRE)
    row.get_by_role("link", name=BUSINESS, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{BUSINESS} {span}")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Tracking sheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tracking sheet")
    assert_no_axe_violations(page)


def unit_cell(page, learner: tuple[str, str], column: int):
    first, last = learner
    row = page.locator("#tracking-grid tbody tr").filter(
        has=page.get_by_role("rowheader", name=f"{last}, {first}", exact=True)
    )
    return row.locator("td[data-status]").nth(column)


# -- the journey -----------------------------------------------------------------------


def test_a_unit_from_its_returned_plan_to_the_signed_tracking_sheet(page, site, demo, browser_log):
    span, unit = demo["span"], demo["unit"]
    first_learner, second_learner = demo["learners"]
    today = f"{timezone.localdate():%d/%m/%Y}"

    # 0. The programme leader's tracking sheet: nothing assessed on the unit yet.
    become_as(page, site, "pl", NAMES["pl"])
    open_tracking_sheet(page, span)
    expect(unit_cell(page, first_learner, demo["unit_column"])).to_have_text("– Not started")

    # 1. The Lead IV finds the plan returned, puts the commented row right, resubmits.
    become_as(page, site, "liv", NAMES["liv"])
    open_plan(page, span)
    expect(plan_status(page)).to_have_text("Returned for changes")
    expect(page.get_by_text(f"The Quality Nominee's comment: {OVERALL_COMMENT}")).to_be_visible()
    section = unit_section(page, unit)
    row = section.locator("tbody tr").filter(has_text=ROW_COMMENT)
    expect(row.locator("td").nth(2)).to_have_text("Written report")
    row.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Change “{demo['row'].title}”: Unit {unit.number} {unit.title}"
    )
    assert_no_axe_violations(page)
    page.get_by_label("Method").select_option(label="Practical")
    page.get_by_role("button", name="Save the assignment").click()
    expect_message(page, "Assignment saved.")
    expect(row.locator("td").nth(2)).to_have_text("Practical")
    expect(page.get_by_text("Every check passes.")).to_be_visible()
    assert_no_axe_violations(page)
    submit = page.get_by_role("region", name="Sign and submit to the Quality Nominee")
    submit.get_by_label("Password").fill(DEMO_PASSWORD)
    submit.get_by_role("button", name="Sign and submit").click()
    expect_message(page, "Signed and submitted: the Quality Nominee has a to-do to review it.")
    expect(plan_status(page)).to_have_text("With the Quality Nominee")
    expect(page.get_by_role("region", name="Signatures")).to_contain_text(
        f"{NAMES['liv']} (Lead Internal Verifier)"
    )
    assert_no_axe_violations(page)

    # 2. The Quality Nominee has the review on the dashboard; approves and signs.
    become_as(page, site, "qn", NAMES["qn"])
    expect(page.get_by_text(f"Review the assessment plan for {BUSINESS} {span}")).to_be_visible()
    open_plan(page, span)
    expect(plan_status(page)).to_have_text("With the Quality Nominee")
    # Beside it, the return form: its comment box is labelled as its own.
    returning = page.get_by_role("region", name="Return for changes")
    expect(returning.get_by_label("Overall comment")).to_be_editable()
    approve = page.get_by_role("region", name="Approve and sign")
    approve.get_by_label("Password").fill(DEMO_PASSWORD)
    approve.get_by_role("button", name="Approve and sign").click()
    expect_message(page, "Approved and signed.")
    expect(plan_status(page)).to_have_text("Approved")
    assert_no_axe_violations(page)
    nav_to(page, "Audit trail")
    expect(
        page.locator("tbody tr td:nth-child(4)").filter(
            has_text=re.compile(
                rf"^{re.escape(NAMES['qn'])} \(qn\) approved and signed "
                rf"Assessment plan: {re.escape(BUSINESS)}, {re.escape(demo['year'])} \(version 2\)"
            )
        )
    ).to_have_count(1)

    # 3. The assessor writes the brief; the IV checks and signs it off; she signs, issues.
    become_as(page, site, "assessor", NAMES["assessor"])
    open_plan(page, span)
    unit_section(page, unit).get_by_role("link", name="Write the brief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Assignment brief: {demo['row'].title}"
    )
    assert_no_axe_violations(page)
    page.get_by_label("Vocational scenario").fill(
        "You are a trainee at a local employer, reporting on how it meets its customers' needs."
    )
    page.get_by_label("Tasks").fill("Task 1: research the business. Task 2: evaluate it.")
    page.get_by_label("Evidence to submit").fill("A written report with references.")
    page.get_by_role("button", name="Save a new version").click()
    expect_message(page, "Brief saved. Its internal verifier has a to-do to check it.")
    expect(page.locator("h1 + p strong")).to_have_text("Waiting for internal verification")
    assert_no_axe_violations(page)

    become_as(page, site, "liv", NAMES["liv"])
    expect(page.get_by_text(f"Internally verify the brief for {demo['row'].title}")).to_be_visible()
    open_brief(page, span, unit, "Waiting for internal verification")
    check = page.get_by_role("region", name="Internal verification of the brief")
    groups = check.get_by_role("group")
    expect(groups).to_have_count(9)  # Pearson's checklist, one question an item
    for i in range(9):
        groups.nth(i).get_by_label("Met", exact=True).check()
    check.get_by_label("Actions taken").fill("Dates checked against the approved plan.")
    check.get_by_label("Password").fill(DEMO_PASSWORD)
    check.get_by_role("button", name="Record the check").click()
    expect_message(page, "Verified and signed: the brief can be issued.")
    expect(page.locator("h1 + p strong")).to_have_text("Internally verified")
    expect(definition(page, f"Internal verifier ({NAMES['liv']})")).to_have_text(
        re.compile(rf"^Signed off by {NAMES['liv']}, {re.escape(today)} \d\d:\d\d$")
    )
    assert_no_axe_violations(page)

    become_as(page, site, "assessor", NAMES["assessor"])
    expect(
        page.get_by_role(
            "link", name=f"Sign the verified brief for {demo['row'].title} as its assessor"
        )
    ).to_be_visible()
    open_brief(page, span, unit, "Internally verified")
    sign = page.get_by_role("region", name="Sign the brief as its assessor")
    sign.get_by_label("Password").fill(DEMO_PASSWORD)
    sign.get_by_role("button", name="Sign as the assessor").click()
    expect_message(page, "Signed as the assessor: the brief can be issued to learners.")
    expect(definition(page, f"Assessor ({NAMES['assessor']})")).to_have_text(
        re.compile(rf"^Signed by {NAMES['assessor']}, {re.escape(today)} \d\d:\d\d$")
    )
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Issue to learners").click()
    expect_message(page, "Issued to learners.")
    expect(page.locator("h1 + p strong")).to_have_text("Issued to learners")
    assert_no_axe_violations(page)

    # 4. The class grid, by keyboard: the two learners' declarations and decisions.
    page.get_by_role("link", name="Class grid: criterion decisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Decisions: Unit {unit.number}: {demo['row'].title}"
    )
    assert_no_axe_violations(page)
    codes = demo["criteria"]
    passes = [c for c in codes if _level(c) == "P"]
    merits = [c for c in codes if _level(c) == "M"]
    # The first learner achieves every Pass criterion, not yet the Merits; the second only
    # the first Pass criterion so far. Distinctions stay blank for both.
    plan_for = {
        first_learner: {**{c: "A" for c in passes}, **{c: "N" for c in merits}},
        second_learner: {passes[0]: "A", **{c: "N" for c in passes[1:]}},
    }
    # From the first of the two learners' names (a link in the row header), by keyboard:
    # Space ticks a declaration, a letter picks an option ("A"chieved, "N"ot yet), Tab
    # moves on (through the hand-in date's day, month and year too), Enter saves.
    first_name = " ".join(first_learner)
    page.get_by_role("link", name=first_name, exact=True).focus()
    for (learner, cells), lid in zip(plan_for.items(), demo["learner_ids"], strict=True):
        tab_to(page, f"#ld-{lid}")
        page.keyboard.press("Space")
        tab_to(page, f"#ad-{lid}")
        page.keyboard.press("Space")
        for code in codes:
            tab_to(page, f"#c-{lid}-{demo['criterion_ids'][code]}")
            if code in cells:
                page.keyboard.press(cells[code])
        tab_to(page, f"#fb-{lid}")
        page.keyboard.type(f"{' '.join(learner)}: a clear report; the criteria not yet met next.")
    tab_to(page, "#grid-form button[type=submit]")
    expect(page.get_by_role("button", name="Save the whole grid")).to_be_focused()
    page.keyboard.press("Enter")
    decided = sum(len(cells) for cells in plan_for.values())
    # htmx posts the grid and says what was saved below the button, in a live region.
    expect(page.locator("#grid-status[aria-live=polite]")).to_have_text(
        f"Saved: {decided} new, 0 changed, 0 cleared, for 2 learners."
    )
    assert_no_axe_violations(page)
    page.reload()  # what was stored, drawn again by the server
    for learner, cells in plan_for.items():
        name = " ".join(learner)
        expect(page.get_by_label(f"{name}: learner's authenticity declaration")).to_be_checked()
        expect(page.get_by_label(f"{name}: assessor's authenticity declaration")).to_be_checked()
        for code in codes:
            shown = {"A": "Achieved", "N": "Not yet"}.get(cells.get(code), "—")
            expect(
                page.get_by_label(f"{name}, {code}", exact=True).locator("option:checked")
            ).to_have_text(shown)
    assert_no_axe_violations(page)

    # 5. The programme leader's tracking sheet now shows the unit graded / in progress.
    become_as(page, site, "pl", NAMES["pl"])
    open_tracking_sheet(page, span)
    expect(unit_cell(page, first_learner, demo["unit_column"])).to_have_text("P Graded")
    expect(unit_cell(page, second_learner, demo["unit_column"])).to_have_text("– In progress")
    leader = page.locator("#signoff-programme_leader")
    expect(leader).to_contain_text("Programme leader: not signed yet")
    leader.get_by_label("Password").fill(DEMO_PASSWORD)
    leader.get_by_role("button", name="Sign off as programme leader").click()
    expect_message(page, "Signed off as programme leader.")
    expect(leader).to_contain_text(
        re.compile(rf"Programme leader:\s+signed by {NAMES['pl']} on {re.escape(today)} \d\d:\d\d")
    )
    assert_no_axe_violations(page)

    # The first learner's page: the decisions on the audit timeline.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
    row = page.locator("tbody tr").filter(has_text=span).filter(has_text=CENTRE)
    row.get_by_role("link", name=BUSINESS, exact=True).click()
    page.get_by_role("link", name=f"{first_learner[1].upper()}, {first_learner[0]}").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{first_learner[1].upper()}, {first_learner[0]}"
    )
    timeline = page.get_by_role("region", name="Audit timeline")
    event = timeline.locator("tbody tr").filter(has_text="recorded criterion decisions")
    expect(event).to_have_count(1)
    expect(event.locator("td").nth(1)).to_have_text(f"{NAMES['assessor']} (assessor)")
    assert_no_axe_violations(page)

    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
