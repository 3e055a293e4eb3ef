"""Changes during the year, through the pages, as the seed policy's people make them.

Programme leaders notify new starters (the exams officer and the Quality Nominee
hear of it); the Quality Nominee notifies withdrawals; transfers and changes of
details come from any of the three; the exams officer makes each change at
Pearson and closes it with the date and Pearson's reference. The learner's
registration history keeps every step. The registration register shows the fee
band that applied, each registration's refund countdown, and warns before a fee
band changes.
"""

import datetime as dt
import re
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from centres import services as arrangements
from registrations import changes, services
from registrations.models import ChangeRequest, Registration, RegistrationRound
from signatures import services as signing
from todos.models import ToDo

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    approve,
    join,
)

R = Role
LONDON = ZoneInfo("Europe/London")
SUBMITTED_ON = dt.date(2026, 9, 14)  # the refund window (90 days) ends on 13/12/2026
STAFF = set(Role) - {R.GOVERNOR}
REQUESTERS = {R.PROGRAMME_LEADER, R.QUALITY_NOMINEE, R.EXAMS_OFFICER}
QUERY_BUDGET = 9  # the register, whatever the number of rows (one is the family deadlines)


@contextmanager
def on(day: dt.date, hour: int = 10):
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)):
        yield


@pytest.fixture(autouse=True)
def _october():
    """Every test happens in the autumn term unless it travels elsewhere."""
    with on(dt.date(2026, 10, 5)):
        yield


def submit_cohort(centre, eo, pl, title, learners, *, day=SUBMITTED_ON):
    """A programme whose entries went through the September round and were submitted."""
    qualification = QualificationFactory(title=title)
    cohort = CohortFactory(centre=centre, qualification=qualification, leader=pl)
    TeachingGroupFactory(cohort=cohort).learners.add(*learners)
    with on(day):
        rnd = RegistrationRound.objects.filter(
            centre=centre, academic_year="2026/27"
        ).first() or services.open_round(centre=centre, academic_year="2026/27", by=eo)
        req = services.request_entries(rnd, cohort=cohort, due_date=day, by=eo)
        for learner in learners:
            services.propose_entry(req, learner=learner, by=pl)
        services.finish_proposals(req, by=pl)
        entry_list = services.entry_list_for(cohort, rnd)
        services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
        services.return_entry_list(entry_list, by=eo)
        entry_list.refresh_from_db()
        services.sign_entry_list(
            entry_list, user=pl, password=PASSWORD, seen_sha256=signing.current_sha256(entry_list)
        )
        entry_list.refresh_from_db()
        services.submit_entry_list(entry_list, by=eo, submitted_on=day)
    return cohort


@pytest.fixture
def years(db):
    call_command("load_registration_years")


@pytest.fixture
def world(years, cast, own_centre):
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    learners = [LearnerFactory(centre=own_centre, last_name=n) for n in ("Ashworth", "Brindley")]
    extended = submit_cohort(
        own_centre, eo, pl, "BTEC National Extended Certificate in Testing", learners
    )
    diploma = CohortFactory(
        centre=own_centre,
        qualification=QualificationFactory(title="BTEC National Diploma in Testing"),
        leader=pl,
    )
    regs = {r.learner.last_name: r for r in extended.registrations.select_related("learner")}
    return {
        "extended": extended,
        "diploma": diploma,
        "ash": regs["Ashworth"],
        "bri": regs["Brindley"],
    }


@pytest.fixture
def elsewhere(years, other_centre, make_user):
    """A submitted registration at an unrelated centre, with its own exams officer."""
    eo = make_user("eo_elsewhere", R.EXAMS_OFFICER, R.QUALITY_NOMINEE, centre=other_centre)
    pl = make_user("pl_elsewhere", R.PROGRAMME_LEADER, centre=other_centre)
    learner = LearnerFactory(centre=other_centre, last_name="Farholm")
    cohort = submit_cohort(other_centre, eo, pl, "BTEC National Certificate Away", [learner])
    return {"eo": eo, "reg": cohort.registrations.get(), "learner": learner}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def steps(reg) -> list[str]:
    return list(reg.steps.values_list("what", flat=True))


def dashboard(client, user) -> str:
    client.force_login(user)
    return text(client.get(reverse("dashboard")))


