"""The evidence readers of the yearly policy monitoring report for three clauses of seed 000
that had none: 3.1.7 (our learners' QA records kept at another centre), 3.1.8 (their
progress and achievement records) and 3.1.10 (retention and disposal); and 3.1.1 for a
centre that teaches nothing in the year. Each reader: held, its exceptions named, another
centre's records kept out, and a fixed number of queries whatever the records' number."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from assessment.models import AssessmentPlan, ImportedUnitResult
from assessment.models_briefs import AssignmentBrief
from centres.models import ArrangementPartner, ArrangementQualification, CollaborativeArrangement
from declarations.checks import CheckContext, _briefs
from policies import monitoring
from policies import services_monitoring as services
from policies.models import MonitoringClause
from retention import services as retention
from retention.models import LegalHold, RetentionItem
from todos.models import ToDo

from .factories import (
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    decide,
    planned_assignment,
    register_on,
    unit_with_criteria,
)

R = Role
YEAR = "2025/26"  # the year monitored, in the autumn of 2026/27
pytestmark = pytest.mark.usefixtures("_autumn")


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 5, 10, 0), tick=True):
        yield


def _read(centre, clause) -> monitoring.ClauseResult:
    return next(r for r in monitoring.read_clauses(centre, YEAR) if r.clause.id == clause)


def _queries(reader_code, centre) -> int:
    reader = next(
        r
        for c in monitoring.all_clauses()
        for r in monitoring.readers_for(c.id)
        if r.code == reader_code
    )
    ctx = monitoring.MonitoringContext(centre, YEAR)
    with CaptureQueriesContext(connection) as captured:
        reader.function(ctx)
    return len(captured.captured_queries)


# --- 000-3.1.7: our learners' QA documentation, kept at the lead centre ------------------


def _taught_at(lead, home, *, title, n=1, names=("Homewood",), consent=True, plan=True):
    """A cohort of `lead`'s in 2025/26 whose group holds n of `home`'s learners; an
    arrangement led by `lead` that `home` accepted for the qualification; a plan and brief."""
    q = QualificationFactory(title=title)
    cohort = CohortFactory(centre=lead, qualification=q, start_year=YEAR)
    group = TeachingGroupFactory(cohort=cohort, academic_year=YEAR, name=f"{title} group")
    learners = [
        LearnerFactory(centre=home, last_name=names[i % len(names)], first_name=f"L{i}")
        for i in range(n)
    ]
    group.learners.add(*learners, LearnerFactory(centre=lead, last_name="Leadsworth"))
    if consent:
        arr = CollaborativeArrangement.objects.create(
            lead_centre=lead, name=f"{title} consortium", programme_code="CONS1", first_year=YEAR
        )
        ArrangementPartner.objects.create(
            arrangement=arr,
            centre=home,
            status=ArrangementPartner.Status.ACCEPTED,
            joined_on=dt.date(2025, 6, 1),
        )
        ArrangementQualification.objects.create(
            arrangement=arr, qualification=q, added_on=dt.date(2025, 6, 1)
        )
    if plan:
        unit = unit_with_criteria(q, 1, ["A.P1"])
        plan_row = AssessmentPlan.objects.create(cohort=cohort, academic_year=YEAR)
        assignment = planned_assignment(
            cohort, unit, ["A.P1"], assessor=_someone(lead), verifier=_someone(lead)
        )
        assert assignment.plan == plan_row
        AssignmentBrief.objects.create(
            assignment=assignment, vocational_scenario="S", tasks="T", evidence="E"
        )
    return cohort, group


def _someone(centre):
    from .factories import RoleAssignmentFactory, UserFactory

    user = UserFactory()
    RoleAssignmentFactory(user=user, centre=centre, role=R.ASSESSOR_IV)
    return user


def test_qa_access_is_held_when_the_lead_centres_cohort_is_open_to_us_under_the_arrangement(
    own_centre, partner_centre
):
    _taught_at(partner_centre, own_centre, title="Sport", n=2)
    result = _read(own_centre, "000-3.1.7")
    assert result.status == monitoring.HELD, result.exceptions
    assert result.exceptions == []
    assert result.evidence == [
        "Our learners' QA records kept elsewhere: learners taught at another centre 2, "
        "cohorts 1, open to our staff 1, assessment plans 1, briefs 1, our learners' work "
        "sampled for IV 0, SV visits 0"
    ]


def test_qa_access_names_the_cohort_taught_outside_an_arrangement_or_without_a_plan(
    own_centre, partner_centre
):
    _taught_at(partner_centre, own_centre, title="Sport", consent=False, plan=False)
    result = _read(own_centre, "000-3.1.7")
    assert result.status == monitoring.EXCEPTIONS
    assert result.exceptions == [
        "Sport (2025/26 cohort) at Partner Test School: 1 of our learners is taught there "
        "outside any collaborative arrangement we accepted for Sport in 2025/26",
        "Sport (2025/26 cohort) at Partner Test School: 1 of our learners is taught there, but "
        "no assessment plan for 2025/26 is kept for the cohort: there is no QA "
        "documentation for us to read",
    ]


def test_qa_access_names_a_group_the_learners_home_reach_does_not_open(own_centre, partner_centre):
    """The access layer reaches the lead centre's cohort from the group's flag: a group
    holding our learners without it is a cohort our staff cannot read."""
    from learners.models import TeachingGroup

    _cohort, group = _taught_at(partner_centre, own_centre, title="Sport", n=3)
    TeachingGroup.objects.filter(pk=group.pk).update(visiting_learners=False)
    result = _read(own_centre, "000-3.1.7")
    assert result.exceptions == [
        "Sport group, Sport (2025/26 cohort) at Partner Test School: 3 of our learners are "
        "taught there, but the group is not marked as holding another centre's learners, so "
        "our staff cannot read the cohort's QA documentation"
    ]
    assert "open to our staff 0" in result.evidence[0]


def test_qa_access_reads_only_our_learners_and_the_report_year(
    own_centre, partner_centre, other_centre
):
    # Another centre's learners in the lead centre's cohort, outside any arrangement: its
    # exception, not ours; our learners all taught at home: nothing for us to read.
    _taught_at(partner_centre, other_centre, title="Sport", consent=False, plan=False)
    at_home = CohortFactory(centre=own_centre, start_year=YEAR)
    TeachingGroupFactory(cohort=at_home, academic_year=YEAR).learners.add(
        LearnerFactory(centre=own_centre)
    )
    # Our learner taught away in a later year only.
    later = CohortFactory(centre=partner_centre, start_year="2026/27")
    TeachingGroupFactory(cohort=later, academic_year="2026/27").learners.add(
        LearnerFactory(centre=own_centre)
    )
    assert _read(own_centre, "000-3.1.7").status == monitoring.NOT_EVIDENCED
    theirs = _read(other_centre, "000-3.1.7")
    assert theirs.status == monitoring.EXCEPTIONS
    assert all("Partner Test School" in line for line in theirs.exceptions)
    assert "learners taught at another centre 1" in theirs.evidence[0]


def test_qa_access_reads_a_fixed_number_of_queries_at_two_sizes(own_centre):
    def world(n, first):
        for i in range(first, first + n):
            lead = CentreFactory(number=f"5{i:04d}", name=f"Lead {i}")
            _taught_at(lead, own_centre, title=f"Q{i}", n=2, consent=i % 2 == 0, plan=i % 3 != 0)

    world(1, 0)
    small = _queries("learners.qa_access", own_centre)
    world(6, 1)
    large = _queries("learners.qa_access", own_centre)
    assert small == large
    assert (
        len(_read(own_centre, "000-3.1.7").exceptions) == 6
    )  # 3 outside an arrangement, 3 without a plan


# --- 000-3.1.8: our learners' progress and achievement records ---------------------------


def _learner_on(cohort, *, last="Latimer", first="Ada"):
    learner = LearnerFactory(centre=cohort.centre, last_name=last, first_name=first)
    register_on(cohort, learner)
    return learner


def _imported(learner, cohort, unit, by, grade="M"):
    return ImportedUnitResult.objects.create(
        learner=learner, cohort=cohort, unit=unit, grade=grade, imported_by=by,
        source="tracker 2025.xlsx",
    )  # fmt: skip


def test_progress_is_held_when_each_imported_grade_has_decisions_behind_it(own_centre, cast):
    q = QualificationFactory(title="Sport")
    cohort = CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)
    unit = unit_with_criteria(q, 1, ["A.P1", "A.M1"])
    learner = _learner_on(cohort)
    row = planned_assignment(
        cohort, unit, ["A.P1", "A.M1"], assessor=cast[R.ASSESSOR_IV], verifier=cast[R.LEAD_IV]
    )
    decide(learner, row, ["A.P1", "A.M1"])
    _imported(learner, cohort, unit, cast[R.EXAMS_OFFICER])
    result = _read(own_centre, "000-3.1.8")
    assert result.status == monitoring.HELD, result.exceptions
    assert result.evidence == [
        "Learners' progress and achievement: learners on a programme 1, units with decisions "
        "1, grades imported from a tracking sheet 1, with no decisions behind them 0"
    ]


def test_progress_names_a_grade_imported_with_no_decisions_behind_it(own_centre, cast):
    q = QualificationFactory(title="Sport")
    cohort = CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)
    unit = unit_with_criteria(q, 3, ["A.P1"])
    _imported(_learner_on(cohort), cohort, unit, cast[R.EXAMS_OFFICER])
    report = services.draft_report(own_centre, YEAR, by=cast[R.QUALITY_NOMINEE])
    row = report.clauses.get(clause="000-3.1.8")
    assert row.status == MonitoringClause.Status.EXCEPTIONS
    assert row.exceptions == [
        "LATIMER, Ada (Sport, 2025/26 cohort), unit 3: grade M imported from a tracking sheet "
        "(tracker 2025.xlsx), with no decisions behind it to verify"
    ]


def test_progress_reads_only_our_learners_and_programmes_taught_in_the_year(
    own_centre, other_centre, cast
):
    q = QualificationFactory(title="Sport")
    unit = unit_with_criteria(q, 1, ["A.P1"])
    elsewhere = CohortFactory(centre=other_centre, qualification=q, start_year=YEAR)
    _imported(_learner_on(elsewhere, last="Other"), elsewhere, unit, cast[R.EXAMS_OFFICER])
    finished = CohortFactory(centre=own_centre, qualification=q, start_year="2022/23")
    _imported(_learner_on(finished, last="Former"), finished, unit, cast[R.EXAMS_OFFICER])
    assert _read(own_centre, "000-3.1.8").status == monitoring.NOT_EVIDENCED
    theirs = _read(other_centre, "000-3.1.8")
    assert [line.split(" (")[0] for line in theirs.exceptions] == ["OTHER, Ada"]


def test_progress_reads_a_fixed_number_of_queries_at_two_sizes(own_centre, cast):
    q = QualificationFactory(title="Sport")
    cohort = CohortFactory(centre=own_centre, qualification=q, start_year=YEAR)
    units = [unit_with_criteria(q, n, ["A.P1"]) for n in range(1, 4)]
    row = planned_assignment(
        cohort, units[0], ["A.P1"], assessor=cast[R.ASSESSOR_IV], verifier=cast[R.LEAD_IV]
    )

    def world(n):
        for _ in range(n):
            learner = _learner_on(cohort)
            decide(learner, row, ["A.P1"])
            for unit in units:
                _imported(learner, cohort, unit, cast[R.EXAMS_OFFICER])

    world(1)
    small = _queries("assessment.progress", own_centre)
    world(8)
    large = _queries("assessment.progress", own_centre)
    assert small == large
    assert len(_read(own_centre, "000-3.1.8").exceptions) == 18  # units 2 and 3, 9 learners


# --- 000-3.1.10: retention and disposal ----------------------------------------------------


def _item(centre, n, *, due, status=RetentionItem.Status.DUE, listed=None, disposed=None):
    return RetentionItem.objects.create(
        kind="assessment.brief",
        object_id=n,
        centre=centre,
        label=f"Assignment brief #{n}",
        clock_started_on=due - dt.timedelta(days=3 * 365),
        due_on=due,
        status=status,
        listed_at=timezone.make_aware(dt.datetime.combine(listed or due, dt.time(2))),
        disposed_at=(
            timezone.make_aware(dt.datetime.combine(disposed, dt.time(3))) if disposed else None
        ),
    )


def _held_in_time(centre, qn):
    """A disposal approved and made after its due date, and a hold placed in July 2026
    whose review is due at the end of September: all in order for 2025/26."""
    _item(
        centre, 1, due=dt.date(2026, 2, 1), status=RetentionItem.Status.DISPOSED,
        disposed=dt.date(2026, 2, 20),
    )  # fmt: skip
    item = _item(centre, 2, due=dt.date(2026, 5, 1))
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, 0), tick=False):
        retention.place_hold(by=qn, reason="appeal", note="Appeal on unit 3", item=item)


def test_retention_is_held_when_disposals_are_decided_in_time_and_holds_reviewed(own_centre, qn):
    _held_in_time(own_centre, qn)
    result = _read(own_centre, "000-3.1.10")
    assert result.status == monitoring.HELD, result.exceptions
    assert result.evidence == [
        "Retention and disposal: fell due in the year 2, disposed of in the year 1, awaiting "
        "a decision 0, legal holds 1"
    ]


def test_retention_names_undecided_and_early_disposals_and_holds_without_review(
    own_centre, qn, settings
):
    settings.BTECQA_RETENTION_DECISION_GRACE_DAYS = 30
    _item(own_centre, 3, due=dt.date(2026, 3, 1))  # undecided for months by 31/08/2026
    _item(own_centre, 4, due=dt.date(2026, 8, 20))  # within the grace at the year's end
    _item(
        own_centre, 5, due=dt.date(2026, 6, 1), status=RetentionItem.Status.DISPOSED,
        listed=dt.date(2026, 1, 5), disposed=dt.date(2026, 1, 10),
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, 0), tick=False):
        overdue = retention.place_hold(
            by=qn, reason="malpractice", note="Investigation", item=_item(own_centre, 6,
            due=dt.date(2026, 3, 20))
        )  # fmt: skip
    forgotten = LegalHold.objects.create(
        centre=own_centre, learner_id=77, reason="data_request", note="Request", placed_by=qn,
        placed_at=timezone.make_aware(dt.datetime(2026, 5, 2, 9)),
    )  # fmt: skip
    result = _read(own_centre, "000-3.1.10")
    assert result.status == monitoring.EXCEPTIONS
    assert result.exceptions == [
        "Assignment brief #3: due for disposal since 01/03/2026, neither approved nor held "
        "within 30 days",
        "Assignment brief #5: disposed of 10/01/2026, before its due date 01/06/2026",
        f"{overdue}, placed 01/04/2026: its review was due 30/06/2026 and is not done",
        f"{forgotten}, placed 02/05/2026: no review of it is open for the Quality Nominee",
    ]
    # The grace is configuration: a longer one lets the March disposal wait.
    settings.BTECQA_RETENTION_DECISION_GRACE_DAYS = 200
    assert not any("#3" in line for line in _read(own_centre, "000-3.1.10").exceptions)


def test_retention_reads_only_the_centres_own_copy(own_centre, other_centre, qn):
    _held_in_time(own_centre, qn)
    _item(other_centre, 1, due=dt.date(2026, 1, 1))  # the other centre's copy, undecided
    LegalHold.objects.create(
        centre=other_centre, learner_id=9, reason="appeal", note="x", placed_by=qn
    )
    assert _read(own_centre, "000-3.1.10").status == monitoring.HELD
    theirs = _read(other_centre, "000-3.1.10")
    assert theirs.exceptions[0].startswith("Assignment brief #1: due for disposal since 01/01")
    assert "legal holds 0" in theirs.evidence[0]  # placed after 2025/26 ended
    assert _read(CentreFactory(number="49999"), "000-3.1.10").status == (monitoring.NOT_EVIDENCED)


def test_retention_reads_a_fixed_number_of_queries_at_two_sizes(own_centre, qn):
    def world(n, first):
        for i in range(first, first + n):
            _item(own_centre, i, due=dt.date(2026, 1, 1))
            _item(
                own_centre, 1000 + i, due=dt.date(2026, 6, 1),
                status=RetentionItem.Status.DISPOSED, disposed=dt.date(2026, 2, 1),
            )  # fmt: skip
            LegalHold.objects.create(
                centre=own_centre, learner_id=i, reason="appeal", note="x", placed_by=qn,
                placed_at=timezone.make_aware(dt.datetime(2026, 3, 1, 9)),
            )  # fmt: skip

    world(1, 0)
    small = _queries("retention.disposals", own_centre)
    world(7, 1)
    large = _queries("retention.disposals", own_centre)
    assert small == large
    assert len(_read(own_centre, "000-3.1.10").exceptions) == 24


# --- 000-3.1.1 for a centre that teaches nothing ---------------------------------------------


def test_a_centre_teaching_nothing_in_the_year_has_no_brief_exception(own_centre, cast):
    result = _read(own_centre, "000-3.1.1")
    assert result.status == monitoring.NOT_EVIDENCED
    assert result.exceptions == []
    finding = _briefs(CheckContext(own_centre, YEAR))
    assert finding.gaps == [] and "No cohort is taught" in finding.hint
    # A cohort taught with no plan listing an assignment is still the exception.
    CohortFactory(centre=own_centre, start_year=YEAR)
    assert _read(own_centre, "000-3.1.1").exceptions == [
        "No assessment plan for 2025/26 lists any assignment yet."
    ]


@pytest.fixture
def qn(cast):
    return cast[R.QUALITY_NOMINEE]


def test_an_open_review_to_do_is_what_keeps_a_hold_reviewed(own_centre, qn):
    item = _item(own_centre, 1, due=dt.date(2026, 5, 1))
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, 0), tick=False):
        hold = retention.place_hold(by=qn, reason="appeal", note="Appeal", item=item)
    assert _read(own_centre, "000-3.1.10").exceptions == []
    ToDo.objects.filter(kind="retention.review_hold").update(closed_at=timezone.now())
    assert _read(own_centre, "000-3.1.10").exceptions == [
        f"{hold}, placed 01/07/2026: no review of it is open for the Quality Nominee"
    ]


def test_the_years_file_sets_the_grace_for_a_disposal_decision(own_centre, settings, tmp_path):
    _item(own_centre, 3, due=dt.date(2026, 3, 1))
    assert _read(own_centre, "000-3.1.10").status == monitoring.EXCEPTIONS
    (tmp_path / "2025-26.json").write_text('{"retention": {"decision_grace_days": 200}}')
    settings.BTECQA_RETENTION_YEAR_DATA_DIR = str(tmp_path)
    assert _read(own_centre, "000-3.1.10").status == monitoring.HELD
