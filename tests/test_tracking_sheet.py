"""The tracking sheet: statuses, grades, estimates, sign-off, export and import (policy 004)."""

from __future__ import annotations

import html
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.roles import Role
from assessment.models import CriterionDecision, ImportedUnitResult, TrackingSheet
from assessment.selectors_tracking import (
    GRADED,
    IMPORTED,
    IN_PROGRESS,
    NOT_STARTED,
    VERIFIED,
    tracking_sheet,
)
from audit.models import AuditEvent
from qualifications.catalogue import load_shipped_qualifications
from qualifications.models import Qualification
from tests.factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    TeachingGroupFactory,
    decide,
    make_uln,
    planned_assignment,
    register_on,
)

BUSINESS = "601/7159/5"
UNIT_1 = ["A.P1", "A.P2", "A.M1", "AB.D1", "B.P3", "B.M2", "C.P4", "C.P5", "C.M3", "C.D2"]
UNIT_1 += ["D.P6", "D.M4", "D.D3", "E.P7", "E.M5", "E.D4"]
PASS = [c for c in UNIT_1 if ".P" in c]
MERIT = [c for c in UNIT_1 if ".M" in c]


@pytest.fixture
def world(db, own_centre, cast):
    load_shipped_qualifications()
    q = Qualification.objects.get(number=BUSINESS)
    cohort = CohortFactory(
        qualification=q, centre=own_centre, start_year="2026/27", leader=cast[Role.PROGRAMME_LEADER]
    )
    cohort.optional_units.add(q.units.get(number="8"))
    unit1 = q.units.get(number="1")
    assignment = planned_assignment(
        cohort,
        unit1,
        UNIT_1,
        assessor=cast[Role.ASSESSOR_IV],
        verifier=cast[Role.LEAD_IV],
    )
    group = TeachingGroupFactory(cohort=cohort, name="12B")
    return {"q": q, "cohort": cohort, "unit1": unit1, "assignment": assignment, "group": group}


def learners(world, n, start=0):
    made = []
    for i in range(start, start + n):
        learner = LearnerFactory(
            centre=world["cohort"].centre,
            last_name=f"Tracked{i:03d}",
            uln=make_uln(i + 1),
            candidate_number=f"{i + 1:04d}",
        )
        register_on(world["cohort"], learner)
        world["group"].learners.add(learner)
        made.append(learner)
    return made


def cell(sheet, learner, number):
    row = next(r for r in sheet.rows if r.learner.pk == learner.pk)
    return next(c for c in row.cells if c.unit.number == number)


def test_each_status_is_told_from_the_current_decisions(world):
    a, b, c, d, e = learners(world, 5)
    assignment = world["assignment"]
    decide(b, assignment, ["A.P1"])  # some decisions, Pass not reached
    decide(c, assignment, PASS + MERIT)  # every Pass and Merit: M
    decide(d, assignment, PASS, verified=True)  # P, all verified
    ImportedUnitResult.objects.create(
        learner=e, cohort=world["cohort"], unit=world["unit1"], grade="D", imported_by=a_user(world)
    )
    sheet = tracking_sheet(world["cohort"])
    assert (cell(sheet, a, "1").status, cell(sheet, a, "1").grade) == (NOT_STARTED, "")
    assert (cell(sheet, b, "1").status, cell(sheet, b, "1").grade) == (IN_PROGRESS, "")
    assert (cell(sheet, c, "1").status, cell(sheet, c, "1").grade) == (GRADED, "M")
    assert (cell(sheet, d, "1").status, cell(sheet, d, "1").grade) == (VERIFIED, "P")
    assert (cell(sheet, e, "1").status, cell(sheet, e, "1").grade) == (IMPORTED, "D")
    # A later decision not yet verified takes the unit back from verified to graded.
    decide(d, assignment, ["A.M1"])
    assert cell(tracking_sheet(world["cohort"]), d, "1").status == GRADED