def action(client, eo, cr, **data):
    client.force_login(eo)
    # A withdrawal says what achievement to date was reported (ignored by other kinds).
    payload = {
        "actioned_on": "05/10/2026",
        "pearson_reference": "CAS-100200",
        "achievement": "none",
        **data,
    }
    return client.post(reverse("registrations:change_action", args=[cr.pk]), payload, follow=True)


def new_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('registrations:change_new')}?{query}"


# --- new starters -------------------------------------------------------------------------


def test_programme_leader_notifies_a_new_starter_and_the_exams_officer_registers_them(
    client, cast, own_centre, world
):
    pl, qn, eo = cast[R.PROGRAMME_LEADER], cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    newcomer = LearnerFactory(centre=own_centre, last_name="Dunmore")
    client.force_login(pl)
    # Found by name, then the kinds a programme leader may notify.
    found = text(client.get(reverse("registrations:change_new"), {"q": "dunm"}))
    assert "DUNMORE" in found
    choose = text(client.get(new_url(learner=newcomer.pk)))
    assert "New starter" in choose and "kind=withdrawal" not in choose
    url = new_url(learner=newcomer.pk, kind="new_starter")
    page = text(client.get(url))
    assert "Programme joined" in page
    response = client.post(
        url,
        {"cohort": world["extended"].pk, "details": "Joined 12A on 01/10/2026"},
        follow=True,
    )
    page = text(response)
    assert "New starter for DUNMORE" in page and "the Quality Nominee" in page
    cr = ChangeRequest.objects.get(kind="new_starter")
    assert cr.status == "open" and cr.requested_by == pl
    # The exams officer has it to do; the Quality Nominee has it to verify.
    assert f"Register new starter {newcomer} on {world['extended']}" in dashboard(client, eo)
    assert "New starter to verify" in dashboard(client, qn)

    page = text(action(client, eo, cr, pearson_reference="CAS-4471"))
    assert "done at Pearson on 05/10/2026 (reference CAS-4471)" in page
    reg = Registration.objects.get(learner=newcomer)
    assert (reg.status, reg.submitted_on, reg.new_starter) == (
        "submitted",
        dt.date(2026, 10, 5),
        True,
    )
    assert "New starter submitted" in page  # the history on the request's page
    cr.refresh_from_db()
    assert (cr.status, cr.actioned_on, cr.pearson_reference) == (
        "done",
        dt.date(2026, 10, 5),
        "CAS-4471",
    )
    assert (
        not ToDo.objects.filter(closed_at__isnull=True)
        .filter(kind__startswith="registrations.a")
        .exists()
    )
    assert AuditEvent.objects.filter(
        action="registrations.change.actioned", object_id=str(cr.pk)
    ).exists()
    # Registered: the exams officer now verifies the entry with the Quality Nominee.
    assert "New starter to verify" in dashboard(client, qn)
    verify = reverse("registrations:change_verify", args=[cr.pk])
    client.force_login(eo)
    assert client.post(verify).status_code == 403  # the QN's step, not the officer's
    client.force_login(qn)
    page = text(client.get(reverse("registrations:change_detail", args=[cr.pk])))
    assert "Verify the entry with the Quality Nominee" in page
    page = text(client.post(verify, {"note": "Options agreed with the exams officer"}, follow=True))
    assert "entry verified" in page
    assert reg.steps.last().what == "Verified with the Quality Nominee"
    assert "Options agreed" in reg.steps.last().detail
    assert "New starter to verify" not in dashboard(client, qn)
    again = text(client.post(verify, follow=True))
    assert "already been verified" in again
    assert reg.steps.filter(what="Verified with the Quality Nominee").count() == 1


def test_a_new_starter_already_registered_is_refused(client, cast, world):
    client.force_login(cast[R.PROGRAMME_LEADER])
    learner = world["ash"].learner
    response = client.post(
        new_url(learner=learner.pk, kind="new_starter"),
        {"cohort": world["extended"].pk, "details": "joined"},
    )
    # The programme they are on is not even offered.
    assert "Select a valid choice" in text(response)
    assert not ChangeRequest.objects.exists()


def test_a_quality_nominee_does_not_notify_new_starters(client, cast, world, own_centre):
    learner = LearnerFactory(centre=own_centre)
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = new_url(learner=learner.pk, kind="new_starter")
    assert client.get(url).status_code == 403
    assert client.post(url, {"cohort": world["extended"].pk, "details": "x"}).status_code == 403
    assert not ChangeRequest.objects.exists()


