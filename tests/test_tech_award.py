"""Tech Awards: the shipped Tech Award, its series, series entries, PSA marks to component
grades, and the cohort's assessment record for moderation (domain.md §2.2)."""

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from assessment.models import ComponentEntry, ComponentMark
from assessment.selectors_tech_award import assessment_record
from assessment.services_tech_award import (
    configure_component,
    enter_for_series,
    grade_for_mark,
    load_shipped_tech_awards,
    record_component_mark,
    withdraw_entry,
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
    enter_for_series(cohort, component, by=cast[Role.EXAMS_OFFICER])
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


def _record_url(cohort, series):
    from django.urls import reverse

    return f"{reverse('assessment:moderation_record', args=[cohort.pk])}?series={series.pk}"


def test_the_moderation_record_page_enters_a_mark_and_downloads_the_record(award, cast, client):
    import io

    import openpyxl
    from django.urls import reverse

    q, series, component, cohort = award
    a = LearnerFactory(centre=cohort.centre, last_name="Alpha", uln=make_uln(21))
    register_on(cohort, a)
    enter_for_series(cohort, component, by=cast[Role.EXAMS_OFFICER])
    client.force_login(cast[Role.ASSESSOR_IV])
    page = client.get(_record_url(cohort, series)).content.decode()
    assert "ALPHA" in page and "Component 1" in page
    assert "No raw-mark maximum or grade boundaries for Component 2" in page
    mark_url = reverse("assessment:moderation_record_mark", args=[cohort.pk])
    post = {"series": series.pk, "component": component.pk, "learner": a.pk, "raw_mark": 33}
    response = client.post(mark_url, post, follow=True)
    assert "Mark recorded for" in response.content.decode()
    assert "33 (L2M)" in client.get(_record_url(cohort, series)).content.decode()
    response = client.post(mark_url, {**post, "raw_mark": 99}, follow=True)
    assert "marks run from 0 to 60" in response.content.decode()
    assert ComponentMark.objects.get(learner=a).raw_mark == 33
    client.force_login(cast[Role.EXAMS_OFFICER])
    download = client.get(
        f"{reverse('assessment:moderation_record_export', args=[cohort.pk])}?series={series.pk}"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == (
        "ULN",
        "Candidate number",
        "Learner",
        "Component 1 raw mark",
        "Component 1 grade",
    )
    assert rows[1][0] == a.uln and rows[1][3:5] == (33, "L2M")


def test_a_nationals_cohort_has_no_moderation_record(db, cast, client, own_centre):
    from django.urls import reverse

    cohort = CohortFactory(centre=own_centre)
    client.force_login(cast[Role.EXAMS_OFFICER])
    url = reverse("assessment:moderation_record", args=[cohort.pk])
    assert client.get(url).status_code == 404


def test_the_moderation_record_runs_as_many_queries_for_2_learners_as_for_20(award, cast, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    q, series, component, cohort = award
    client.force_login(cast[Role.EXAMS_OFFICER])
    counts = []
    for n in (2, 20):
        while cohort.registrations.count() < n:
            i = cohort.registrations.count()
            learner = LearnerFactory(centre=cohort.centre, uln=make_uln(100 + i))
            register_on(cohort, learner)
            enter_for_series(cohort, component, [learner], by=cast[Role.EXAMS_OFFICER])
            record_component_mark(learner, cohort, component, 20 + i, by=cast[Role.LEAD_IV])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_record_url(cohort, series)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_the_cohort_page_leads_to_the_tracking_sheet_and_the_moderation_record(
    award, cast, client, own_centre
):
    from django.urls import reverse

    _q, _series, _component, cohort = award
    nationals = CohortFactory(centre=own_centre)
    client.force_login(cast[Role.EXAMS_OFFICER])
    page = client.get(reverse("learners:cohort_detail", args=[cohort.pk])).content.decode()
    assert reverse("assessment:tracking_sheet", args=[cohort.pk]) in page
    assert reverse("assessment:moderation_record", args=[cohort.pk]) in page
    page = client.get(reverse("learners:cohort_detail", args=[nationals.pk])).content.decode()
    assert reverse("assessment:tracking_sheet", args=[nationals.pk]) in page
    assert "Assessment record for moderation" not in page


# --- series entries ----------------------------------------------------------------------


@pytest.fixture
def two_series(award):
    """The award's May/June component 1, and component 1 in the December/January before."""
    q, may, component, cohort = award
    dec = AssessmentSeries.objects.get(qualification=q, academic_year="2026/27", window="dec_jan")
    dec_component = configure_component(
        dec,
        q.units.get(number="1"),
        max_mark=60,
        boundaries=BOUNDARIES,
        source="test figures",
        unconfirmed="",
    )
    return cohort, component, dec_component


def _class(cohort, *names):
    out = []
    for i, name in enumerate(names):
        learner = LearnerFactory(centre=cohort.centre, last_name=name, uln=make_uln(300 + i))
        register_on(cohort, learner)
        out.append(learner)
    return out


def test_entering_the_class_enters_each_registered_learner_once_and_audits_it(two_series, cast):
    cohort, component, _dec = two_series
    officer = cast[Role.EXAMS_OFFICER]
    a, b = _class(cohort, "Alpha", "Beta")
    unregistered = LearnerFactory(centre=cohort.centre, last_name="Gamma")
    entries = enter_for_series(cohort, component, by=officer)
    assert sorted(e.learner_id for e in entries) == sorted([a.pk, b.pk])
    assert {e.unit_id for e in ComponentEntry.objects.all()} == {component.unit_id}
    events = AuditEvent.objects.filter(action="assessment.component_entry.entered")
    assert sorted(e.learner_id for e in events) == sorted([a.pk, b.pk])
    assert enter_for_series(cohort, component, by=officer) == []  # nobody left to enter
    assert ComponentEntry.objects.count() == 2
    with pytest.raises(ValidationError, match=f"{unregistered} is not registered on"):
        enter_for_series(cohort, component, [unregistered], by=officer)


def test_an_entry_for_the_same_component_in_another_series_is_refused_naming_both(two_series, cast):
    cohort, may, dec = two_series
    officer = cast[Role.EXAMS_OFFICER]
    (a,) = _class(cohort, "Alpha")
    enter_for_series(cohort, dec, by=officer)
    with pytest.raises(ValidationError) as refused:
        enter_for_series(cohort, may, [a], by=officer)
    assert refused.value.messages == [
        f"{a} is already entered for Component 1 in the December/January series 2026/27: "
        "withdraw that entry first."
    ]
    assert enter_for_series(cohort, may, by=officer) == []  # the class: not entered twice
    assert ComponentEntry.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_a_mark_without_an_entry_in_its_series_is_refused(two_series, cast):
    cohort, may, dec = two_series
    (a,) = _class(cohort, "Alpha")
    with pytest.raises(ValidationError, match="enter them for May/June series 2026/27 first"):
        record_component_mark(a, cohort, may, 30, by=cast[Role.ASSESSOR_IV])
    enter_for_series(cohort, dec, by=cast[Role.EXAMS_OFFICER])
    with pytest.raises(ValidationError, match="enter them for May/June series 2026/27 first"):
        record_component_mark(a, cohort, may, 30, by=cast[Role.ASSESSOR_IV])
    assert not ComponentMark.objects.exists()
    record_component_mark(a, cohort, dec, 30, by=cast[Role.ASSESSOR_IV])
    assert ComponentMark.objects.get().component == dec


def test_a_withdrawn_entry_lets_the_learner_be_entered_in_the_other_series(two_series, cast):
    cohort, may, dec = two_series
    officer = cast[Role.EXAMS_OFFICER]
    (a,) = _class(cohort, "Alpha")
    (entry,) = enter_for_series(cohort, dec, by=officer)
    withdrawn = withdraw_entry(entry, by=officer)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by == officer
    assert AuditEvent.objects.filter(
        action="assessment.component_entry.withdrawn", learner_id=a.pk
    ).exists()
    with pytest.raises(ValidationError, match="enter them for December/January"):
        record_component_mark(a, cohort, dec, 30, by=officer)
    (again,) = enter_for_series(cohort, may, by=officer)
    assert again.component == may
    record_component_mark(a, cohort, may, 30, by=officer)
    with pytest.raises(ValidationError, match="already withdrawn"):
        withdraw_entry(entry, by=officer)


def test_an_entry_with_a_mark_cannot_be_withdrawn(two_series, cast):
    cohort, may, _dec = two_series
    officer = cast[Role.EXAMS_OFFICER]
    (a,) = _class(cohort, "Alpha")
    (entry,) = enter_for_series(cohort, may, by=officer)
    record_component_mark(a, cohort, may, 30, by=cast[Role.ASSESSOR_IV])
    with pytest.raises(ValidationError, match="has a mark recorded for Component 1"):
        withdraw_entry(entry, by=officer)
    entry.refresh_from_db()
    assert entry.withdrawn_at is None


def test_only_the_exams_officer_enters_or_withdraws(two_series, cast):
    from django.core.exceptions import PermissionDenied

    cohort, may, _dec = two_series
    _class(cohort, "Alpha")
    with pytest.raises(PermissionDenied):
        enter_for_series(cohort, may, by=cast[Role.ASSESSOR_IV])
    (entry,) = enter_for_series(cohort, may, by=cast[Role.EXAMS_OFFICER])
    with pytest.raises(PermissionDenied):
        withdraw_entry(entry, by=cast[Role.LEAD_IV])
    assert not ComponentEntry.objects.filter(withdrawn_at__isnull=False).exists()


def test_the_record_page_shows_entries_enters_the_class_and_withdraws(two_series, cast, client):
    from django.urls import reverse

    cohort, may, dec = two_series
    a, b = _class(cohort, "Alpha", "Beta")
    enter_for_series(cohort, dec, [b], by=cast[Role.EXAMS_OFFICER])
    client.force_login(cast[Role.EXAMS_OFFICER])
    page = client.get(_record_url(cohort, may.series)).content.decode()
    assert "Enter the class for Component 1 in this series" in page
    assert "Not entered" in page and "Entered for December/January series 2026/27" in page
    response = client.post(
        reverse("assessment:moderation_record_enter", args=[cohort.pk]),
        {"series": may.series.pk, "component": may.pk},
        follow=True,
    )
    assert "1 learner entered for Component 1, May/June series 2026/27" in (
        response.content.decode()
    )
    entry = ComponentEntry.objects.get(learner=a, withdrawn_at__isnull=True)
    assert entry.component == may
    assert ComponentEntry.objects.get(learner=b, withdrawn_at__isnull=True).component == dec
    page = client.get(_record_url(cohort, may.series)).content.decode()
    assert ">Entered<" in page and "Withdraw" in page
    response = client.post(
        reverse("assessment:moderation_record_withdraw", args=[cohort.pk]),
        {"series": may.series.pk, "entry": entry.pk},
        follow=True,
    )
    assert "entry for Component 1, May/June series 2026/27 withdrawn" in response.content.decode()
    entry.refresh_from_db()
    assert entry.withdrawn_at is not None
    client.force_login(cast[Role.ASSESSOR_IV])  # records marks, does not enter
    page = client.get(_record_url(cohort, may.series)).content.decode()
    assert "Enter the class for" not in page and "Withdraw" not in page


def test_the_entry_posts_are_403_for_a_weak_role_and_404_from_another_centre(
    two_series, cast, client, make_user, other_centre
):
    from django.urls import reverse

    cohort, may, _dec = two_series
    (a,) = _class(cohort, "Alpha")
    (entry,) = enter_for_series(cohort, may, by=cast[Role.EXAMS_OFFICER])
    enter_url = reverse("assessment:moderation_record_enter", args=[cohort.pk])
    withdraw_url = reverse("assessment:moderation_record_withdraw", args=[cohort.pk])
    enter = {"series": may.series.pk, "component": may.pk}
    withdraw = {"series": may.series.pk, "entry": entry.pk}
    client.force_login(cast[Role.ASSESSOR_IV])
    assert client.post(enter_url, enter).status_code == 403
    assert client.post(withdraw_url, withdraw).status_code == 403
    client.force_login(make_user("eo_elsewhere", Role.EXAMS_OFFICER, centre=other_centre))
    assert client.post(enter_url, enter).status_code == 404
    assert client.post(withdraw_url, withdraw).status_code == 404
    entry.refresh_from_db()
    assert entry.withdrawn_at is None
