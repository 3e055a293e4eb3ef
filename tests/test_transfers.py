# ruff: noqa: F811  (the fixtures are imported from test_changes)
"""Transfers, withdrawals, deletions and reinstatement (issue 10, item 6).

A transfer to another centre is completed by the receiving centre (Pearson's "Transfer
from another centre", reusing the UCI and registration number); the sending centre
reports the achievement to date and hands over. The 2022 Tech Awards cannot be
transferred: withdraw, then register again. Withdrawals record the achievement
reported; deletions for a refund confirm no unit results; withdrawals can be reinstated.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from learners.models import Learner
from qualifications.models import QualificationFamily
from registrations.models import ChangeRequest, Registration, TransferHandover
from todos.models import ToDo

from .factories import CohortFactory, LearnerFactory, QualificationFactory
from .test_changes import (  # noqa: F401  (fixtures)
    _october,
    action,
    elsewhere,
    new_url,
    steps,
    submit_cohort,
    text,
    world,
    years,
)

R = Role
UCI = "681990012058G"


@pytest.fixture
def receiving(other_centre, make_user):
    """The receiving centre: its exams officer and a programme being taught there."""
    eo = make_user("eo_receiving", R.EXAMS_OFFICER, centre=other_centre)
    qn = make_user("qn_receiving", R.QUALITY_NOMINEE, centre=other_centre)
    cohort = CohortFactory(
        centre=other_centre,
        qualification=QualificationFactory(title="BTEC National Extended Certificate Recv"),
    )
    return {"centre": other_centre, "eo": eo, "qn": qn, "cohort": cohort}


def _registered(reg, number="RN0042", uci=UCI, uln="9999999999"):
    Registration.objects.filter(pk=reg.pk).update(
        status="registered", registration_number=number, registered_on=dt.date(2026, 9, 20)
    )
    Learner.objects.filter(pk=reg.learner_id).update(uci=uci)
    reg.refresh_from_db()
    return reg


def _handed_over(client, cast, reg, centre, **data):
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=reg.pk, kind="transfer"),
        {"direction": "centre", "to_centre": centre.pk, "details": "Moving house"},
    )
    cr = ChangeRequest.objects.get(registration=reg)
    payload = {
        "pearson_reference": "ACH-1",
        "achievement": "reported",
        "achievement_detail": "Unit 1 Merit, Unit 2 Pass",
        **data,
    }
    return cr, text(action(client, cast[R.EXAMS_OFFICER], cr, **payload))


def _complete(client, eo, handover, **data):
    client.force_login(eo)
    payload = {"actioned_on": "05/10/2026", "pearson_reference": "TFC-77", **data}
    return client.post(
        reverse("registrations:transfer_complete", args=[handover.pk]), payload, follow=True
    )


# --- 1. the receiving centre completes a transfer ---------------------------------------


def test_transfer_to_another_centre_is_completed_by_the_receiving_centre(
    client, cast, world, receiving
):
    """Issue bullet 1: handover at the sending centre; completion at the receiving one."""
    reg = _registered(world["ash"])
    sender = reg.learner
    cr, page = _handed_over(client, cast, reg, receiving["centre"])
    assert "handed over to Unrelated Test College (40003), who completes it" in page
    reg.refresh_from_db()
    cr.refresh_from_db()
    # Still live at the sending centre until the receiving centre completes it.
    assert (reg.status, cr.status) == ("registered", "handover")
    handover = TransferHandover.objects.get(change=cr)
    assert (handover.uci, handover.registration_number) == (UCI, "RN0042")
    assert handover.achievement_detail == "Unit 1 Merit, Unit 2 Pass"
    assert steps(reg)[-1] == "Handed over for transfer"
    # The receiving centre's exams officer has a to-do, and an audit event at their centre.
    todo = ToDo.objects.get(kind="registrations.receive_transfer", closed_at__isnull=True)
    assert todo.centre == receiving["centre"] and todo.role == R.EXAMS_OFFICER
    assert AuditEvent.objects.filter(
        action="registrations.transfer.handed_over", centre_id=receiving["centre"].pk
    ).exists()

    client.force_login(receiving["eo"])
    page = text(client.get(reverse("registrations:transfer_detail", args=[handover.pk])))
    assert UCI in page and "RN0042" in page and "Unit 1 Merit, Unit 2 Pass" in page
    response = _complete(client, receiving["eo"], handover, cohort=receiving["cohort"].pk)
    assert "transferred in on BTEC National Extended Certificate Recv" in text(response)

    new = Registration.objects.get(cohort=receiving["cohort"])
    arrived = new.learner
    assert arrived.pk != sender.pk and arrived.centre == receiving["centre"]
    # Same UCI and ULN, never a new one; the handed-over registration number.
    assert (arrived.uci, arrived.uln) == (UCI, sender.uln)
    assert (new.status, new.registration_number, new.centre) == (
        "registered",
        "RN0042",
        receiving["centre"],
    )
    assert steps(new) == ["Transferred in"]
    reg.refresh_from_db()
    cr.refresh_from_db()
    assert (reg.status, reg.ended_on, cr.status) == ("transferred", dt.date(2026, 10, 5), "done")
    assert steps(reg)[-1] == "Transferred"
    assert AuditEvent.objects.filter(
        action="registrations.transfer.completed", centre_id=world["extended"].centre_id
    ).exists()
    assert AuditEvent.objects.filter(
        action="registrations.transfer.completed", centre_id=receiving["centre"].pk
    ).exists()
    assert not ToDo.objects.filter(
        kind="registrations.receive_transfer", closed_at__isnull=True
    ).exists()


def test_the_receiving_centre_sees_only_the_handover(client, cast, world, receiving):
    """Issue bullet 1 (access): the handover, not the sending centre's records."""
    reg = _registered(world["ash"])
    cr, _ = _handed_over(client, cast, reg, receiving["centre"])
    handover = TransferHandover.objects.get(change=cr)
    client.force_login(receiving["eo"])
    assert (
        client.get(reverse("registrations:transfer_detail", args=[handover.pk])).status_code == 200
    )
    assert client.get(reverse("registrations:change_detail", args=[cr.pk])).status_code == 404
    assert client.get(reverse("learners:learner_detail", args=[reg.learner_id])).status_code == 404
    listing = text(client.get(reverse("registrations:change_list")))
    assert "Transfers in from other centres" in listing
    # The sending centre's exams officer cannot complete it for them.
    response = _complete(client, cast[R.EXAMS_OFFICER], handover, cohort=receiving["cohort"].pk)
    assert response.status_code == 404
    # Nor can the receiving Quality Nominee (only the exams officer).
    client.force_login(receiving["qn"])
    post = client.post(reverse("registrations:transfer_complete", args=[handover.pk]), {})
    assert post.status_code == 403


