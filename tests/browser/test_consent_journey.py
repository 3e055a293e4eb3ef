"""A consortium by consent, in a browser: nothing flows until the partner's own QN accepts.

The lead centre's Quality Nominee creates an arrangement, invites the partner school and
adds a qualification both schools are approved for; the partner's learner is still out
of sight. The partner's Quality Nominee finds the invitation on the dashboard, reads what
would be shared and accepts. Only then does the lead centre's Quality Nominee see that
school's consortium learner. axe-core runs on every page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import (
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    TeachingGroupFactory,
    UserFactory,
    approve,
)

from .conftest import assert_no_axe_violations, fill_login_form

QUALIFICATION = "Pearson BTEC Level 3 National Extended Certificate in Consent Studies"


@pytest.fixture
def schools(transactional_db):
    lead = CentreFactory(number="93001", name="Harrowgate Lane Academy")
    partner = CentreFactory(number="93002", name="Wrenfield School")
    lead_qn = UserFactory(username="lead_qn", first_name="Nadia", last_name="Ferris")
    RoleAssignmentFactory(user=lead_qn, centre=lead, role=Role.QUALITY_NOMINEE)
    partner_qn = UserFactory(username="partner_qn", first_name="Colm", last_name="Ashby")
    RoleAssignmentFactory(user=partner_qn, centre=partner, role=Role.QUALITY_NOMINEE)
    q = QualificationFactory(title=QUALIFICATION, number="603/9999/1")
    approve(lead, q)
    approve(partner, q)
    group = TeachingGroupFactory(cohort=CohortFactory(centre=partner, qualification=q), name="12WR")
    learner = LearnerFactory(centre=partner, first_name="Imogen", last_name="Quarrendon")
    group.learners.add(learner)
    return {"lead": lead, "partner": partner, "learner": learner}


def become(page, site, username):
    log_out = page.get_by_role("button", name="Log out")
    if log_out.count():
        log_out.click()
        page.wait_for_url(f"{site}/accounts/login/")
    else:
        page.goto(f"{site}/accounts/login/")
    fill_login_form(page, username, "correct-horse-battery-staple")
    page.wait_for_url(f"{site}/")
    assert_no_axe_violations(page)


def open_page(page, url):
    page.goto(url)
    assert_no_axe_violations(page)


def test_the_partner_accepts_and_only_then_the_lead_sees_its_learners(
    page, site, schools, browser_log
):
    learner = schools["learner"]
    learner_url = f"{site}/learners/{learner.pk}/"

    # The lead centre's QN sets up the arrangement and invites the partner.
    become(page, site, "lead_qn")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Arrangements").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="New arrangement").click()
    assert_no_axe_violations(page)
    page.get_by_label("Name").fill("Harrowgate and Wrenfield Consortium")
    page.get_by_label("Consortium programme code or sub-site").fill("HWC-1")
    page.get_by_label("First year").fill("2026/27")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harrowgate and Wrenfield Consortium")
    assert_no_axe_violations(page)
    page.get_by_label("Invite centre").select_option(label="Wrenfield School (93002)")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Nothing is shared until its Quality Nominee")).to_be_visible()
    page.get_by_label("Qualification", exact=False).and_(page.locator("select")).select_option(
        label=f"{QUALIFICATION} (603/9999/1)"
    )
    page.get_by_label("Added on").fill(dt.date.today().strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(
        page.get_by_role("cell", name="Invited, waiting for the centre's answer", exact=True)
    ).to_be_visible()
    expect(page.get_by_text("Not shared: invited, waiting for the centre's answer")).to_be_visible()
    assert_no_axe_violations(page)

    # Invited is not consent: the partner's learner does not exist for the lead centre yet.
    response = page.goto(learner_url)
    assert response.status == 404
    open_page(page, f"{site}/learners/")
    expect(page.get_by_text("QUARRENDON")).to_have_count(0)

    # The partner's QN finds the invitation on the dashboard and accepts.
    become(page, site, "partner_qn")
    expect(
        page.get_by_text("invites Wrenfield School into Harrowgate and Wrenfield")
    ).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Arrangements").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Invitation into Harrowgate and Wrenfield Consortium"
    )
    expect(page.get_by_text(QUALIFICATION)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Accept: our centre joins this arrangement").check()
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Wrenfield School is now a partner.")).to_be_visible()
    expect(page.get_by_role("cell", name="Shared", exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    # Now, and only now, the lead centre's QN sees the partner's consortium learner.
    become(page, site, "lead_qn")
    open_page(page, f"{site}/learners/")
    page.get_by_role("link", name="QUARRENDON, Imogen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("QUARRENDON, Imogen")
    expect(page.get_by_text("Wrenfield School (93002)")).to_be_visible()
    assert_no_axe_violations(page)
    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
