"""IV records on sampled decisions (policy 000-3.2.1; domain.md 3.6, 3.8): agree freezes,
disagree sends an action to the assessor and flags the cohort, the action is followed to
closure, and what counts as internally verified for a claim."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment.models import CriterionDecision
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from tests.factories import (
    CentreFactory,
    RoleAssignmentFactory,
    UserFactory,
    decide,
    decisions_assignment,
    decisions_class,
)
from todos.models import ToDo
from verification import selectors_iv as sel
from verification import services_iv as svc
from verification.models_sampling import DecisionFlag, IVPlan, IVRecord, SampleItem

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)
DUE = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _november():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0), tick=True):
        yield


def person(role, centre, **kw):
    user = UserFactory(**kw)
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


class World:
    def __init__(self, n=4):
        self.a = decisions_assignment()
        self.cohort = self.a.plan.cohort
        self.centre = self.cohort.centre
        self.assessor, self.iv = self.a.assessor, self.a.internal_verifier
        self.assessor.email = "assessor@school.example"
        self.assessor.save()
        self.liv = person("lead_iv", self.centre)
        self.qn = person("quality_nominee", self.centre)
        self.learners = decisions_class(self.a, n)
        self.codes = list(self.a.criteria.order_by("code").values_list("code", flat=True))
        for learner in self.learners:
            decide(learner, self.a, self.codes)
        self.plan = IVPlan.objects.create(
            cohort=self.cohort, academic_year=self.a.plan.academic_year, created_by=self.liv
        )

    def sample(self, learner, attempt="first", stage="summative"):
        return SampleItem.objects.create(
            plan=self.plan,
            learner=learner,
            assignment=self.a,
            attempt=attempt,
            stage=stage,
            snapshot={"decisions": [{"criterion": c, "decision": "achieved"} for c in self.codes]},
            sampled_by=self.liv,
        )

    def disagree(self, item):
        return svc.record_iv(
            item,
            by=self.iv,
            outcome="disagree",
            comments="P2 not evidenced",
            action="Reassess A.P2 against the evidence",
            action_due=DUE,
        )

    def decisions(self, learner=None):
        qs = CriterionDecision.objects.filter(assignment=self.a, current=True)
        return qs.filter(learner=learner) if learner else qs


@pytest.fixture
def w():
    return World()


def item_url(item):
    return reverse("verification:iv_item", kwargs={"pk": item.pk})


def record_url(item):
    return reverse("verification:iv_record", kwargs={"pk": item.pk})


# --- who may record -------------------------------------------------------------------


def test_an_agree_freezes_the_sampled_decisions_through_mark_verified(w, client):
    item = w.sample(w.learners[0])
    client.force_login(w.iv)
    page = client.get(item_url(item)).content.decode()
    assert "As sampled" in page and "Current decisions" in page and "A.P1" in page
    response = client.post(record_url(item), {"outcome": "agree", "comments": "Sound"})
    assert response.status_code == 302
    assert w.decisions(w.learners[0]).filter(verified_at__isnull=True).count() == 0
    assert w.decisions(w.learners[1]).filter(verified_at__isnull=False).count() == 0
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"verification.iv.recorded", "assessment.decisions.verified"} <= actions
    # never rewritten: a second record is refused
    again = client.post(record_url(item), {"outcome": "disagree"})
    assert again.status_code == 400
    assert "already has its IV record: it is not rewritten" in again.content.decode()


def test_an_iv_cannot_verify_a_decision_they_recorded_themselves(w, client):
    """NOT_OWN_DECISION: the IV imported a learner's decision; refused naming the criteria."""
    item = w.sample(w.learners[0])
    CriterionDecision.objects.filter(learner=w.learners[0], criterion__code="A.M1").update(
        assessor=w.iv
    )
    client.force_login(w.iv)
    response = client.post(record_url(item), {"outcome": "agree"})
    assert response.status_code == 400
    name = f"{w.learners[0].first_name} {w.learners[0].last_name}"
    assert (
        f"You recorded {name}&#x27;s decision on A.M1: another internal verifier must verify it"
        in response.content.decode()
    )
    assert not IVRecord.objects.exists()


def test_the_assessor_cannot_verify_their_own_assignment_and_others_are_refused(w, client):
    item = w.sample(w.learners[0])
    with pytest.raises(PermissionDenied, match="Nobody internally verifies their own"):
        svc.record_iv(item, by=w.assessor, outcome="agree", comments="")
    other_iv = person("assessor_iv", w.centre)
    client.force_login(other_iv)
    refused = client.post(record_url(item), {"outcome": "agree"})
    assert refused.status_code == 403
    assert not IVRecord.objects.exists()