# --- withdrawals and the refund window ----------------------------------------------------


def test_quality_nominee_notifies_a_withdrawal_and_the_exams_officer_withdraws(client, cast, world):
    qn, eo = cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    reg = world["ash"]
    client.force_login(qn)
    url = new_url(registration=reg.pk, kind="withdrawal")
    page = text(client.get(url))
    assert "Left the school" in page and "Changed course" in page and "Other" in page
    # "Other" needs the circumstances.
    page = text(client.post(url, {"reason": "other", "details": ""}))
    assert "Say what the other circumstances are." in page
    response = client.post(
        url, {"reason": "left_school", "details": "Moved away on 02/10/2026"}, follow=True
    )
    assert "Withdrawal for ASHWORTH" in text(response)
    cr = ChangeRequest.objects.get()
    assert f"Withdraw {reg.learner} from {reg.cohort} (left the school)" in dashboard(client, eo)

    page = text(action(client, eo, cr, outcome="withdraw", actioned_on="04/10/2026"))
    reg.refresh_from_db()
    assert (reg.status, reg.ended_on) == ("withdrawn", dt.date(2026, 10, 4))
    assert steps(reg) == [
        "Proposed",
        "Entered",
        "Signed",
        "Submitted",
        "Withdrawal requested",
        "Withdrawn",
    ]
    assert "Withdrawn: left the school; Pearson reference CAS-100200, 04/10/2026" in page
    assert AuditEvent.objects.filter(action="registrations.registration.withdrawn").count() == 1


def test_a_programme_leader_cannot_notify_a_withdrawal(client, cast, world):
    client.force_login(cast[R.PROGRAMME_LEADER])
    url = new_url(registration=world["ash"].pk, kind="withdrawal")
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "left_school", "details": ""}).status_code == 403
    assert not ChangeRequest.objects.exists()


def _withdrawal(client, qn, reg):
    client.force_login(qn)
    client.post(
        new_url(registration=reg.pk, kind="withdrawal"),
        {"reason": "changed_course", "details": "Now on A levels only"},
    )
    return ChangeRequest.objects.get(registration=reg)


def test_inside_the_refund_window_the_exams_officer_deletes_for_a_refund(client, cast, world):
    reg = world["bri"]
    with on(dt.date(2026, 12, 1)):
        cr = _withdrawal(client, cast[R.QUALITY_NOMINEE], reg)
        client.force_login(cast[R.EXAMS_OFFICER])
        page = text(client.get(reverse("registrations:change_detail", args=[cr.pk])))
        assert "Inside Pearson's refund window: 12 days left (until 13/12/2026)" in page
        page = text(
            action(
                client,
                cast[R.EXAMS_OFFICER],
                cr,
                outcome="delete",
                actioned_on="01/12/2026",
                no_results_confirmed="on",
            )
        )
    assert "deleted for a refund at Pearson on 01/12/2026" in page
    reg.refresh_from_db()
    assert (reg.status, reg.ended_on) == ("deleted", dt.date(2026, 12, 1))
    assert steps(reg)[-2:] == ["Withdrawal requested", "Deleted"]
    cr.refresh_from_db()
    assert cr.no_results_confirmed


def test_after_the_refund_window_deletion_is_refused_with_the_date_it_closed(client, cast, world):
    reg = world["bri"]
    eo = cast[R.EXAMS_OFFICER]
    with on(dt.date(2026, 12, 15)):
        cr = _withdrawal(client, cast[R.QUALITY_NOMINEE], reg)
        client.force_login(eo)
        page = text(client.get(reverse("registrations:change_detail", args=[cr.pk])))
        assert "The refund window closed on 13/12/2026" in page
        page = text(
            action(
                client,
                eo,
                cr,
                outcome="delete",
                actioned_on="15/12/2026",
                no_results_confirmed="on",
            )
        )
        assert "Too late to delete for a refund" in page and "closed on 13/12/2026" in page
        reg.refresh_from_db()
        cr.refresh_from_db()
        assert reg.status == "submitted" and cr.status == "open"
        # A withdrawal (no refund) is still possible.
        action(client, eo, cr, outcome="withdraw", actioned_on="15/12/2026")
    reg.refresh_from_db()
    assert reg.status == "withdrawn"


