"""The Quality Nominee's entry check: entries against class lists, before October half term.

Role x own / other-centre access for every /registrations/check/ page is proved here
(tests/test_permissions_layer.py lists these pages in COVERED_ELSEWHERE).
"""

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from learners import services as learner_services
from outbox.services import send_pending
from registrations import entry_check, services
from registrations.models import (
    CentreCalendar,
    Discrepancy,
    EntryCheck,
    RegistrationStep,
)
from registrations.selectors_check import dashboard_entry_checks
from signatures import services as signing
from todos.models import ToDo

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
)

R = Role
K = Discrepancy.Kind
S = Discrepancy.Status
TODAY = dt.date(2026, 10, 12)  # a Monday
HALF_TERM = dt.date(2026, 10, 26)
DEADLINE = dt.date(2026, 10, 23)  # the Friday before half term
_uln_seed = itertools.count(123456)


def _uln() -> str:
    """A valid ULN (DfE check digit), different each call."""
    while True:
        first9 = f"{next(_uln_seed):09d}"
        remainder = sum(int(first9[i]) * (10 - i) for i in range(9)) % 11
        if remainder:
            return first9 + str(10 - remainder)


@pytest.fixture(autouse=True)
def _october():
    with time_machine.travel(dt.datetime(2026, 10, 12, 10, 0), tick=True):
        yield


@pytest.fixture
def half_term(own_centre):
    return CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=HALF_TERM,
    )


@pytest.fixture
def rnd(own_centre, cast):
    return services.open_round(centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER])


def _enter(rnd, cohort, learners, cast):
    """Request, propose, send and enter: the learners are live on the programme."""
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=eo)
    for learner in learners:
        services.propose_entry(req, learner=learner, by=cohort.leader or pl)
    services.finish_proposals(req, by=cohort.leader or pl)
    entry_list = cohort.entry_lists.get()
    services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
    entry_list.refresh_from_db()
    return entry_list


@pytest.fixture
def world(own_centre, cast, rnd, half_term):
    """A centre's round with one learner showing each kind of discrepancy.

    Ashworth: entered, in the class, details unchanged (no discrepancy).
    Brindley: last name changed in the MIS record after the list was signed.
    Carrow: no ULN.   Dunmore: in the class, not entered.
    Elphick: entered, then taken out of the class.
    Fennimore: entered for Testing, moved to the Business class (wrong qualification,
    and not entered for Business).   Garside: still live on last year's Testing programme.
    """
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    testing = QualificationFactory(title="BTEC National Extended Certificate in Testing")
    business = QualificationFactory(title="BTEC National Extended Certificate in Business")
    p_testing = CohortFactory(centre=own_centre, qualification=testing, leader=pl)
    p_business = CohortFactory(centre=own_centre, qualification=business, leader=None)
    g12a = TeachingGroupFactory(cohort=p_testing, name="12A")
    g12b = TeachingGroupFactory(cohort=p_business, name="12B")
    people = {}
    for name in ("Ashworth", "Brindley", "Carrow", "Dunmore", "Elphick", "Fennimore", "Garside"):
        people[name] = LearnerFactory(
            centre=own_centre, last_name=name, uln=None if name == "Carrow" else _uln()
        )
        g12a.learners.add(people[name])

    # Last year's round: Garside was entered for the same qualification and is still live.
    p_last = CohortFactory(
        centre=own_centre, qualification=testing, start_year="2025/26", leader=pl
    )
    TeachingGroupFactory(cohort=p_last, name="11A").learners.add(people["Garside"])
    last = services.open_round(centre=own_centre, academic_year="2025/26", by=eo)
    _enter(last, p_last, [people["Garside"]], cast)

    entered = [people[n] for n in people if n != "Dunmore"]
    entry_list = _enter(rnd, p_testing, entered, cast)
    services.return_entry_list(entry_list, by=eo)
    entry_list.refresh_from_db()
    services.sign_entry_list(
        entry_list, user=pl, password=PASSWORD, seen_sha256=signing.current_sha256(entry_list)
    )
    # After signing: the MIS record changes, and the class lists move on.
    learner_services.update_learner(
        people["Brindley"], by=eo, changes={"last_name": "Brindley-Hale"}
    )
    g12a.learners.remove(people["Elphick"], people["Fennimore"])
    g12b.learners.add(people["Fennimore"])
    return SimpleNamespace(
        rnd=rnd,
        testing=p_testing,
        business=p_business,
        g12a=g12a,
        people=people,
        entry_list=entry_list,
    )