def test_the_sheet_grades_every_mix_of_criteria_as_the_btec_rule_does(world):
    """The sheet grades by criterion sets worked out once per unit; each learner's grade
    must still be qualifications.grading.unit_grade of what they achieved."""
    from qualifications.grading import unit_grade

    mixes = [
        [],
        ["A.P1"],
        PASS[:-1],
        PASS,
        PASS + MERIT[:2],
        PASS + MERIT,
        PASS + MERIT + ["AB.D1", "C.D2", "D.D3"],
        UNIT_1,
        MERIT + [c for c in UNIT_1 if ".D" in c],  # merits and distinctions, a Pass missing
    ]
    made = learners(world, len(mixes))
    for learner, mix in zip(made, mixes, strict=True):
        decide(learner, world["assignment"], mix)
        not_yet = [c for c in UNIT_1 if c not in mix][:1]
        decide(learner, world["assignment"], not_yet, achieved=False)
    sheet = tracking_sheet(world["cohort"])
    for learner, mix in zip(made, mixes, strict=True):
        expected = unit_grade(mix, UNIT_1)
        got = cell(sheet, learner, "1")
        assert got.grade == ("" if expected == "U" else expected), mix
        assert got.status == (IN_PROGRESS if expected == "U" else GRADED), mix


def a_user(world):
    return world["assignment"].assessor


def test_points_and_the_estimate_always_say_they_are_an_estimate(world):
    (a,) = learners(world, 1)
    decide(a, world["assignment"], PASS)
    for number, grade in (("2", "P"), ("3", "M"), ("8", "D")):
        ImportedUnitResult.objects.create(
            learner=a,
            cohort=world["cohort"],
            unit=world["q"].units.get(number=number),
            grade=grade,
            imported_by=a_user(world),
        )
    row = tracking_sheet(world["cohort"]).rows[0]
    assert row.points > 0
    assert row.estimate.label.startswith("Estimated: ")
    assert row.points == row.estimate.points


def test_an_ungraded_learner_gets_no_estimate_and_the_reason(world):
    (a,) = learners(world, 1)
    row = tracking_sheet(world["cohort"]).rows[0]
    assert row.estimate.label.startswith("Estimate not possible: ")
    assert "no grade yet for unit 1" in row.estimate.label


def test_one_teaching_group_shows_only_its_learners(world):
    a, b = learners(world, 2)
    other = TeachingGroupFactory(cohort=world["cohort"], name="12C")
    world["group"].learners.remove(b)
    other.learners.add(b)
    assert [r.learner for r in tracking_sheet(world["cohort"], group=other).rows] == [b]


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_page_makes_the_same_queries_for_3_or_30_learners(world, client, cast):
    client.force_login(cast[Role.PROGRAMME_LEADER])
    url = reverse("assessment:tracking_sheet", args=[world["cohort"].pk])
    few = learners(world, 3)
    for learner in few:
        decide(learner, world["assignment"], PASS)
    client.get(url)  # warm the session and the content types
    small, _ = _page_queries(client, url)
    more = learners(world, 27, start=3)
    for learner in more:
        decide(learner, world["assignment"], PASS + MERIT, verified=True)
    large, response = _page_queries(client, url)
    assert small == large
    text = response.content.decode()
    assert "Tracked029" in text and "Internally verified" in text and "Estimate" in text


def test_a_governor_may_not_see_the_page_and_another_centre_gets_404(
    world, client, cast, other_centre, make_user
):
    url = reverse("assessment:tracking_sheet", args=[world["cohort"].pk])
    client.force_login(cast[Role.GOVERNOR])
    assert client.get(url).status_code == 403
    client.force_login(make_user("elsewhere", Role.EXAMS_OFFICER, centre=other_centre))
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- sign-off