def test_actioning_needs_pearsons_reference_and_a_date_not_in_the_future(client, cast, world):
    cr = _withdrawal(client, cast[R.QUALITY_NOMINEE], world["ash"])
    eo = cast[R.EXAMS_OFFICER]
    page = text(action(client, eo, cr, pearson_reference="", outcome="withdraw"))
    assert "This field is required." in page
    with pytest.raises(ValidationError, match="Enter Pearson's reference for this change"):
        changes.action_change(cr, actioned_on=dt.date(2026, 10, 5), pearson_reference=" ", by=eo)
    page = text(action(client, eo, cr, actioned_on="06/10/2026", outcome="withdraw"))
    assert "The date actioned at Pearson (06/10/2026) is in the future" in page
    cr.refresh_from_db()
    assert cr.status == "open" and world["ash"].steps.filter(what="Withdrawn").count() == 0
    action(client, eo, cr, outcome="withdraw")
    page = text(action(client, eo, cr, outcome="withdraw"))
    # Done once; the page no longer offers the action and a second post changes nothing.
    assert "This request is already done at Pearson: nothing was done." in page
    assert world["ash"].steps.filter(what="Withdrawn").count() == 1


# --- transfers ----------------------------------------------------------------------------


def test_transfer_between_cohorts_keeps_the_pearson_registration(client, cast, world):
    pl, eo = cast[R.PROGRAMME_LEADER], cast[R.EXAMS_OFFICER]
    reg = world["ash"]
    # Registered by Pearson (the registration-number import's effect).
    Registration.objects.filter(pk=reg.pk).update(
        status="registered", registration_number="RN0042", registered_on=dt.date(2026, 9, 20)
    )
    client.force_login(pl)
    url = new_url(registration=reg.pk, kind="transfer")
    page = text(client.get(url))
    assert "BTEC National Diploma in Testing" in page
    response = client.post(
        url,
        {
            "direction": "cohort",
            "to_cohort": world["diploma"].pk,
            "details": "Moving up to the Diploma",
        },
        follow=True,
    )
    assert "Transfer for ASHWORTH" in text(response)
    cr = ChangeRequest.objects.get()
    page = text(action(client, eo, cr))
    reg.refresh_from_db()
    assert (reg.status, reg.ended_on) == ("transferred", dt.date(2026, 10, 5))
    new = Registration.objects.get(cohort=world["diploma"])
    assert (new.status, new.registration_number, new.registered_on, new.submitted_on) == (
        "registered",
        "RN0042",
        dt.date(2026, 9, 20),
        SUBMITTED_ON,
    )
    assert steps(reg)[-2:] == ["Transfer requested", "Transferred"]
    assert steps(new) == ["Transferred in"]
    assert "Transferred in: from BTEC National Extended Certificate in Testing 2026/27" in page


def test_transfer_of_a_submitted_registration_stays_submitted(client, cast, world):
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=world["bri"].pk, kind="transfer"),
        {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "Changed"},
    )
    action(client, cast[R.EXAMS_OFFICER], ChangeRequest.objects.get())
    new = Registration.objects.get(cohort=world["diploma"])
    assert (new.status, new.submitted_on, new.registration_number) == (
        "submitted",
        SUBMITTED_ON,
        "",
    )


def test_transfer_to_a_consortium_centre(client, cast, world, own_centre, partner_centre):
    eo = cast[R.EXAMS_OFFICER]
    arrangement = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Testing consortium",
        programme_code="TC1",
        first_year="2026/27",
        by=cast[R.QUALITY_NOMINEE],
    )
    join(arrangement, partner_centre)
    reg = world["bri"]
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = new_url(registration=reg.pk, kind="transfer")
    assert f"{partner_centre} — consortium" in text(client.get(url))
    # Choosing "another centre" without one is refused clearly.
    page = text(client.post(url, {"direction": "centre", "details": "Moving"}))
    assert "Choose the centre the learner moves to." in page
    client.post(url, {"direction": "centre", "to_centre": partner_centre.pk, "details": "Moving"})
    cr = ChangeRequest.objects.get()
    assert cr.to_centre == partner_centre
    # The sending centre hands over (tests/test_transfers.py follows it to the end): the
    # registration stays live here until the receiving centre completes the transfer.
    Registration.objects.filter(pk=reg.pk).update(registration_number="RN0043")
    reg.learner.uci = "681990012058G"
    reg.learner.save()
    action(client, eo, cr, pearson_reference="TRF-9")
    reg.refresh_from_db()
    cr.refresh_from_db()
    assert (reg.status, cr.status) == ("submitted", "handover")
    assert reg.steps.last().detail.startswith(
        f"to {partner_centre}, which completes the transfer: UCI 681990012058G, "
        "registration number RN0043"
    )