@pytest.fixture
def check(world, cast):
    return entry_check.start_entry_check(world.rnd, by=cast[R.QUALITY_NOMINEE])


@pytest.fixture
def found(world, check, cast):
    entry_check.run_entry_check(check, by=cast[R.QUALITY_NOMINEE])
    return {
        (d.learner.last_name, d.cohort.qualification.title.split()[-1], d.kind): d
        for d in check.discrepancies.select_related("learner", "cohort__qualification")
    }


EXPECTED = {
    ("Brindley-Hale", "Testing", K.DETAILS_DIFFER),
    ("Carrow", "Testing", K.DETAILS_DIFFER),
    ("Dunmore", "Testing", K.NOT_ENTERED),
    ("Elphick", "Testing", K.NO_GROUP),
    ("Fennimore", "Testing", K.WRONG_QUALIFICATION),
    ("Fennimore", "Business", K.NOT_ENTERED),
    ("Garside", "Testing", K.DUPLICATE),
}


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- starting ----------------------------------------------------------------------------


def test_the_check_cannot_start_until_the_centre_has_entered_its_half_term(
    client, cast, rnd, own_centre
):
    qn = cast[R.QUALITY_NOMINEE]
    client.force_login(qn)
    url = reverse("registrations:check_start", args=[rnd.pk])
    assert "has not entered its October half term" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "has not entered its October half term for 2026/27" in _messages(response)
    assert not EntryCheck.objects.exists()

    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=HALF_TERM,
    )
    assert "23/10/2026" in client.get(url).content.decode()
    page = client.post(url, follow=True).content.decode()
    check = EntryCheck.objects.get()
    assert check.deadline == DEADLINE
    assert "9 working days left" in page and "23/10/2026" in page
    todo = ToDo.objects.get(kind=entry_check.CHECK_TODO, closed_at=None)
    assert todo.role == R.QUALITY_NOMINEE and todo.due_date == DEADLINE
    # Starting twice just shows the check.
    assert client.post(url)["Location"] == reverse("registrations:check_detail", args=[check.pk])
    assert EntryCheck.objects.count() == 1


# --- finding -----------------------------------------------------------------------------


def test_the_check_finds_each_kind_of_discrepancy(world, check, cast, found):
    assert set(found) == EXPECTED
    people = world.people
    assert "12B" not in found[("Fennimore", "Testing", K.WRONG_QUALIFICATION)].detail
    assert "Business" in found[("Fennimore", "Testing", K.WRONG_QUALIFICATION)].detail
    assert "12B" in found[("Fennimore", "Business", K.NOT_ENTERED)].detail
    assert "2025/26" in found[("Garside", "Testing", K.DUPLICATE)].detail
    details = found[("Brindley-Hale", "Testing", K.DETAILS_DIFFER)].detail
    assert "last name Brindley on the signed list, Brindley-Hale in the MIS record" in details
    assert "no ULN" in found[("Carrow", "Testing", K.DETAILS_DIFFER)].detail
    assert found[("Dunmore", "Testing", K.NOT_ENTERED)].registration is None
    assert found[("Elphick", "Testing", K.NO_GROUP)].registration.learner == people["Elphick"]
    # Each is on the learner's audit trail and registration history.
    elphick = found[("Elphick", "Testing", K.NO_GROUP)]
    event = AuditEvent.objects.get(
        action="registrations.discrepancy.found", object_id=str(elphick.pk)
    )
    assert event.learner_id == people["Elphick"].pk
    assert RegistrationStep.objects.filter(
        registration=elphick.registration, what="Entry check: discrepancy found"
    ).exists()
    check.refresh_from_db()
    assert check.last_run_at is not None


def test_the_page_lists_what_was_found(client, cast, check, found):
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(reverse("registrations:check_detail", args=[check.pk])).content.decode()
    for label in (
        "DUNMORE",
        "GARSIDE",
        "Duplicate registration",
        "Entered but in no teaching group",
    ):
        assert label in page
    assert 'Outstanding <span class="badge text-bg-secondary">7</span>' in page


