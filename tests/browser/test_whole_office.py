"""The whole office in one browser session: one learner from the MIS import to the
certificate in their hand, then their dossier showing every step with who and when.

The world is small and seeded with services where a page would only be set-up (the
qualification's catalogue entry and grading tables, the centre's approval, the cohort, the
people and their roles, the rows of the assessment plan). Everything the office does to the
learner goes through its pages, each person logging in through the log-in form in turn, on
the day it would happen (the clock moves through the year with time_machine; the live
server shares this process's clock):

 1. September: the exams officer imports the learner from the MIS and the class list,
    opens the round and requests entries; the programme leader proposes; the exams officer
    enters and returns the list; the programme leader signs it; the exams officer submits
    it and imports Edexcel Online's registration numbers.
 2. The Lead IV signs and submits the assessment plan; the Quality Nominee approves it.
 3. The assessor writes the brief; its internal verifier checks it; the assessor signs and
    issues it.
 4. November: the assessor records the criterion decisions; the Lead IV samples the work
    and the internal verifier agrees.
 5. February: the standards verifier's sample names the learner; the work is sent; the
    report is released.
 6. March: Pearson's results file brings the external unit's result.
 7. June: claim readiness shows the learner ready; the exams officer prepares the claim,
    the programme leader and the exams officer approve it, the claim file is made and the
    submission recorded.
 8. July: the certificates are imported, checked against the claim and issued.
 9. The dossier shows each step with who and when, and the audit chain verifies.

Every page the browser loads is checked with axe (the journey fails naming any page that
was not), and the console shows no CSP violation or script error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.roles import Role
from tests.factories import (
    PASSWORD,
    CentreFactory,
    CohortFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    UserFactory,
    approve,
    make_uln,
)

from .conftest import assert_no_axe_violations, fill_login_form

LONDON = ZoneInfo("Europe/London")
CENTRE = "Whole Office Academy"
CENTRE_NO = "40901"
TITLE = "Pearson BTEC Level 3 National Certificate in Office Practice"
QN = "603/9901/1"
YEAR = "2026/27"
PEOPLE = {
    "eo": ("Ruth", "Ashgrove", Role.EXAMS_OFFICER),
    "pl": ("Marcus", "Fenwick", Role.PROGRAMME_LEADER),
    "qn": ("Imogen", "Strand", Role.QUALITY_NOMINEE),
    "liv": ("Oskar", "Lindqvist", Role.LEAD_IV),
    "assessor": ("Bethan", "Carrow", Role.ASSESSOR_IV),
    "iv": ("Femi", "Adebayo", Role.ASSESSOR_IV),
}
NAME = {u: f"{first} {last}" for u, (first, last, _) in PEOPLE.items()}
LEARNER = ("Wren", "Halloway")  # first, last
LEARNER_ULN = make_uln(990_001)
DOB = dt.date(2009, 4, 17)
GROUP = "26OFF-A"
CRITERIA = ("A.P1", "A.P2", "A.M1", "A.D1")
ASSIGNMENT = "Unit 1 assignment: running an office"


def on(day: dt.date, hour: int = 10):
    """The clock at `hour` o'clock on `day`, ticking."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON), tick=True
    )