def _sign(client, world, name, password=PASSWORD, seen=None):
    url = reverse(f"assessment:{name}", args=[world["cohort"].pk])
    if seen is None:
        page = client.get(reverse("assessment:tracking_sheet", args=[world["cohort"].pk]))
        seen = page.content.decode().split('name="seen" value="')[1].split('"')[0]
    return client.post(url, {"password": password, "seen": seen})


def test_the_class_teacher_and_the_programme_leader_both_sign_off(world, client, cast):
    (a,) = learners(world, 1)
    decide(a, world["assignment"], PASS)
    client.force_login(cast[Role.ASSESSOR_IV])
    assert _sign(client, world, "tracking_sign_teacher").status_code == 302
    client.force_login(cast[Role.PROGRAMME_LEADER])
    assert _sign(client, world, "tracking_sign_leader").status_code == 302
    sheet = TrackingSheet.objects.get(cohort=world["cohort"], teaching_group=None)
    from signatures.services import signatures

    roles = sorted(s.role for s in signatures(sheet))
    assert roles == ["class_teacher", "programme_leader"]
    page = client.get(reverse("assessment:tracking_sheet", args=[world["cohort"].pk]))
    text = page.content.decode()
    assert text.count("signed by") == 2 and "the sheet has changed since" not in text
    # The snapshot signed is the grid: a new decision shows both sign-offs as overtaken.
    decide(a, world["assignment"], MERIT)
    text = client.get(reverse("assessment:tracking_sheet", args=[world["cohort"].pk])).content
    assert text.decode().count("the sheet has changed since") == 2


def test_a_wrong_password_or_a_changed_sheet_signs_nothing(world, client, cast):
    (a,) = learners(world, 1)
    client.force_login(cast[Role.ASSESSOR_IV])
    response = _sign(client, world, "tracking_sign_teacher", password="wrong")
    assert response.status_code == 400 and "not right" in response.content.decode()
    page = client.get(reverse("assessment:tracking_sheet", args=[world["cohort"].pk]))
    seen = page.content.decode().split('name="seen" value="')[1].split('"')[0]
    decide(a, world["assignment"], PASS)  # someone records decisions meanwhile
    response = _sign(client, world, "tracking_sign_teacher", seen=seen)
    assert (
        response.status_code == 400 and "changed after you opened it" in response.content.decode()
    )
    assert not TrackingSheet.objects.filter(cohort=world["cohort"]).exists() or not list(
        __import__("signatures.services").services.signatures(
            TrackingSheet.objects.get(cohort=world["cohort"])
        )
    )


def test_only_the_programme_leader_signs_as_programme_leader(world, client, cast):
    learners(world, 1)
    client.force_login(cast[Role.ASSESSOR_IV])
    assert _sign(client, world, "tracking_sign_leader").status_code == 403


# --------------------------------------------------------------------------- export