def test_transfer_in_from_another_centre(client, cast, world, own_centre):
    arrival = LearnerFactory(centre=own_centre, last_name="Eastwick")
    client.force_login(cast[R.PROGRAMME_LEADER])
    url = new_url(learner=arrival.pk, kind="transfer")
    assert "Transfer in from another centre" in text(client.get(url))
    client.post(
        url,
        {
            "to_cohort": world["extended"].pk,
            "from_centre": "Northgate School (49999)",
            "details": "Joined 01/10/2026",
        },
    )
    cr = ChangeRequest.objects.get()
    assert cr.registration is None and cr.details.startswith("From Northgate School (49999).")
    action(client, cast[R.EXAMS_OFFICER], cr, registration_number="RN7788")
    reg = Registration.objects.get(learner=arrival)
    assert (reg.status, reg.registration_number, reg.cohort) == (
        "registered",
        "RN7788",
        world["extended"],
    )
    assert steps(reg) == ["Transferred in"]


def test_a_registration_not_yet_at_pearson_cannot_be_transferred(client, cast, world, own_centre):
    learner = LearnerFactory(centre=own_centre)
    world["extended"].teaching_groups.get().learners.add(learner)
    req = world["extended"].entry_requests.get()
    reg = services.propose_entry(req, learner=learner, by=cast[R.PROGRAMME_LEADER])
    client.force_login(cast[R.EXAMS_OFFICER])
    page = text(
        client.post(
            new_url(registration=reg.pk, kind="transfer"),
            {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "x"},
        )
    )
    assert "has not been submitted to Pearson yet" in page
    assert not ChangeRequest.objects.exists()


# --- changes of details -------------------------------------------------------------------


def test_change_of_details_is_a_step_on_every_live_registration(client, cast, world):
    learner = world["ash"].learner
    # The learner also has a second live registration.
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=world["ash"].pk, kind="transfer"),
        {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "Both"},
    )
    action(client, cast[R.EXAMS_OFFICER], ChangeRequest.objects.get())
    client.force_login(cast[R.PROGRAMME_LEADER])
    response = client.post(
        new_url(learner=learner.pk, kind="details"),
        {"details": "Legal last name changed to Ashworth-Hale"},
        follow=True,
    )
    assert "Change of learner details for ASHWORTH" in text(response)
    cr = ChangeRequest.objects.get(kind="details")
    page = text(action(client, cast[R.EXAMS_OFFICER], cr, pearson_reference="AMD-5"))
    live = Registration.objects.get(learner=learner, status="submitted")
    assert steps(live)[-2:] == ["Change of details requested", "Details changed at Pearson"]
    assert "Details changed at Pearson: Legal last name changed to Ashworth-Hale" in page
    ended = Registration.objects.get(learner=learner, status="transferred")
    assert "Details changed at Pearson" not in steps(ended)
    assert Registration.objects.filter(learner=learner).count() == 2  # no registration change


# --- cancelling, the list, the history ----------------------------------------------------


def test_the_requester_cancels_with_a_reason(client, cast, world):
    qn = cast[R.QUALITY_NOMINEE]
    cr = _withdrawal(client, qn, world["ash"])
    url = reverse("registrations:change_cancel", args=[cr.pk])
    client.force_login(cast[R.PROGRAMME_LEADER])
    assert client.post(url, {"why": "not mine"}).status_code == 403
    client.force_login(qn)
    assert "Say why" in text(client.post(url, {"why": ""})) or "required" in text(
        client.post(url, {"why": ""})
    )
    page = text(client.post(url, {"why": "Decided to stay after all"}, follow=True))
    assert "Request cancelled." in page
    cr.refresh_from_db()
    assert cr.status == "cancelled"
    assert steps(world["ash"])[-1] == "Change request cancelled"
    assert not ToDo.objects.filter(
        closed_at__isnull=True, kind="registrations.action_change"
    ).exists()
    world["ash"].refresh_from_db()
    assert world["ash"].status == "submitted"