def ddmmyyyy(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


@pytest.fixture
def world(transactional_db):
    """A centre, its people, a one-year cohort of a two-unit qualification (unit 1 internal,
    unit 2 external) with its grading tables, and the rows of the year's assessment plan
    written by the Lead IV (not yet submitted)."""
    from assessment import services_plans as plans
    from qualifications.models import (
        AssessmentCriterion,
        EligibilityRule,
        GradeThreshold,
        GradingTable,
        LearningAim,
        Unit,
        UnitPoints,
    )
    from verification.services import appoint_lead_iv

    with on(dt.date(2026, 9, 1), 8):
        call_command("load_registration_years", verbosity=0)
        centre = CentreFactory(number=CENTRE_NO, name=CENTRE)
        users = {}
        for username, (first, last, role) in PEOPLE.items():
            users[username] = UserFactory(username=username, first_name=first, last_name=last)
            RoleAssignmentFactory(user=users[username], centre=centre, role=role)
        q = QualificationFactory(title=TITLE, number=QN, glh=120, typical_years=1)
        internal = Unit.objects.create(
            qualification=q, number="1", title="Running an office", glh=60, assessment="internal"
        )
        aim = LearningAim.objects.create(unit=internal, code="A", label="Plan the office's week")
        for code in CRITERIA:
            AssessmentCriterion.objects.create(unit=internal, learning_aim=aim, code=code)
        external = Unit.objects.create(
            qualification=q, number="2", title="Office principles", glh=60, assessment="external"
        )
        source = "Invented for the journey: a two-unit certificate"
        points = GradingTable.objects.create(
            qualification=q, kind="unit_points", from_cohort="2016/17", source=source
        )
        for grade, pts in (("U", 0), ("N", 3), ("P", 6), ("M", 10), ("D", 16)):
            UnitPoints.objects.create(table=points, glh=60, grade=grade, points=pts)
        thresholds = GradingTable.objects.create(
            qualification=q, kind="thresholds", from_cohort="2016/17", source=source
        )
        for grade, least in (("U", 0), ("P", 12), ("M", 20), ("D", 28), ("D*", 32)):
            GradeThreshold.objects.create(table=thresholds, grade=grade, min_points=least)
        eligibility = GradingTable.objects.create(
            qualification=q, kind="eligibility", from_cohort="2016/17", source=source
        )
        EligibilityRule.objects.create(
            table=eligibility, kind="complete", note="Every unit has a grade"
        )
        approve(centre, q)
        cohort = CohortFactory(
            centre=centre, qualification=q, start_year=YEAR, years=1, leader=users["pl"]
        )
        appoint_lead_iv(
            centre=centre,
            qualification=q,
            academic_year=YEAR,
            lead_iv=users["liv"],
            by=users["qn"],
        )
        plan = plans.start_plan(cohort, academic_year=YEAR, by=users["liv"])
        plans.save_assignment(
            plan,
            by=users["liv"],
            data={
                "unit": internal,
                "title": ASSIGNMENT,
                "method": "written_report",
                "assessor": users["assessor"],
                "internal_verifier": users["iv"],
                "brief_iv_by": dt.date(2026, 9, 28),
                "hand_out": dt.date(2026, 10, 5),
                "hand_in": dt.date(2026, 11, 2),
                "resubmission_by": dt.date(2026, 12, 4),
                "decisions_iv_by": dt.date(2026, 11, 20),
            },
            criteria=list(internal.criteria.all()),
        )
    return {
        "centre": centre,
        "users": users,
        "qualification": q,
        "cohort": cohort,
        "plan": plan,
        "internal": internal,
        "external": external,
    }


# -- the browser: every page axe-checked, counted --------------------------------------


class Office:
    """The one page, handed from person to person. Every page load is recorded; `axe()`
    checks the page as it stands and marks the load checked."""

    def __init__(self, page, site):
        self.page, self.site = page, site
        self.loads: list[list] = []  # [url, checked]
        self.checked = 0
        page.on("load", lambda p: self.loads.append([p.url, False]))

    def axe(self) -> None:
        assert_no_axe_violations(self.page)
        self.checked += 1
        if self.loads:
            self.loads[-1][1] = True

    def unchecked(self) -> list[str]:
        return [url for url, checked in self.loads if not checked]

    # navigation ---------------------------------------------------------------------

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.site}{path}")
        self.axe()

    def click(self, locator) -> None:
        """Click something that loads a page, then check the page."""
        with self.page.expect_navigation():
            locator.click()
        self.axe()

    def nav(self, label: str) -> None:
        self.click(
            self.page.get_by_role("navigation", name="Main").get_by_role(
                "link", name=label, exact=True
            )
        )

    def button(self, name: str, scope=None) -> None:
        self.click((scope or self.page).get_by_role("button", name=name, exact=True))

    def become(self, username: str) -> None:
        """Whoever was in is logged out (the cookies go); this person logs in by the form."""
        page = self.page
        page.context.clear_cookies()
        self.goto("/accounts/login/")
        with page.expect_navigation(url=f"{self.site}/"):
            fill_login_form(page, username, PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
        expect(
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name=NAME[username], exact=True
            )
        ).to_be_visible()
        self.axe()

    def dashboard(self) -> None:
        self.nav("Dashboard")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("What needs doing")

    def todo(self, title) -> None:
        """From the dashboard's "Needs my action" region: the to-do with this title (the
        first, where two people's to-dos share a title)."""
        self.dashboard()
        self.click(
            self.page.get_by_role("region", name="Needs my action")
            .get_by_role("link", name=title, exact=True)
            .first
        )

    # reading --------------------------------------------------------------------------

    def h1(self, text) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def message(self, text) -> None:
        expect(self.page.locator("[aria-live=polite] > [role=status]")).to_have_text([text])