def test_the_export_has_the_headings_and_each_learners_grades(world, client, cast, tmp_path):
    a, b = learners(world, 2)
    decide(a, world["assignment"], PASS + MERIT)
    client.force_login(cast[Role.EXAMS_OFFICER])
    response = client.get(reverse("assessment:tracking_export", args=[world["cohort"].pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == [
        "ULN",
        "Candidate number",
        "Learner",
        "Unit 1",
        "Unit 2",
        "Unit 3",
        "Unit 8",
        "Points",
        "Estimated grade",
    ]
    first = rows[1]
    assert first[0] == a.uln and first[3] == "M" and first[8].startswith("Estimate")
    out = tmp_path / "sheet.xlsx"
    call_command(
        "export_tracking_sheet",
        centre=world["cohort"].centre.number,
        qualification=BUSINESS,
        cohort="2026/27",
        out=str(out),
    )
    again = [[c.value for c in r] for r in load_workbook(out).worksheets[0].iter_rows()]
    assert again == rows


def test_a_role_without_the_export_permission_cannot_download(world, client, cast):
    client.force_login(cast[Role.ASSESSOR_IV])
    url = reverse("assessment:tracking_export", args=[world["cohort"].pk])
    assert client.get(url).status_code == 403


# --------------------------------------------------------------------------- import


def xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run_import(world, tmp_path, rows, *, commit=False, name="sheet.xlsx", data=None):
    path = tmp_path / name
    path.write_bytes(data if data is not None else xlsx(rows))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(
            "import_tracking_sheet",
            str(path),
            centre=world["cohort"].centre.number,
            qualification=BUSINESS,
            cohort="2026/27",
            commit=commit,
            user=world["assignment"].assessor.username,
            stdout=out,
            stderr=err,
        )
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_unit_grades_are_a_dry_run_until_commit_then_imported_with_who_and_when(world, tmp_path):
    a, b = learners(world, 2)
    rows = [
        ["ULN", "Candidate number", "Unit 2", "Unit 3"],
        [a.uln, "", "P", "m"],
        ["", "0002", "D", ""],
    ]
    code, out, err = run_import(world, tmp_path, rows)
    assert code == 0 and "2 learner(s) would change" in out
    assert not ImportedUnitResult.objects.exists()
    code, out, err = run_import(world, tmp_path, rows, commit=True)
    assert code == 0, err
    got = {(r.learner_id, r.unit.number): r.grade for r in ImportedUnitResult.objects.all()}
    assert got == {(a.pk, "2"): "P", (a.pk, "3"): "M", (b.pk, "2"): "D"}
    result = ImportedUnitResult.objects.filter(learner=a).first()
    assert result.imported_by == world["assignment"].assessor and result.imported_at
    assert AuditEvent.objects.filter(action="assessment.unit_result.imported").count() == 3
    assert {e.learner_id for e in AuditEvent.objects.filter(action__startswith="assessment.")} == {
        a.pk,
        b.pk,
    }
    # The same file again changes nothing.
    code, out, _ = run_import(world, tmp_path, rows)
    assert "0 learner(s) would change" in out


def test_criteria_become_decisions_on_the_plans_assignment(world, tmp_path):
    (a,) = learners(world, 1)
    rows = [["ULN", "Unit 1 A.P1", "Unit 1 A.P2", "Unit 1 A.M1"], [a.uln, "Y", "y", ""]]
    code, _, err = run_import(world, tmp_path, rows, commit=True)
    assert code == 0, err
    made = CriterionDecision.objects.filter(learner=a, current=True)
    assert sorted(d.criterion.code for d in made) == ["A.P1", "A.P2"]
    assert {d.assignment for d in made} == {world["assignment"]} and all(d.achieved for d in made)
    assert AuditEvent.objects.filter(
        action="assessment.criterion_decision.imported", learner_id=a.pk
    ).exists()
    assert cell(tracking_sheet(world["cohort"]), a, "1").status == IN_PROGRESS


def test_a_criterion_no_assignment_covers_is_refused_with_that_reason(world, tmp_path):
    (a,) = learners(world, 1)
    rows = [["ULN", "Unit 8 A.P1"], [a.uln, "Y"]]
    code, _, err = run_import(world, tmp_path, rows, commit=True)
    assert code == 1
    assert "row 2, column Unit 8 A.P1: no assignment on the cohort's assessment plan" in err
    assert not CriterionDecision.objects.exists()


def test_every_refusal_names_row_column_and_reason_and_nothing_is_written(
    world, tmp_path, other_centre
):
    a, b = learners(world, 2)
    stranger = LearnerFactory(centre=world["cohort"].centre, uln=make_uln(900))  # not on it
    rows = [
        ["ULN", "Candidate number", "Unit 2", "Unit 3"],
        [a.uln, "", "P", "X"],
        [make_uln(901), "", "P", ""],
        [stranger.uln, "", "P", ""],
        [b.uln, "", "M", ""],
        ["", "0002", "M", ""],
    ]
    code, _, err = run_import(world, tmp_path, rows, commit=True)
    assert code == 1
    assert "row 2, column Unit 3: bad grade: X is not a unit grade" in err
    assert "row 3, column ULN: unknown learner" in err
    assert "row 4, column ULN: learner not on the cohort" in err
    assert "row 6, column Candidate number: duplicate learner row" in err and "row 5" in err
    assert not ImportedUnitResult.objects.exists()
    code, _, err = run_import(
        world, tmp_path, [["ULN", "Unit 2", "Unit 9", "Unit 1 Z.P9"], [a.uln, "P", "P", "Y"]]
    )
    assert code == 1
    assert "row 1, column Unit 9: unknown unit: the cohort has no unit 9" in err
    assert "row 1, column Unit 1 Z.P9: unknown criterion: unit 1 has no criterion Z.P9" in err


def test_a_csv_file_imports_too(world, tmp_path):
    (a,) = learners(world, 1)
    data = f"ULN,Unit 2\r\n{a.uln},D\r\n".encode()
    code, _, err = run_import(world, tmp_path, None, commit=True, name="s.csv", data=data)
    assert code == 0, err
    assert ImportedUnitResult.objects.get(learner=a).grade == "D"


def test_the_page_previews_then_confirms_once(world, client, cast):
    (a,) = learners(world, 1)
    client.force_login(cast[Role.EXAMS_OFFICER])
    url = reverse("assessment:tracking_import", args=[world["cohort"].pk])
    upload = io.BytesIO(xlsx([["ULN", "Unit 2"], [a.uln, "M"]]))
    upload.name = "school.xlsx"
    response = client.post(url, {"file": upload})
    assert response.status_code == 200 and "1 learner would change" in response.content.decode()
    assert not ImportedUnitResult.objects.exists()
    record = response.context["record"]
    confirm = reverse("assessment:tracking_import_confirm", args=[record.pk])
    assert client.post(confirm).status_code == 302
    assert ImportedUnitResult.objects.get(learner=a).source == "school.xlsx"
    client.post(confirm)  # a second click imports nothing more
    assert ImportedUnitResult.objects.count() == 1


# --------------------------------------------------------------------------- review fixes


def _retake(world, learner, codes, *, verified=False):
    """An authorised retake of unit 1 on a new assignment, with these criteria achieved."""
    from assessment.models import Attempt, Retake

    retake_assignment = world.get("retake_assignment")
    if retake_assignment is None:
        retake_assignment = world["retake_assignment"] = planned_assignment(
            world["cohort"],
            world["unit1"],
            UNIT_1,
            assessor=world["assignment"].assessor,
            verifier=world["assignment"].internal_verifier,
            title="Unit 1 retake",
        )
    Retake.objects.create(
        learner=learner,
        unit=world["unit1"],
        assignment=retake_assignment,
        authorised_by=world["assignment"].internal_verifier,
    )
    for made in decide(learner, retake_assignment, codes, verified=verified):
        CriterionDecision.objects.filter(pk=made.pk).update(attempt=Attempt.RETAKE)


def test_a_retake_is_capped_on_the_sheet_as_on_the_learners_record(world, tmp_path):
    from assessment.selectors_decisions import best_unit_grade

    at_u, at_merit, uncapped = learners(world, 3)
    for learner, first in ((at_u, PASS[:-1]), (at_merit, PASS + MERIT), (uncapped, PASS[:-1])):
        decide(learner, world["assignment"], first)
        decide(
            learner, world["assignment"], [c for c in UNIT_1 if c not in first][:1], achieved=False
        )
    _retake(world, at_u, UNIT_1)  # every criterion achieved on the retake
    _retake(world, at_merit, UNIT_1)
    sheet = tracking_sheet(world["cohort"])
    # U at first, D on the retake: capped at Pass (the Nationals' setting), with Pass points.
    assert best_unit_grade(at_u, world["unit1"])["grade"] == "P"
    assert (cell(sheet, at_u, "1").status, cell(sheet, at_u, "1").grade) == (GRADED, "P")
    assert cell(sheet, at_u, "1").points == 9
    # The first attempt's Merit is better than the capped retake: it stands.
    assert (
        cell(sheet, at_merit, "1").grade
        == "M"
        == best_unit_grade(at_merit, world["unit1"])["grade"]
    )
    assert cell(sheet, uncapped, "1").status == IN_PROGRESS
    # The export says the same.
    out = tmp_path / "sheet.xlsx"
    call_command(
        "export_tracking_sheet",
        centre=world["cohort"].centre.number,
        qualification=BUSINESS,
        cohort="2026/27",
        out=str(out),
    )
    rows = {r[0].value: [c.value for c in r] for r in load_workbook(out).worksheets[0].iter_rows()}
    assert rows[at_u.uln][3] == "P" and rows[at_merit.uln][3] == "M"
    # The cap is the qualification family's setting.
    family = world["q"].family
    family.retake_cap = "M"
    family.save()
    world["cohort"].refresh_from_db()
    assert cell(tracking_sheet(world["cohort"]), at_u, "1").grade == "M"
    assert best_unit_grade(at_u, world["unit1"])["grade"] == "M"


def test_the_sheet_with_retakes_makes_the_same_queries_for_3_or_30_learners(world, client, cast):
    client.force_login(cast[Role.PROGRAMME_LEADER])
    url = reverse("assessment:tracking_sheet", args=[world["cohort"].pk])
    for learner in learners(world, 3):
        decide(learner, world["assignment"], PASS[:-1])
        _retake(world, learner, UNIT_1)
    client.get(url)
    small, _ = _page_queries(client, url)
    for learner in learners(world, 27, start=3):
        decide(learner, world["assignment"], PASS[:-1])
        _retake(world, learner, UNIT_1, verified=True)
    large, response = _page_queries(client, url)
    assert small == large
    assert "Tracked029" in response.content.decode()


def test_criteria_for_a_unit_with_an_imported_grade_are_refused(world, tmp_path):
    (a,) = learners(world, 1)
    ImportedUnitResult.objects.create(
        learner=a, cohort=world["cohort"], unit=world["unit1"], grade="M", imported_by=a_user(world)
    )
    rows = [["ULN", "Unit 1 A.P1", "Unit 1 A.P2"], [a.uln, "Y", ""]]
    code, _, err = run_import(world, tmp_path, rows, commit=True)
    assert code == 1
    assert "row 2, column Unit 1 A.P1: unit 1 already has an imported unit grade (M)" in err
    assert "'Unit 1' column" in err  # what to do instead
    assert not CriterionDecision.objects.exists()
    assert (cell(tracking_sheet(world["cohort"]), a, "1").status) == IMPORTED


def test_the_sheets_own_export_imports_back_with_nothing_changed(world, tmp_path):
    graded, in_progress, imported, blank = learners(world, 4)
    decide(graded, world["assignment"], PASS + MERIT)
    decide(in_progress, world["assignment"], ["A.P1"])
    ImportedUnitResult.objects.create(
        learner=imported,
        cohort=world["cohort"],
        unit=world["q"].units.get(number="2"),
        grade="P",
        imported_by=a_user(world),
    )
    out = tmp_path / "export.xlsx"
    call_command(
        "export_tracking_sheet",
        centre=world["cohort"].centre.number,
        qualification=BUSINESS,
        cohort="2026/27",
        out=str(out),
    )
    before = (CriterionDecision.objects.count(), ImportedUnitResult.objects.count())
    events = AuditEvent.objects.count()
    code, stdout, err = run_import(world, tmp_path, None, commit=True, data=out.read_bytes())
    assert code == 0, err
    assert "0 learner(s) changed" in stdout
    assert (CriterionDecision.objects.count(), ImportedUnitResult.objects.count()) == before
    assert AuditEvent.objects.count() == events
    # A different grade for a unit with decisions is still refused, with the reason.
    code, _, err = run_import(world, tmp_path, [["ULN", "Unit 1"], [graded.uln, "D"]])
    assert code == 1
    assert "row 2, column Unit 1: unit 1 already has assessment decisions" in err


def test_export_to_a_missing_or_unwritable_place_says_so(world, tmp_path, monkeypatch):
    from django.core.management.base import CommandError

    args = {
        "centre": world["cohort"].centre.number,
        "qualification": BUSINESS,
        "cohort": "2026/27",
    }
    with pytest.raises(CommandError, match="/nonexistent/dir.* does not exist"):
        call_command("export_tracking_sheet", out="/nonexistent/dir/x.xlsx", **args)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("export_tracking_sheet", out=str(a_file / "x.xlsx"), **args)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr("os.access", lambda path, mode: False)  # as a non-root user would see
    with pytest.raises(CommandError, match="cannot write to the directory"):
        call_command("export_tracking_sheet", out=str(locked / "x.xlsx"), **args)
    assert not (locked / "x.xlsx").exists()


def test_near_pass_is_imported_for_an_external_unit_only(world, tmp_path):
    (a,) = learners(world, 1)
    code, _, err = run_import(world, tmp_path, [["ULN", "Unit 2"], [a.uln, "n"]], commit=True)
    assert code == 0, err
    got = cell(tracking_sheet(world["cohort"]), a, "2")
    assert (got.status, got.grade, got.points) == (IMPORTED, "N", 6)
    code, _, err = run_import(world, tmp_path, [["ULN", "Unit 1"], [a.uln, "N"]], commit=True)
    assert code == 1
    assert "row 2, column Unit 1: Near Pass (N) is only for an externally assessed unit" in err
    assert not ImportedUnitResult.objects.filter(unit=world["unit1"]).exists()


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_a_group_not_in_the_cohort_is_refused_with_a_clear_message(world, client, cast, value):
    client.force_login(cast[Role.PROGRAMME_LEADER])
    url = reverse("assessment:tracking_sheet", args=[world["cohort"].pk])
    response = client.get(url, {"group": value})
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert f"group={value}" in text and "not one of this cohort's teaching groups" in text
    assert "leave it out to see the whole cohort" in text


def test_imported_criteria_name_the_importer_and_never_overwrite_a_verified_decision(world, cast):
    """The criteria came from a spreadsheet, so the decision names whoever imported it (the
    assessor decided nothing); a criterion internally verified as not yet is frozen, so a
    Y over it is refused with its row, column and reason and nothing is written."""
    from assessment.services_tracking import read_tracking_file, write_tracking_import

    a, b = learners(world, 2)
    decide(b, world["assignment"], ["A.P1"], achieved=False, verified=True)
    officer = cast[Role.EXAMS_OFFICER]
    clean = xlsx([["ULN", "Unit 1 A.P1"], [a.uln, "Y"]])
    preview = read_tracking_file(clean, world["cohort"], file_name="sheet.xlsx")
    assert preview.ok, preview.problems
    write_tracking_import(preview, world["cohort"], by=officer, source="sheet.xlsx")
    made = CriterionDecision.objects.get(learner=a, criterion__code="A.P1", current=True)
    assert made.assessor == officer and "Imported from the tracking sheet" in made.feedback
    over = xlsx([["ULN", "Unit 1 A.P1"], [b.uln, "Y"]])
    preview = read_tracking_file(over, world["cohort"], file_name="sheet.xlsx")
    assert not preview.ok
    (problem,) = preview.problems
    assert (problem.row, problem.column) == (2, "Unit 1 A.P1")
    assert "was internally verified as not yet achieved" in problem.reason
    assert not CriterionDecision.objects.get(learner=b, current=True).achieved