def test_a_disagree_without_an_action_or_date_is_refused_naming_the_field(w, client):
    item = w.sample(w.learners[0])
    client.force_login(w.iv)
    response = client.post(record_url(item), {"outcome": "disagree", "comments": "No"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "A disagreement needs an action: say what the assessor must do." in text
    assert "A disagreement needs a date the action is due by." in text
    with pytest.raises(ValidationError) as exc:
        svc.record_iv(item, by=w.iv, outcome="disagree", comments="", action_due=DUE)
    assert set(exc.value.message_dict) == {"action"}
    assert not IVRecord.objects.exists() and not DecisionFlag.objects.exists()


def test_the_standardisation_block_applies_to_recording_iv(w):
    from verification.models_standardisation import StandardisationRule

    StandardisationRule.objects.create(centre=w.centre, block=True, changed_by=w.qn)
    with pytest.raises(ValidationError, match="lets nobody record internal verification"):
        svc.record_iv(w.sample(w.learners[0]), by=w.iv, outcome="agree", comments="")


# --- a disagreement followed through the cohort ------------------------------------------


def test_a_disagreement_goes_to_the_assessor_and_flags_the_whole_cohort(w, client):
    item = w.sample(w.learners[0])
    record = w.disagree(item)
    todo = ToDo.objects.get(kind="verification.iv_action", closed_at__isnull=True)
    assert todo.assignee == w.assessor and todo.due_date == DUE
    email = OutgoingEmail.objects.get(kind="verification.iv")
    assert email.to == ["assessor@school.example"]
    assert "Reassess A.P2" in email.body
    flag = DecisionFlag.objects.get()
    assert (flag.cohort, flag.assessor, flag.assignment, flag.raised_by) == (
        w.cohort,
        w.assessor,
        w.a,
        record,
    )
    assert ToDo.objects.filter(kind="verification.iv_flag", role="lead_iv").exists()

    client.force_login(w.assessor)
    actions = client.get(reverse("verification:iv_actions")).content.decode()
    assert "Reassess A.P2 against the evidence" in actions and "01/12/2026" in actions

    client.force_login(w.liv)
    flags = client.get(reverse("verification:iv_flags")).content.decode()
    for learner in w.learners:  # every learner's decisions by that assessor, not just the sampled
        assert f"{learner.first_name} {learner.last_name}" in flags
    assert "To be checked again" in flags


def test_the_action_is_done_checked_again_closed_and_the_flag_cleared(w, client):
    item = w.sample(w.learners[0])
    record = w.disagree(item)
    flag = DecisionFlag.objects.get()
    client.force_login(w.liv)
    refused = client.post(reverse("verification:iv_flag_clear", args=[flag.pk]), {"note": "ok"})
    assert refused.status_code == 400
    assert "still open" in refused.content.decode()

    with pytest.raises(ValidationError, match="has not said the action is done"):
        svc.close_action(record, by=w.iv, note="checked")
    client.force_login(w.iv)
    with pytest.raises(PermissionDenied):
        svc.mark_action_done(record, by=w.iv, note="not mine")

    client.force_login(w.assessor)
    done = reverse("verification:iv_action_done", args=[record.pk])
    assert client.post(done, {"note": ""}).status_code == 400
    assert client.post(done, {"note": "Reassessed P2: not yet"}).status_code == 302
    assert ToDo.objects.get(kind="verification.iv_action").closed_at is not None
    recheck = ToDo.objects.get(kind="verification.iv_recheck", closed_at__isnull=True)
    assert recheck.assignee == w.iv

    client.force_login(w.iv)
    close = reverse("verification:iv_action_close", args=[record.pk])
    assert client.post(close, {"note": "Agree with the change"}).status_code == 302
    record.refresh_from_db()
    assert record.closed_by == w.iv and record.closing_note == "Agree with the change"
    assert w.decisions(w.learners[0]).filter(verified_at__isnull=True).count() == 0
    assert not ToDo.objects.filter(kind="verification.iv_recheck", closed_at__isnull=True)

    client.force_login(w.liv)
    clear = reverse("verification:iv_flag_clear", args=[flag.pk])
    assert client.post(clear, {"note": "All four re-checked"}).status_code == 302
    flag.refresh_from_db()
    assert flag.cleared_by == w.liv and flag.cleared_at
    assert not ToDo.objects.filter(kind="verification.iv_flag", closed_at__isnull=True)
    trail = list(AuditEvent.objects.values_list("action", flat=True))
    for action in (
        "verification.iv.recorded",
        "verification.iv.flag_raised",
        "verification.iv.action_done",
        "verification.iv.action_closed",
        "verification.iv.flag_cleared",
    ):
        assert action in trail


def test_the_assessor_cannot_clear_a_flag_on_their_own_decisions(w):
    w.assessor.role_assignments.create(centre=w.centre, role="lead_iv")
    w.disagree(w.sample(w.learners[0]))
    with pytest.raises(PermissionDenied):
        svc.clear_flag(DecisionFlag.objects.get(), by=w.assessor, note="fine")


# --- what counts as internally verified ---------------------------------------------------


def counted(w):
    return {
        (d.learner_id, d.criterion.code)
        for d in sel.internally_verified(w.decisions()).select_related("criterion")
    }


def test_a_non_sampled_decision_counts_only_once_its_batch_is_verified(w):
    first, second = w.sample(w.learners[0]), w.sample(w.learners[1])
    assert counted(w) == set()
    rows = sel.not_yet_verified(w.cohort)
    why = {r["learner_id"]: r["why"] for r in rows}
    assert why[w.learners[0].pk] == "sampled, IV not recorded"
    assert why[w.learners[2].pk] == "batch not yet verified"

    svc.record_iv(first, by=w.iv, outcome="agree", comments="")
    # one sampled item of the batch still open: only the agreed learner counts
    assert {lid for lid, _ in counted(w)} == {w.learners[0].pk}
    svc.record_iv(second, by=w.iv, outcome="agree", comments="")
    assert {lid for lid, _ in counted(w)} == {x.pk for x in w.learners}
    assert sel.not_yet_verified(w.cohort) == []


def test_an_open_flag_stops_decisions_counting_until_it_is_cleared(w):
    first, second = w.sample(w.learners[0]), w.sample(w.learners[1])
    svc.record_iv(first, by=w.iv, outcome="agree", comments="")
    assert w.learners[0].pk in {lid for lid, _ in counted(w)}
    record = w.disagree(second)
    assert counted(w) == set()  # even the agreed learner: the flag covers the cohort
    rows = sel.not_yet_verified(w.cohort)
    assert {r["why"] for r in rows} == {"flagged: checked again after a disagreement"}
    assert rows[0]["unit"].startswith(f"Unit {w.a.unit.number}")
    assert rows[0]["assignment"] == w.a.title

    svc.mark_action_done(record, by=w.assessor, note="done")
    svc.close_action(record, by=w.iv, note="checked")
    assert counted(w) == set()  # closed, but the flag is still open
    svc.clear_flag(DecisionFlag.objects.get(), by=w.liv, note="re-checked")
    assert {lid for lid, _ in counted(w)} == {x.pk for x in w.learners}


def test_an_open_action_is_named_with_the_day_it_opened(w):
    item = w.sample(w.learners[0])
    record = w.disagree(item)
    DecisionFlag.objects.update(cleared_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    IVRecord.objects.filter(pk=record.pk).update(
        recorded_at=dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)
    )
    why = {r["learner_id"]: r["why"] for r in sel.not_yet_verified(w.cohort)}
    assert why[w.learners[0].pk] == "action open since 3 Nov"


def test_a_resubmission_is_verified_separately(w):
    learner = w.learners[0]
    svc.record_iv(w.sample(learner), by=w.iv, outcome="agree", comments="")
    resub = [
        CriterionDecision.objects.create(
            learner=learner,
            assignment=w.a,
            criterion=c,
            attempt="resubmission",
            achieved=True,
            assessor=w.assessor,
        )
        for c in w.a.criteria.filter(code="A.M1")
    ]
    counted_ids = set(sel.internally_verified_ids(w.decisions(learner)))
    assert resub[0].pk not in counted_ids  # the first attempt's IV does not cover it
    why = {(r["learner_id"], r["attempt"]): r["why"] for r in sel.not_yet_verified(w.cohort)}
    assert why[(learner.pk, "resubmission")] == "batch not yet verified"

    item = w.sample(learner, attempt="resubmission")
    svc.record_iv(item, by=w.iv, outcome="agree", comments="Resubmission sound")
    resub[0].refresh_from_db()
    assert resub[0].verified_at is not None
    assert resub[0].pk in sel.internally_verified_ids(w.decisions(learner))


def test_an_interim_sample_does_not_make_final_decisions_count(w):
    svc.record_iv(w.sample(w.learners[0], stage="interim"), by=w.iv, outcome="agree", comments="")
    assert counted(w) == set()
    assert w.decisions().filter(verified_at__isnull=False).count() == 0


def test_not_yet_verified_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    big = World(n=12)
    for learner in big.learners[:3]:
        big.sample(learner)
    with django_assert_max_num_queries(1):
        rows = sel.not_yet_verified(big.cohort)
    assert len(rows) == 12
    with django_assert_max_num_queries(1):
        sel.internally_verified_ids(big.decisions())


# --- pages ------------------------------------------------------------------------------


def test_the_pages_run_a_fixed_number_of_queries(w, client, django_assert_max_num_queries):
    items = [w.sample(x) for x in w.learners]
    w.disagree(items[0])
    for user, url in (
        (w.iv, reverse("verification:iv_queue")),
        (w.assessor, reverse("verification:iv_actions")),
        (w.liv, reverse("verification:iv_flags")),
        (w.iv, item_url(items[1])),
    ):
        client.force_login(user)
        client.get(url)
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


def test_the_queue_lists_only_the_ivs_items_and_other_centres_get_404(w, client):
    item = w.sample(w.learners[0])
    client.force_login(w.iv)
    queue = client.get(reverse("verification:iv_queue")).content.decode()
    assert w.learners[0].last_name in queue and "To record" in queue
    client.force_login(w.assessor)
    assert client.get(reverse("verification:iv_queue")).content.decode().count("To record") == 0

    elsewhere = CentreFactory()
    outsider_iv = person("lead_iv", elsewhere)
    client.force_login(outsider_iv)
    assert client.get(item_url(item)).status_code == 404
    assert client.post(record_url(item), {"outcome": "agree"}).status_code == 404
    record = w.disagree(item)
    assert client.post(reverse("verification:iv_action_close", args=[record.pk])).status_code == (
        404
    )
    flag = DecisionFlag.objects.get()
    assert client.post(reverse("verification:iv_flag_clear", args=[flag.pk])).status_code == 404
    flags = client.get(reverse("verification:iv_flags")).content.decode()
    assert w.learners[0].last_name not in flags


def test_a_summative_item_with_no_decisions_is_refused_naming_the_learner(w):
    item = w.sample(w.learners[0], attempt="resubmission")
    name = f"{w.learners[0].first_name} {w.learners[0].last_name}"
    with pytest.raises(ValidationError, match=f"{name} has no decisions on .* to verify yet"):
        svc.record_iv(item, by=w.iv, outcome="agree", comments="")


def test_the_menu_shows_each_iv_page_to_whom_it_serves(w, client):
    client.force_login(w.assessor)
    page = client.get(reverse("verification:iv_actions")).content.decode()
    assert f'href="{reverse("verification:iv_actions")}"' in page
    assert f'href="{reverse("verification:iv_flags")}"' not in page
    client.force_login(w.qn)
    page = client.get(reverse("verification:iv_flags")).content.decode()
    assert f'href="{reverse("verification:iv_flags")}"' in page
    assert f'href="{reverse("verification:iv_queue")}"' not in page


def test_a_decision_changed_after_its_iv_no_longer_counts(w):
    learner = w.learners[0]
    svc.record_iv(w.sample(learner), by=w.iv, outcome="agree", comments="")
    old = w.decisions(learner).get(criterion__code="A.D1")
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 0), tick=True):
        CriterionDecision.objects.filter(pk=old.pk).update(current=False)
        new = CriterionDecision.objects.create(
            learner=learner,
            assignment=w.a,
            criterion=old.criterion,
            achieved=False,
            assessor=w.assessor,
            version=2,
            replaces=old,
            reason="Re-marked after moderation",
        )
    assert new.pk not in sel.internally_verified_ids(w.decisions(learner))
    why = {r["learner_id"]: r for r in sel.not_yet_verified(w.cohort)}
    assert why[learner.pk]["why"] == "changed after its IV"
    assert why[learner.pk]["criteria"] == ["A.D1"]


