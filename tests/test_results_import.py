"""Pearson's results file for external units (issue 13 part 3, 004-cert-4): imported through
the tabular framework, each result kept as the file gives it (a Near Pass too).

The world: one centre with a National (an internal unit 1 and external units 2 and 3) and
three registered learners; a second centre with a learner of its own.
"""

import io
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from claims import services_results as services
from claims.models import ExternalResult, ResultsImport
from qualifications.models import Unit
from tests.factories import (
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    RoleAssignmentFactory,
    UserFactory,
    make_uln,
    register_on,
)

pytestmark = pytest.mark.django_db


def person(role, centre):
    user = UserFactory()
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


class World:
    def __init__(self):
        self.cohort = CohortFactory()
        self.centre = self.cohort.centre
        q = self.cohort.qualification
        self.internal = Unit.objects.create(
            qualification=q, number="1", title="Coursework", glh=90, assessment="internal"
        )
        self.exam = Unit.objects.create(
            qualification=q, number="2", title="Exam", glh=90, assessment="external"
        )
        self.task = Unit.objects.create(
            qualification=q, number="3", title="Set task", glh=120, assessment="external"
        )
        self.eo = person(Role.EXAMS_OFFICER, self.centre)
        self.learners = []
        for i, (first, last) in enumerate(
            [("Amara", "Okafor"), ("Ben", "O'Neill"), ("Chloé", "Dubois")]
        ):
            learner = LearnerFactory(
                centre=self.centre,
                first_name=first,
                last_name=last,
                uln=make_uln(7000 + i),
                candidate_number=f"{101 + i:04d}",
            )
            register_on(self.cohort, learner)
            self.learners.append(learner)
        # another centre's learner, on the same qualification, with the same candidate number
        other = CohortFactory(qualification=q, centre=CentreFactory())
        self.stranger = LearnerFactory(
            centre=other.centre,
            first_name="Amara",
            last_name="Okafor",
            uln=make_uln(7100),
            candidate_number="0101",
        )
        register_on(other, self.stranger)

    def read(self, text, name="results.csv"):
        return services.read_results_file(text.encode(), self.centre, file_name=name)

    def write(self, text, name="results.csv"):
        preview = self.read(text, name)
        assert preview.ok, [str(p) for p in preview.problems]
        return services.write_results(preview, self.centre, by=self.eo, source=name)


@pytest.fixture
def w():
    return World()


def good_csv(w):
    a, b, c = w.learners
    return (
        "Centre,ULN,Candidate No,Surname,Forenames,Qualification,Unit,Series,Grade,Points,Mark\r\n"
        f"{w.centre.number},{a.uln},0101,OKAFOR,AMARA,{w.cohort.qualification.number},2,"
        "May/June 2027,D,24,61\r\n"
        f"{w.centre.number},{b.uln},0102,O'NEILL,BEN,{w.cohort.qualification.number},2,"
        "May/June 2027,N,6,20\r\n"
        f"{w.centre.number},,0103,DUBOIS,CHLOE,{w.cohort.qualification.number},3,"
        "January 2027,Near Pass,,\r\n"
    )


def test_a_good_csv_file_imports_every_result_with_who_when_and_the_file(w):
    assert w.write(good_csv(w)) == 3
    rows = {(r.learner_id, r.unit.number): r for r in ExternalResult.objects.select_related("unit")}
    a, b, c = w.learners
    first = rows[(a.pk, "2")]
    assert (first.series, first.grade, first.points, first.mark) == ("May/June 2027", "D", 24, 61)
    assert first.source == "results.csv" and first.imported_by == w.eo and first.current
    # matched by candidate number and name (accents folded), no ULN given
    assert rows[(c.pk, "3")].series == "January 2027"
    # every imported result is an audit event on the learner's trail
    events = AuditEvent.objects.filter(action="claims.external_result.imported")
    assert sorted(e.learner_id for e in events) == sorted([a.pk, b.pk, c.pk])


def test_a_near_pass_is_kept_exactly_as_the_file_gives_it(w):
    w.write(good_csv(w))
    a, b, c = w.learners
    assert ExternalResult.objects.get(learner=b).grade == "N"
    assert ExternalResult.objects.get(learner=c).grade == "Near Pass"
    # an EDI file's U for a Near Pass is kept as U too: never "corrected"
    w.write(f"ULN,Unit,Series,Grade\n{a.uln},3,January 2027,U\n")
    assert ExternalResult.objects.get(learner=a, unit=w.task).grade == "U"


def test_a_good_xlsx_file_imports_too(w):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Pearson results: summer 2027"])  # a title row above the headings
    sheet.append(["ULN", "Unit", "Series", "Grade", "Points"])
    sheet.append([w.learners[0].uln, 2, "May/June 2027", "Merit", 15])
    sheet.append([w.learners[1].uln, "Unit 3", "May/June 2027", "N", None])
    buf = io.BytesIO()
    book.save(buf)
    preview = services.read_results_file(buf.getvalue(), w.centre, file_name="results.xlsx")
    assert preview.ok, [str(p) for p in preview.problems]
    assert services.write_results(preview, w.centre, by=w.eo, source="results.xlsx") == 2
    assert ExternalResult.objects.get(learner=w.learners[0]).grade == "Merit"
    assert ExternalResult.objects.get(learner=w.learners[0]).points == 15
    assert ExternalResult.objects.get(learner=w.learners[1]).unit == w.task