def csv_file(path, rows) -> str:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


def definition(scope, term: str):
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


# -- the steps ---------------------------------------------------------------------------


def import_the_learner(o: Office, tmp_path, cohort) -> None:
    page = o.page
    first, last = LEARNER
    o.nav("Import from MIS")
    o.h1("Import from the MIS")
    page.get_by_label("MIS export (CSV or XLSX)").set_input_files(
        csv_file(
            tmp_path / "year12.csv",
            [
                ["Legal Surname", "Legal Forename", "DOB", "Gender", "Adno", "ULN", "Candidate No"],
                [last, first, ddmmyyyy(DOB), "F", "A9001", LEARNER_ULN, "9001"],
            ],
        )
    )
    o.button("Check the file and preview")
    o.h1("Preview: year12.csv")
    o.button("Commit this import")
    # the class list: the learner in the cohort's teaching group
    o.nav("Import from MIS")
    page.get_by_label("What the file holds").select_option(label="Class list")
    page.get_by_label("Cohort").select_option(label=f"{cohort} \u2013 {CENTRE_NO}")
    page.get_by_label("MIS export (CSV or XLSX)").set_input_files(
        csv_file(tmp_path / "classes.csv", [["Adno", "Teaching Group"], ["A9001", GROUP]])
    )
    o.button("Check the file and preview")
    o.h1("Preview: classes.csv")
    o.button("Commit this import")


def register_the_learner(o: Office, tmp_path) -> None:
    """The September round for the cohort, to the registration number."""
    page = o.page
    name = f"{LEARNER[1].upper()}, {LEARNER[0]}"
    today = dt.date(2026, 9, 14)
    o.nav("Registrations")
    o.click(page.get_by_role("link", name="Open a round"))
    o.h1("Open the registration round")
    o.button("Open the round")
    o.h1(f"Registrations {YEAR}")
    o.click(definition(page, "Centre dates").get_by_role("link", name="centre dates"))
    o.h1("Centre dates for the year")
    page.get_by_label("Centre").select_option(label=f"{CENTRE} ({CENTRE_NO})")
    page.get_by_label("Academic year").fill(YEAR)
    page.get_by_role("textbox", name=re.compile(r"^Term starts")).fill("01/09/2026")
    page.get_by_label("October half term starts").fill("26/10/2026")
    o.button("Save dates")
    o.message(re.compile(r"^Dates saved\. The entry check closes on "))
    o.nav("Registrations")
    o.click(page.get_by_role("link", name=YEAR, exact=True))
    page.get_by_label("Cohort").select_option(label=f"{TITLE} {YEAR}")
    page.get_by_label("Due date").fill(ddmmyyyy(today + dt.timedelta(days=7)))
    o.button("Request entries")
    o.message(f"Entries requested from {NAME['pl']} by {ddmmyyyy(today + dt.timedelta(days=7))}.")

    # The programme leader proposes the learner, from the to-do.
    o.become("pl")
    o.todo(f"Propose entries for {TITLE} {YEAR}")
    o.h1(f"Propose entries: {TITLE}")
    page.get_by_role("checkbox", name=f"Propose {name}", exact=True).check()
    o.button("Propose the ticked learners")
    o.message("1 learner proposed.")
    o.button("Send 1 proposal to the exams office")
    o.message("Proposals sent to the exams office.")

    # The exams officer makes the entry and returns the list, from the to-do.
    o.become("eo")
    o.todo(f"Make the entries for {TITLE} {YEAR}")
    o.h1(f"Entry list: {TITLE}")
    proposed = page.get_by_role("region", name="Proposed by the programme leader")
    o.button("Make the ticked entries", proposed)
    o.message("1 entry made.")
    o.button("Return the list to the programme leader to sign")
    expect(page.locator("#list-status")).to_have_text("Awaiting the programme leader's signature")

    # The programme leader signs it.
    o.become("pl")
    o.todo(f"Check, sign and date the entry list for {TITLE} {YEAR}")
    signing = page.get_by_role("region", name="Sign and date")
    signing.get_by_label("Password").fill(PASSWORD)
    o.button("Sign the entry list", signing)
    o.message("Signed and dated. The exams office has been told.")

    # The exams officer records the submission, then imports Edexcel Online's numbers.
    o.become("eo")
    o.todo(f"Make any amendments and submit the entries for {TITLE} {YEAR}")
    box = page.get_by_role("region", name="Record the submission to Pearson")
    o.button("Record submission", box)
    o.message("Submission to Pearson recorded.")
    o.nav("Registrations")
    o.click(page.get_by_role("link", name=YEAR, exact=True))
    o.click(page.get_by_role("link", name="Import registration numbers"))
    o.h1("Import registration numbers")
    page.get_by_label("Edexcel Online export (CSV or XLSX)").set_input_files(
        csv_file(
            tmp_path / "eol.csv",
            [
                [
                    "Centre Number",
                    "Registration Number",
                    "Candidate Number",
                    "ULN",
                    "Surname",
                    "Forename",
                    "Date of Birth",
                ],
                [
                    CENTRE_NO,
                    "RN0099001",
                    "9001",
                    LEARNER_ULN,
                    LEARNER[1].upper(),
                    LEARNER[0].upper(),
                    ddmmyyyy(DOB),
                ],
            ],
        )
    )
    o.button("Check the file and preview")
    o.h1("Registration numbers: eol.csv")
    o.button("Confirm and record the registration numbers")