def test_running_again_adds_only_what_is_new(client, world, check, cast, found):
    qn = cast[R.QUALITY_NOMINEE]
    client.force_login(qn)
    response = client.post(reverse("registrations:check_run", args=[check.pk]), follow=True)
    assert "nothing new" in _messages(response)
    assert check.discrepancies.count() == len(EXPECTED)

    world.g12a.learners.remove(world.people["Ashworth"])
    new = entry_check.run_entry_check(check, by=qn)
    assert [(d.learner.last_name, d.kind) for d in new] == [("Ashworth", K.NO_GROUP)]
    assert check.discrepancies.count() == len(EXPECTED) + 1

    # A learner in the class and not entered is not resolved by a note alone...
    dunmore = found[("Dunmore", "Testing", K.NOT_ENTERED)]
    with pytest.raises(ValidationError, match="A note alone does not resolve it"):
        entry_check.resolve_discrepancy(dunmore, by=qn, note="Joins the course in January")
    # ...but once out of the group it is, and it is not raised again with the same facts.
    ashworth_nogroup = [d for d in new if d.kind == K.NO_GROUP][0]
    entry_check.resolve_discrepancy(ashworth_nogroup, by=qn, note="Left the class on purpose")
    assert entry_check.run_entry_check(check, by=qn) == []


def test_a_learner_who_has_left_is_not_reported_as_not_entered(world, own_centre):
    leaver = LearnerFactory(centre=own_centre, last_name="Leftwich", uln=_uln(), on_roll=False)
    world.g12a.learners.add(leaver)
    assert leaver not in {f.learner for f in entry_check.find_discrepancies(world.rnd)}
    leaver.on_roll = True
    leaver.save()
    assert (leaver, K.NOT_ENTERED) in {
        (f.learner, f.kind) for f in entry_check.find_discrepancies(world.rnd)
    }


def test_finding_discrepancies_takes_the_same_queries_for_more_learners(world, own_centre):
    entry_check.find_discrepancies(world.rnd)  # warm caches (content types)
    with CaptureQueriesContext(connection) as few:
        before = entry_check.find_discrepancies(world.rnd)
    req = world.testing.entry_requests.get()
    for n in range(6):
        learner = LearnerFactory(centre=own_centre, last_name=f"Extra{n}", uln=_uln())
        world.g12a.learners.add(learner)
        if n % 2:
            services.propose_entry(req, learner=learner, by=world.testing.leader)
    with CaptureQueriesContext(connection) as many:
        after = entry_check.find_discrepancies(world.rnd)
    assert len(after) == len(before) + 3
    assert len(many.captured_queries) == len(few.captured_queries)


# --- the flow through the pages -----------------------------------------------------------