def test_an_existing_learner_at_the_receiving_centre_keeps_the_one_uci(
    client, cast, world, receiving
):
    """Issue bullet 1: the learner is created only if needed; a different UCI is refused."""
    reg = _registered(world["ash"])
    sender = reg.learner
    here = LearnerFactory(
        centre=receiving["centre"],
        last_name=sender.last_name,
        first_name=sender.first_name,
        date_of_birth=sender.date_of_birth,
        uln=None,
        uci=None,
    )
    cr, _ = _handed_over(client, cast, reg, receiving["centre"])
    handover = TransferHandover.objects.get(change=cr)
    client.force_login(receiving["eo"])
    page = text(client.get(reverse("registrations:transfer_detail", args=[handover.pk])))
    assert f"{here} · born" in page
    _complete(client, receiving["eo"], handover, cohort=receiving["cohort"].pk, learner=here.pk)
    here.refresh_from_db()
    sender.refresh_from_db()
    assert here.uci == UCI and sender.uci is None  # one record holds the UCI
    assert Registration.objects.get(cohort=receiving["cohort"]).learner == here
    assert Learner.objects.filter(centre=receiving["centre"]).count() == 1


def test_completing_refuses_a_learner_with_another_uci_and_a_wrong_centre_cohort(
    client, cast, world, receiving
):
    reg = _registered(world["ash"])
    other = LearnerFactory(centre=receiving["centre"], uci="681990012059E", uln=None)
    cr, _ = _handed_over(client, cast, reg, receiving["centre"])
    handover = TransferHandover.objects.get(change=cr)
    page = text(
        _complete(
            client, receiving["eo"], handover, cohort=receiving["cohort"].pk, learner=other.pk
        )
    )
    # Not a likely match, so not offered; adding them as new is.
    assert "Select a valid choice" in page and "Add them as a new learner here" in page
    from registrations import changes

    with pytest.raises(Exception, match="keeps one UCI for life"):
        changes.complete_transfer(
            handover,
            cohort=receiving["cohort"],
            learner=other,
            actioned_on=dt.date(2026, 10, 5),
            pearson_reference="X",
            by=receiving["eo"],
        )
    with pytest.raises(
        Exception, match=r"Choose one of Unrelated Test College \(40003\)'s programmes"
    ):
        changes.complete_transfer(
            handover,
            cohort=world["diploma"],
            learner=None,
            actioned_on=dt.date(2026, 10, 5),
            pearson_reference="X",
            by=receiving["eo"],
        )
    reg.refresh_from_db()
    assert reg.status == "registered"


