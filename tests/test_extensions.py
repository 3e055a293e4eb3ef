"""Agreed extensions to an assignment's hand-in date (domain.md 3.5): agreed on the page by
the assessor or the Lead IV, with a reason, before the deadline passes; work handed in by
the extension keeps the right to a resubmission (3.6)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment import services_decisions as svc
from assessment.models import Submission
from audit.models import AuditEvent
from tests.factories import (
    CentreFactory,
    RoleAssignmentFactory,
    UserFactory,
    decisions_assignment,
    decisions_class,
)

pytestmark = pytest.mark.django_db

HAND_IN = dt.date(2026, 11, 2)  # decisions_assignment's; the resubmission window ends 02/12


@pytest.fixture
def world():
    a = decisions_assignment(hand_in=HAND_IN)
    learners = decisions_class(a, 2)
    lead = UserFactory()
    RoleAssignmentFactory(user=lead, centre=a.plan.cohort.centre, role="lead_iv")
    return a, learners, lead


def url(a, learner):
    return reverse("assessment:decisions_extension", kwargs={"pk": a.pk, "learner": learner.pk})


def agree(client, a, learner, to="2026-11-06", reason="Illness: doctor's note seen"):
    return client.post(url(a, learner), {"to": to, "reason": reason})


def post_grid(client, a, learners, handed_in: str):
    """The assessor's grid: both declarations, the hand-in date, every criterion not yet."""
    data = {"attempt": "first", "decided_on": "2026-11-10", "row": [str(x.pk) for x in learners]}
    for learner in learners:
        data |= {f"ld-{learner.pk}": "1", f"ad-{learner.pk}": "1", f"sub-{learner.pk}": handed_in}
        for c in a.criteria.all():
            data[f"c-{learner.pk}-{c.pk}"] = "not_yet"
    return client.post(reverse("assessment:decisions_grid", kwargs={"pk": a.pk}), data)


def extension_events():
    return AuditEvent.objects.filter(action="assessment.extension.agreed")


def test_work_handed_in_by_the_agreed_extension_may_still_be_resubmitted(client, world):
    a, (ill, other), lead = world
    client.force_login(a.assessor)
    response = agree(client, a, ill)
    assert response.status_code == 302
    grid = client.get(response["Location"]).content.decode()
    assert "extension to 06/11/2026" in grid
    assert grid.count("extension to ") == 1  # only the learner who has one
    # both hand in on 05/11, three days after the hand-in date
    assert post_grid(client, a, [ill, other], "2026-11-05").status_code == 302
    sub = Submission.objects.get(learner=ill, assignment=a)
    assert (sub.extension_to, sub.extension_agreed_by) == (dt.date(2026, 11, 6), a.assessor)
    assert sub.extension_reason == "Illness: doctor's note seen"
    assert svc.authorise_resubmission(a, ill, by=lead, on=dt.date(2026, 11, 12))
    with pytest.raises(ValidationError, match="after the deadline or agreed extension"):
        svc.authorise_resubmission(a, other, by=lead, on=dt.date(2026, 11, 12))


def test_the_grid_links_each_learner_to_the_extension_page_for_the_assessor_only(client, world):
    a, learners, lead = world
    grid_url = reverse("assessment:decisions_grid", kwargs={"pk": a.pk})
    client.force_login(a.assessor)
    page = client.get(grid_url).content.decode()
    for learner in learners:
        assert f'href="{url(a, learner)}"' in page
    assert "Agree an extension" in page
    bystander = UserFactory()
    RoleAssignmentFactory(user=bystander, centre=a.plan.cohort.centre, role="exams_officer")
    client.force_login(bystander)
    page = client.get(grid_url).content.decode()
    assert "/extension/" not in page


def test_the_page_shows_the_hand_in_date_and_the_current_extension(client, world):
    a, (learner, _), lead = world
    client.force_login(lead)  # the Lead IV may agree one too
    page = client.get(url(a, learner)).content.decode()
    assert "02/11/2026" in page and "None agreed" in page
    assert agree(client, a, learner, to="2026-11-09", reason="Bereavement").status_code == 302
    page = client.get(url(a, learner)).content.decode()
    assert "to 09/11/2026: Bereavement" in page and "Change the extension" in page
    assert 'value="2026-11-09"' in page