def test_question_answer_pass_amend_resolve_close(client, world, check, cast, found):
    qn, pl, eo = cast[R.QUALITY_NOMINEE], cast[R.PROGRAMME_LEADER], cast[R.EXAMS_OFFICER]
    d = found[("Fennimore", "Testing", K.WRONG_QUALIFICATION)]
    url = reverse("registrations:discrepancy_detail", args=[d.pk])

    client.force_login(qn)
    page = client.get(url).content.decode()
    assert "Verify it with the programme leader" in page
    assert 'name="lock" value="0"' in page  # every form carries the version it was opened at
    client.post(
        reverse("registrations:discrepancy_ask", args=[d.pk]),
        {"question": "Has Fennimore changed to Business?", "lock": 0},
    )
    d.refresh_from_db()
    assert d.status == S.WITH_PROGRAMME_LEADER
    asked = ToDo.objects.get(kind=entry_check.ANSWER_TODO, closed_at=None)
    assert asked.assignee == pl and asked.due_date == DEADLINE

    client.force_login(pl)
    assert "Answer the Quality Nominee" in client.get(reverse("dashboard")).content.decode()
    assert "Answer the Quality Nominee" in client.get(url).content.decode()
    client.post(
        reverse("registrations:discrepancy_answer", args=[d.pk]),
        {"answer": "Yes, from 1 October: enter for Business instead.", "lock": 1},
    )
    d.refresh_from_db()
    assert d.status == S.ANSWERED and d.answered_by == pl
    assert not ToDo.objects.filter(kind=entry_check.ANSWER_TODO, closed_at=None).exists()
    assert ToDo.objects.get(kind=entry_check.REVIEW_TODO, closed_at=None).role == R.QUALITY_NOMINEE

    client.force_login(qn)
    client.post(reverse("registrations:discrepancy_pass", args=[d.pk]), {"lock": 2})
    d.refresh_from_db()
    assert d.status == S.WITH_EXAMS_OFFICER
    assert not ToDo.objects.filter(kind=entry_check.REVIEW_TODO, closed_at=None).exists()
    assert ToDo.objects.get(kind=entry_check.AMEND_TODO, closed_at=None).role == R.EXAMS_OFFICER

    client.force_login(eo)
    page = client.get(url).content.decode()
    assert "Amend the entry" in page and 'name="lock" value="3"' in page
    assert reverse("registrations:row_amend", args=[world.entry_list.pk, d.registration_id]) in page
    client.post(
        reverse("registrations:discrepancy_amend", args=[d.pk]),
        {"amendment": "Testing entry removed; Business entry made.", "lock": 3},
    )
    d.refresh_from_db()
    assert d.status == S.AMENDED and d.amended_by == eo
    assert not ToDo.objects.filter(kind=entry_check.AMEND_TODO, closed_at=None).exists()
    assert ToDo.objects.filter(kind=entry_check.REVIEW_TODO, closed_at=None).count() == 1

    client.force_login(qn)
    response = client.post(
        reverse("registrations:discrepancy_resolve", args=[d.pk]),
        {"lock": 4, "note": ""},
        follow=True,
    )
    assert "Discrepancy resolved" in _messages(response)
    d.refresh_from_db()
    assert d.status == S.RESOLVED and d.resolved_by == qn
    assert not ToDo.objects.filter(kind=entry_check.REVIEW_TODO, closed_at=None).exists()

    # Closing is refused while the other six are open.
    close = reverse("registrations:check_close", args=[check.pk])
    response = client.post(close, follow=True)
    assert "6 discrepancies are not resolved yet" in _messages(response)
    check.refresh_from_db()
    assert check.is_open

    # Straight from open: only with a note saying why it is not an error.
    other = found[("Dunmore", "Testing", K.NOT_ENTERED)]
    resolve = reverse("registrations:discrepancy_resolve", args=[other.pk])
    response = client.post(resolve, {"lock": 0, "note": ""}, follow=True)
    assert "add a note saying why it is not an error" in _messages(response)
    page = client.post(resolve, {"lock": 0, "note": "Left the course on 9 October."})
    assert "A note alone does not resolve it" in page.content.decode()
    world.g12a.learners.remove(world.people["Dunmore"])  # left the class: the list was right
    client.post(resolve, {"lock": 0, "note": "Left the course on 9 October."})
    for left in check.discrepancies.filter(status=S.OPEN):
        if left.kind == K.NOT_ENTERED:  # not resolved by a note while still in the class
            for group in left.cohort.teaching_groups.all():
                group.learners.remove(left.learner)
        entry_check.resolve_discrepancy(left, by=qn, note="Checked: not an error")

    response = client.post(close, follow=True)
    assert "Entry check closed" in _messages(response)
    check.refresh_from_db()
    assert check.closed_by == qn
    assert not ToDo.objects.filter(kind=entry_check.CHECK_TODO, closed_at=None).exists()
    assert dashboard_entry_checks(qn) == []

    # The learner's trail and registration history tell the whole story.
    actions = list(
        AuditEvent.objects.filter(object_id=str(d.pk), object_type="registrations.Discrepancy")
        .order_by("seq")
        .values_list("action", "learner_id")
    )
    assert actions == [
        (f"registrations.discrepancy.{a}", world.people["Fennimore"].pk)
        for a in ("found", "asked", "answered", "passed", "amended", "resolved")
    ]
    steps = list(d.registration.steps.values_list("what", flat=True))
    assert steps[-6:] == [
        "Entry check: discrepancy found",
        "Entry check: asked the programme leader",
        "Entry check: programme leader answered",
        "Entry check: passed to the exams officer",
        "Entry check: amended by the exams officer",
        "Entry check: resolved",
    ]
    page = client.get(url).content.decode()
    assert "Yes, from 1 October" in page and "Business entry made" in page


