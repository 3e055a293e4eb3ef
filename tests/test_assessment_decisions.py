"""Criterion decisions on the class grid: authenticity, the assessor's rule, one POST with a
fixed number of queries, freezing after internal verification (Assessment issue, part 3)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.permissions import scope
from assessment.models import CriterionDecision, Submission
from assessment.permissions import RECORD_DECISIONS
from assessment.selectors_decisions import best_unit_grade
from audit.models import AuditEvent
from tests.factories import (
    RoleAssignmentFactory,
    UserFactory,
    decisions_assignment,
    decisions_class,
)

pytestmark = pytest.mark.django_db


def grid_url(a):
    return reverse("assessment:decisions_grid", kwargs={"pk": a.pk})


def post_grid(client, a, learners, value="achieved", declare=True, omit=(), headers=None, **extra):
    data = {"attempt": "first", "decided_on": "2026-11-10", "row": [str(x.pk) for x in learners]}
    criteria = list(a.criteria.all())
    for learner in learners:
        if declare:
            data[f"ld-{learner.pk}"] = "1"
            data[f"ad-{learner.pk}"] = "1"
            data[f"sub-{learner.pk}"] = "2026-11-02"
        for c in criteria:
            data[f"c-{learner.pk}-{c.pk}"] = value
    data.update(extra)
    for key in omit:
        data.pop(key)
    return client.post(grid_url(a), data, headers=headers or {})


@pytest.fixture
def setup(client):
    a = decisions_assignment()
    learners = decisions_class(a, 2)
    client.force_login(a.assessor)
    return client, a, learners


def test_the_whole_grid_saves_in_one_post_and_shows_again(setup):
    client, a, learners = setup
    response = post_grid(client, a, learners)
    assert response.status_code == 302
    assert CriterionDecision.objects.filter(assignment=a, achieved=True).count() == 8
    page = client.get(response["Location"]).content.decode()
    assert "Saved: 8 new" in page
    assert page.count('<option value="achieved" selected>') == 8
    # each select has a label naming the learner and the criterion (axe, screen readers)
    first = learners[0]
    assert f'for="c-{first.pk}-' in page and f"{first.first_name} {first.last_name}, A.P1" in page
    assert Submission.objects.get(learner=first, assignment=a).learner_declared_on


def test_a_decision_without_both_declarations_is_refused_naming_the_learner(setup):
    client, a, learners = setup
    response = post_grid(client, a, learners[:1], declare=False)
    assert response.status_code == 400
    text = response.content.decode()
    name = f"{learners[0].first_name} {learners[0].last_name}"
    assert "Nothing was saved" in text
    assert f"{name}: the learner&#x27;s authenticity declaration is missing" in text
    assert f"{name}: the assessor&#x27;s authenticity declaration is missing" in text
    assert not CriterionDecision.objects.exists()


def test_a_bad_cell_names_row_and_column_and_nothing_is_written(setup):
    client, a, learners = setup
    c = a.criteria.order_by("code").first()
    response = post_grid(client, a, learners, **{f"c-{learners[1].pk}-{c.pk}": "maybe"})
    assert response.status_code == 400
    name = f"{learners[1].first_name} {learners[1].last_name}"
    assert f"{name}, {c.code}: choose achieved, not yet or blank." in response.content.decode()
    assert not CriterionDecision.objects.exists()


def _save_queries(n):
    from django.test import Client

    a = decisions_assignment(criteria=[f"A.P{i}" for i in range(1, 13)])
    learners = decisions_class(a, n)
    client = Client()
    client.force_login(a.assessor)
    client.get(grid_url(a))  # session and the like warmed up
    with CaptureQueriesContext(connection) as ctx:
        response = post_grid(client, a, learners)
    assert response.status_code == 302
    assert CriterionDecision.objects.filter(assignment=a).count() == n * 12
    with CaptureQueriesContext(connection) as page:
        assert client.get(grid_url(a)).status_code == 200
    return len(ctx), len(page)


def test_saving_and_showing_the_grid_take_the_same_queries_for_2_and_30_learners():
    small = _save_queries(2)
    large = _save_queries(30)
    assert small == large


def test_another_assessor_is_refused_403_and_sees_no_form(setup):
    client, a, learners = setup
    other = UserFactory()
    RoleAssignmentFactory(user=other, centre=a.plan.cohort.centre, role="assessor_iv")
    client.force_login(other)
    page = client.get(grid_url(a))
    assert page.status_code == 200 and 'id="grid-form"' not in page.content.decode()
    assert post_grid(client, a, learners).status_code == 403
    assert not CriterionDecision.objects.exists()


def test_lead_iv_and_quality_nominee_see_every_assignments_decisions(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    centre = a.plan.cohort.centre
    for role in ("lead_iv", "quality_nominee"):
        user = UserFactory()
        RoleAssignmentFactory(user=user, centre=centre, role=role)
        client.force_login(user)
        page = client.get(grid_url(a)).content.decode()
        assert page.count("Achieved") >= 8


def test_the_record_rule_keeps_lists_to_the_assessors_own_learners(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    other = UserFactory()
    RoleAssignmentFactory(user=other, centre=a.plan.cohort.centre, role="assessor_iv")
    assert scope(a.assessor, RECORD_DECISIONS, CriterionDecision).count() == 8
    assert scope(other, RECORD_DECISIONS, CriterionDecision).count() == 0
    # a learner no longer in the cohort's groups drops out of the assessor's reach
    learners[0].teaching_groups.clear()
    assert scope(a.assessor, RECORD_DECISIONS, CriterionDecision).count() == 4


def test_verified_decisions_are_frozen_and_a_change_is_a_new_version_with_a_reason(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    learner = learners[0]
    client.force_login(a.internal_verifier)
    url = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": learner.pk})
    assert client.post(url).status_code == 302
    assert CriterionDecision.objects.filter(learner=learner, verified_at__isnull=False).count() == 4
    client.force_login(a.assessor)
    refused = post_grid(client, a, [learner], value="not_yet")
    assert refused.status_code == 400
    assert "give the reason for the change" in refused.content.decode()
    ok = post_grid(client, a, [learner], value="not_yet", **{f"why-{learner.pk}": "Misread"})
    assert ok.status_code == 302
    rows = CriterionDecision.objects.filter(learner=learner, assignment=a)
    assert rows.count() == 8
    new = rows.get(current=True, criterion__code="A.P1")
    assert new.version == 2 and not new.achieved and new.reason == "Misread"
    assert new.replaces.achieved and new.replaces.verified_at and not new.replaces.current
    events = AuditEvent.objects.filter(
        action="assessment.decisions.recorded", learner_id=learner.pk
    )
    assert events.count() == 2
    assert AuditEvent.objects.filter(action="assessment.decisions.verified").count() == 1


def test_only_the_assignments_iv_marks_it_verified(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    url = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": learners[0].pk})
    assert client.post(url).status_code == 403  # the assessor holds the role, not the rule
    assert not CriterionDecision.objects.filter(verified_at__isnull=False).exists()


def test_the_unit_grade_follows_the_btec_rule(setup):
    client, a, learners = setup
    post_grid(client, a, learners[:1], value="not_yet")
    learner = learners[0]
    assert best_unit_grade(learner, a.unit)["grade"] == "U"
    ids = {c.code: c.pk for c in a.criteria.all()}
    data = {f"c-{learner.pk}-{ids[code]}": "achieved" for code in ("A.P1", "A.P2", "A.M1")}
    post_grid(client, a, [learner], value="not_yet", **data)
    assert best_unit_grade(learner, a.unit)["grade"] == "M"


def test_clearing_an_unverified_cell_removes_it(setup):
    client, a, learners = setup
    post_grid(client, a, learners[:1])
    assert post_grid(client, a, learners[:1], value="").status_code == 302
    assert not CriterionDecision.objects.exists()
    assert dt.date(2026, 11, 2) == Submission.objects.get().submitted_on


def name(learner):
    return f"{learner.first_name} {learner.last_name}"


def test_a_post_missing_a_cell_leaves_that_decision_as_it_was(setup):
    client, a, learners = setup
    post_grid(client, a, learners[:1])
    learner = learners[0]
    p1 = a.criteria.get(code="A.P1")
    # a hand-made or truncated post without the A.P1 field: A.P1 is kept, not cleared
    response = post_grid(client, a, [learner], value="not_yet", omit=[f"c-{learner.pk}-{p1.pk}"])
    assert response.status_code == 302
    kept = CriterionDecision.objects.get(learner=learner, criterion=p1, current=True)
    assert kept.achieved
    page = client.get(grid_url(a)).content.decode()
    assert "Saved: 0 new, 3 changed, 0 cleared" in page
    # an explicitly posted blank still clears it
    post_grid(client, a, [learner], value="not_yet", **{f"c-{learner.pk}-{p1.pk}": ""})
    assert not CriterionDecision.objects.filter(learner=learner, criterion=p1).exists()


def test_unticking_the_declarations_while_decisions_stand_is_refused(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    first, second = learners
    # both rows re-posted unchanged, but the first row's declaration boxes unticked
    response = post_grid(
        client,
        a,
        learners,
        omit=[f"ld-{first.pk}", f"ad-{first.pk}"],
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert f"{name(first)}: the learner&#x27;s authenticity declaration is missing" in text
    assert f"{name(first)}: the assessor&#x27;s authenticity declaration is missing" in text
    assert f"{name(second)}: the" not in text  # the second row kept its declarations
    sub = Submission.objects.get(learner=first, assignment=a)
    assert sub.learner_declared_on and sub.assessor_declared_on
    assert CriterionDecision.objects.filter(learner=first).count() == 4
    # clearing only some of the decisions with them is refused too
    p1 = a.criteria.get(code="A.P1")
    partial = post_grid(
        client,
        a,
        [first],
        omit=[f"ld-{first.pk}", f"ad-{first.pk}"],
        **{f"c-{first.pk}-{p1.pk}": ""},
    )
    assert partial.status_code == 400
    assert CriterionDecision.objects.filter(learner=first).count() == 4


def test_declarations_clear_only_with_all_the_learners_unverified_decisions(setup):
    client, a, learners = setup
    post_grid(client, a, learners)
    first, second = learners
    boxes = [f"ld-{first.pk}", f"ad-{first.pk}"]
    assert post_grid(client, a, [first], value="", omit=boxes).status_code == 302
    assert not CriterionDecision.objects.filter(learner=first).exists()
    sub = Submission.objects.get(learner=first, assignment=a)
    assert sub.learner_declared_on is None and sub.assessor_declared_on is None
    # verified decisions cannot be cleared, so their declarations stay
    client.force_login(a.internal_verifier)
    url = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": second.pk})
    assert client.post(url).status_code == 302
    client.force_login(a.assessor)
    boxes = [f"ld-{second.pk}", f"ad-{second.pk}"]
    refused = post_grid(client, a, [second], value="", omit=boxes)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "was internally verified, so it cannot be cleared" in text
    assert f"{name(second)}: the assessor&#x27;s authenticity declaration is missing" in text
    assert Submission.objects.get(learner=second, assignment=a).assessor_declared_on


def test_an_unknown_attempt_is_a_400_and_a_missing_one_means_the_first(setup):
    client, a, learners = setup
    page = client.get(grid_url(a) + "?attempt=second")
    assert page.status_code == 400
    assert "attempt=&#x27;second&#x27;" in page.content.decode()
    assert "first, resubmission or retake" in page.content.decode()
    refused = post_grid(client, a, learners, attempt="resit")
    assert refused.status_code == 400
    assert not CriterionDecision.objects.exists()
    assert client.get(grid_url(a)).context["grid"].attempt == "first"
    assert post_grid(client, a, learners, omit=["attempt"]).status_code == 302
    assert CriterionDecision.objects.filter(attempt="first").count() == 8


@pytest.mark.parametrize(
    "decided_on, reason",
    [
        ("0001-01-01", "before the assignment&#x27;s hand-out date (05/10/2026)"),
        ("2026-10-04", "before the assignment&#x27;s hand-out date (05/10/2026)"),
        ("2027-01-01", "in the future"),
    ],
)
def test_a_decision_date_before_the_hand_out_or_in_the_future_is_refused(setup, decided_on, reason):
    client, a, learners = setup
    response = post_grid(client, a, learners, decided_on=decided_on)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Decision date: " in text and reason in text
    assert not CriterionDecision.objects.exists()
    assert not Submission.objects.exists()


def test_a_decision_on_the_hand_out_day_is_accepted(setup):
    client, a, learners = setup
    assert post_grid(client, a, learners, decided_on="2026-10-05").status_code == 302
    assert CriterionDecision.objects.filter(decided_on=dt.date(2026, 10, 5)).count() == 8


def test_the_grid_posts_with_htmx_into_a_live_status_region_by_the_save_button(setup):
    client, a, learners = setup
    page = client.get(grid_url(a)).content.decode()
    start = page.index('<form method="post" action="' + grid_url(a))
    form = page[start : page.index("</form>", start)]
    assert f'hx-post="{grid_url(a)}"' in form and 'hx-target="#grid-status"' in form
    assert "data-swap-errors" in form
    status = form.index('id="grid-status"')
    assert 'aria-live="polite"' in form[status - 80 : status + 80]
    assert form.index("Save the whole grid") < status
    script = open("static/js/btecqa.js").read()
    assert "htmx:beforeSwap" in script and "data-swap-errors" in script


def test_a_save_for_one_learner_says_learner_not_learners(setup):
    client, a, learners = setup
    response = post_grid(client, a, learners[:1], headers={"HX-Request": "true"})
    assert "Saved: 4 new, 0 changed, 0 cleared, for 1 learner." in response.content.decode()
    criteria = list(a.criteria.all())
    again = {f"c-{learners[0].pk}-{c.pk}": "not_yet" for c in criteria}
    response = post_grid(client, a, learners[:1], **again)
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Saved: 0 new, 4 changed, 0 cleared, for 1 learner." in page


def test_an_htmx_save_returns_the_saved_partial_and_leaves_no_message_behind(setup):
    client, a, learners = setup
    response = post_grid(client, a, learners, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Saved: 8 new, 0 changed, 0 cleared, for 2 learners." in text
    assert "<html" not in text and "<nav" not in text
    assert CriterionDecision.objects.filter(assignment=a).count() == 8
    assert "Saved:" not in client.get(grid_url(a)).content.decode()


def test_an_htmx_refusal_is_a_400_with_only_the_problems(setup):
    client, a, learners = setup
    response = post_grid(client, a, learners[:1], declare=False, headers={"HX-Request": "true"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert f"{name(learners[0])}: the learner&#x27;s authenticity declaration is missing" in text
    assert "<html" not in text and "<nav" not in text and "<table" not in text
    assert not CriterionDecision.objects.exists()
    # without htmx the same refusal is the whole page, with the problems and the grid
    full = post_grid(client, a, learners[:1], declare=False)
    assert full.status_code == 400
    assert "<html" in full.content.decode() and "Nothing was saved" in full.content.decode()


def test_a_refused_grid_without_javascript_shows_again_what_the_assessor_entered(setup):
    """Without htmx the refusal is the whole page: the cells, feedback and hand-in dates
    they entered come back as they left them, not as stored, so nothing is typed twice."""
    client, a, learners = setup
    response = post_grid(
        client,
        a,
        learners,
        declare=False,
        **{f"fb-{learners[0].pk}": "Good start <b>", f"sub-{learners[0].pk}": "2026-11-02"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert not CriterionDecision.objects.exists()
    assert page.count('<option value="achieved" selected>') == 8
    assert ">Good start &lt;b&gt;</textarea>" in page
    assert 'value="2026-11-02"' in page


def test_nobody_verifies_a_decision_they_recorded_themselves(setup):
    """An IV who recorded one of the learner's decisions (by importing the tracking sheet,
    say) may not verify them: the access layer's NOT_OWN_DECISION rule (domain.md 3.1)."""
    client, a, learners = setup
    post_grid(client, a, learners)
    learner = learners[0]
    p1 = CriterionDecision.objects.get(learner=learner, criterion__code="A.P1", current=True)
    CriterionDecision.objects.filter(pk=p1.pk).update(assessor=a.internal_verifier)
    client.force_login(a.internal_verifier)
    url = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": learner.pk})
    response = client.post(url, follow=True)
    page = response.content.decode()
    assert "another internal verifier must verify it" in page and "A.P1" in page
    assert not CriterionDecision.objects.filter(verified_at__isnull=False).exists()
    # the same rule decides lists: the IV's verifiable decisions leave out their own
    from assessment.permissions import VERIFY_DECISIONS

    reachable = scope(a.internal_verifier, VERIFY_DECISIONS, CriterionDecision)
    assert p1.pk not in set(reachable.values_list("pk", flat=True))
    assert reachable.filter(learner=learner).count() == 3
    # the other learner's decisions, all made by the assessor, verify as before
    other = reverse("assessment:decisions_verify", kwargs={"pk": a.pk, "learner": learners[1].pk})
    assert client.post(other).status_code == 302
    assert CriterionDecision.objects.filter(verified_at__isnull=False).count() == 4
