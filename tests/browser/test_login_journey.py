"""Log-in to dashboard to log-out, as people really do it: in a browser, by keyboard too."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from todos.kinds import register_kind
from todos.services import open_todo

from .conftest import assert_no_axe_violations, fill_login_form

for _code, _label in (
    ("browser.check_registrations", "Check the registrations"),
    ("browser.claim_certificates", "Claim the certificates"),
    ("browser.sample_plan", "Write the sampling plan"),
):
    register_kind(_code, _label, owner=Role.EXAMS_OFFICER)

LOGIN_PATH = "/accounts/login/"


@pytest.fixture
def officer_todos(cast, own_centre):
    """An open and an overdue action for the exams officer, and one owed by someone else."""
    today = timezone.localdate()
    officer = cast[Role.EXAMS_OFFICER]
    return {
        "open": open_todo(
            "browser.check_registrations",
            centre=own_centre,
            title="Check the Year 12 registrations",
            due=today + timedelta(days=5),
            assignee=officer,
        ),
        "overdue": open_todo(
            "browser.claim_certificates",
            centre=own_centre,
            title="Claim the Year 13 certificates",
            due=today - timedelta(days=3),
            assignee=officer,
        ),
        "not_theirs": open_todo(
            "browser.sample_plan",
            centre=own_centre,
            title="Write the sampling plan",
            due=today + timedelta(days=2),
            assignee=cast[Role.LEAD_IV],
        ),
    }


def test_exams_officer_logs_in_and_sees_their_actions(
    page, site, cast, password, officer_todos, browser_log
):
    officer = cast[Role.EXAMS_OFFICER]
    failed: list[str] = []  # the favicon included: every page links its own
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{site}/")
    expect(page).to_have_url(re.compile(re.escape(f"{site}{LOGIN_PATH}") + r"\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to btecqa")
    assert_no_axe_violations(page)

    fill_login_form(page, officer.username, password)
    page.wait_for_url(f"{site}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")

    actions = page.get_by_role("region", name="Needs my action")
    items = actions.get_by_role("listitem").filter(has=page.get_by_text(re.compile(r"^due ")))
    expect(items).to_have_count(2)
    # The late one comes first, and its area heading counts it as overdue.
    expect(items.nth(0)).to_contain_text(officer_todos["overdue"].title)
    expect(items.nth(1)).to_contain_text(officer_todos["open"].title)
    expect(actions.get_by_role("heading", level=3)).to_contain_text("1 overdue")
    expect(page.get_by_text(officer_todos["not_theirs"].title)).to_have_count(0)
    assert_no_axe_violations(page)
    assert failed == []

    assert browser_log.csp_violations() == []


def test_wrong_password_shows_an_error_and_does_not_log_in(page, site, cast):
    officer = cast[Role.EXAMS_OFFICER]

    page.goto(f"{site}{LOGIN_PATH}")
    fill_login_form(page, officer.username, "not-the-password")

    expect(page).to_have_url(f"{site}{LOGIN_PATH}")
    expect(page.locator("form")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    assert_no_axe_violations(page)  # the error state must be accessible too

    page.goto(f"{site}/")
    expect(page).to_have_url(re.compile(re.escape(f"{site}{LOGIN_PATH}")))


FOCUSED = "document.activeElement === document.body ? 'body' : document.activeElement.outerHTML"


@pytest.mark.parametrize(
    "path, signed_in",
    [(LOGIN_PATH, False), ("/accounts/password/reset/", False), ("/", True)],
    ids=["login", "password-reset", "dashboard"],
)
def test_skip_link_is_first_and_moves_focus_to_main(page, site, cast, log_in, path, signed_in):
    if signed_in:
        log_in(cast[Role.EXAMS_OFFICER])
    page.goto(f"{site}{path}")
    skip = page.get_by_role("link", name="Skip to main content")

    if path == LOGIN_PATH:
        # Django's log-in form autofocuses the username field, so a keyboard user
        # starts there; going back, the skip link is the stop before the brand link.
        expect(page.get_by_label("Username")).to_be_focused()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
    else:
        page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    expect(skip).to_be_in_viewport()  # shown on focus, not left off-screen

    # Nothing focusable comes before it: back once leaves the page, forward returns to it.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED) == "body"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()


def test_log_out_button_logs_out(page, site, cast, log_in):
    log_in(cast[Role.EXAMS_OFFICER])

    page.get_by_role("button", name="Log out").click()

    page.wait_for_url(f"{site}{LOGIN_PATH}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to btecqa")
    page.goto(f"{site}/")
    expect(page).to_have_url(re.compile(re.escape(f"{site}{LOGIN_PATH}")))


def test_governor_sees_centre_summary_but_not_audit_trail(page, cast, log_in):
    log_in(cast[Role.GOVERNOR])

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Centre summary")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit trail")).to_have_count(0)


def test_no_csp_violations_across_the_journey(
    page, site, cast, password, officer_todos, browser_log
):
    """The strict CSP is really sent, and nothing here breaks it: no inline script or style."""
    officer = cast[Role.EXAMS_OFFICER]

    response = page.goto(f"{site}/")  # redirected to the log-in page
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp

    fill_login_form(page, officer.username, "not-the-password")
    expect(page.locator("form")).to_contain_text("Please enter a correct username and password")
    fill_login_form(page, officer.username, password)
    page.wait_for_url(f"{site}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Centre summary").click()
    page.wait_for_url(f"{site}/centres/summary/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{site}{LOGIN_PATH}")
    page.wait_for_load_state("load")

    assert browser_log.csp_violations() == [], "\n".join(browser_log.csp_violations())
    assert browser_log.page_errors == [], "\n".join(browser_log.page_errors)