def test_passing_before_the_programme_leader_has_verified_it_is_refused(client, cast, found):
    d = found[("Elphick", "Testing", K.NO_GROUP)]
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(
        reverse("registrations:discrepancy_pass", args=[d.pk]), {"lock": 0}, follow=True
    )
    assert "Verify it with the programme leader first" in _messages(response)
    d.refresh_from_db()
    assert d.status == S.OPEN


def test_only_the_cohorts_leader_answers_or_any_when_it_has_none(
    client, cast, found, own_centre, make_user
):
    qn = cast[R.QUALITY_NOMINEE]
    other_pl = make_user("second_pl", R.PROGRAMME_LEADER, centre=own_centre)
    led = found[("Elphick", "Testing", K.NO_GROUP)]  # Testing has a leader
    unled = found[("Fennimore", "Business", K.NOT_ENTERED)]  # Business has none
    for d in (led, unled):
        entry_check.ask_programme_leader(d, question="Is this right?", by=qn)
    unled_todo = ToDo.objects.get(
        kind=entry_check.ANSWER_TODO, target_id=str(unled.pk), closed_at=None
    )
    assert unled_todo.assignee is None and unled_todo.role == R.PROGRAMME_LEADER

    client.force_login(other_pl)
    response = client.post(
        reverse("registrations:discrepancy_answer", args=[led.pk]), {"answer": "No", "lock": 1}
    )
    assert response.status_code == 403
    client.post(
        reverse("registrations:discrepancy_answer", args=[unled.pk]),
        {"answer": "Not taking Business", "lock": 1},
    )
    unled.refresh_from_db()
    assert unled.status == S.ANSWERED and unled.answered_by == other_pl


def test_a_stale_form_is_refused_with_a_message(client, cast, found, own_centre, make_user):
    d = found[("Garside", "Testing", K.DUPLICATE)]
    deputy = make_user("deputy_qn", R.QUALITY_NOMINEE, centre=own_centre)
    lock = d.lock_version
    client.force_login(cast[R.QUALITY_NOMINEE])
    client.post(
        reverse("registrations:discrepancy_ask", args=[d.pk]),
        {"question": "Was last year's entry withdrawn?", "lock": lock},
    )
    client.force_login(deputy)
    response = client.post(
        reverse("registrations:discrepancy_resolve", args=[d.pk]),
        {"note": "Not an error", "lock": lock},
        follow=True,
    )
    assert "Someone else changed this discrepancy" in _messages(response)
    d.refresh_from_db()
    assert d.status == S.WITH_PROGRAMME_LEADER
    assert d.question == "Was last year's entry withdrawn?"


def test_the_quality_nominee_records_one_by_hand(client, world, check, cast):
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("registrations:discrepancy_add", args=[check.pk])
    assert client.get(url).status_code == 200
    ashworth = world.people["Ashworth"]
    response = client.post(
        url,
        {
            "cohort": world.testing.pk,
            "learner": ashworth.pk,
            "kind": K.OTHER,
            "detail": "Class teacher says the optional unit is wrong.",
        },
        follow=True,
    )
    d = Discrepancy.objects.get(kind=K.OTHER)
    assert d.learner == ashworth and d.registration.learner == ashworth
    assert "optional unit is wrong" in response.content.decode()
    assert (
        AuditEvent.objects.get(
            action="registrations.discrepancy.recorded", object_id=str(d.pk)
        ).learner_id
        == ashworth.pk
    )


# --- who may -------------------------------------------------------------------------------

QN_ONLY = {R.QUALITY_NOMINEE}
STAFF = set(Role) - {R.GOVERNOR, R.STANDARDS_VERIFIER}  # the SV is not staff


