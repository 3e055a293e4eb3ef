"""`manage.py open_waiting_todos`: records already waiting for work when their to-do kind was
added (or whose to-do was lost) get their to-do, through the services that open it
normally, once, however often the command runs (todos.backfill)."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string

from accounts.roles import Role
from retention import services as retention
from todos.backfill import all_backfills
from todos.models import ToDo
from verification.models import LeadIVAppointment, SVAction, SVSample, SVVisit
from verification.models_sampling import IVPlan, SampleItem

from .factories import (
    CohortFactory,
    LearnerFactory,
    decide,
    decisions_assignment,
    decisions_class,
)

pytestmark = pytest.mark.django_db
YEAR = "2026/27"


@pytest.fixture(autouse=True)
def in_the_year():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), tick=False):
        yield


def backfill(*kinds) -> str:
    out = StringIO()
    call_command("open_waiting_todos", *[f"--kind={k}" for k in kinds], stdout=out)
    return out.getvalue()


def open_of(kind, **kw):
    return ToDo.objects.filter(kind=kind, closed_at__isnull=True, **kw)


def sampled_work(qn):
    """Sampled work with no IV record, sampled before its to-do existed (no to-do)."""
    a = decisions_assignment()
    (learner,) = decisions_class(a, 1)
    decide(learner, a, list(a.criteria.values_list("code", flat=True)))
    plan = IVPlan.objects.create(
        cohort=a.plan.cohort, academic_year=a.plan.academic_year, created_by=qn
    )
    item = SampleItem.objects.create(
        plan=plan, learner=learner, assignment=a, sampled_by=qn, snapshot={}
    )
    return item


def test_a_waiting_hold_and_sampled_work_get_their_todos_back_once(cast, own_centre):
    qn = cast[Role.QUALITY_NOMINEE]
    hold = retention.place_hold(
        by=qn, reason="appeal", note="Appeal lodged", learner=LearnerFactory(centre=own_centre)
    )
    lifted = retention.place_hold(
        by=qn, reason="appeal", note="Appeal", learner=LearnerFactory(centre=own_centre)
    )
    retention.lift_hold(lifted, by=qn, note="Appeal decided")
    item = sampled_work(qn)
    ToDo.objects.filter(kind__in=["retention.review_hold", "verification.iv_sample"]).delete()

    out = backfill()
    (hold_todo,) = open_of("retention.review_hold")
    assert hold_todo.target == hold and hold_todo.role == Role.QUALITY_NOMINEE
    assert hold_todo.url and "Review the legal hold (appeal)" in hold_todo.title
    (iv_todo,) = open_of("verification.iv_sample")
    assert iv_todo.target == item.plan and iv_todo.assignee == item.assignment.internal_verifier
    assert "retention.review_hold: 1 opened" in out
    assert "verification.iv_sample: 1 opened" in out

    out = backfill()
    assert open_of("retention.review_hold").count() == 1
    assert open_of("verification.iv_sample").count() == 1
    assert "0 to-dos opened." in out


def test_sampled_work_already_verified_waits_for_nothing(cast):
    from verification.models_sampling import IVRecord

    qn = cast[Role.QUALITY_NOMINEE]
    item = sampled_work(qn)
    IVRecord.objects.create(
        item=item, verifier=item.assignment.internal_verifier, outcome="agree", comments="Fine"
    )
    backfill("verification.iv_sample")
    assert not open_of("verification.iv_sample").exists()


def test_a_lead_iv_waiting_to_standardise_gets_the_todo_this_year_only(cast, own_centre):
    qn, lead = cast[Role.QUALITY_NOMINEE], cast[Role.LEAD_IV]
    cohort = CohortFactory(centre=own_centre)
    for year in ("2025/26", YEAR):
        LeadIVAppointment.objects.create(
            centre=own_centre,
            qualification=cohort.qualification,
            academic_year=year,
            lead_iv=lead,
            appointed_by=qn,
        )
    backfill("verification.standardise")
    backfill("verification.standardise")
    (todo,) = open_of("verification.standardise")
    assert todo.assignee == lead and todo.target.academic_year == YEAR
    assert YEAR in todo.title


def test_an_sv_sample_still_owed_and_an_open_sv_action_get_their_todos(cast, own_centre):
    qn, owner = cast[Role.QUALITY_NOMINEE], cast[Role.ASSESSOR_IV]
    visit = SVVisit.objects.create(
        cohort=CohortFactory(centre=own_centre),
        academic_year=YEAR,
        route="standard",
        status="not_yet_sampled",
        created_by=qn,
    )
    owed = SVSample.objects.create(
        visit=visit, number=1, requested_by=qn, deadline=dt.date(2027, 2, 12)
    )
    SVSample.objects.create(
        visit=visit, number=2, requested_by=qn, work_submitted_on=dt.date(2026, 11, 2)
    )
    action = SVAction.objects.create(
        visit=visit,
        description="Re-brief the team",
        owner=owner,
        due_on=dt.date(2026, 12, 1),
        created_by=qn,
    )
    backfill()
    backfill()
    (sample_todo,) = open_of("verification.sv_sample_work")
    assert sample_todo.target == owed and sample_todo.due_date == dt.date(2027, 2, 12)
    (action_todo,) = open_of("verification.sv_action")
    assert action_todo.target == action and action_todo.assignee == owner


def test_an_open_iv_action_and_its_flag_get_their_todos_back_once(cast):
    from verification import services_iv

    item = sampled_work(cast[Role.QUALITY_NOMINEE])
    a = item.assignment
    record = services_iv.record_iv(
        item,
        by=a.internal_verifier,
        outcome="disagree",
        comments="P2 not evidenced",
        action="Reassess A.P2 against the evidence",
        action_due=dt.date(2026, 12, 1),
    )
    kinds = ["verification.iv_action", "verification.iv_flag", "verification.iv_recheck"]
    ToDo.objects.filter(kind__in=kinds).delete()
    backfill()
    backfill()
    (action,) = open_of("verification.iv_action")
    assert action.target == record and action.assignee == a.assessor
    assert action.due_date == dt.date(2026, 12, 1)
    assert open_of("verification.iv_flag").get().role == Role.LEAD_IV
    assert not open_of("verification.iv_recheck").exists()  # the action is not said done


def test_each_app_registers_its_backfill_next_to_its_kind():
    backfills = all_backfills()
    for kind in (
        "retention.review_hold",
        "retention.review_disposals",
        "verification.iv_sample",
        "verification.standardise",
        "verification.sv_sample_work",
        "verification.sv_action",
        "verification.iv_action",
        "verification.iv_recheck",
        "verification.iv_flag",
    ):
        assert callable(import_string(backfills[kind])), kind


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(CommandError, match="No backfill for verification.nothing"):
        backfill("verification.nothing")
