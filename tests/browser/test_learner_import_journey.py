"""The MIS learner import, as an exams officer does it: a bad file, a fixed one, then the learner.

The file is refused with every error named (row, column, reason) and nothing written; the
corrected file previews clean, commits, and its learners can be found and opened.
"""

import csv
import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from learners.models import Learner
from learners.validators import uln_problem

from .conftest import assert_no_axe_violations

HEADINGS = ["Legal Surname", "Legal Forename", "DOB", "Gender", "Adno", "ULN", "Candidate No"]


def valid_uln(n: int) -> str:
    """A ULN with the right DfE check digit, built from a nine-digit prefix."""
    while True:
        prefix = f"{300000000 + n:09d}"
        remainder = sum(int(prefix[i]) * (10 - i) for i in range(9)) % 11
        if remainder:
            return prefix + str(10 - remainder)
        n += 1_000_000


ULNS = [valid_uln(n) for n in (11, 12, 13, 14, 15)]
assert all(uln_problem(u) is None for u in ULNS)
# The second learner's ULN with its check digit off by one: ten digits, but not a real ULN.
BAD_ULN = ULNS[1][:9] + str((int(ULNS[1][9]) + 1) % 10)
assert uln_problem(BAD_ULN) is not None

# (surname, forename, DOB, gender, adno, ULN, candidate number): rows 2-6 of the file.
GOOD_ROWS = [
    ["Smith", "Joanne", "17/05/2009", "F", "A1001", ULNS[0], "0001"],
    ["O'Brien", "Sean", "03/11/2008", "M", "A1002", ULNS[1], "0002"],
    ["Khan", "Aisha", "01/09/2009", "F", "A1003", ULNS[2], "0003"],
    ["Nowak", "Piotr", "13/02/2009", "M", "A1004", ULNS[3], "0004"],
    ["Adeyemi", "Grace", "22/07/2008", "F", "A1005", ULNS[4], "0005"],
]
BAD_ROWS = [list(r) for r in GOOD_ROWS]
BAD_ROWS[1][5] = BAD_ULN  # spreadsheet row 3, column ULN
BAD_ROWS[3][2] = "31/02/2009"  # spreadsheet row 5, column DOB


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files are kept for the commit: keep them out of the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADINGS, *rows])
    return path