def plan_brief_and_decisions(o: Office) -> None:
    """The plan signed and approved, the brief written, verified, signed and issued, and the
    assessor's decisions on the class grid."""
    page = o.page
    unit = "Unit 1: Running an office"
    full = f"{LEARNER[0]} {LEARNER[1]}"

    def open_plan():
        o.nav("Assessment plans")
        o.h1("Assessment plans")
        o.click(page.locator("tbody tr").filter(has_text=CENTRE).get_by_role("link", name=TITLE))
        o.h1(f"Assessment plan: {TITLE}")

    with on(dt.date(2026, 9, 21)):
        o.become("liv")
        open_plan()
        expect(page.get_by_text("Every check passes.")).to_be_visible()
        submit = page.get_by_role("region", name="Sign and submit to the Quality Nominee")
        submit.get_by_label("Password").fill(PASSWORD)
        o.button("Sign and submit", submit)
        o.message("Signed and submitted: the Quality Nominee has a to-do to review it.")

        o.become("qn")
        o.todo(f"Review the assessment plan for {TITLE} {YEAR}")
        o.h1(f"Assessment plan: {TITLE}")
        approve = page.get_by_role("region", name="Approve and sign")
        approve.get_by_label("Password").fill(PASSWORD)
        o.button("Approve and sign", approve)
        o.message("Approved and signed.")

    with on(dt.date(2026, 9, 24)):
        o.become("assessor")
        open_plan()
        o.click(page.get_by_role("region", name=unit).get_by_role("link", name="Write the brief"))
        o.h1(f"Assignment brief: {ASSIGNMENT}")
        page.get_by_label("Vocational scenario").fill("You run the front office of a small firm.")
        page.get_by_label("Tasks").fill("Task 1: plan the office's week. Task 2: review it.")
        page.get_by_label("Evidence to submit").fill("A written plan and a review.")
        o.button("Save a new version")
        o.message("Brief saved. Its internal verifier has a to-do to check it.")

        o.become("iv")
        o.todo(f"Internally verify the brief for {ASSIGNMENT}")
        check = page.get_by_role("region", name="Internal verification of the brief")
        groups = check.get_by_role("group")
        for i in range(groups.count()):
            groups.nth(i).get_by_label("Met", exact=True).check()
        check.get_by_label("Actions taken").fill("Dates checked against the approved plan.")
        check.get_by_label("Password").fill(PASSWORD)
        o.button("Record the check", check)
        o.message("Verified and signed: the brief can be issued.")

        o.become("assessor")
        o.todo(f"Sign the verified brief for {ASSIGNMENT} as its assessor")
        sign = page.get_by_role("region", name="Sign the brief as its assessor")
        sign.get_by_label("Password").fill(PASSWORD)
        o.button("Sign as the assessor", sign)
        o.message("Signed as the assessor: the brief can be issued to learners.")
        o.button("Issue to learners")
        o.message("Issued to learners.")
        expect(page.locator("h1 + p strong")).to_have_text("Issued to learners")
        brief_url = page.url

    with on(dt.date(2026, 11, 10)):
        o.become("assessor")
        o.goto(brief_url.removeprefix(o.site))
        o.click(page.get_by_role("link", name="Class grid: criterion decisions"))
        page.get_by_label(f"{full}: learner's authenticity declaration").check()
        page.get_by_label(f"{full}: assessor's authenticity declaration").check()
        for code in CRITERIA:
            page.get_by_label(f"{full}, {code}", exact=True).select_option(label="Achieved")
        page.get_by_role("button", name="Save the whole grid").click()
        expect(page.locator("#grid-status")).to_have_text(
            f"Saved: {len(CRITERIA)} new, 0 changed, 0 cleared, for 1 learner."
        )
        o.axe()  # the grid as htmx left it

    with on(dt.date(2026, 11, 16)):
        o.become("liv")
        o.nav("IV sampling")
        o.h1(f"Internal verification sampling {YEAR}")
        o.button("Start the plan")
        o.h1(f"IV sample: {TITLE}")
        o.button("Build the sample")
        items = page.locator("#items tbody tr")
        expect(items).to_have_count(1)
        expect(items).to_contain_text(full)

        o.become("iv")
        o.nav("IV queue")
        o.click(page.get_by_role("link", name=full, exact=True))
        o.h1(f"{full}: {ASSIGNMENT}")
        page.get_by_label("Agree", exact=True).check()
        page.get_by_label("Comments").fill("Sound decisions, well evidenced.")
        o.button("Record")
        o.message("Recorded: agree.")


