"""Grading tables as data (issue 11, item 4): the unit grade rule, points, thresholds,
eligibility, and an estimated qualification grade that is always labelled as one."""

import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from qualifications import catalogue
from qualifications.catalogue import load_shipped_qualifications
from qualifications.grading import (
    GradingError,
    GradingTablesMissing,
    estimated_grade,
    unit_grade,
    unit_points,
)
from qualifications.grading_data import apply_grading, grading_problems
from qualifications.models import GradingTable, Qualification, Unit, UnitPoints
from qualifications.selectors import grading_tables
from tests.factories import QualificationFactory, UserFactory

BUSINESS = "601/7159/5"  # units 1 (90, internal), 2 (90, ext), 3 (120, ext); 8, 14, 22 (60)
COHORT = "2026/27"

# Business unit 1, as shipped.
UNIT_1 = ["A.P1", "A.P2", "A.M1", "AB.D1", "B.P3", "B.M2", "C.P4", "C.P5", "C.M3", "C.D2"]
UNIT_1 += ["D.P6", "D.M4", "D.D3", "E.P7", "E.M5", "E.D4"]
PASS = [c for c in UNIT_1 if ".P" in c]
MERIT = [c for c in UNIT_1 if ".M" in c]
DISTINCTION = [c for c in UNIT_1 if ".D" in c]


@pytest.fixture
def business(db):
    load_shipped_qualifications()
    return Qualification.objects.get(number=BUSINESS)


def grades(**by_unit):
    """grades(u1="P", u2="N") -> {"1": "P", "2": "N"}"""
    return {k.removeprefix("u"): v for k, v in by_unit.items()}


# ---------------------------------------------------------------- the unit grade rule


def test_a_unit_is_u_until_every_pass_criterion_is_achieved():
    assert unit_grade([], UNIT_1) == "U"
    assert unit_grade(PASS[:-1], UNIT_1) == "U"
    # Every Merit and Distinction criterion, but one Pass missing: still U.
    assert unit_grade(PASS[:-1] + MERIT + DISTINCTION, UNIT_1) == "U"


def test_merit_needs_every_pass_and_merit_and_distinction_needs_all_three():
    assert unit_grade(PASS, UNIT_1) == "P"
    assert unit_grade(PASS + MERIT[:-1], UNIT_1) == "P"
    assert unit_grade(PASS + MERIT, UNIT_1) == "M"
    # Every Distinction criterion without every Merit one is a Pass, not a Distinction.
    assert unit_grade(PASS + MERIT[1:] + DISTINCTION, UNIT_1) == "P"
    assert unit_grade(PASS + MERIT + DISTINCTION[:-1], UNIT_1) == "M"
    assert unit_grade(PASS + MERIT + DISTINCTION, UNIT_1) == "D"


def test_the_level_is_the_letter_after_the_dot_whatever_the_case(business):
    criteria = Unit.objects.get(qualification=business, number="1").criteria.all()
    achieved = [c.lower() for c in PASS + MERIT]  # as typed into a grid
    assert unit_grade(achieved, criteria) == "M"
    assert unit_grade(["P1", "P2", "M1"], ["P1", "P2", "M1", "D1"]) == "M"


def test_criteria_of_another_unit_and_units_without_criteria_are_refused():
    with pytest.raises(GradingError, match="Not criteria of this unit: Z.P9"):
        unit_grade(PASS + ["Z.P9"], UNIT_1)
    with pytest.raises(GradingError, match="no Pass, Merit or Distinction criteria"):
        unit_grade([], [])


# ---------------------------------------------------------------- points


def test_unit_points_by_size_and_grade_with_near_pass_for_external_units(business):
    unit = {u.number: u for u in business.units.all()}
    assert unit_points(business, unit["1"], "M") == 15  # 90 GLH
    assert unit_points(business, unit["3"], "d") == 32  # 120 GLH
    assert unit_points(business, unit["8"], "P", cohort_start_year=COHORT) == 6  # 60 GLH
    assert unit_points(business, unit["2"], "N") == 6  # Near Pass, external 90 GLH
    assert unit_points(business, unit["3"], "N") == 8
    with pytest.raises(GradingError, match="external units only; unit 1 is internal"):
        unit_points(business, unit["1"], "N")
    with pytest.raises(GradingError, match="'X' is not a unit grade"):
        unit_points(business, unit["1"], "X")