def test_the_handover_needs_the_achievement_to_date_uci_and_number(client, cast, world, receiving):
    """Issue bullet 1: the achievement to date is required; UCI and number are handed over."""
    reg = world["bri"]  # submitted, no registration number yet, no UCI
    cr, page = _handed_over(client, cast, reg, receiving["centre"], achievement="")
    assert "Say what was reported to Pearson" in page
    _, page = _handed_over(client, cast, reg, receiving["centre"], achievement_detail="")
    assert "Say which units were achieved" in page
    _, page = _handed_over(client, cast, reg, receiving["centre"])
    assert "Enter the learner&#x27;s Pearson registration number" in page or (
        "Enter the learner's Pearson registration number" in page
    )
    _, page = _handed_over(client, cast, reg, receiving["centre"], registration_number="RN9")
    assert "Enter the learner" in page and "UCI" in page
    cr.refresh_from_db()
    assert cr.status == "open" and not TransferHandover.objects.exists()
    _, page = _handed_over(
        client, cast, reg, receiving["centre"], registration_number="RN9", uci=UCI
    )
    assert TransferHandover.objects.get().uci == UCI


def test_the_sending_exams_officer_cancels_a_handover_that_never_arrived(
    client, cast, world, receiving
):
    reg = _registered(world["ash"])
    cr, _ = _handed_over(client, cast, reg, receiving["centre"])
    client.force_login(cast[R.EXAMS_OFFICER])
    client.post(reverse("registrations:change_cancel", args=[cr.pk]), {"why": "Stayed here"})
    cr.refresh_from_db()
    assert cr.status == "cancelled"
    assert TransferHandover.objects.get().status == "cancelled"
    assert not ToDo.objects.filter(
        kind="registrations.receive_transfer", closed_at__isnull=True
    ).exists()
    reg.refresh_from_db()
    assert reg.status == "registered"


# --- 2. families Pearson will not transfer ---------------------------------------------


@pytest.fixture
def tech_award(db):
    return QualificationFamily.objects.get_or_create(
        code="tech-award-2022",
        defaults={
            "name": "BTEC Tech Awards (2022)",
            "transferable": False,
            "transfer_note": "Pearson cannot transfer a 2022 Tech Award registration: "
            "withdraw or delete it, then register the learner again.",
        },
    )[0]


def test_a_tech_award_2022_registration_is_not_transferred_withdraw_then_register(
    client, cast, world, tech_award
):
    """Issue bullet 2: refused with the family's reason; withdraw, then register again."""
    reg = world["ash"]
    reg.cohort.qualification.family = tech_award
    reg.cohort.qualification.save()
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = new_url(registration=reg.pk, kind="transfer")
    page = text(client.get(url))
    assert "Pearson cannot transfer a 2022 Tech Award registration" in page
    assert f"registration={reg.pk}&amp;kind=withdrawal" in page
    assert f"learner={reg.learner_id}&amp;kind=new_starter" not in page  # a QN: no new starters
    client.post(url, {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "x"})
    assert not ChangeRequest.objects.exists()
    # The exams officer sees both steps; after the withdrawal, the new-starter link.
    client.force_login(cast[R.EXAMS_OFFICER])
    page = text(client.get(url))
    assert f"learner={reg.learner_id}&amp;kind=new_starter" in page
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=reg.pk, kind="withdrawal"), {"reason": "changed_course", "details": ""}
    )
    cr = ChangeRequest.objects.get()
    page = text(action(client, cast[R.EXAMS_OFFICER], cr, outcome="withdraw"))
    assert "register the learner again as a new starter" in page