def standards_verification(o: Office) -> None:
    """The verifier allocated; the sample names the learner; the work sent; the report
    released."""
    page = o.page
    full = f"{LEARNER[0]} {LEARNER[1]}"
    with on(dt.date(2027, 1, 20)):
        o.become("qn")
        o.nav("Standards verification")
        o.h1(f"Standards verification {YEAR}")
        o.click(page.locator("#sv-without li").filter(has_text=TITLE).get_by_role("link"))
        page.get_by_label("Standards verifier").fill("Dr Aurelia Marchbank")
        page.get_by_label("Allocated on").fill("2027-01-18")
        o.button("Save")
        o.message(f"Recorded: Dr Aurelia Marchbank verifies {TITLE} {YEAR}.")
        visit_url = page.url

    with on(dt.date(2027, 2, 3)):
        o.become("liv")
        o.goto(visit_url.removeprefix(o.site))
        page.get_by_label("Assessment plans sent on").fill("2027-01-25")
        page.get_by_label("Work due to the verifier by").fill("2027-02-19")
        o.button("Save the sample")
        o.click(page.get_by_role("link", name="Name the learners"))
        page.get_by_label(f"{LEARNER[1].upper()}, {LEARNER[0]}").check()
        page.get_by_label("Named on").fill("2027-02-03")
        o.button("Save")
        o.message("Sample 1: 1 learner named.")
        expect(page.locator("#sv-samples tbody tr").first).to_contain_text(full)

    with on(dt.date(2027, 2, 12)):
        o.become("liv")
        o.goto(visit_url.removeprefix(o.site))
        page.get_by_label("Learners' work sent on").fill("2027-02-12")
        o.button("Sent")
        o.message("Sample 1: work sent on 12/02/2027.")

    with on(dt.date(2027, 3, 5)):
        o.become("qn")
        o.goto(visit_url.removeprefix(o.site))
        page.get_by_label("Report status on Edexcel Online").select_option(label="Released")
        page.get_by_label("Report received on").fill("2027-03-05")
        o.button("Set the status")
        o.message(re.compile(r"^Report status: Released"))
        expect(page.locator("#sv-gate")).to_contain_text("Released")


