"""Resubmissions and retakes (domain.md 3.6, 3.7): each rule refused with its own reason."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from assessment import services_decisions as svc
from assessment.models import Attempt, CriterionDecision, Submission
from assessment.selectors_decisions import best_unit_grade
from tests.factories import (
    RoleAssignmentFactory,
    UserFactory,
    decisions_assignment,
    decisions_class,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a = decisions_assignment()
    learner = decisions_class(a, 1)[0]
    lead = UserFactory()
    RoleAssignmentFactory(user=lead, centre=a.plan.cohort.centre, role="lead_iv")
    return a, learner, lead


def decide(a, learner, codes_achieved, *, attempt=Attempt.FIRST, on=dt.date(2026, 11, 10)):
    for c in a.criteria.all():
        CriterionDecision.objects.create(
            learner=learner,
            assignment=a,
            criterion=c,
            attempt=attempt,
            achieved=c.code in codes_achieved,
            decided_on=on,
            assessor=a.assessor,
        )


def hand_in(a, learner, on=dt.date(2026, 11, 2), declared=True, extension=None):
    Submission.objects.create(
        learner=learner,
        assignment=a,
        submitted_on=on,
        extension_to=extension,
        extension_reason="Illness" if extension else "",
        learner_declared_on=on if declared else None,
        assessor_declared_on=on if declared else None,
        recorded_by=a.assessor,
    )


def test_a_resubmission_within_the_window_is_authorised_once(world):
    a, learner, lead = world
    hand_in(a, learner)
    decide(a, learner, {"A.P1"})
    svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 20))
    with pytest.raises(ValidationError, match="already had the one resubmission"):
        svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 20))


def test_late_work_and_missing_declarations_each_have_their_reason(world):
    a, learner, lead = world
    hand_in(a, learner, on=dt.date(2026, 11, 5), declared=False)
    decide(a, learner, set())
    with pytest.raises(ValidationError) as exc:
        svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 12))
    text = " ".join(exc.value.messages)
    assert "after the deadline or agreed extension (02/11/2026)" in text
    assert "own authenticity declaration is missing" in text
    assert "The assessor has not authenticated" in text


def test_an_agreed_extension_keeps_the_right_to_resubmit(world):
    a, learner, lead = world
    hand_in(a, learner, on=dt.date(2026, 11, 5), extension=dt.date(2026, 11, 6))
    decide(a, learner, set())
    assert svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 12))


def test_the_window_counts_working_days_skipping_bank_holidays(world):
    a, learner, lead = world
    hand_in(a, learner)
    # decided Fri 11 Dec 2026: 15 working days skip Christmas, Boxing Day (Mon 28), New Year
    decide(a, learner, set(), on=dt.date(2026, 12, 11))
    ok = dt.date(2027, 1, 6)  # the 15th working day
    assert svc.resubmission_refusals(a, learner, on=ok) == []
    late = svc.resubmission_refusals(a, learner, on=dt.date(2027, 1, 7))
    assert late == [
        "The resubmission window closed: more than 15 working days since the "
        "decision of 11/12/2026."
    ]
    q = a.plan.cohort.qualification
    q.resubmission_working_days = 16
    q.save()
    a.refresh_from_db()
    assert svc.resubmission_refusals(a, learner, on=dt.date(2027, 1, 7)) == []


def test_only_a_lead_iv_authorises(world):
    a, learner, lead = world
    from django.core.exceptions import PermissionDenied

    hand_in(a, learner)
    decide(a, learner, set())
    with pytest.raises(PermissionDenied):
        svc.authorise_resubmission(a, learner, by=a.assessor, on=dt.date(2026, 11, 12))


def test_a_resubmitted_grade_is_not_capped_and_both_attempts_are_kept(world):
    a, learner, lead = world
    hand_in(a, learner)
    decide(a, learner, {"A.P1"})
    svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 12))
    decide(a, learner, {"A.P1", "A.P2", "A.M1", "A.D1"}, attempt=Attempt.RESUBMISSION)
    assert best_unit_grade(learner, a.unit) == {
        "grade": "D",
        "attempt": "resubmission",
        "capped": False,
    }
    assert CriterionDecision.objects.filter(learner=learner, current=True).count() == 8


def test_a_retake_needs_a_new_assignment_once_per_unit_and_is_capped(world):
    a, learner, lead = world
    hand_in(a, learner)
    decide(a, learner, set())
    new = decisions_assignment(
        cohort=a.plan.cohort,
        unit=a.unit,
        assessor=a.assessor,
        iv=a.internal_verifier,
        title="Retake task",
    )
    with pytest.raises(ValidationError, match="needs a new assignment"):
        svc.authorise_retake(a.unit, learner, new_assignment=a, by=lead)
    svc.authorise_retake(a.unit, learner, new_assignment=new, by=lead)
    with pytest.raises(ValidationError, match="already had the one retake"):
        svc.authorise_retake(a.unit, learner, new_assignment=new, by=lead)
    decide(new, learner, {"A.P1", "A.P2", "A.M1", "A.D1"}, attempt=Attempt.RETAKE)
    assert best_unit_grade(learner, a.unit) == {"grade": "P", "attempt": "retake", "capped": True}


def test_a_retake_is_refused_for_a_learner_who_has_passed_the_unit(world):
    a, learner, lead = world
    hand_in(a, learner)
    decide(a, learner, {"A.P1", "A.P2"})
    assert best_unit_grade(learner, a.unit)["grade"] == "P"
    new = decisions_assignment(
        cohort=a.plan.cohort,
        unit=a.unit,
        assessor=a.assessor,
        iv=a.internal_verifier,
        title="Retake task",
    )
    with pytest.raises(ValidationError) as exc:
        svc.authorise_retake(a.unit, learner, new_assignment=new, by=lead)
    assert exc.value.messages == [
        f"{learner.first_name} {learner.last_name} has already passed unit {a.unit.number} "
        "(P): a retake is only for a unit not yet passed."
    ]
    assert not new.retakes.exists()