def test_a_missing_points_table_or_row_is_refused_by_name(business):
    unit = business.units.get(number="1")
    UnitPoints.objects.filter(table__qualification=business, glh=90, grade="M").delete()
    with pytest.raises(GradingTablesMissing, match="no points for a 90-GLH unit at M"):
        unit_points(business, unit, "M")
    business.grading_tables.filter(kind="unit_points").delete()
    with pytest.raises(GradingTablesMissing, match=r"No unit points table for .*601/7159/5"):
        unit_points(business, unit, "P")


# ---------------------------------------------------------------- the estimate


def test_the_pass_threshold_each_side(business):
    at = estimated_grade(business, grades(u1="P", u2="P", u3="P", u8="P"), COHORT)
    assert (at.points, at.label) == (36, "Estimated: P")
    below = estimated_grade(business, grades(u1="U", u2="P", u3="M", u8="P"), COHORT)
    assert (below.points, below.label) == (35, "Estimated: U")


def test_distinction_star_from_exactly_its_threshold(business):
    star = estimated_grade(business, grades(u1="D", u2="D", u3="D", u8="M"), COHORT)
    assert (star.points, star.label) == (90, "Estimated: D*")
    under = estimated_grade(business, grades(u1="D", u2="M", u3="D", u8="D"), COHORT)
    assert (under.points, under.label) == (87, "Estimated: D")


def test_the_estimate_is_always_labelled_and_carries_the_unconfirmed_marks(business):
    estimate = estimated_grade(business, grades(u1="M", u2="N", u3="P", u14="M"), COHORT)
    assert estimate.possible and estimate.points == 15 + 6 + 12 + 10
    assert str(estimate) == estimate.label == "Estimated: P"  # 43
    assert estimate.is_unconfirmed
    assert any("Near Pass (N) points" in note for note in estimate.unconfirmed)
    assert any("Extended Certificate" in note for note in estimate.unconfirmed)
    assert len(estimate.sources) == 3
    refused = estimated_grade(business, grades(u1="M"), COHORT)
    assert refused.label.startswith("Estimate not possible: ") and refused.grade is None


def test_a_failed_must_pass_rule_is_named_whatever_the_points(business):
    estimate = estimated_grade(business, grades(u1="D", u2="U", u3="D", u8="D"), COHORT)
    assert not estimate.possible and estimate.points == 72
    assert estimate.label == (
        "Estimate not possible: eligibility rule not met: units 2, 3 each at "
        "N (Near Pass) or above (unit 2 is U)"
    )


def test_an_incomplete_or_oversized_combination_gets_no_estimate(business):
    missing = estimated_grade(business, grades(u1="P", u2="P", u3="P"), COHORT)
    assert missing.label == (
        "Estimate not possible: eligibility rule not met: an outcome for every unit of a "
        "combination that makes the qualification's size (the units come to 300 GLH; "
        "the qualification is 360)"
    )
    ungraded = estimated_grade(business, grades(u1="", u2="P", u3="P", u8="P"), COHORT)
    assert ungraded.label == "Estimate not possible: no grade yet for unit 1"
    near_internal = estimated_grade(business, grades(u1="N", u2="P", u3="P", u8="P"), COHORT)
    assert "Near Pass (N) is a grade for external units only" in near_internal.label
    stranger = estimated_grade(business, {"99": "P"}, COHORT)
    assert stranger.label == "Estimate not possible: unit 99 is not a unit of 601/7159/5"


def test_missing_tables_are_refused_with_their_names(business):
    early = estimated_grade(business, grades(u1="P", u2="P", u3="P", u8="P"), "2019/20")
    assert early.missing_tables == ("qualification grade thresholds",)
    assert early.label == (
        "Estimate not possible: no qualification grade thresholds for "
        f"{business.title} (601/7159/5) for the cohort starting 2019/20; "
        "add them from the specification"
    )
    tech = QualificationFactory(number="603/7055/5", grading_scheme="tech_award", glh=120)
    estimate = estimated_grade(tech, {}, COHORT)
    assert estimate.missing_tables == (
        "unit points",
        "qualification grade thresholds",
        "eligibility rules",
    )
    assert not estimate.possible


