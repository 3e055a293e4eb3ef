"""Browser journeys: headless Debian Chromium against pytest-django's live server.

Every test under tests/browser is marked `browser` (run them alone with
`-m browser`, leave them out with `-m "not browser"`). Playwright's own
browsers are never downloaded: the system Chromium at /usr/bin/chromium is
used. Where it is missing the journeys are skipped, except on CI (CI=true),
where a missing browser is an error rather than a silent pass.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container: the setuid sandbox is not available
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium tries to reach Google's servers (updates, sync,
    # safe-browsing lists); the test machine has no network beyond localhost.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # /dev/shm is tiny in containers; use /tmp instead
]
ON_CI = os.environ.get("CI", "").strip().lower() == "true"
MISSING_BROWSER = (
    f"Browser journeys need Chromium at {CHROMIUM} (Debian package 'chromium'); "
    "it is not installed, so they were skipped."
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # A conftest's collection hook sees the whole session's items: touch only ours.
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists() and not ON_CI:
            item.add_marker(pytest.mark.skip(reason=MISSING_BROWSER))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    if not CHROMIUM.exists():
        # Only reached on CI: elsewhere the tests were skipped at collection.
        pytest.fail(
            f"CI=true but Chromium is missing at {CHROMIUM}: install the 'chromium' package.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


# -- console watch: CSP violations and script errors -----------------------------------

# Report every CSP violation to the console too, in case a future Chromium stops
# logging them itself. Init scripts are injected by the browser, not the page,
# so the site's CSP does not apply to them.
_CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective
                + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@dataclass
class BrowserLog:
    messages: list[str] = field(default_factory=list)  # "type: text (url)"
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        pattern = re.compile(r"content.security.policy", re.IGNORECASE)
        return [m for m in self.messages + self.page_errors if pattern.search(m)]


@pytest.fixture
def browser_log(page) -> BrowserLog:
    """Everything the page says on its console, from the first navigation on."""
    log = BrowserLog()
    page.add_init_script(_CSP_REPORTER)
    page.on(
        "console",
        lambda m: log.messages.append(f"{m.type}: {m.text} ({m.location.get('url', '')})"),
    )
    page.on("pageerror", lambda exc: log.page_errors.append(f"pageerror: {exc}"))
    return log


# -- logging in ------------------------------------------------------------------------


@pytest.fixture
def site(live_server, transactional_db) -> str:
    """The live server's root URL, without the trailing slash.

    live_server needs transactional_db: the server thread reads what the test
    wrote, so the data must be committed, not held in a rolled-back transaction.
    """
    return live_server.url.rstrip("/")


@pytest.fixture
def log_in(page, site):
    """Log a user in through the real log-in form; returns the page on the dashboard."""

    def do_log_in(user, password: str = PASSWORD):
        page.goto(f"{site}/accounts/login/")
        fill_login_form(page, user.username, password)
        page.wait_for_url(f"{site}/")
        return page

    return do_log_in


def fill_login_form(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# -- accessibility ---------------------------------------------------------------------

_axe = Axe()


def assert_no_axe_violations(page, context=None) -> None:
    """Run axe-core on the page as it stands; fail with a readable list of violations.

    A click that navigates returns once the navigation has started, so axe can land between
    two documents (``document`` is null, or the context is destroyed). Wait for the page to
    load and try again: that is a race in the test, not a finding about the page."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(4):
        page.wait_for_load_state("load")
        try:
            results = _axe.run(page, context=context)
            break
        except PlaywrightError as error:
            between_documents = "documentElement" in str(error) or "context was destroyed" in str(
                error
            )
            if not between_documents or attempt == 3:
                raise
            page.wait_for_timeout(100)
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe found {len(violations)} accessibility violation(s) on {page.url}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact') or 'n/a'}]: {v['help']}")
        lines.append(f"  {v.get('helpUrl', '')}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    target: {target}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n            ")
            if summary:
                lines.append(f"      why: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


def become_as(page, site, username: str, full_name: str) -> None:
    """Log out whoever is in, then log in as a demo user through the form; returns on their
    dashboard, checked with axe (the journeys hand the page from one person to the next)."""
    from playwright.sync_api import expect

    from btecqa.demo import DEMO_PASSWORD

    login = "/accounts/login/"
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count():
        log_out.click()
        page.wait_for_url(f"{site}{login}")
    else:
        page.goto(f"{site}{login}")
    fill_login_form(page, username, DEMO_PASSWORD)
    page.wait_for_url(f"{site}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=full_name, exact=True)).to_be_visible()
    assert_no_axe_violations(page)