def test_the_list_shows_open_requests_first_with_their_age(client, cast, world):
    qn, eo = cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    with on(dt.date(2026, 10, 1)):
        old = _withdrawal(client, qn, world["ash"])
    with on(dt.date(2026, 10, 2)):
        done = _withdrawal(client, qn, world["bri"])
        action(client, eo, done, actioned_on="02/10/2026", outcome="withdraw")
    client.force_login(cast[R.PROGRAMME_LEADER])
    page = text(client.get(reverse("registrations:change_list")))
    assert page.index("ASHWORTH") < page.index("BRINDLEY")
    assert "Open 4 days" in page
    assert "02/10/2026, ref. CAS-100200" in page
    open_only = text(client.get(reverse("registrations:change_list"), {"show": "open"}))
    assert "ASHWORTH" in open_only and "BRINDLEY" not in open_only
    assert old.pk


def test_the_history_keeps_every_step(client, cast, world):
    """A year of changes to one learner, read back on the request's page."""
    pl, qn, eo = cast[R.PROGRAMME_LEADER], cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    reg = world["ash"]
    client.force_login(pl)
    client.post(
        new_url(registration=reg.pk, kind="transfer"),
        {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "Up"},
    )
    action(client, eo, ChangeRequest.objects.get())
    new = Registration.objects.get(cohort=world["diploma"])
    with on(dt.date(2027, 3, 1)):
        cr = _withdrawal(client, qn, new)
        page = text(action(client, eo, cr, actioned_on="01/03/2027", outcome="withdraw"))
    for what in (
        "Proposed",
        "Entered",
        "Signed",
        "Submitted",
        "Transfer requested",
        "Transferred",
        "Transferred in",
        "Withdrawal requested",
        "Withdrawn",
    ):
        assert f"· {what}" in page, what
    assert steps(reg) + steps(new) == [
        "Proposed",
        "Entered",
        "Signed",
        "Submitted",
        "Transfer requested",
        "Transferred",
        "Transferred in",
        "Withdrawal requested",
        "Withdrawn",
    ]


# --- who may: role x own / other centre ---------------------------------------------------


@pytest.fixture
def open_withdrawal(client, cast, world):
    return _withdrawal(client, cast[R.QUALITY_NOMINEE], world["ash"])


@pytest.fixture
def their_withdrawal(elsewhere):
    return changes.request_withdrawal(
        elsewhere["reg"], reason="left_school", details="", by=elsewhere["eo"]
    )


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_request_detail_by_role_and_centre(client, cast, open_withdrawal, their_withdrawal, role):
    client.force_login(cast[role])
    own = client.get(reverse("registrations:change_detail", args=[open_withdrawal.pk]))
    other = client.get(reverse("registrations:change_detail", args=[their_withdrawal.pk]))
    if role in (R.GOVERNOR, R.STANDARDS_VERIFIER):  # neither is staff
        assert (own.status_code, other.status_code) == (403, 403)
    else:
        assert (own.status_code, other.status_code) == (200, 404)
        assert ("Record the change made at Pearson" in text(own)) == (role == R.EXAMS_OFFICER)


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_action_by_role_and_centre(client, cast, open_withdrawal, their_withdrawal, role):
    client.force_login(cast[role])
    data = {
        "actioned_on": "05/10/2026",
        "pearson_reference": "X1",
        "outcome": "withdraw",
        "achievement": "none",
    }
    other = client.post(reverse("registrations:change_action", args=[their_withdrawal.pk]), data)
    own = client.post(reverse("registrations:change_action", args=[open_withdrawal.pk]), data)
    if role == R.EXAMS_OFFICER:
        assert (own.status_code, other.status_code) == (302, 404)
        open_withdrawal.refresh_from_db()
        assert open_withdrawal.status == "done"
    else:
        assert (own.status_code, other.status_code) == (403, 403)
    their_withdrawal.refresh_from_db()
    assert their_withdrawal.status == "open"


@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_cancel_by_role_and_centre(client, cast, open_withdrawal, their_withdrawal, role):
    client.force_login(cast[role])
    data = {"why": "mistake"}
    other = client.post(reverse("registrations:change_cancel", args=[their_withdrawal.pk]), data)
    own = client.post(reverse("registrations:change_cancel", args=[open_withdrawal.pk]), data)
    if role in (R.EXAMS_OFFICER, R.QUALITY_NOMINEE):  # the exams officer, or who asked
        assert (own.status_code, other.status_code) == (302, 404)
    elif role == R.PROGRAMME_LEADER:
        assert (own.status_code, other.status_code) == (403, 404)
    else:
        assert (own.status_code, other.status_code) == (403, 403)