def upload(page, site, path):
    """From anywhere: the Import from MIS page, the file chosen, checked; returns on the preview."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import from MIS").click()
    page.wait_for_url(f"{site}/learners/imports/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from the MIS")
    page.get_by_label("MIS export (CSV or XLSX)").set_input_files(path)
    page.get_by_role("button", name="Check the file and preview").click()
    page.wait_for_url(re.compile(re.escape(f"{site}/learners/imports/") + r"\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Preview: {path.name}")


def count(page, label: str):
    """The figure shown against a label in the import's counts."""
    return page.locator("dl > dt", has_text=re.compile(f"^{re.escape(label)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def test_exams_officer_imports_learners_fixes_errors_and_finds_a_learner(
    page, site, cast, own_centre, log_in, tmp_path, browser_log
):
    log_in(cast[Role.EXAMS_OFFICER])
    nav = page.get_by_role("navigation", name="Main")

    # 1. A file with two bad rows: both errors shown, each with row, column and reason.
    upload(page, site, write_csv(tmp_path / "year12_learners.csv", BAD_ROWS))
    errors = page.get_by_role("region", name=re.compile("errors"))
    expect(errors.get_by_role("heading", level=2)).to_have_text(
        "2 errors: nothing can be written until they are fixed"
    )
    error_rows = errors.get_by_role("table").locator("tbody tr")
    expect(error_rows).to_have_count(2)
    expect(error_rows.nth(0).locator("td")).to_have_text(
        [
            "3",
            "ULN",
            BAD_ULN,
            f"ULN {BAD_ULN}: the check digit should be {ULNS[1][9]}, not {BAD_ULN[9]}",
        ]
    )
    expect(error_rows.nth(1).locator("td")).to_have_text(
        ["5", "DOB", "31/02/2009", "31/02/2009 is not a real date"]
    )
    expect(count(page, "Rows read")).to_have_text("5")
    expect(count(page, "Errors")).to_have_text("2")
    expect(page.get_by_text("Refused", exact=True)).to_be_visible()
    # Nothing can be committed: no button offers it.
    expect(page.get_by_role("button", name=re.compile("Commit"))).to_have_count(0)
    # In the table of every row, the two bad rows are marked as errors.
    rows_table = page.get_by_role("table", name="Every row of the file and its effect")
    expect(rows_table.locator("tbody tr")).to_have_count(5)
    expect(rows_table.locator("tbody tr", has_text="O'BRIEN, Sean")).to_contain_text("error")
    expect(rows_table.locator("tbody tr", has_text="NOWAK, Piotr")).to_contain_text("error")
    assert_no_axe_violations(page)

    # Nothing was written: the learner list is still empty.
    nav.get_by_role("link", name="Learners").click()
    page.wait_for_url(f"{site}/learners/")
    expect(page.get_by_text("0 learners.")).to_be_visible()
    expect(page.get_by_role("cell", name="No learners match.")).to_be_visible()

    # 2. The corrected file: a clean preview of five new learners, then the commit.
    upload(page, site, write_csv(tmp_path / "year12_learners_corrected.csv", GOOD_ROWS))
    expect(page.get_by_role("region", name=re.compile("errors"))).to_have_count(0)
    expect(count(page, "Rows read")).to_have_text("5")
    expect(count(page, "New learners")).to_have_text("5")
    expect(count(page, "Learners updated")).to_have_text("0")
    expect(count(page, "Leavers")).to_have_text("0")
    expect(count(page, "Errors")).to_have_text("0")
    rows_table = page.get_by_role("table", name="Every row of the file and its effect")
    expect(rows_table.locator("tbody tr")).to_have_count(5)
    expect(rows_table.locator("tbody tr td:nth-child(4)")).to_have_text(["create"] * 5)
    expect(page.get_by_text("Nothing has been written yet.")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Commit this import").click()
    page.wait_for_url(re.compile(re.escape(f"{site}/learners/imports/") + r"\d+/result/$"))
    expect(page.get_by_role("status")).to_have_text("The import has been applied.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Imported: year12_learners_corrected.csv"
    )
    expect(count(page, "New learners")).to_have_text("5")

    # 3. Find one learner by ULN and open their page.
    nav.get_by_role("link", name="Learners").click()
    page.wait_for_url(f"{site}/learners/")
    expect(page.get_by_text("5 learners.")).to_be_visible()
    page.get_by_label("Search", exact=True).fill(ULNS[3])
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(re.escape(f"{site}/learners/?") + r".*q=" + ULNS[3]))
    expect(page.get_by_text("1 learner.")).to_be_visible()
    results = page.get_by_role("table", name="Learners matching the search").locator("tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(ULNS[3])
    results.get_by_role("link", name="NOWAK, Piotr").click()

    page.wait_for_url(re.compile(re.escape(f"{site}/learners/") + r"\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("NOWAK, Piotr")
    details = page.get_by_role("region", name="Details")
    expect(
        details.locator("dt", has_text="ULN").locator("xpath=following-sibling::dd[1]")
    ).to_have_text(ULNS[3])
    expect(
        details.locator("dt", has_text="Date of birth").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("13/02/2009")
    expect(
        details.locator("dt", has_text="Home centre").locator("xpath=following-sibling::dd[1]")
    ).to_contain_text(own_centre.name)
    assert_no_axe_violations(page)

    assert browser_log.csp_violations() == [], "\n".join(browser_log.csp_violations())
    assert browser_log.page_errors == [], "\n".join(browser_log.page_errors)
    assert Learner.objects.filter(centre=own_centre).count() == Learner.objects.count() == 5