def test_each_bad_row_is_named_by_row_column_and_reason_and_nothing_is_written(w):
    a, b, c = w.learners
    text = (
        "ULN,Candidate number,Surname,Unit,Series,Grade\n"
        f"{make_uln(9999)},,,2,May/June 2027,D\n"  # row 2: unknown learner (ULN)
        ",0103,Smith,2,May/June 2027,D\n"  # row 3: the candidate number is someone else's
        f"{a.uln},,,7,May/June 2027,D\n"  # row 4: no unit 7 on the qualification
        f"{a.uln},,,1,May/June 2027,D\n"  # row 5: unit 1 is internal
        f"{a.uln},,,2,May/June 2027,Q\n"  # row 6: unknown grade code
        f"{b.uln},,,2,May/June 2027,P\n"  # row 7: fine
        f"{b.uln},,,2,May/June 2027,M\n"  # row 8: duplicate of row 7
        f"{c.uln},,,2,May/June 2027,P\n"  # row 9: fine
    )
    preview = w.read(text)
    problems = [str(p) for p in preview.problems]
    assert problems == [
        f"row 2, column ULN: unknown learner: no learner at centre {w.centre.number} has ULN "
        f"{make_uln(9999)}",
        f"row 3, column Surname: unknown learner: candidate number 0103 at centre "
        f"{w.centre.number} is Dubois, Chloé, not Smith",
        f"row 4, column Unit: unit not on their qualification: Okafor, Amara's qualification "
        f"({w.cohort.qualification.number}) has no unit 7",
        f"row 5, column Unit: unit not external: unit 1 of {w.cohort.qualification.number} is "
        "internally assessed; its grade comes from the centre's assessment decisions, not from "
        "Pearson's results file",
        "row 6, column Grade: unknown grade code: Q is not a unit grade Pearson gives (U, N or "
        "Near Pass, P, M, D; L1P to L2D* for a Tech Award or First)",
        "row 8, column Unit: duplicate row: O'Neill, Ben's unit 2 in May/June 2027 is also on "
        "row 7",
    ]
    with pytest.raises(services.ImportRefused):
        services.write_results(preview, w.centre, by=w.eo, source="results.csv")
    assert not ExternalResult.objects.exists()
    assert not AuditEvent.objects.filter(action="claims.external_result.imported").exists()


def test_a_qualification_the_learner_is_not_registered_on_is_named(w):
    preview = w.read(f"ULN,QN,Unit,Series,Grade\n{w.learners[0].uln},603/6837/8,2,Jan 2027,P\n")
    assert [str(p) for p in preview.problems] == [
        "row 2, column QN: unit not on their qualification: Okafor, Amara is not registered "
        "on 603/6837/8"
    ]


def test_a_reimport_makes_a_new_current_result_and_keeps_the_old(w):
    a = w.learners[0]
    w.write(f"ULN,Unit,Series,Grade,Points\n{a.uln},2,May/June 2027,P,9\n", "first.csv")
    # the same result again changes nothing
    again = w.read(f"ULN,Unit,Series,Grade,Points\n{a.uln},2,May/June 2027,P,9\n")
    assert again.ok and again.changes == 0
    # a changed result (after a review of marking) is a new current row
    w.write(f"ULN,Unit,Series,Grade,Points\n{a.uln},2,May/June 2027,M,15\n", "amended.csv")
    rows = list(ExternalResult.objects.filter(learner=a).order_by("pk"))
    assert [(r.grade, r.current, r.source) for r in rows] == [
        ("P", False, "first.csv"),
        ("M", True, "amended.csv"),
    ]
    assert rows[1].replaces == rows[0]
    # a resit in a later series is its own result; both stay current
    w.write(f"ULN,Unit,Series,Grade\n{a.uln},2,January 2028,D\n", "resit.csv")
    assert ExternalResult.objects.filter(learner=a, current=True).count() == 2


def test_other_centres_learners_are_never_matched(w):
    text = (
        "ULN,Candidate number,Surname,Forenames,Unit,Series,Grade\n"
        f"{w.stranger.uln},,,,2,May/June 2027,D\n"
    )
    problems = [str(p) for p in w.read(text).problems]
    assert problems == [
        f"row 2, column ULN: unknown learner: no learner at centre {w.centre.number} has ULN "
        f"{w.stranger.uln}"
    ]
    # the candidate number 0101 + Okafor, Amara is this centre's own learner, never the other's
    w.write(
        "Candidate number,Surname,Forenames,Unit,Series,Grade\n0101,Okafor,Amara,2,May 2027,D\n"
    )
    assert list(ExternalResult.objects.values_list("learner_id", flat=True)) == [w.learners[0].pk]
    assert not ExternalResult.objects.filter(learner=w.stranger).exists()