def test_the_latest_table_for_the_cohort_applies(business):
    apply_grading(
        business,
        {"thresholds": [{"from_cohort": "2027/28", "source": "test", "grades": [
            {"grade": "U", "min_points": 0}, {"grade": "P", "min_points": 40}]}]},
        None,
    )  # fmt: skip
    passing = grades(u1="P", u2="P", u3="P", u8="P")  # 36 points
    assert estimated_grade(business, passing, "2026/27").label == "Estimated: P"
    assert estimated_grade(business, passing, "2027/28").label == "Estimated: U"
    assert estimated_grade(business, passing, "2030/31").label == "Estimated: U"


DIPLOMA_GRADING = {
    "unit_points": [
        {
            "from_cohort": "2016/17",
            "source": "domain.md 2.1",
            "points": [{"glh": 120, "U": 0, "P": 12, "M": 20, "D": 32}],
        }
    ],
    "thresholds": [
        {
            "from_cohort": "2020/21",
            "source": "domain.md 2.1, Diploma 720 GLH",
            "unconfirmed": "UK Diploma thresholds UNCONFIRMED",
            "grades": [
                {"grade": g, "min_points": p}
                for g, p in [("U", 0), ("PP", 72), ("MP", 88), ("MM", 104), ("DM", 124)]
                + [("DD", 144), ("D*D", 162), ("D*D*", 180)]
            ],
        }
    ],
    "eligibility": [
        {
            "from_cohort": "2016/17",
            "source": "test",
            "rules": [
                {"kind": "complete"},
                {"kind": "glh_at_least", "minimum_grade": "P", "minimum": 600},
                {"kind": "count_at_least", "units": "1, 2, 3", "minimum_grade": "M",
                 "minimum": 2},
            ],
        }
    ],
}  # fmt: skip


@pytest.fixture
def diploma(db):
    q = QualificationFactory(number="601/0000/1", glh=720, title="A Diploma")
    for n in range(1, 7):
        Unit.objects.create(qualification=q, number=str(n), title=f"U{n}", glh=120,
                            assessment="internal")  # fmt: skip
    assert grading_problems(DIPLOMA_GRADING, {str(n) for n in range(1, 7)}) == []
    apply_grading(q, DIPLOMA_GRADING, None)
    return q


def six(letters: str) -> dict:
    return dict(zip("123456", letters, strict=True))


def test_a_diploma_gets_its_two_letter_grades(diploma):
    def estimate(*letters):
        return estimated_grade(diploma, six(letters), COHORT)

    assert estimate(*"DDDDDD").label == "Estimated: D*D*"  # 192
    assert estimate(*"DDDDMM").label == "Estimated: D*D"  # 168
    assert estimate(*"DDMMMM").label == "Estimated: DD"  # 144
    assert estimate(*"MMMMMP").label == "Estimated: MM"  # 112
    assert estimate(*"MMPPPP").label == "Estimated: MP"  # 88


def test_glh_and_count_rules_are_named_when_unmet(diploma):
    two_fails = estimated_grade(diploma, six("DDDDUU"), COHORT)
    assert two_fails.label == (
        "Estimate not possible: eligibility rule not met: at least 600 GLH of the units "
        "at P (Pass) or above (480 GLH are)"
    )
    few_merits = estimated_grade(diploma, six("MPPDDD"), COHORT)
    assert few_merits.label == (
        "Estimate not possible: eligibility rule not met: at least 2 of units 1, 2, 3 "
        "at M (Merit) or above (1 is)"
    )


def test_a_class_is_estimated_from_one_read_of_the_tables(business, django_assert_num_queries):
    units = list(business.units.filter(number__in=["1", "2", "3", "8"]))
    with django_assert_num_queries(4):
        tables = grading_tables(business, COHORT)
    with django_assert_num_queries(0):
        for _ in range(30):
            estimated_grade(business, grades(u1="M", u2="P", u3="P", u8="D"), COHORT,
                            units=units, tables=tables)  # fmt: skip


# ---------------------------------------------------------------- shipped data