KIND_ROLES = {
    "new_starter": {R.PROGRAMME_LEADER, R.EXAMS_OFFICER},
    "withdrawal": {R.QUALITY_NOMINEE, R.EXAMS_OFFICER},
    "transfer": REQUESTERS,
    "details": REQUESTERS,
}


@pytest.mark.parametrize("kind", sorted(KIND_ROLES))
@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_who_may_request_which_kind_own_and_other_centre(
    client, cast, world, elsewhere, role, kind
):
    client.force_login(cast[role])
    on_registration = kind in ("withdrawal", "transfer")
    if on_registration:
        own_url = new_url(registration=world["ash"].pk, kind=kind)
        other_url = new_url(registration=elsewhere["reg"].pk, kind=kind)
    else:
        own_url = new_url(learner=world["ash"].learner_id, kind=kind)
        other_url = new_url(learner=elsewhere["learner"].pk, kind=kind)
    own, other = client.get(own_url).status_code, client.get(other_url).status_code
    if role not in REQUESTERS:
        assert (own, other) == (403, 403)
    else:
        assert own == (200 if role in KIND_ROLES[kind] else 403)
        assert other == 404


def test_a_partner_centres_new_starter_joins_the_lead_centres_consortium_cohort(
    client, cast, world, own_centre, partner_centre, make_user
):
    """Registrations go through the learner's home centre, on the consortium's programme."""
    qn = cast[R.QUALITY_NOMINEE]
    arrangement = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Testing consortium",
        programme_code="TC1",
        first_year="2026/27",
        by=qn,
    )
    join(arrangement, partner_centre)
    approve(own_centre, world["extended"].qualification)
    approve(partner_centre, world["extended"].qualification)
    arrangements.add_qualification(
        arrangement,
        qualification=world["extended"].qualification,
        lead_iv=None,
        added_on=dt.date(2026, 9, 1),
        by=qn,
    )
    partner_pl = make_user("pl_partner", R.PROGRAMME_LEADER, centre=partner_centre)
    partner_eo = make_user("eo_partner", R.EXAMS_OFFICER, centre=partner_centre)
    student = LearnerFactory(centre=partner_centre, last_name="Hartwell")
    client.force_login(partner_pl)
    url = new_url(learner=student.pk, kind="new_starter")
    assert "BTEC National Extended Certificate in Testing" in text(client.get(url))
    client.post(url, {"cohort": world["extended"].pk, "details": "Joined the consortium class"})
    cr = ChangeRequest.objects.get()
    assert cr.centre == partner_centre
    # The lead centre's exams officer does not action the partner's request.
    client.force_login(cast[R.EXAMS_OFFICER])
    assert client.get(reverse("registrations:change_detail", args=[cr.pk])).status_code == 404
    action(client, partner_eo, cr)
    reg = Registration.objects.get(learner=student)
    assert (reg.centre, reg.cohort, reg.programme_code) == (
        partner_centre,
        world["extended"],
        "TC1",
    )


def test_a_partner_centres_learner_seen_through_a_consortium_is_not_ours_to_change(
    client, cast, world, own_centre, partner_centre
):
    arrangement = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Testing consortium",
        programme_code="TC1",
        first_year="2026/27",
        by=cast[R.QUALITY_NOMINEE],
    )
    join(arrangement, partner_centre)
    visitor = LearnerFactory(centre=partner_centre, last_name="Gladwin")
    world["extended"].teaching_groups.get().learners.add(visitor)
    client.force_login(cast[R.QUALITY_NOMINEE])
    # Taught here, so the learner exists for us (403, not 404); changes go through the
    # home centre, so we may not notify one, and the search does not offer them.
    assert client.get(new_url(learner=visitor.pk, kind="details")).status_code == 403
    assert "GLADWIN" not in text(client.get(reverse("registrations:change_new"), {"q": "Gladwin"}))


# --- the registration register ------------------------------------------------------------


