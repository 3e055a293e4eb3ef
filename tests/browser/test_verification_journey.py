"""Verification, by the demo's people in a browser: IV sampling and IV records, standards
verification, the Annual Quality Declaration, the policy register, and the Standards
Verifier's own account.

The demo is loaded for the first of March, and the clock (the live server's too) stands on
that morning for the whole journey: by then the Lead IV has built the Business cohort's
summative sample (most of it still to verify), Pearson's standards verifier has been
allocated and named the learners, the declaration was confirmed in October, and the
malpractice policy is overdue for review. (time_machine moves this process's clock, so the
server thread's too; Chromium keeps the real one, and the cookies' Max-Age is relative.)

1. The Lead IV opens the sampling strategy and the cohort's sample, builds it (nothing to
   add) and reads the coverage gaps; the IV records a disagreement (refused first without an
   action, each reason beside its field); the assessor does the action; the IV closes it; the
   Quality Nominee clears the flag.
2. The Quality Nominee opens the SV visit and downloads its evidence pack, reads the
   declaration's named gaps and the arrangement review, finds the overdue policy and
   downloads the register for Pearson.
3. The Quality Nominee gives a Standards Verifier one cohort; the verifier sets a password
   from the invitation, enrols an authenticator app (the code computed from the key shown),
   reads that cohort's plan and IV sample, and gets "not found" on another cohort's plan.

Each person logs in through the log-in form; axe runs on every page, and the browser's
console has no CSP violation or script error.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zipfile

import pytest
import time_machine
from django.core import mail
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from btecqa.demo import LEAD, load_demo

from .conftest import assert_no_axe_violations, become_as, fill_login_form

DEMO_DAY = dt.date(2027, 3, 1)
CENTRE = LEAD[1]
BUSINESS = "Pearson BTEC Level 3 National Extended Certificate in Business"
NAMES = {
    "liv": "Daniel Osterby",
    "qn": "Tomas Whitacre",
    "assessor": "Grace Lindholm",
}
ACTION = "Check the merit criterion against the unit's grading guidance and re-feed back."
SV_EMAIL = "f.ormsby@pearson-sv.example"


@pytest.fixture
def demo(transactional_db):
    """The demo as it stands on DEMO_DAY at 08:30, with the clock held there (and ticking):
    the live server's "today" is the demo's. Returns the sampled item the journey verifies
    (the first still to record) and the names it needs."""
    from verification.models_sampling import IVPlan, SampleItem

    moment = timezone.make_aware(dt.datetime.combine(DEMO_DAY, dt.time(8, 30)))
    with time_machine.travel(moment, tick=True):
        load_demo(DEMO_DAY)
        # this year's intake's plan (the second-year class's is demo_readiness's, all agreed)
        plan = IVPlan.objects.select_related("cohort").get(
            cohort__centre__name=CENTRE,
            cohort__qualification__title=BUSINESS,
            cohort__start_year=F("academic_year"),
        )
        item = (
            SampleItem.objects.filter(plan=plan, iv_record=None)
            .select_related("learner", "assignment__assessor", "assignment__internal_verifier")
            .order_by("learner__last_name", "learner__first_name", "pk")
            .first()
        )
        yield {
            "plan": plan,
            "span": plan.cohort.span,
            "item": item,
            "learner": f"{item.learner.first_name} {item.learner.last_name}",
            "assignment": item.assignment,
            "assessor": item.assignment.assessor.username,
            "verifier": item.assignment.internal_verifier.username,
        }


# -- helpers ---------------------------------------------------------------------------


def nav_to(page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
    assert_no_axe_violations(page)


def expect_message(page, text) -> None:
    """Exactly one flash message, with this text (a string or a pattern)."""
    expect(page.locator("[aria-live=polite] > [role=status]")).to_have_text([text])


def expect_h1(page, text) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def field_feedback(page, label: str):
    """The error shown beside the field with this label: the field is marked invalid and
    its aria-describedby names the error (so a screen reader reads it with the field), which
    sits in the field's own wrapper, just under it."""
    field = page.get_by_label(label, exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    ids = (field.get_attribute("aria-describedby") or "").split()
    errors = [i for i in ids if i.endswith("_error")]
    assert errors, f"{label}: aria-describedby names no error ({ids})"
    error = page.locator(f"#{errors[0]}")
    expect(error).to_be_visible()
    assert field.evaluate(
        "(f, id) => f.parentElement.contains(document.getElementById(id))", errors[0]
    ), f"{label}: its error is not beside it"
    return error


def assert_console_clean(browser_log) -> None:
    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []


# -- 1. IV sampling to a cleared flag -------------------------------------------------------


def test_the_lead_iv_samples_the_iv_disagrees_the_assessor_acts_and_the_flag_is_cleared(
    page, site, demo, browser_log
):
    learner, assignment = demo["learner"], demo["assignment"]
    title = assignment.title
    verifier, assessor = demo["verifier"], demo["assessor"]

    # The Lead IV: the year's sampling, the cohort's plan, the sample built, the coverage.
    become_as(page, site, "liv", NAMES["liv"])
    nav_to(page, "IV sampling")
    expect_h1(page, "Internal verification sampling 2026/27")
    page.get_by_role("link", name="Sampling strategy and assessors' risk ratings").click()
    expect_h1(page, f"IV sampling strategy: {CENTRE}")
    assert_no_axe_violations(page)
    page.go_back()
    expect_h1(page, "Internal verification sampling 2026/27")
    row = page.locator("#iv-plans tbody tr").filter(
        has_text=f"{BUSINESS} ({demo['plan'].cohort.start_year})"
    )
    expect(row).to_contain_text(CENTRE)
    row.get_by_role("link", name="Sample").click()
    expect_h1(page, f"IV sample: {BUSINESS}")
    assert_no_axe_violations(page)
    # The summative sample was built in the autumn: building it again adds nothing.
    before = page.locator("#items tbody tr").count()
    page.get_by_role("button", name="Build the sample").click()
    expect_message(page, "The summative sample already meets the strategy: nothing added.")
    expect(page.locator("#items tbody tr")).to_have_count(before)
    expect(page.locator("#items tbody tr").filter(has_text=learner)).to_contain_text("to do")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Coverage matrix").click()
    expect_h1(page, f"IV coverage (CAMERA): {BUSINESS}")
    expect(page.locator("#gap-count")).to_have_text(re.compile(r"with no IV yet\.$"))
    expect(page.locator("#coverage tbody").get_by_text(re.compile(r"gap$")).first).to_be_visible()
    assert_no_axe_violations(page)

    # The assignment's internal verifier: the queue, the item, a disagreement.
    become_as(page, site, verifier, NAMES[verifier])
    nav_to(page, "IV queue")
    expect_h1(page, "Internal verification: your queue")
    queued = page.locator("#iv-queue tbody tr").filter(
        has=page.get_by_role("link", name=learner, exact=True)
    )
    expect(queued.locator("td").last).to_have_text("To record")
    queued.get_by_role("link", name=learner, exact=True).click()
    expect_h1(page, f"{learner}: {title}")
    assert_no_axe_violations(page)
    page.get_by_label("Disagree").check()
    page.get_by_label("Comments").fill("The merit is awarded on a thin evaluation.")
    page.get_by_role("button", name="Record", exact=True).click()
    # Refused: a disagreement needs an action and its due date; each reason is beside its field.
    expect_h1(page, f"{learner}: {title}")
    expect(field_feedback(page, "Action for the assessor")).to_have_text(
        "A disagreement needs an action: say what the assessor must do."
    )
    expect(field_feedback(page, "Action due by")).to_have_text(
        "A disagreement needs a date the action is due by."
    )
    expect(page.get_by_label("Disagree")).to_be_checked()  # what was entered is kept
    expect(page.get_by_label("Comments")).to_have_value(
        "The merit is awarded on a thin evaluation."
    )
    assert_no_axe_violations(page)
    due = DEMO_DAY + dt.timedelta(days=7)
    page.get_by_label("Action for the assessor").fill(ACTION)
    page.get_by_label("Action due by").fill(due.isoformat())
    page.get_by_role("button", name="Record", exact=True).click()
    expect_message(page, "Recorded: disagree.")
    record = page.get_by_role("region", name="IV record: Disagree")
    expect(record).to_contain_text(f"(due {due:%d/%m/%Y}): {ACTION}")
    expect(record).to_contain_text("Not done yet.")
    assert_no_axe_violations(page)

    # The assessor: the action, marked done.
    become_as(page, site, assessor, NAMES[assessor])
    nav_to(page, "IV actions")
    expect_h1(page, "Your IV actions")
    action = page.locator("#iv-actions tbody tr").filter(has_text=ACTION)
    expect(action.locator("td").nth(3)).to_have_text(f"{due:%d/%m/%Y}")
    action.get_by_role("link", name="Done…").click()
    expect_h1(page, "Say the action is done")
    assert_no_axe_violations(page)
    page.get_by_label("Note").fill("Re-read the evaluation; fuller feedback given to the learner.")
    page.get_by_role("button", name="Save").click()
    expect_message(page, "The internal verifier will check it again.")
    expect(page.get_by_role("region", name="IV record: Disagree")).to_contain_text(
        f"The assessor said it was done on {DEMO_DAY:%d/%m/%Y}."
    )
    assert_no_axe_violations(page)

    # The internal verifier checks it again and closes it.
    become_as(page, site, verifier, NAMES[verifier])
    nav_to(page, "IV queue")
    queued = page.locator("#iv-queue tbody tr").filter(
        has=page.get_by_role("link", name=learner, exact=True)
    )
    expect(queued.locator("td").last).to_have_text("Action done: check it again")
    queued.get_by_role("link", name=learner, exact=True).click()
    expect_h1(page, f"{learner}: {title}")
    assert_no_axe_violations(page)
    closing = page.locator("form").filter(
        has=page.get_by_role("heading", name="Check the action again and close it")
    )
    closing.get_by_label("Note").fill("Seen the fuller feedback: agreed.")
    closing.get_by_role("button", name="Close the action").click()
    expect_message(page, "The action is closed and the decisions are verified.")
    expect(page.get_by_role("region", name="IV record: Disagree")).to_contain_text(
        f"Checked again and closed by {NAMES[verifier]} on {DEMO_DAY:%d/%m/%Y}"
    )
    assert_no_axe_violations(page)

    # The Quality Nominee clears the flag the disagreement raised.
    become_as(page, site, "qn", NAMES["qn"])
    nav_to(page, "IV flags")
    expect_h1(page, "Decisions flagged by IV")
    flag = page.locator("section").filter(has=page.get_by_role("link", name=learner, exact=True))
    expect(flag).to_contain_text(f"(its action closed {DEMO_DAY:%d/%m/%Y})")
    flag.get_by_role("link", name="Clear…").click()
    expect_h1(page, "Clear the flag")
    assert_no_axe_violations(page)
    page.get_by_label("Note").fill("The assessor's other decisions on the assignment: sound.")
    page.get_by_role("button", name="Clear", exact=True).click()
    expect_message(page, re.compile(r"^Cleared: "))
    flag = page.locator("section").filter(has=page.get_by_role("link", name=learner, exact=True))
    expect(flag).to_contain_text(f"Cleared {DEMO_DAY:%d/%m/%Y} by {NAMES['qn']}")
    expect(flag.get_by_role("link", name="Clear…")).to_have_count(0)
    assert_no_axe_violations(page)

    assert_console_clean(browser_log)


# -- 2. The Quality Nominee's year: SV, the declaration, the policy register -----------------


def test_the_quality_nominee_downloads_the_sv_pack_reads_the_declaration_and_the_register(
    page, site, demo, browser_log
):
    become_as(page, site, "qn", NAMES["qn"])

    # Standards verification: the visit, and its evidence pack.
    nav_to(page, "Standards verification")
    expect_h1(page, "Standards verification 2026/27")
    visit = page.locator("#sv-visits tbody tr").first
    expect(visit).to_contain_text("Dr Marguerite Tallis")
    visit.get_by_role("link").first.click()
    expect_h1(page, re.compile(r"^Standards verification: "))
    # Learners named in February, their work not yet sent: certification waits.
    expect(page.locator("#sv-gate")).to_contain_text("Not yet fully sampled")
    sample = page.locator("#sv-samples tbody tr").first
    expect(sample.locator("td").nth(1)).to_have_text("02/02/2027")
    expect(sample.locator("td").nth(2)).to_contain_text(", ")
    expect(sample.locator("td").nth(3)).to_contain_text("12/03/2027")
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the evidence pack (ZIP)").click()
    pack = download.value.path().read_bytes()
    assert pack[:4] == b"PK\x03\x04"
    with zipfile.ZipFile(io.BytesIO(pack)) as z:
        assert z.testzip() is None
        names = z.namelist()
    # the index, the visit, the plan, the year's declaration and arrangement review, and
    # the IV of each brief
    for part in (
        "index.pdf",
        "00-standards-verification/standards-verification.pdf",
        "01-assessment-plan/assessment-plan.pdf",
        "06-annual-quality-declaration/declaration.pdf",
        "07-arrangement-reviews/reviews.pdf",
    ):
        assert any(n.endswith(part) for n in names), (part, names)
    assert any(n.startswith("02-briefs/") and n.endswith("-iv.pdf") for n in names), names

    # The Annual Quality Declaration names its gaps.
    nav_to(page, "Annual Quality Declaration")
    expect_h1(page, "Annual Quality Declaration 2026/27")
    page.get_by_role("link", name="Annual Quality Declaration 2026/27").click()
    expect_h1(page, "Annual Quality Declaration 2026/27")
    expect(page.get_by_text(re.compile(r"^\d+ gaps? named$"))).to_be_visible()
    gaps = page.locator("#checklist tbody tr td:nth-child(4) li")
    expect(gaps.first).to_be_visible()
    assert_no_axe_violations(page)

    # The consortium's arrangement review: September's meeting, its action still open.
    nav_to(page, "Arrangement reviews")
    expect_h1(page, "Arrangement reviews")
    review = page.locator("#reviews tbody tr").filter(has_text="2026/27")
    expect(review.locator("td").nth(4)).to_contain_text(
        "Send the partner's Unit 2 work for the shared IV sample"
    )
    review.get_by_role("link", name="25/09/2026").click()
    expect(page.get_by_role("heading", level=2, name="Minutes")).to_be_visible()
    assert_no_axe_violations(page)

    # The policy register: the malpractice policy is overdue; the register for Pearson.
    nav_to(page, "Policy register")
    expect_h1(page, "Policy register")
    overdue = page.locator("#policies tbody tr").filter(has_text="Malpractice policy")
    expect(overdue.get_by_text("Overdue", exact=True)).to_be_visible()
    overdue.get_by_role("link", name="Malpractice policy").click()
    expect_h1(page, "Malpractice policy")
    expect(page.locator("#next-review")).to_contain_text("Overdue for review")
    assert_no_axe_violations(page)
    page.go_back()
    expect_h1(page, "Policy register")
    due = page.locator("#policies tbody tr").filter(has_text="Appeals policy")
    expect(due.get_by_text("Overdue", exact=True)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the register for Pearson (XLSX)").click()
    xlsx = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        assert "xl/workbook.xml" in z.namelist()
        sheets = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")
        )
    assert "Malpractice policy" in sheets
    # (axe ran on the register when it opened: after the click, the link is caught part-way
    # through Bootstrap's hover transition, a contrast no one reads.)

    assert_console_clean(browser_log)


# -- 3. A Standards Verifier's access: one cohort, two factors ------------------------------


@pytest.fixture
def plans(demo):
    """The Business cohort being sampled (its assessment plan for the year) and another
    cohort's plan, which the verifier is not given."""
    from assessment.models import AssessmentPlan

    rows = AssessmentPlan.objects.filter(
        cohort__centre__name=CENTRE, academic_year="2026/27"
    ).select_related("cohort__qualification")
    granted = rows.get(cohort=demo["plan"].cohort)
    other = rows.exclude(cohort=granted.cohort).order_by("pk").first()
    assert other is not None
    return {"granted": granted, "other": other}


def test_the_qn_gives_a_standards_verifier_one_cohort_who_signs_in_with_an_authenticator(
    page, site, demo, plans, browser_log
):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from outbox.models import OutgoingEmail

    granted, other = plans["granted"], plans["other"]
    cohort = granted.cohort

    # The Quality Nominee gives Pearson's verifier read-only access to one cohort.
    become_as(page, site, "qn", NAMES["qn"])
    nav_to(page, "Verifier access")
    expect_h1(page, "Standards Verifier access")
    page.get_by_role("link", name="Give a Standards Verifier access").click()
    expect_h1(page, "Give a Standards Verifier access")
    assert_no_axe_violations(page)
    page.get_by_label("The Standards Verifier's e-mail address").fill(SV_EMAIL)
    page.get_by_label("First name").fill("Felicity")
    page.get_by_label("Last name").fill("Ormsby")
    page.get_by_label(f"{cohort} — {CENTRE}", exact=True).check()
    last_day = dt.date(2027, 3, 31)
    page.get_by_label("Last day of access").fill(last_day.isoformat())
    page.get_by_role("button", name="Give access").click()
    expect_message(
        page,
        f"{SV_EMAIL} may read the chosen cohorts until {last_day:%d/%m/%Y}; "
        "an invitation is on its way.",
    )
    expect(page.get_by_text(str(cohort)).first).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{site}/accounts/login/")

    # The verifier opens the page the invitation names, asks for a link to set a password
    # (no one-time link sits in the outbox), and follows the link that comes at once.
    invitation = OutgoingEmail.objects.get(to=[SV_EMAIL])
    reset_page = re.search(r"https?://\S+/accounts/password/reset/", invitation.body).group(0)
    page.goto(site + re.sub(r"^https?://[^/]+", "", reset_page))
    assert_no_axe_violations(page)
    page.get_by_label("Email").fill(SV_EMAIL)
    page.get_by_role("button", name="Reset your password").click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/sent/"))
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/\S+/", mail.outbox[-1].body)
    page.goto(site + re.sub(r"^https?://[^/]+", "", link.group(0)))
    expect_h1(page, "Choose a new password")
    assert_no_axe_violations(page)
    password = "Tallow-Quince-Harbour-41"
    page.get_by_label(re.compile(r"^\s*New password\s*\*?\s*$")).fill(password)
    page.get_by_label("New password confirmation").fill(password)
    page.get_by_role("button", name="Choose a new password").click()
    assert_no_axe_violations(page)

    # First sign-in: asked to set up an authenticator app, then on to the dashboard.
    page.goto(f"{site}/accounts/login/")
    fill_login_form(page, SV_EMAIL, password)
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    expect_h1(page, "Set up your authenticator app")
    assert_no_axe_violations(page)
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user__email=SV_EMAIL)
    assert device.bin_key == base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Six-digit code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text("That code is not the one your app shows now: try again.")
    ).to_be_visible()
    assert_no_axe_violations(page)
    # django-otp throttles a device for a second after a wrong code (doubling each time):
    # a person takes that long to read their app again.
    page.wait_for_timeout(1500)
    now = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    code = f"{now:0{device.digits}d}"
    page.get_by_label("Six-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect_message(page, "Your authenticator app is set up.")
    assert_no_axe_violations(page)

    # The granted cohort's plan opens; another cohort's is not there for them.
    page.goto(f"{site}/assessment/plans/")
    expect_h1(page, "Assessment plans")
    assert_no_axe_violations(page)
    listed = page.locator("tbody tr").filter(has_text=cohort.span)
    expect(listed.get_by_role("link", name=cohort.qualification.title, exact=True)).to_have_count(1)
    expect(
        page.locator("tbody tr")
        .filter(has_text=other.cohort.span)
        .filter(has_text=other.cohort.qualification.title)
    ).to_have_count(0)
    listed.get_by_role("link", name=cohort.qualification.title, exact=True).click()
    expect_h1(page, f"Assessment plan: {cohort.qualification.title}")
    assert_no_axe_violations(page)
    # and its IV sample, to read only.
    page.goto(f"{site}/verification/sampling/plan/{demo['plan'].pk}/")
    expect_h1(page, f"IV sample: {cohort.qualification.title}")
    expect(page.get_by_role("button", name="Build the sample")).to_have_count(0)
    assert_no_axe_violations(page)
    response = page.goto(f"{site}/assessment/plans/{other.pk}/")
    assert response.status == 404
    expect_h1(page, "Page not found")
    assert_no_axe_violations(page)

    # The next sign-in, a minute later, asks for the app's code before anything else; the
    # centre sees each page the verifier opened.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{site}/accounts/login/")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1), tick=True):
        fill_login_form(page, SV_EMAIL, password)
        page.wait_for_url(re.compile(r"/accounts/two-factor/verify/"))
        expect_h1(page, "Your authenticator code")
        assert_no_axe_violations(page)
        now = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.get_by_label("Six-digit code from your authenticator app").fill(
            f"{now:0{device.digits}d}"
        )
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{site}/")
        assert_no_axe_violations(page)
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{site}/accounts/login/")
        become_as(page, site, "qn", NAMES["qn"])
        nav_to(page, "Verifier access")
        page.get_by_role("link", name="Felicity Ormsby").click()
        expect_h1(page, "Standards Verifier access: Felicity Ormsby")
        opened = page.locator("tbody tr").filter(has_text=f"/assessment/plans/{other.pk}/")
        expect(opened.locator("td").nth(3)).to_have_text("404")
        assert_no_axe_violations(page)

    # (a 404 is a console error by design: only CSP violations and script errors count here)
    assert_console_clean(browser_log)
