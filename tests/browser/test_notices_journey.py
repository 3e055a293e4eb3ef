"""The exams officer previews the learners' letters, then sends the notices (demo data).

The demo's round has entries made, so learners are waiting to be told. The notices page
is checked with axe; the preview is a PDF marked PREVIEW that records nothing; sending
then records every notice, and the page shows each learner as told.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from btecqa.demo import DEMO_PASSWORD, load_demo
from registrations.calendar import academic_year_for
from registrations.models import LearnerNotice

from ..pdf_reading import pdf_page_strings
from .conftest import assert_no_axe_violations, fill_login_form

# Early October: every list submitted to Pearson, no registration numbers back yet.
DEMO_DAY = dt.date(2026, 10, 2)


@pytest.fixture
def demo(transactional_db):
    load_demo(DEMO_DAY)


def test_the_exams_officer_previews_the_letters_then_sends_the_notices(page, site, demo):
    page.goto(f"{site}/accounts/login/")
    fill_login_form(page, "eo", DEMO_PASSWORD)
    page.wait_for_url(f"{site}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registrations").click()
    page.wait_for_url(f"{site}/registrations/")
    page.get_by_role("link", name=academic_year_for(DEMO_DAY), exact=True).click()
    page.get_by_role("link", name="Learner notices").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registration notices")
    expect(page.get_by_text("entered, not yet registered").first).to_be_visible()
    assert_no_axe_violations(page)

    preview = page.get_by_role("link", name="Preview the")
    letters = int(preview.inner_text().split()[2])
    with page.expect_download() as download:
        preview.click()
    pdf = download.value.path().read_bytes()
    pages = pdf_page_strings(pdf)
    assert len(pages) == letters
    assert all("PREVIEW: not sent, and nothing has been recorded" in p for p in pages)
    assert not LearnerNotice.objects.exists()

    page.get_by_role("button", name="Send notices now").click()
    expect(page.locator("[aria-live=polite] > [role=status]")).to_contain_text(
        f"{letters} letter{'s' if letters != 1 else ''} to print"
    )
    expect(page.get_by_text("Not told yet")).to_have_count(0)
    assert LearnerNotice.objects.filter(method="letter").count() == letters
    expect(page.get_by_role("link", name="Preview the")).to_have_count(0)
    expect(page.get_by_role("link", name="Download the latest letters")).to_be_visible()