def results_file(o: Office, tmp_path) -> None:
    page = o.page
    with on(dt.date(2027, 3, 10)):
        o.become("eo")
        o.nav("Import results")
        o.h1("Import Pearson's results file")
        page.get_by_label(re.compile(r"results file", re.I)).set_input_files(
            csv_file(
                tmp_path / "results-jan27.csv",
                [
                    [
                        "Centre",
                        "ULN",
                        "Candidate No",
                        "Surname",
                        "Forenames",
                        "Qualification",
                        "Unit",
                        "Series",
                        "Grade",
                        "Points",
                        "Mark",
                    ],
                    [
                        CENTRE_NO,
                        LEARNER_ULN,
                        "9001",
                        LEARNER[1].upper(),
                        LEARNER[0].upper(),
                        QN,
                        "2",
                        "January 2027",
                        "M",
                        "10",
                        "48",
                    ],
                ],
            )
        )
        o.button("Check the file and preview")
        o.h1("Preview: results-jan27.csv")
        expect(page.get_by_text("1 result would be written", exact=False)).to_be_visible()
        o.button("Confirm the import")


def claim_the_award(o: Office) -> None:
    """Readiness, the claim prepared, approved by the programme leader and the exams officer,
    its file made and its submission recorded."""
    page = o.page
    claim = f"Final (full award) claim for {TITLE} {YEAR}"
    with on(dt.date(2027, 6, 1)):
        o.become("eo")
        o.nav("Cohorts")
        o.click(page.locator("tbody tr").filter(has_text=CENTRE).get_by_role("link", name=TITLE))
        o.click(page.get_by_role("link", name="Claim readiness"))
        expect(page.get_by_text("1 of 1")).to_be_visible()
        row = page.locator("tbody tr").filter(has_text=LEARNER_ULN)
        expect(row.locator("td").nth(3)).to_have_text("ready")
        expect(page.locator("#countdown")).to_have_text(
            "Claim deadline 5 July 2027: 34 days left. A claim needs 10 weeks after registration."
        )
        o.click(page.get_by_role("link", name="Prepare a claim"))
        page.get_by_label("Kind").select_option(label="Final (full award) claim")
        o.button("Prepare the claim")
        o.message("Claim prepared: it now needs the two approvals.")

        o.become("pl")
        o.todo(f"Approve {claim}")
        page.get_by_label("Approve as").select_option(label="Programme Leader")
        page.get_by_label("Password").fill(PASSWORD)
        o.button("Approve")
        o.message("Approved, signed and dated.")

        o.become("eo")
        o.todo(f"Approve {claim}")
        page.get_by_label("Approve as").select_option(label="Exams Officer")
        page.get_by_label("Password").fill(PASSWORD)
        o.button("Approve")
        o.message("Approved, signed and dated.")
        expect(page.locator("#claim-status")).to_have_text(
            "Approved (programme leader and exams officer)"
        )
        page.get_by_label("Format").select_option("csv")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the claim file for Edexcel Online").click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
        assert [r[-3:] for r in rows[1:]] == [["1", "D", ""], ["2", "M", ""], ["", "", "M"]], rows
        o.goto(page.url.removeprefix(o.site))  # the page again: the file listed
        expect(page.get_by_text(re.compile(r"^CSV by Ruth Ashgrove"))).to_be_visible()
        page.get_by_label("Submitted to Pearson on").fill("01/06/2027")
        page.get_by_label("Pearson's reference").fill("EOL-CLM-77001")
        o.button("Record the submission")
        o.message("Submission recorded with Pearson's reference.")
        expect(page.locator("#claim-status")).to_have_text(re.compile(r"^Submitted"))