@pytest.mark.parametrize(
    "to, reason, message",
    [
        ("2026-11-06", "  ", "Give the reason the extension was agreed (for example, illness)."),
        ("2026-11-02", "Illness", "must be to a date after the hand-in date (02/11/2026)."),
        ("2026-10-30", "Illness", "must be to a date after the hand-in date (02/11/2026)."),
        (
            "2026-12-03",
            "Illness",
            "cannot go past the end of the planned resubmission window (02/12/2026)",
        ),
    ],
)
def test_a_refused_extension_says_why_on_the_page_and_writes_nothing(
    client, world, to, reason, message
):
    a, (learner, _), lead = world
    client.force_login(a.assessor)
    response = agree(client, a, learner, to=to, reason=reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Submission.objects.exists()
    assert not extension_events().exists()


def test_an_extension_cannot_be_retro_fitted_after_a_late_hand_in(client, world):
    a, (learner, _), lead = world
    client.force_login(a.assessor)
    assert post_grid(client, a, [learner], "2026-11-05").status_code == 302
    response = agree(client, a, learner, to="2026-11-06")
    assert response.status_code == 200
    text = response.content.decode()
    assert "handed in on 05/11/2026, after the hand-in date (02/11/2026)" in text
    assert "An extension is agreed before the deadline passes" in text
    sub = Submission.objects.get(learner=learner, assignment=a)
    assert sub.extension_to is None and sub.extension_reason == ""
    assert not extension_events().exists()
    with pytest.raises(ValidationError, match="after the deadline or agreed extension"):
        svc.authorise_resubmission(a, learner, by=lead, on=dt.date(2026, 11, 12))


def test_a_user_at_another_centre_gets_404(client, world):
    a, (learner, _), lead = world
    elsewhere = UserFactory()
    RoleAssignmentFactory(user=elsewhere, centre=CentreFactory(), role="lead_iv")
    client.force_login(elsewhere)
    assert client.get(url(a, learner)).status_code == 404
    assert agree(client, a, learner).status_code == 404
    assert not Submission.objects.exists()


@pytest.mark.parametrize("role", ["exams_officer", "assessor_iv"])
def test_a_role_that_may_not_agree_extensions_gets_403(client, world, role):
    """An exams officer never may; an Assessor/IV only on their own assignment."""
    a, (learner, _), lead = world
    weak = UserFactory()
    RoleAssignmentFactory(user=weak, centre=a.plan.cohort.centre, role=role)
    client.force_login(weak)
    assert client.get(url(a, learner)).status_code == 403
    assert agree(client, a, learner).status_code == 403
    assert not Submission.objects.exists()


def test_agreeing_and_changing_an_extension_is_on_the_audit_trail(client, world):
    a, (learner, _), lead = world
    client.force_login(a.assessor)
    agree(client, a, learner, to="2026-11-06", reason="Illness")
    agree(client, a, learner, to="2026-11-06", reason="Illness")  # the same again: no event
    client.force_login(lead)
    agree(client, a, learner, to="2026-11-13", reason="Illness, still off")
    first, second = extension_events().order_by("seq")
    assert extension_events().count() == 2
    for event in (first, second):
        assert event.learner_id == learner.pk
        assert event.centre_id == a.plan.cohort.centre_id
    assert first.actor_id == a.assessor.pk and second.actor_id == lead.pk
    assert second.before_data == {"extension to": "2026-11-06", "reason": "Illness"}
    assert second.after_data["extension to"] == "2026-11-13"
    assert second.after_data["reason"] == "Illness, still off"
    assert first.before_data == {"extension to": "", "reason": ""}
    sub = Submission.objects.get(learner=learner, assignment=a)
    assert sub.extension_agreed_by == lead and sub.recorded_by == a.assessor