def test_agreeing_a_resubmission_leaves_the_unverified_first_attempt_open(w):
    """The resubmission's IV freezes the resubmission only: the first attempt, never
    sampled or verified, is not frozen along with it."""
    learner = w.learners[1]
    CriterionDecision.objects.create(
        learner=learner,
        assignment=w.a,
        criterion=w.a.criteria.get(code="A.M1"),
        attempt="resubmission",
        achieved=True,
        assessor=w.assessor,
    )
    svc.record_iv(w.sample(learner, attempt="resubmission"), by=w.iv, outcome="agree", comments="")
    rows = CriterionDecision.objects.filter(learner=learner, assignment=w.a, current=True)
    assert rows.filter(attempt="resubmission", verified_at__isnull=False).exists()
    assert not rows.filter(attempt="first", verified_at__isnull=False).exists()


def test_a_plan_row_with_sampled_work_stays_on_the_plan(w):
    """Removing an assignment whose learners' work was sampled (interim, no decisions
    needed) is refused in words, not a server error."""
    from assessment.services_plans import remove_assignment
    from verification.services import appoint_lead_iv

    appoint_lead_iv(
        centre=w.centre,
        qualification=w.cohort.qualification,
        academic_year=w.a.plan.academic_year,
        lead_iv=w.liv,
        cover=w.iv,
        by=w.qn,
    )
    w.a.plan.status = "draft"
    w.a.plan.save()
    CriterionDecision.objects.filter(assignment=w.a).delete()
    w.sample(w.learners[0], stage="interim")
    with pytest.raises(ValidationError, match="sampled for internal verification"):
        remove_assignment(w.a.plan, w.a, by=w.liv)