def test_no_transfer_into_a_tech_award_2022_cohort(client, cast, world, tech_award):
    """Issue bullet 2: refused into such a family's cohort too."""
    world["diploma"].qualification.family = tech_award
    world["diploma"].qualification.save()
    client.force_login(cast[R.PROGRAMME_LEADER])
    page = text(
        client.post(
            new_url(registration=world["ash"].pk, kind="transfer"),
            {"direction": "cohort", "to_cohort": world["diploma"].pk, "details": "Moving"},
        )
    )
    assert "No one can be transferred into" in page and "Tech Awards (2022) programme" in page
    assert "kind=new_starter" in page
    assert not ChangeRequest.objects.exists()


# --- 3. withdrawals report the achievement to date ---------------------------------------


def test_a_withdrawal_records_the_achievement_reported_on_the_learners_history(client, cast, world):
    """Issue bullet 3: a required answer, shown on the learner's history."""
    reg = world["ash"]
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=reg.pk, kind="withdrawal"), {"reason": "left_school", "details": ""}
    )
    cr = ChangeRequest.objects.get()
    eo = cast[R.EXAMS_OFFICER]
    page = text(action(client, eo, cr, outcome="withdraw", achievement=""))
    assert "Say what was reported to Pearson of the learner" in page
    page = text(action(client, eo, cr, outcome="withdraw", achievement="reported"))
    assert "Say which units were achieved" in page
    cr.refresh_from_db()
    assert cr.status == "open"
    action(
        client, eo, cr, outcome="withdraw", achievement="reported", achievement_detail="Unit 1 Pass"
    )
    cr.refresh_from_db()
    assert (cr.status, cr.achievement, cr.achievement_detail) == ("done", "reported", "Unit 1 Pass")
    client.force_login(eo)
    page = text(client.get(reverse("learners:learner_detail", args=[reg.learner_id])))
    assert "Withdrawn: left the school" in page
    assert "achievement to date reported: Unit 1 Pass" in page


# --- 4. reinstating a withdrawal -----------------------------------------------------------


def _withdrawn(client, cast, reg):
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=reg.pk, kind="withdrawal"), {"reason": "left_school", "details": ""}
    )
    action(
        client,
        cast[R.EXAMS_OFFICER],
        ChangeRequest.objects.get(registration=reg),
        outcome="withdraw",
    )
    reg.refresh_from_db()
    assert reg.status == "withdrawn"
    return reg


def test_a_withdrawn_registration_is_reinstated_to_its_earlier_status(client, cast, world):
    """Issue bullet 4: back to registered (it had a number), with the reason in history."""
    reg = _withdrawn(client, cast, _registered(world["ash"]))
    eo = cast[R.EXAMS_OFFICER]
    client.force_login(eo)
    learner_page = text(client.get(reverse("learners:learner_detail", args=[reg.learner_id])))
    url = reverse("registrations:registration_reinstate", args=[reg.pk])
    assert url in learner_page
    assert "Say why" in text(client.post(url, {"reason": ""})) or "required" in text(
        client.post(url, {"reason": ""})
    )
    client.post(url, {"reason": "Came back after a month"})
    reg.refresh_from_db()
    assert (reg.status, reg.ended_on) == ("registered", None)
    assert reg.steps.last().what == "Reinstated"
    assert "Came back after a month" in reg.steps.last().detail
    assert AuditEvent.objects.filter(action="registrations.registration.reinstated").exists()
    # A submitted one returns to submitted.
    bri = _withdrawn(client, cast, world["bri"])
    client.force_login(eo)
    client.post(reverse("registrations:registration_reinstate", args=[bri.pk]), {"reason": "Back"})
    bri.refresh_from_db()
    assert bri.status == "submitted"