def test_register_warns_before_a_fee_band_changes(client, cast, world):
    with on(dt.date(2026, 10, 20)):
        client.force_login(cast[R.PROGRAMME_LEADER])
        page = text(client.get(reverse("registrations:register")))
    assert "From 02/11/2026 (in 13 days) registrations pay the late fee × 1.05." in page
    with on(dt.date(2026, 10, 5)):
        page = text(client.get(reverse("registrations:register")))
    assert "Fees:" not in page  # nothing changes within a fortnight


def test_register_shows_fee_band_on_submission_and_refund_countdown(
    client, cast, world, own_centre
):
    pl, eo = cast[R.PROGRAMME_LEADER], cast[R.EXAMS_OFFICER]
    late = LearnerFactory(centre=own_centre, last_name="Latham")
    with on(dt.date(2026, 11, 5)):
        client.force_login(pl)
        client.post(
            new_url(learner=late.pk, kind="new_starter"),
            {"cohort": world["extended"].pk, "details": "Joined after half term"},
        )
        action(client, eo, ChangeRequest.objects.get(), actioned_on="05/11/2026")
    # Withdrawn registrations have no countdown.
    with on(dt.date(2026, 10, 6)):
        cr = _withdrawal(client, cast[R.QUALITY_NOMINEE], world["bri"])
        action(client, eo, cr, actioned_on="06/10/2026", outcome="withdraw")
    with on(dt.date(2026, 12, 1)):
        client.force_login(cast[R.ASSESSOR_IV])
        response = client.get(reverse("registrations:register"), {"year": "2026/27"})
    rows = {row["reg"].learner.last_name: row for row in response.context["rows"]}
    page = text(response)
    assert "Registration register 2026/27" in page
    assert rows["Ashworth"]["band"].label == "standard fee"
    assert rows["Latham"]["band"].label == "late fee × 1.05"
    assert "late fee × 1.05" in page and "standard fee" in page
    # Submitted 14/09/2026: 12 days left on 01/12/2026; the new starter 05/11/2026: 64 days.
    assert "refund countdown: 12 days" in page
    assert "refund countdown: 64 days" in page
    assert rows["Brindley"]["refund"] is None and rows["Brindley"]["reg"].status == "withdrawn"
    assert "14/09/2026" in page
    # Filters: status and programme.
    with on(dt.date(2026, 12, 1)):
        client.force_login(cast[R.ASSESSOR_IV])
        only = client.get(
            reverse("registrations:register"), {"year": "2026/27", "status": "withdrawn"}
        )
    assert [r["reg"].learner.last_name for r in only.context["rows"]] == ["Brindley"]


def test_register_shows_only_the_users_centres(client, cast, world, elsewhere):
    client.force_login(cast[R.EXAMS_OFFICER])
    page = text(client.get(reverse("registrations:register")))
    assert "ASHWORTH" in page and "FARHOLM" not in page


@pytest.mark.parametrize("count", [5, 50])
def test_register_queries_do_not_grow_with_rows(
    client, cast, years, own_centre, count, django_assert_max_num_queries
):
    learners = [LearnerFactory(centre=own_centre, last_name=f"Row{i:02d}") for i in range(count)]
    submit_cohort(
        own_centre, cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER], "BTEC Volume", learners
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(reverse("registrations:register"))
    assert len(response.context["rows"]) == count
    assert text(response).count("refund countdown: 69 days") == count


def test_a_change_dated_before_the_registration_reached_pearson_is_refused(client, cast, world):
    """A back-dated action must not put a deletion inside the refund window (or before
    the entries were even submitted): the date is refused and nothing changes."""
    reg = world["bri"]  # submitted on 14/09/2026
    eo = cast[R.EXAMS_OFFICER]
    with on(dt.date(2026, 12, 15)):  # the refund window closed on 13/12/2026
        cr = _withdrawal(client, cast[R.QUALITY_NOMINEE], reg)
        page = text(
            action(
                client,
                eo,
                cr,
                outcome="delete",
                actioned_on="01/01/2026",
                no_results_confirmed="on",
            )
        )
        assert "before" in page and "14/09/2026" in page
        reg.refresh_from_db()
        cr.refresh_from_db()
        assert (reg.status, reg.ended_on, cr.status) == ("submitted", None, "open")
        assert reg.steps.filter(what="Deleted").count() == 0
        # The day it was submitted is fine (a withdrawal, the window having long closed).
        action(client, eo, cr, outcome="withdraw", actioned_on="14/09/2026")
    reg.refresh_from_db()
    assert reg.status == "withdrawn"
