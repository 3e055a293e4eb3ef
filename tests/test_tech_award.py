"""Tech Awards: the shipped Tech Award, its series, PSA marks to component grades, and the
cohort's assessment record for moderation (domain.md §2.2)."""

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from assessment.models import ComponentMark
from assessment.selectors_tech_award import assessment_record
from assessment.services_tech_award import (
    configure_component,
    grade_for_mark,
    load_shipped_tech_awards,
    record_component_mark,
)
from audit.models import AuditEvent
from qualifications.models import AssessmentSeries, Qualification
from tests.factories import CohortFactory, LearnerFactory, make_uln, register_on

BOUNDARIES = {"L1P": 10, "L1M": 15, "L1D": 20, "L2P": 25, "L2M": 32, "L2D": 40}


@pytest.fixture
def award(db, own_centre):
    load_shipped_tech_awards()
    q = Qualification.objects.get(number="603/7055/5")
    series = AssessmentSeries.objects.get(
        qualification=q, academic_year="2026/27", window="may_jun"
    )
    component = configure_component(
        series,
        q.units.get(number="1"),
        max_mark=60,
        boundaries=BOUNDARIES,
        source="test figures",
        unconfirmed="UNCONFIRMED: test figures",
    )
    cohort = CohortFactory(qualification=q, centre=own_centre, start_year="2026/27")
    return q, series, component, cohort


def test_the_shipped_tech_award_has_three_components_and_both_series_a_year(db):
    load_shipped_tech_awards()
    again = load_shipped_tech_awards()  # idempotent
    q = Qualification.objects.get(number="603/7055/5")
    assert q.grading_scheme == "tech_award" and not again[0].created
    assert [(u.number, u.assessment) for u in q.units.all()] == [
        ("1", "internal"),
        ("2", "internal"),
        ("3", "external"),
    ]
    series = AssessmentSeries.objects.filter(qualification=q, academic_year="2026/27")
    assert {(s.window, s.marks_due.isoformat()) for s in series} == {
        ("dec_jan", "2026-12-15"),
        ("may_jun", "2027-05-15"),
    }
    assert not q.assessment_series.filter(components__isnull=False).exists(), (
        "no UNCONFIRMED mark boundaries are shipped as if known"
    )


def test_a_raw_mark_gets_the_grade_of_its_series_boundaries_each_side(award):
    _q, _s, component, _c = award
    assert grade_for_mark(component, 9) == "U"
    assert grade_for_mark(component, 10) == "L1P"
    assert grade_for_mark(component, 24) == "L1D"
    assert grade_for_mark(component, 25) == "L2P"
    assert grade_for_mark(component, 60) == "L2D"
    with pytest.raises(ValidationError, match="marks run from 0 to 60"):
        grade_for_mark(component, 61)


def test_a_component_without_boundaries_is_refused_by_name(award):
    q, series, _component, _c = award
    bare = configure_component(
        series, q.units.get(number="2"), max_mark=60, boundaries={}, source="", unconfirmed=""
    )
    with pytest.raises(ValidationError, match="No grade boundaries for Component 2"):
        grade_for_mark(bare, 30)


def test_marks_are_recorded_audited_and_listed_for_moderation(award, cast):
    q, series, component, cohort = award
    teacher = cast[Role.ASSESSOR_IV]
    a = LearnerFactory(centre=cohort.centre, last_name="Alpha", uln=make_uln(11))
    b = LearnerFactory(centre=cohort.centre, last_name="Beta", uln=make_uln(12))
    outsider = LearnerFactory(centre=cohort.centre, last_name="Gamma")
    register_on(cohort, a)
    register_on(cohort, b)
    record_component_mark(a, cohort, component, 33, by=teacher)
    record_component_mark(a, cohort, component, 41, by=teacher)  # corrected after feedback
    with pytest.raises(ValidationError, match="not registered"):
        record_component_mark(outsider, cohort, component, 20, by=teacher)
    mark = ComponentMark.objects.get(learner=a)
    assert (mark.raw_mark, mark.grade) == (41, "L2D")
    events = AuditEvent.objects.filter(action="assessment.component_mark.recorded", learner_id=a.pk)
    assert events.count() == 2
    record = assessment_record(cohort, series)
    assert record.headings()[3:] == [
        "Component 1 raw mark",
        "Component 1 grade",
        "Component 2 raw mark",
        "Component 2 grade",
    ]
    table = record.table()
    assert table[0][3:5] == [41, "L2D"] and table[1][3:5] == ["", ""]
    assert record.unconfirmed == [f"{component}: UNCONFIRMED: test figures"]