def test_reinstating_is_refused_with_a_live_registration_and_for_others(client, cast, world):
    """Issue bullet 4: refused if already live on the cohort; the exams officer only."""
    reg = _withdrawn(client, cast, world["ash"])
    url = reverse("registrations:registration_reinstate", args=[reg.pk])
    client.force_login(cast[R.QUALITY_NOMINEE])
    assert client.post(url, {"reason": "Back"}).status_code == 403
    # Registered again on the same cohort meanwhile (a new starter).
    Registration.objects.create(
        learner=reg.learner, cohort=reg.cohort, centre=reg.centre, status="submitted"
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    page = text(client.post(url, {"reason": "Back"}))
    assert "already has a live registration" in page
    reg.refresh_from_db()
    assert reg.status == "withdrawn"


# --- 5. deletions confirm no unit results ---------------------------------------------------


def test_a_deletion_for_a_refund_needs_the_no_results_confirmation(client, cast, world):
    """Issue bullet 5: refused without the confirmation (no results model exists yet)."""
    reg = world["bri"]
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        new_url(registration=reg.pk, kind="withdrawal"), {"reason": "left_school", "details": ""}
    )
    cr = ChangeRequest.objects.get()
    eo = cast[R.EXAMS_OFFICER]
    page = text(action(client, eo, cr, outcome="delete"))
    assert "Confirm that no unit results were reported" in page
    reg.refresh_from_db()
    assert reg.status == "submitted"
    from registrations import changes

    with pytest.raises(Exception, match="Confirm that no unit results have been reported"):
        changes.action_change(
            cr,
            actioned_on=dt.date(2026, 10, 5),
            pearson_reference="X",
            by=eo,
            delete_for_refund=True,
        )
    action(client, eo, cr, outcome="delete", no_results_confirmed="on")
    reg.refresh_from_db()
    assert reg.status == "deleted"
    assert reg.steps.last().detail.endswith("no unit results reported")


# --- 6. the receiving centre declines a transfer -------------------------------------------


def _words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def _decline(client, eo, handover, reason="The learner never arrived here"):
    client.force_login(eo)
    return client.post(
        reverse("registrations:transfer_decline", args=[handover.pk]),
        {"reason": reason},
        follow=True,
    )


@pytest.fixture
def handed(client, cast, world, receiving):
    """A registered learner handed over to the receiving centre, waiting there."""
    reg = _registered(world["ash"])
    cr, _ = _handed_over(client, cast, reg, receiving["centre"])
    return {"reg": reg, "cr": cr, "handover": TransferHandover.objects.get(change=cr)}


def test_the_receiving_centre_declines_a_transfer_with_a_reason(client, cast, receiving, handed):
    """Declined with a reason: kept on the handover, on both trails and the learner's
    history; the receiving to-do closes and the sending exams officer gets one."""
    reg, cr, handover = handed["reg"], handed["cr"], handed["handover"]
    eo = receiving["eo"]
    client.force_login(eo)
    page = text(client.get(reverse("registrations:transfer_detail", args=[handover.pk])))
    assert "Decline the transfer" in page
    assert reverse("registrations:transfer_decline", args=[handover.pk]) in page

    page = text(_decline(client, eo, handover, "Sent to the wrong centre: not one of ours"))
    assert f"Transfer declined: {cr.centre} is told why and decides what next." in page
    handover.refresh_from_db()
    assert (handover.status, handover.declined_by, handover.decline_reason) == (
        "declined",
        eo,
        "Sent to the wrong centre: not one of ours",
    )
    assert handover.declined_at is not None
    assert "Declined by the receiving centre" in page
    assert "Sent to the wrong centre: not one of ours" in page
    assert "Record the transfer as done at Pearson" not in page  # no completing now
    assert "Decline the transfer</button>" not in page

    cr.refresh_from_db()
    reg.refresh_from_db()
    # Nothing was done at Pearson: the sending registration is still live.
    assert (cr.status, reg.status) == ("declined", "registered")
    assert steps(reg)[-1] == "Transfer declined by the receiving centre"
    assert "Sent to the wrong centre" in reg.steps.last().detail
    declined = AuditEvent.objects.filter(action="registrations.transfer.declined")
    # On the learner's trail at the sending centre; on the receiving centre's without them.
    assert declined.filter(learner_id=reg.learner_id, centre_id=cr.centre_id).exists()
    assert declined.filter(centre_id=receiving["centre"].pk, learner_id__isnull=True).exists()
    assert not declined.filter(centre_id=receiving["centre"].pk, learner_id__isnull=False).exists()

    assert not ToDo.objects.filter(
        kind="registrations.receive_transfer", closed_at__isnull=True
    ).exists()
    todo = ToDo.objects.get(kind="registrations.transfer_declined", closed_at__isnull=True)
    assert (todo.centre_id, todo.role) == (cr.centre_id, R.EXAMS_OFFICER)
    assert todo.url == reverse("registrations:change_detail", args=[cr.pk])
    assert "declined the transfer of ASHWORTH" in todo.title