def certificate(o: Office, tmp_path) -> None:
    page = o.page
    with on(dt.date(2027, 7, 20)):
        o.become("eo")
        o.nav("Certificates")
        o.click(page.get_by_role("link", name="Import a certificates file"))
        o.h1("Import a certificates file")
        page.get_by_label("Received from Pearson on").fill("2027-07-19")
        page.get_by_label("Certificates file (CSV or XLSX)").set_input_files(
            csv_file(
                tmp_path / "certificates-jul27.csv",
                [
                    [
                        "Certificate number",
                        "ULN",
                        "Surname",
                        "Forenames",
                        "Date of birth",
                        "Qualification number",
                        "Award grade",
                        "Units",
                    ],
                    [
                        "9900123",
                        LEARNER_ULN,
                        LEARNER[1].upper(),
                        LEARNER[0].upper(),
                        ddmmyyyy(DOB),
                        QN,
                        "M",
                        "1 D; 2 M",
                    ],
                ],
            )
        )
        o.button("Check the file and preview")
        o.h1("Preview: certificates-jul27.csv")
        o.button("Confirm the import")
        expect(page.locator("#exceptions")).to_have_text(
            "None: every certificate matches its claim."
        )
        o.button("The batch is complete: look for claimed certificates that did not come")
        expect(page.locator("#exceptions")).to_have_text(
            "None: every certificate matches its claim."
        )
        o.click(page.get_by_role("link", name="9900123"))
        certificate_url = page.url.removeprefix(o.site)

    with on(dt.date(2027, 7, 23)):
        o.become("eo")
        o.goto(certificate_url)
        page.get_by_label("Collected and signed for").check()
        page.get_by_label("Collected or posted on").fill("2027-07-23")
        page.get_by_label("Learner's name, typed by the learner").fill(" ".join(LEARNER))
        page.get_by_label("Witnessed by").select_option(label=NAME["pl"])
        o.button("Record the issue")
        o.message(re.compile(r"^Recorded: Certificate 9900123 for .* issued\.$"))
        expect(page.locator("#issued")).to_have_text(
            f"Collected and signed for on 23/07/2027: signed “{' '.join(LEARNER)}”, "
            f"witnessed by {NAME['pl']}."
        )


# (section, what happened, who, the day) for every step the journey took, in the dossier
D = dt.date
STEPS = [
    (
        "MIS imports",
        r"^MIS learners import #\d+ “year12\.csv” \(SHA-256 [0-9a-f]{12}…\): "
        r"created the learner's record$",
        "eo",
        D(2026, 9, 14),
    ),
    (
        "MIS imports",
        rf"^MIS class list import #\d+ “classes\.csv” .*: added the learner to teaching group "
        rf"{re.escape(GROUP)}$",
        "eo",
        D(2026, 9, 14),
    ),
    ("Registration", rf"^Proposed: {TITLE}", "pl", D(2026, 9, 14)),
    ("Registration", rf"^Entered: {TITLE}", "eo", D(2026, 9, 14)),
    ("Registration", rf"^Signed: {TITLE}", "pl", D(2026, 9, 14)),
    ("Registration", rf"^Submitted: {TITLE}", "eo", D(2026, 9, 14)),
    ("Registration", rf"^Registered: {TITLE}.*RN0099001", "eo", D(2026, 9, 14)),
    (
        "Assessment plan and briefs",
        r"^Submitted the assessment plan 2026/27",
        "liv",
        D(2026, 9, 21),
    ),
    ("Assessment plan and briefs", r"^Approved the assessment plan 2026/27", "qn", D(2026, 9, 21)),
    (
        "Assessment plan and briefs",
        rf"^Brief “{ASSIGNMENT}” version 1 written",
        "assessor",
        D(2026, 9, 24),
    ),
    (
        "Assessment plan and briefs",
        rf"^Internally verified the brief “{ASSIGNMENT}”",
        "iv",
        D(2026, 9, 24),
    ),
    (
        "Assessment plan and briefs",
        rf"^Issued the brief “{ASSIGNMENT}”",
        "assessor",
        D(2026, 9, 24),
    ),
    *[
        (
            "Assessment decisions (every version)",
            rf"^{re.escape(code)} achieved on “{ASSIGNMENT}”",
            "assessor",
            D(2026, 11, 10),
        )
        for code in CRITERIA
    ],
    *[
        (
            "Assessment decisions (every version)",
            rf"^{re.escape(code)} decision \(version 1\) internally verified and frozen$",
            "iv",
            D(2026, 11, 16),
        )
        for code in CRITERIA
    ],
    ("Internal verification", rf"^Sampled for .* IV: “{ASSIGNMENT}”", "liv", D(2026, 11, 16)),
    ("Internal verification", rf"^IV agree on “{ASSIGNMENT}”", "iv", D(2026, 11, 16)),
    (
        "Standards verification",
        r"^Named in the standards verifier's first sample",
        "liv",
        D(2027, 2, 3),
    ),
    (
        "Standards verification",
        r"^Work sent for the standards verifier's first sample",
        "liv",
        D(2027, 2, 12),
    ),
    (
        "Standards verification",
        r"^The standards verifier's report .* released",
        "Dr Aurelia Marchbank",
        D(2027, 3, 5),
    ),
    (
        "External results",
        r"^Pearson result for unit 2, January 2027: M \(from results-jan27\.csv\)$",
        "eo",
        D(2027, 3, 10),
    ),
    (
        "Certification claims",
        rf"^Put on the final \(full award\) claim for {TITLE} 2026/27 \(version 1\), award M$",
        "eo",
        D(2027, 6, 1),
    ),
    ("Certification claims", r"^Approved the final .* as Programme Leader", "pl", D(2027, 6, 1)),
    ("Certification claims", r"^Approved the final .* as Exams Officer", "eo", D(2027, 6, 1)),
    (
        "Certification claims",
        r"^Submitted the final .*, Pearson reference EOL-CLM-77001$",
        "eo",
        D(2027, 6, 1),
    ),
    (
        "Certificates",
        rf"^Certificate 9900123 received \({re.escape(QN)}, award M\)",
        "eo",
        D(2027, 7, 19),
    ),
    (
        "Certificates",
        rf"^Certificate 9900123 issued: collected, signed {' '.join(LEARNER)}",
        "eo",
        D(2027, 7, 23),
    ),
]