@pytest.mark.parametrize("role", list(Role))
def test_pages_and_actions_by_role_at_own_centre(client, cast, world, check, found, role):
    d = found[("Dunmore", "Testing", K.NOT_ENTERED)]
    client.force_login(cast[role])
    gets = {
        reverse("registrations:check_detail", args=[check.pk]): STAFF,
        reverse("registrations:discrepancy_detail", args=[d.pk]): STAFF,
        reverse("registrations:discrepancy_add", args=[check.pk]): QN_ONLY,
        reverse("registrations:check_start", args=[world.rnd.pk]): QN_ONLY,  # redirects
    }
    for url, allowed in gets.items():
        status = client.get(url).status_code
        assert status in ((200, 302) if role in allowed else (403,)), (url, role)
    # Buttons redirect back to the check; a refused form comes back on its page (200).
    posts = {
        reverse("registrations:check_run", args=[check.pk]): (QN_ONLY, 302),
        reverse("registrations:check_close", args=[check.pk]): (QN_ONLY, 302),
        reverse("registrations:discrepancy_ask", args=[d.pk]): (QN_ONLY, 200),
        reverse("registrations:discrepancy_pass", args=[d.pk]): (QN_ONLY, 200),
        reverse("registrations:discrepancy_resolve", args=[d.pk]): (QN_ONLY, 200),
        reverse("registrations:discrepancy_answer", args=[d.pk]): ({R.PROGRAMME_LEADER}, 200),
        reverse("registrations:discrepancy_amend", args=[d.pk]): ({R.EXAMS_OFFICER}, 200),
    }
    for url, (allowed, refused) in posts.items():
        status = client.post(url, {"lock": 99}).status_code
        assert status == (refused if role in allowed else 403), (url, role)
    d.refresh_from_db()
    assert d.status == S.OPEN  # every allowed post above was refused as stale or out of turn


@pytest.fixture
def theirs(other_centre, make_user):
    """Another centre's check with one discrepancy (a learner in a class, not entered)."""
    eo = make_user("their_eo", R.EXAMS_OFFICER, centre=other_centre)
    qn = make_user("their_qn", R.QUALITY_NOMINEE, centre=other_centre)
    CentreCalendar.objects.create(
        centre=other_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=HALF_TERM,
    )
    cohort = CohortFactory(centre=other_centre)
    TeachingGroupFactory(cohort=cohort).learners.add(LearnerFactory(centre=other_centre))
    rnd = services.open_round(centre=other_centre, academic_year="2026/27", by=eo)
    check = entry_check.start_entry_check(rnd, by=qn)
    (d,) = entry_check.run_entry_check(check, by=qn)
    return SimpleNamespace(rnd=rnd, check=check, d=d)


@pytest.mark.parametrize("role", sorted(STAFF, key=str))
def test_another_centres_check_does_not_exist_for_them(client, cast, theirs, role):
    client.force_login(cast[role])
    check, d = theirs.check, theirs.d
    perms = {
        "check_detail": STAFF,
        "discrepancy_detail": STAFF,
        "check_start": QN_ONLY,
        "discrepancy_add": QN_ONLY,
    }
    for name, allowed in perms.items():
        pk = (
            theirs.rnd.pk
            if name == "check_start"
            else d.pk
            if "discrepancy_d" in name
            else check.pk
        )
        status = client.get(reverse(f"registrations:{name}", args=[pk])).status_code
        assert status == (404 if role in allowed else 403), (name, role)
    posts = {
        "check_run": (check.pk, QN_ONLY),
        "check_close": (check.pk, QN_ONLY),
        "discrepancy_ask": (d.pk, QN_ONLY),
        "discrepancy_resolve": (d.pk, QN_ONLY),
        "discrepancy_pass": (d.pk, QN_ONLY),
        "discrepancy_answer": (d.pk, {R.PROGRAMME_LEADER}),
        "discrepancy_amend": (d.pk, {R.EXAMS_OFFICER}),
    }
    for name, (pk, allowed) in posts.items():
        status = client.post(
            reverse(f"registrations:{name}", args=[pk]), {"lock": 0, "note": "x"}
        ).status_code
        assert status == (404 if role in allowed else 403), (name, role)
    d.refresh_from_db()
    assert d.status == S.OPEN


# --- the dashboard and reminders -------------------------------------------------------