def test_the_shipped_tables_keep_domain_md_figures_and_unconfirmed_marks(business):
    for path in sorted(catalogue.CATALOGUE_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        number = data["qualification"]["number"]
        tables = {t.kind: t for t in GradingTable.objects.filter(qualification__number=number)}
        assert set(tables) == {"unit_points", "thresholds", "eligibility"}, path.name
        assert all(t.source for t in tables.values())
        assert all(t.is_unconfirmed for t in tables.values()), "each has an UNCONFIRMED part"
        points = {(r.glh, r.grade): r.points for r in tables["unit_points"].unit_points.all()}
        assert [points[(g, "N")] for g in (60, 90, 120)] == [4, 6, 8]
        assert "UNCONFIRMED: Near Pass (N) points 4/6/8" in tables["unit_points"].unconfirmed
        assert [points[(90, g)] for g in "UPMD"] == [0, 9, 15, 24]
        thresholds = [(t.grade, t.min_points) for t in tables["thresholds"].thresholds.all()]
        assert thresholds == [("U", 0), ("P", 36), ("M", 52), ("D", 74), ("D*", 90)]
        assert "UNCONFIRMED" in tables["thresholds"].unconfirmed
        external = [u["number"] for u in data["units"] if u["assessment"] == "external"]
        must_pass = tables["eligibility"].rules.get(kind="units_at_least")
        assert (must_pass.unit_numbers, must_pass.minimum_grade) == (external, "N")


def test_loading_again_keeps_admin_edits_and_restores_the_rest(business):
    events = AuditEvent.objects.count()
    load_shipped_qualifications()
    assert AuditEvent.objects.count() == events, "a second load writes nothing"

    points = business.grading_tables.get(kind="unit_points")
    points.unit_points.filter(glh=90, grade="P").update(points=99)
    thresholds = business.grading_tables.get(kind="thresholds")
    thresholds.thresholds.filter(grade="P").update(min_points=40)
    GradingTable.objects.filter(pk=thresholds.pk).update(edited=True)

    out = io.StringIO()
    call_command("load_qualifications", stdout=out)
    assert points.unit_points.get(glh=90, grade="P").points == 9  # shipped: restored
    assert thresholds.thresholds.get(grade="P").min_points == 40  # edited: kept
    assert f"kept as changed in the admin: {thresholds}" in out.getvalue()
    event = AuditEvent.objects.get(action="qualifications.grading_table.updated")
    assert {"glh": 90, "grade": "P", "points": 99} in json.loads(event.before)["rows"]


@pytest.mark.parametrize(
    "grading, problem",
    [
        ({"unit_points": [{"from_cohort": "2016/17", "points": []}]}, "no source"),
        ({"thresholds": [{"from_cohort": "2016", "source": "s"}]}, "from_cohort '2016'"),
        ({"unit_points": [{"from_cohort": "2016/17", "source": "s",
                           "points": [{"glh": 60, "X": 3}]}]}, "'X' is not a unit grade"),
        ({"eligibility": [{"from_cohort": "2016/17", "source": "s",
                           "rules": [{"kind": "units_at_least", "units": "2, 9",
                                      "minimum_grade": "P"}]}]},
         "not units of this qualification: 9"),
        ({"thresholds": [{"from_cohort": "2016/17", "source": "s", "grades": [
            {"grade": "P", "min_points": 36}, {"grade": "M", "min_points": 36}]}]},
         "min_points 36 is listed twice"),
        ({"bonus": []}, "unknown table kind 'bonus'"),
    ],
)  # fmt: skip
def test_bad_shipped_grading_data_is_named(grading, problem):
    problems = grading_problems(grading, {"1", "2", "3"})
    assert any(problem in p for p in problems), problems


def test_the_admin_edits_a_table_marks_it_edited_and_audits_its_rows(client, business):
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    assert client.get("/admin/qualifications/gradingtable/").status_code == 200
    table = business.grading_tables.get(kind="thresholds")
    url = f"/admin/qualifications/gradingtable/{table.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    rows = list(table.thresholds.all())
    data = {
        "qualification": business.pk,
        "kind": table.kind,
        "from_cohort": table.from_cohort,
        "source": table.source,
        "unconfirmed": "Checked against the specification, issue 5",
        "thresholds-TOTAL_FORMS": len(rows),
        "thresholds-INITIAL_FORMS": len(rows),
        "thresholds-MIN_NUM_FORMS": 0,
        "thresholds-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data |= {
            f"thresholds-{i}-id": row.pk,
            f"thresholds-{i}-table": table.pk,
            f"thresholds-{i}-grade": row.grade,
            f"thresholds-{i}-min_points": 38 if row.grade == "P" else row.min_points,
        }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    table.refresh_from_db()
    assert table.edited and table.thresholds.get(grade="P").min_points == 38
    event = AuditEvent.objects.filter(actor_id=boss.pk).latest("seq")
    assert {"grade": "P", "min_points": 38} in json.loads(event.after)["rows"]
    assert {"grade": "P", "min_points": 36} in json.loads(event.before)["rows"]