def read_the_dossier(o: Office) -> None:
    """Every step above once in its section, with who and the day; the chain verified."""
    page = o.page
    o.h1(f"{LEARNER[0]} {LEARNER[1]}: dossier")
    check = page.get_by_role("region", name="Audit trail check")
    expect(check).to_contain_text("verifies")
    expect(check).not_to_contain_text("NOT")
    missing = []
    for section, what, who, day in STEPS:
        rows = (
            page.get_by_role("region", name=section, exact=True)
            .locator("tbody tr")
            .filter(has=page.locator("td:nth-child(2)", has_text=re.compile(what)))
        )
        if rows.count() != 1:
            missing.append(f"{section}: {what} ({rows.count()} rows)")
            continue
        cells = rows.locator("td")
        expect(cells.nth(0)).to_have_text(re.compile(rf"^{re.escape(ddmmyyyy(day))}( \d\d:\d\d)?$"))
        expect(cells.nth(2)).to_contain_text(NAME.get(who, who) if who else "—")
    assert not missing, "Not in the dossier:\n" + "\n".join(missing)


def learner_id() -> int:
    from learners.models import Learner

    return Learner.objects.get(uln=LEARNER_ULN).pk


def test_one_learner_through_the_whole_office(page, site, world, browser_log, tmp_path):
    o = Office(page, site)
    with on(dt.date(2026, 9, 14)):
        o.become("eo")
        import_the_learner(o, tmp_path, world["cohort"])
        register_the_learner(o, tmp_path)
    plan_brief_and_decisions(o)
    standards_verification(o)
    results_file(o, tmp_path)
    claim_the_award(o)
    certificate(o, tmp_path)
    with on(dt.date(2027, 7, 24)):
        o.become("eo")
        o.goto(f"/learners/{learner_id()}/dossier/")
        read_the_dossier(o)

    # every page the browser loaded was checked with axe (and some twice, after htmx)
    assert o.unchecked() == [], o.unchecked()
    print(f"{o.checked} axe checks, {len(o.loads)} pages loaded")
    assert len(o.loads) > 100 and o.checked >= len(o.loads)
    assert browser_log.csp_violations() == [], "\n".join(browser_log.csp_violations())
    assert browser_log.page_errors == [], "\n".join(browser_log.page_errors)
