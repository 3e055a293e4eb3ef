"""Review of the September round: scoping, double-clicks, frozen records, stranded rows."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

import audit
from accounts.roles import Role
from audit.models import AuditEvent
from registrations import services
from registrations.models import (
    CentreCalendar,
    EntryList,
    EntryRequest,
    Registration,
    RowQuery,
)
from signatures import services as signing
from signatures.models import Signature
from todos.models import ToDo

from . import test_registration_round as round_tests
from .factories import PASSWORD, LearnerFactory
from .test_registration_round import TODAY, _all_proposed, _returned, _signed

# The round's fixtures, shared with test_registration_round.
_september, cohort, rnd = round_tests._september, round_tests.cohort, round_tests.rnd

R = Role
pytestmark = pytest.mark.usefixtures("_september")


# --- a programme leader acting on a programme they do not lead ------------------------------


def test_another_programme_leader_cannot_query_a_row(
    client, cast, rnd, cohort, own_centre, make_user
):
    entry_list = _returned(rnd, cohort, cast)
    reg = cohort.registrations.first()
    other_pl = make_user("other_pl", R.PROGRAMME_LEADER, centre=own_centre)
    client.force_login(other_pl)
    response = client.post(
        reverse("registrations:row_query", args=[entry_list.pk, reg.pk]),
        {"reason": "Not my programme, but still"},
    )
    assert response.status_code == 403
    assert not RowQuery.objects.exists()
    assert not reg.steps.filter(what="Queried").exists()


def test_another_programme_leader_cannot_send_the_proposals(
    client, cast, rnd, cohort, own_centre, make_user
):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    services.propose_entry(
        req, learner=cohort.teaching_groups.get().learners.first(), by=cohort.leader
    )
    other_pl = make_user("other_pl", R.PROGRAMME_LEADER, centre=own_centre)
    client.force_login(other_pl)
    response = client.post(reverse("registrations:proposals_send", args=[req.pk]))
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.status == EntryRequest.Status.REQUESTED
    assert not ToDo.objects.filter(kind=services.MAKE_ENTRIES_TODO).exists()


def test_sending_the_proposals_twice_is_one_result(cast, rnd, cohort):
    req = _all_proposed(rnd, cohort, cast[R.PROGRAMME_LEADER])
    stale = EntryRequest.objects.get(pk=req.pk)
    stale.status = EntryRequest.Status.REQUESTED  # as a second tab still shows it
    with pytest.raises(ValidationError, match="already been sent"):
        services.finish_proposals(stale, by=cast[R.PROGRAMME_LEADER])
    assert (
        AuditEvent.objects.filter(action="registrations.entry_request.proposals_sent").count() == 1
    )


# --- two at once: one result and a clear message --------------------------------------------


def test_signing_twice_at_once_makes_one_signature(cast, rnd, cohort):
    entry_list = _returned(rnd, cohort, cast)
    pl = cast[R.PROGRAMME_LEADER]
    seen = signing.current_sha256(entry_list)
    first = EntryList.objects.get(pk=entry_list.pk)
    second = EntryList.objects.get(pk=entry_list.pk)  # a double-click: both read before either
    services.sign_entry_list(first, user=pl, password=PASSWORD, seen_sha256=seen)
    with pytest.raises(ValidationError, match="already signed"):
        services.sign_entry_list(second, user=pl, password=PASSWORD, seen_sha256=seen)
    assert Signature.objects.count() == 1
    reg = cohort.registrations.first()
    assert reg.steps.filter(what="Signed").count() == 1


def test_answering_a_query_twice_at_once_is_one_answer(cast, rnd, cohort):
    entry_list = _returned(rnd, cohort, cast)
    reg = cohort.registrations.first()
    query = services.query_row(
        entry_list, registration=reg, reason="Wrong pathway", by=cast[R.PROGRAMME_LEADER]
    )
    first = RowQuery.objects.get(pk=query.pk)
    second = RowQuery.objects.get(pk=query.pk)
    services.answer_query(first, answer="Fixed", by=cast[R.EXAMS_OFFICER])
    with pytest.raises(ValidationError, match="already been answered"):
        services.answer_query(second, answer="Also fixed", by=cast[R.EXAMS_OFFICER])
    query.refresh_from_db()
    assert query.answer == "Fixed"
    assert reg.steps.filter(what="Query answered").count() == 1


# --- signed and submitted records are never edited in place ---------------------------------


def test_a_registration_already_at_pearson_is_not_amended_in_place(cast, rnd, cohort):
    entry_list = _signed(rnd, cohort, cast)
    reg = cohort.registrations.first()
    # e.g. a new starter actioned at Pearson joins the programme while its list is signed
    Registration.objects.filter(pk=reg.pk).update(status=Registration.Status.SUBMITTED)
    reg.refresh_from_db()
    with pytest.raises(ValidationError, match="change request"):
        services.amend_registration(reg, by=cast[R.EXAMS_OFFICER], reason="tidy", pathway="Sport")
    reg.refresh_from_db()
    assert reg.pathway == ""
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED


def test_amending_a_row_not_on_the_list_does_not_mark_the_signed_list_amended(
    cast, rnd, cohort, own_centre
):
    entry_list = _signed(rnd, cohort, cast)
    late = LearnerFactory(centre=own_centre, last_name="Late")
    cohort.teaching_groups.get().learners.add(late)
    reg = services.propose_entry(
        cohort.entry_requests.get(), learner=late, by=cast[R.PROGRAMME_LEADER]
    )
    versions = signing.versions(entry_list).count()
    services.amend_registration(reg, by=cast[R.EXAMS_OFFICER], reason="tidy", pathway="Sport")
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED
    assert signing.versions(entry_list).count() == versions


# --- nothing stranded -----------------------------------------------------------------------


def test_submitting_with_proposed_learners_left_is_refused_naming_them(
    cast, rnd, cohort, own_centre
):
    entry_list = _signed(rnd, cohort, cast)
    late = LearnerFactory(centre=own_centre, last_name="Latecomer")
    cohort.teaching_groups.get().learners.add(late)
    reg = services.propose_entry(
        cohort.entry_requests.get(), learner=late, by=cast[R.PROGRAMME_LEADER]
    )
    eo = cast[R.EXAMS_OFFICER]
    with pytest.raises(ValidationError, match="LATECOMER|Latecomer"):
        services.submit_entry_list(entry_list, by=eo, submitted_on=TODAY)
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED
    services.remove_from_list(reg, by=eo, reason="joined too late: a new starter instead")
    services.submit_entry_list(entry_list, by=eo, submitted_on=TODAY)
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SUBMITTED


def test_make_entries_todo_closes_when_proposals_arrive_after_the_list_was_returned(
    cast, rnd, cohort
):
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=eo)
    learners = list(cohort.teaching_groups.get().learners.order_by("last_name"))
    services.propose_entry(req, learner=learners[0], by=pl)
    entry_list = cohort.entry_lists.get()
    services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
    services.return_entry_list(entry_list, by=eo)
    # The leader proposes the rest and sends them after the list went out for signing.
    for learner in learners[1:]:
        services.propose_entry(req, learner=learner, by=pl)
    services.finish_proposals(req, by=pl)
    assert ToDo.objects.filter(kind=services.MAKE_ENTRIES_TODO, closed_at=None).exists()
    services.make_entries(
        entry_list,
        registrations=list(cohort.registrations.filter(status="proposed")),
        by=eo,
    )
    assert not ToDo.objects.filter(kind=services.MAKE_ENTRIES_TODO, closed_at=None).exists()


# --- queries only on the list as returned ---------------------------------------------------


def test_a_query_on_a_row_not_on_the_list_is_refused(cast, rnd, cohort, own_centre):
    entry_list = _returned(rnd, cohort, cast)
    reg = cohort.registrations.first()
    services.remove_from_list(reg, by=cast[R.EXAMS_OFFICER], reason="left")
    with pytest.raises(ValidationError, match="not on this list"):
        services.query_row(entry_list, registration=reg, reason="?", by=cast[R.PROGRAMME_LEADER])


# --- the page's hash is what signing checks -------------------------------------------------


def test_signing_from_the_page_hash_works(client, cast, rnd, cohort, own_centre):
    entry_list = _returned(rnd, cohort, cast)
    # A learner with no ULN or UCI and two optional units: the awkward fields.
    reg = cohort.registrations.first()
    Registration.objects.filter(pk=reg.pk).update(programme_code="X1")
    entry_list.refresh_from_db()
    client.force_login(cast[R.PROGRAMME_LEADER])
    page = client.get(entry_list.get_absolute_url())
    assert page.context["sha256"] == signing.current_sha256(entry_list)
    client.post(
        reverse("registrations:entry_list_sign", args=[entry_list.pk]),
        {"password": PASSWORD, "seen": page.context["sha256"]},
    )
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED


def test_wrong_password_message_is_not_about_lists_only(cast, rnd, cohort):
    entry_list = _returned(rnd, cohort, cast)
    with pytest.raises(ValidationError) as exc:
        signing.sign(
            entry_list,
            user=cast[R.PROGRAMME_LEADER],
            password="wrong",
            role=R.PROGRAMME_LEADER,
            seen_sha256=signing.current_sha256(entry_list),
        )
    assert "password is not right" in exc.value.messages[0]
    assert "list" not in exc.value.messages[0]


# --- nothing half-written -------------------------------------------------------------------


def test_centre_dates_are_not_saved_without_their_audit_event(
    client, cast, own_centre, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    client.raise_request_exception = False
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:calendar_edit"),
        {
            "centre": own_centre.pk,
            "academic_year": "2026/27",
            "term_starts": "03/09/2026",
            "october_half_term_starts": "26/10/2026",
        },
    )
    assert response.status_code == 500
    assert not CentreCalendar.objects.exists()