def test_declining_without_a_reason_is_refused(client, receiving, handed):
    handover = handed["handover"]
    for reason in ("", "   "):
        page = text(_decline(client, receiving["eo"], handover, reason))
        assert "Say why the transfer is declined: the sending centre is told." in page
    handover.refresh_from_db()
    assert (handover.status, handover.decline_reason) == ("waiting", "")
    assert ToDo.objects.filter(kind="registrations.receive_transfer", closed_at__isnull=True)
    assert not ToDo.objects.filter(kind="registrations.transfer_declined").exists()
    assert not AuditEvent.objects.filter(action="registrations.transfer.declined").exists()
    from registrations import changes

    with pytest.raises(Exception, match="Say why the transfer is declined"):
        changes.decline_transfer(handover, reason=" \n ", by=receiving["eo"])


def test_a_declined_transfer_cannot_be_completed_or_declined_again(client, receiving, handed):
    handover = handed["handover"]
    eo = receiving["eo"]
    _decline(client, eo, handover)
    refused = "This transfer is already declined by the receiving centre: nothing was done."
    page = text(_complete(client, eo, handover, cohort=receiving["cohort"].pk))
    assert refused in page
    assert not Registration.objects.filter(cohort=receiving["cohort"]).exists()
    page = text(_decline(client, eo, handover, "A second reason"))
    assert refused in page
    handover.refresh_from_db()
    assert (handover.status, handover.decline_reason) == (
        "declined",
        "The learner never arrived here",
    )
    assert AuditEvent.objects.filter(action="registrations.transfer.declined").count() == 2
    from registrations import changes

    with pytest.raises(Exception, match="already declined by the receiving centre"):
        changes.complete_transfer(
            handover,
            cohort=receiving["cohort"],
            learner=None,
            actioned_on=dt.date(2026, 10, 5),
            pearson_reference="X",
            by=eo,
        )
    handed["reg"].refresh_from_db()
    assert handed["reg"].status == "registered"


def test_only_the_receiving_exams_officer_declines(
    client, cast, receiving, handed, partner_centre, make_user
):
    """Another centre gets 404 (the sending one too: the handover is the receiving
    centre's); the receiving Quality Nominee, a weaker role, 403."""
    handover = handed["handover"]
    stranger = make_user("eo_stranger", R.EXAMS_OFFICER, centre=partner_centre)
    assert _decline(client, stranger, handover).status_code == 404
    assert _decline(client, cast[R.EXAMS_OFFICER], handover).status_code == 404
    assert _decline(client, receiving["qn"], handover).status_code == 403
    client.force_login(receiving["qn"])
    page = text(client.get(reverse("registrations:transfer_detail", args=[handover.pk])))
    assert "Decline the transfer" not in page  # no control the role cannot use
    client.force_login(receiving["eo"])
    url = reverse("registrations:transfer_decline", args=[handover.pk])
    assert client.get(url).status_code == 405
    handover.refresh_from_db()
    assert handover.status == "waiting"


def test_the_sending_centre_sees_the_reason_and_cancels_the_transfer(
    client, cast, receiving, handed
):
    reg, cr, handover = handed["reg"], handed["cr"], handed["handover"]
    _decline(client, receiving["eo"], handover, "The learner never arrived here")
    url = reverse("registrations:change_detail", args=[cr.pk])
    # The Quality Nominee sees why, but only the exams officer decides.
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = _words(client.get(url))
    assert f"{receiving['centre']} declined the transfer: The learner never arrived here" in page
    assert "Cancel the request" not in page
    cancel = reverse("registrations:change_cancel", args=[cr.pk])
    assert client.post(cancel, {"why": "x"}).status_code == 403

    client.force_login(cast[R.EXAMS_OFFICER])
    page = _words(client.get(url))
    assert "Declined by the receiving centre: waiting for the exams officer" in page
    assert "declined the transfer: The learner never arrived here" in page
    assert "Decide what next" in page and "Cancel the request" in page
    assert "declined the transfer of ASHWORTH" in text(client.get(reverse("dashboard")))
    client.post(cancel, {"why": "Staying with us after all"})
    cr.refresh_from_db()
    reg.refresh_from_db()
    handover.refresh_from_db()
    assert (cr.status, cr.closed_by) == ("cancelled", cast[R.EXAMS_OFFICER])
    assert reg.status == "registered" and steps(reg)[-1] == "Change request cancelled"
    assert handover.status == "declined"  # the receiving centre's answer stays as it was
    todo = ToDo.objects.get(kind="registrations.transfer_declined")
    assert todo.closed_at is not None and "Staying with us" in todo.closed_note