def command(w, path, *extra):
    out = StringIO()
    code = 0
    try:
        call_command(
            "import_results", str(path), "--centre", w.centre.number, *extra,
            "--user", w.eo.username, stdout=out, stderr=out,
        )  # fmt: skip
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_the_command_previews_then_commits_and_exits_1_on_problems(w, tmp_path):
    good = tmp_path / "results.csv"
    good.write_text(good_csv(w))
    code, out = command(w, good)
    assert code == 0
    assert "Preview: 3 row(s) read: 3 result(s) new or changed, 0 unchanged." in out
    assert not ExternalResult.objects.exists()
    code, out = command(w, good, "--commit")
    assert code == 0 and "3 result(s) written" in out
    assert ExternalResult.objects.count() == 3
    assert ExternalResult.objects.first().source == "results.csv"

    bad = tmp_path / "bad.csv"
    bad.write_text(f"ULN,Unit,Series,Grade\n{w.learners[0].uln},2,May/June 2027,X\n")
    code, out = command(w, bad, "--commit")
    assert code == 1
    assert "row 2, column Grade: unknown grade code: X" in out
    assert "1 row(s) read, 1 problem(s): nothing was written." in out
    assert ExternalResult.objects.count() == 3


def test_the_page_previews_then_confirms(w, client):
    client.force_login(w.eo)
    url = reverse("claims:results_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("results.csv", good_csv(w).encode(), "text/csv")
    response = client.post(url, {"centre": w.centre.pk, "file": upload})
    assert response.status_code == 200
    assert "3 results would be written" in response.content.decode()
    assert not ExternalResult.objects.exists()
    record = ResultsImport.objects.get()
    confirm = reverse("claims:results_import_confirm", args=[record.pk])
    assert client.post(confirm).status_code == 302
    assert ExternalResult.objects.count() == 3
    # twice is once
    client.post(confirm)
    assert ExternalResult.objects.count() == 3


def test_the_page_names_each_problem_and_offers_no_confirm(w, client):
    client.force_login(w.eo)
    upload = SimpleUploadedFile(
        "results.csv", f"ULN,Unit,Series,Grade\n{w.learners[0].uln},1,May 2027,D\n".encode()
    )
    response = client.post(
        reverse("claims:results_import"), {"centre": w.centre.pk, "file": upload}
    )
    html = response.content.decode()
    assert "row 2, column Unit: unit not external" in html
    assert "Confirm the import" not in html


def test_the_page_is_403_for_a_weak_role(w, client):
    client.force_login(person(Role.ASSESSOR_IV, w.centre))
    assert client.get(reverse("claims:results_import")).status_code == 403
    record = ResultsImport.objects.create(
        centre=w.centre, file_name="x.csv", file_sha256="", status="previewed"
    )
    assert (
        client.post(reverse("claims:results_import_confirm", args=[record.pk])).status_code == 403
    )


def test_the_preview_runs_a_fixed_number_of_queries(w, django_assert_max_num_queries):
    rows = "".join(f"{lr.uln},2,May/June 2027,P\n" for lr in w.learners)
    with django_assert_max_num_queries(6):
        assert w.read("ULN,Unit,Series,Grade\n" + rows).ok


def test_a_series_written_another_way_is_the_configured_series_its_entry_carries(w):
    """Pearson's file may say "Jan 2027" or "MAY/JUNE 2027": the result is kept under the
    year's configured series name, so its entry shows it and a re-import matches it."""
    import datetime as dt

    from claims import services_entries

    a, b, _ = w.learners
    (entry,) = services_entries.make_entries(
        w.cohort, "2026/27", "January 2027", [(a.pk, w.exam.pk)], by=w.eo,
        today=dt.date(2026, 10, 1),
    )  # fmt: skip
    w.write(
        "ULN,Unit,Series,Grade\n"
        f"{a.uln},2,Jan 2027,P\n"
        f"{b.uln},3,MAY/JUN  2027,M\n"
        f"{b.uln},2,Summer term 2027,D\n"  # no configured series: kept as written
    )
    got = sorted(ExternalResult.objects.values_list("learner__uln", "unit__number", "series"))
    assert got == [
        (a.uln, "2", "January 2027"),
        (b.uln, "2", "Summer term 2027"),
        (b.uln, "3", "May/June 2027"),
    ]
    rows, _ = services_entries.entries_with_results([entry])
    assert rows[0][1].grade == "P"
    # the same result written the configured way is the same result, unchanged
    again = w.read(f"ULN,Unit,Series,Grade\n{a.uln},2,january 2027,P\n")
    assert again.ok and again.changes == 0
    # and a row repeating it another way is a duplicate
    twice = w.read(f"ULN,Unit,Series,Grade\n{a.uln},2,Jan 2027,P\n{a.uln},2,January 2027,M\n")
    assert [str(p) for p in twice.problems] == [
        "row 3, column Unit: duplicate row: Okafor, Amara's unit 2 in January 2027 is also on row 2"
    ]