def test_dashboard_shows_days_left_outstanding_and_late(cast, check, found, theirs):
    qn, pl, eo = cast[R.QUALITY_NOMINEE], cast[R.PROGRAMME_LEADER], cast[R.EXAMS_OFFICER]
    entry_check.ask_programme_leader(
        found[("Elphick", "Testing", K.NO_GROUP)], question="Still taking Testing?", by=qn
    )
    (row,) = dashboard_entry_checks(qn)  # the other centre's check is not theirs
    assert row["check"] == check and row["days_left"] == 9 and not row["is_late"]
    assert row["outstanding"] == 7
    assert dict(row["by_status"]) == {"Open": 6, "Asked the programme leader": 1}
    assert row["waiting_on_you"] == 6
    (for_pl,) = dashboard_entry_checks(pl)
    assert for_pl["waiting_on_you"] == 1
    assert dashboard_entry_checks(eo)[0]["waiting_on_you"] == 0
    assert dashboard_entry_checks(cast[R.GOVERNOR]) == []
    assert dashboard_entry_checks(cast[R.ASSESSOR_IV]) == []

    with time_machine.travel(dt.datetime(2026, 10, 22, 9, 0)):
        assert dashboard_entry_checks(qn)[0]["days_left"] == 1
    with time_machine.travel(dt.datetime(2026, 10, 23, 9, 0)):
        row = dashboard_entry_checks(qn)[0]
        assert row["days_left"] == 0 and not row["is_late"]
    with time_machine.travel(dt.datetime(2026, 10, 26, 9, 0)):
        for person in (qn, eo):
            row = dashboard_entry_checks(person)[0]
            assert row["is_late"] and row["days_left"] == -1
            html = render_to_string(
                "registrations/check/_dashboard_panel.html", {"entry_checks": [row]}
            )
            assert "Late: deadline was 23/10/2026" in html
            assert "7 discrepancies outstanding" in html


def _recipients() -> set[str]:
    return {address for m in mail.outbox for address in m.to}


def test_reminders_before_the_deadline_and_daily_once_late(
    cast, check, found, django_capture_on_commit_callbacks
):
    qn, eo = cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    d = found[("Garside", "Testing", K.DUPLICATE)]
    entry_check.ask_programme_leader(d, question="Withdrawn last year?", by=qn)
    entry_check.answer_discrepancy(d, answer="No, still live", by=cast[R.PROGRAMME_LEADER])
    entry_check.pass_to_exams_officer(d, by=qn)
    send_pending()  # the round's own e-mails so far (the entry requests) go first
    mail.outbox.clear()

    def run(day):
        # The digests are queued in the outbox and sent on commit.
        with time_machine.travel(dt.datetime.combine(day, dt.time(6, 15))):
            with django_capture_on_commit_callbacks(execute=True):
                return entry_check.entry_check_reminders()

    assert run(dt.date(2026, 10, 16))["sent"] == 0  # five working days left: nothing yet
    assert mail.outbox == []
    assert run(dt.date(2026, 10, 20))["sent"] == 2  # three working days left
    assert _recipients() == {qn.email, eo.email}
    qn_mail = next(m for m in mail.outbox if m.to == [qn.email])
    assert "Check the 2026/27 entries against the class lists" in qn_mail.body
    assert "23/10/2026" in qn_mail.body
    assert run(dt.date(2026, 10, 20))["sent"] == 0  # never twice the same day
    assert run(dt.date(2026, 10, 21))["sent"] == 0
    assert run(dt.date(2026, 10, 22))["sent"] == 2  # one working day left
    mail.outbox.clear()

    assert not ToDo.objects.filter(kind=entry_check.LATE_TODO).exists()
    result = run(dt.date(2026, 10, 26))  # after the deadline: late
    assert result["marked_late"] == 1 and result["sent"] == 2
    late = ToDo.objects.get(kind=entry_check.LATE_TODO, closed_at=None)
    assert late.role == R.EXAMS_OFFICER and "is late" in late.title
    assert all("OVERDUE" in m.body for m in mail.outbox)
    assert "is late" in next(m for m in mail.outbox if m.to == [eo.email]).body
    result = run(dt.date(2026, 10, 27))  # and every day after
    assert result["marked_late"] == 0 and result["sent"] == 2
    assert AuditEvent.objects.filter(action="registrations.entry_check.late").count() == 1


def test_the_beat_task_calls_the_service(cast, check, django_capture_on_commit_callbacks):
    from registrations.tasks_check import entry_check_reminders

    with django_capture_on_commit_callbacks(execute=True):
        result = entry_check_reminders.delay("2026-10-20").get()
    assert result["open"] == 1 and result["marked_late"] == 0
    assert cast[R.QUALITY_NOMINEE].email in _recipients()
