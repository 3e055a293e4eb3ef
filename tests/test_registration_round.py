"""The September round through the pages, as the exams officer and programme leader run it."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from qualifications.models import Unit
from registrations import services
from registrations.models import EntryList, EntryRequest, Registration, RegistrationRound
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
TODAY = dt.date(2026, 9, 14)
pytestmark = pytest.mark.usefixtures("_september")


@pytest.fixture
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


@pytest.fixture
def cohort(own_centre, cast):
    q = QualificationFactory(title="BTEC National Extended Certificate in Testing")
    Unit.objects.create(qualification=q, number="1", title="Core", glh=90, assessment="external")
    Unit.objects.create(
        qualification=q, number="8", title="Option", glh=60, assessment="internal", mandatory=False
    )
    p = CohortFactory(centre=own_centre, qualification=q, leader=cast[R.PROGRAMME_LEADER])
    p.optional_units.set(q.units.filter(mandatory=False))
    group = TeachingGroupFactory(cohort=p, name="12A")
    for name in ("Ashworth", "Brindley", "Carrow"):
        group.learners.add(LearnerFactory(centre=own_centre, last_name=name))
    return p


@pytest.fixture
def rnd(own_centre, cast):
    return services.open_round(centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER])


def _all_proposed(rnd, cohort, pl):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    for learner in cohort.teaching_groups.get().learners.all():
        services.propose_entry(req, learner=learner, by=pl)
    services.finish_proposals(req, by=pl)
    return req


def _returned(rnd, cohort, cast):
    _all_proposed(rnd, cohort, cast[R.PROGRAMME_LEADER])
    entry_list = cohort.entry_lists.get()
    services.make_entries(
        entry_list, registrations=list(cohort.registrations.all()), by=cast[R.EXAMS_OFFICER]
    )
    services.return_entry_list(entry_list, by=cast[R.EXAMS_OFFICER])
    entry_list.refresh_from_db()
    return entry_list


def _signed(rnd, cohort, cast):
    entry_list = _returned(rnd, cohort, cast)
    services.sign_entry_list(
        entry_list,
        user=cast[R.PROGRAMME_LEADER],
        password=PASSWORD,
        seen_sha256=signing.current_sha256(entry_list),
    )
    entry_list.refresh_from_db()
    return entry_list


def test_exams_officer_opens_round_and_requests_entries_by_email(
    client, cast, own_centre, cohort, django_capture_on_commit_callbacks
):
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:round_open"),
        {"centre": own_centre.pk, "academic_year": "2026/27"},
        follow=True,
    )
    assert "Registrations 2026/27" in response.content.decode()
    rnd = RegistrationRound.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("registrations:request_entries", args=[rnd.pk]),
            {"cohort": cohort.pk, "due_date": "25/09/2026"},
            follow=True,
        )
    assert "Entries requested" in response.content.decode()
    req = EntryRequest.objects.get()
    assert req.due_date == dt.date(2026, 9, 25)
    # The programme leader sees it on the dashboard and got an e-mail (Celery, eager here).
    assert [m.to for m in mail.outbox] == [[cast[R.PROGRAMME_LEADER].email]]
    assert "25 September 2026" in mail.outbox[0].body
    client.force_login(cast[R.PROGRAMME_LEADER])
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"Propose entries for {cohort}" in dashboard


def test_opening_the_same_round_twice_is_refused(client, cast, own_centre, rnd):
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:round_open"), {"centre": own_centre.pk, "academic_year": "2026/27"}
    )
    assert "already open" in response.content.decode()
    assert RegistrationRound.objects.count() == 1


def test_programme_leader_proposes_from_teaching_groups(client, cast, rnd, cohort, own_centre):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    learners = list(cohort.teaching_groups.get().learners.order_by("last_name"))
    stranger = LearnerFactory(centre=own_centre, last_name="Nogroup")
    client.force_login(cast[R.PROGRAMME_LEADER])
    url = reverse("registrations:proposals", args=[req.pk])
    assert "Ashworth".upper() in client.get(url).content.decode()
    client.post(
        url,
        {
            "learner": [learners[0].pk, learners[1].pk, stranger.pk],
            "new_starter": [learners[1].pk],
            "pathway": "General",
        },
    )
    regs = Registration.objects.filter(cohort=cohort)
    assert {r.learner for r in regs} == {learners[0], learners[1]}
    assert regs.get(learner=learners[1]).new_starter
    assert regs.get(learner=learners[0]).pathway == "General"
    # the programme's optional units are proposed by default
    assert [u.number for u in regs.first().optional_units.all()] == ["8"]
    client.post(reverse("registrations:proposals_send", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == EntryRequest.Status.PROPOSED
    make = ToDo.objects.get(kind=services.MAKE_ENTRIES_TODO, closed_at=None)
    assert make.link() == cohort.entry_lists.get().get_absolute_url()  # where entries are made
    assert not ToDo.objects.filter(kind=services.PROPOSE_TODO, closed_at=None).exists()


def test_another_programme_leader_cannot_propose(client, cast, rnd, cohort, own_centre, make_user):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    other_pl = make_user("other_pl", R.PROGRAMME_LEADER, centre=own_centre)
    client.force_login(other_pl)
    learner = cohort.teaching_groups.get().learners.first()
    client.post(reverse("registrations:proposals", args=[req.pk]), {"learner": [learner.pk]})
    assert not Registration.objects.exists()


def test_enter_return_sign_amend_submit(client, cast, rnd, cohort):
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    _all_proposed(rnd, cohort, pl)
    entry_list = cohort.entry_lists.get()
    client.force_login(eo)
    page = client.get(entry_list.get_absolute_url()).content.decode()
    assert "Proposed by the programme leader" in page
    client.post(
        reverse("registrations:entries_make", args=[entry_list.pk]),
        {"registration": [r.pk for r in cohort.registrations.all()], "lock": 0},
    )
    assert cohort.registrations.filter(status="entered").count() == 3
    entry_list.refresh_from_db()
    client.post(
        reverse("registrations:entry_list_return", args=[entry_list.pk]),
        {"lock": entry_list.lock_version},
    )
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.AWAITING_SIGNATURE

    # Submitting before signing is refused, with the reason.
    response = client.post(
        reverse("registrations:entry_list_submit", args=[entry_list.pk]),
        {"submitted_on": "14/09/2026", "lock": entry_list.lock_version},
        follow=True,
    )
    assert "has not signed this list" in response.content.decode()

    client.force_login(pl)
    page = client.get(entry_list.get_absolute_url()).content.decode()
    assert "Sign the entry list" in page
    reg = cohort.registrations.get(learner__last_name="Brindley")
    client.post(
        reverse("registrations:row_query", args=[entry_list.pk, reg.pk]),
        {"reason": "Brindley is on the Sport pathway"},
    )
    seen = signing.current_sha256(entry_list)
    wrong = client.post(
        reverse("registrations:entry_list_sign", args=[entry_list.pk]),
        {"password": "not-my-password", "seen": seen},
        follow=True,
    )
    assert "password is not right" in wrong.content.decode()
    client.post(
        reverse("registrations:entry_list_sign", args=[entry_list.pk]),
        {"password": PASSWORD, "seen": seen},
    )
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED
    signature = signing.latest_signature(entry_list)
    assert signature.signer == pl and signature.role == R.PROGRAMME_LEADER
    assert signature.sha256 == seen

    client.force_login(eo)
    query = reg.queries.get()
    client.post(reverse("registrations:query_answer", args=[query.pk]), {"answer": "Changed"})
    client.post(
        reverse("registrations:row_amend", args=[entry_list.pk, reg.pk]),
        {
            "pathway": "Sport",
            "programme_code": "",
            "reason": "Programme leader's query",
            "lock": entry_list.lock_version,
        },
    )
    reg.refresh_from_db()
    assert reg.pathway == "Sport"
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.AMENDED
    page = client.get(entry_list.get_absolute_url()).content.decode()
    assert "Changed since it was signed" in page and "pathway was blank, now Sport" in page
    # The signed version is untouched: what was signed is still what it was.
    assert signature.version.snapshot == signing.signatures(entry_list).get().version.snapshot
    assert all(r["pathway"] == "" for r in signature.version.snapshot["rows"])

    client.post(
        reverse("registrations:entry_list_submit", args=[entry_list.pk]),
        {"submitted_on": "14/09/2026", "order_number": "ORD1", "lock": entry_list.lock_version},
    )
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SUBMITTED
    assert set(cohort.registrations.values_list("status", flat=True)) == {"submitted"}
    # Frozen: no more amendments in place.
    response = client.post(
        reverse("registrations:row_amend", args=[entry_list.pk, reg.pk]),
        {"pathway": "Other", "reason": "late", "lock": entry_list.lock_version},
    )
    assert "frozen" in response.content.decode()
    reg.refresh_from_db()
    assert reg.pathway == "Sport"
    steps = list(reg.steps.values_list("what", flat=True))
    assert steps == [
        "Proposed",
        "Entered",
        "Queried",
        "Signed",
        "Query answered",
        "Amended",
        "Submitted",
    ]
    assert AuditEvent.objects.filter(
        learner_id=reg.learner_id, action="registrations.registration.submitted"
    )


def test_signing_a_list_that_changed_since_it_was_opened_is_refused(cast, rnd, cohort):
    entry_list = _returned(rnd, cohort, cast)
    seen = signing.current_sha256(entry_list)
    reg = cohort.registrations.first()
    services.amend_registration(reg, by=cast[R.EXAMS_OFFICER], reason="fix", pathway="New")
    entry_list.refresh_from_db()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="changed after you opened it"):
        services.sign_entry_list(
            entry_list, user=cast[R.PROGRAMME_LEADER], password=PASSWORD, seen_sha256=seen
        )
    assert signing.latest_signature(entry_list) is None


def test_two_exams_officers_at_once_get_one_result(
    client, cast, rnd, cohort, own_centre, make_user
):
    entry_list = _signed(rnd, cohort, cast)
    second = make_user("second_eo", R.EXAMS_OFFICER, centre=own_centre)
    lock = entry_list.lock_version
    reg = cohort.registrations.first()
    client.force_login(cast[R.EXAMS_OFFICER])
    client.post(
        reverse("registrations:row_amend", args=[entry_list.pk, reg.pk]),
        {"pathway": "First", "reason": "one", "lock": lock},
    )
    client.force_login(second)
    response = client.post(
        reverse("registrations:row_amend", args=[entry_list.pk, reg.pk]),
        {"pathway": "Second", "reason": "two", "lock": lock},
    )
    assert "Someone else changed this entry list" in response.content.decode()
    reg.refresh_from_db()
    assert reg.pathway == "First"


@pytest.mark.parametrize("role", list(Role))
def test_entry_list_steps_by_role(client, cast, rnd, cohort, role):
    entry_list = _returned(rnd, cohort, cast)
    client.force_login(cast[role])
    page = client.get(entry_list.get_absolute_url())
    assert page.status_code == (403 if role in (R.GOVERNOR, R.STANDARDS_VERIFIER) else 200)
    sign = client.post(
        reverse("registrations:entry_list_sign", args=[entry_list.pk]),
        {"password": PASSWORD, "seen": signing.current_sha256(entry_list)},
    )
    assert sign.status_code == (302 if role == R.PROGRAMME_LEADER else 403)
    submit = client.post(
        reverse("registrations:entry_list_submit", args=[entry_list.pk]),
        {"submitted_on": "14/09/2026", "lock": 99},
    )  # refused as stale: the list's page again, with the reason on the form
    assert submit.status_code == (200 if role == R.EXAMS_OFFICER else 403)


def test_another_centres_round_and_list_are_404(client, cast, other_centre, make_user):
    q = QualificationFactory()
    theirs = CohortFactory(centre=other_centre, qualification=q)
    their_eo = make_user("their_eo", R.EXAMS_OFFICER, centre=other_centre)
    rnd = services.open_round(centre=other_centre, academic_year="2026/27", by=their_eo)
    req = services.request_entries(rnd, cohort=theirs, due_date=TODAY, by=their_eo)
    entry_list = theirs.entry_lists.get()
    client.force_login(cast[R.EXAMS_OFFICER])
    for url in [
        reverse("registrations:round_detail", args=[rnd.pk]),
        reverse("registrations:proposals", args=[req.pk]),
        reverse("registrations:entry_list", args=[entry_list.pk]),
        reverse("registrations:entry_list_versions", args=[entry_list.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("registrations:request_entries", args=[rnd.pk]),
        reverse("registrations:entry_list_submit", args=[entry_list.pk]),
        reverse("registrations:entry_list_return", args=[entry_list.pk]),
        reverse("registrations:entries_make", args=[entry_list.pk]),
    ]:
        assert client.post(url, {"lock": 0}).status_code == 404, url


def test_entry_list_page_runs_a_fixed_number_of_queries(
    client, cast, rnd, cohort, own_centre, django_assert_max_num_queries
):
    entry_list = _signed(rnd, cohort, cast)
    client.force_login(cast[R.EXAMS_OFFICER])
    url = entry_list.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(25) as small:
        client.get(url)
    group = cohort.teaching_groups.get()
    extra = []
    for i in range(40):
        learner = LearnerFactory(centre=own_centre, last_name=f"Extra{i:02d}")
        group.learners.add(learner)
        extra.append(
            Registration.objects.create(
                learner=learner, cohort=cohort, centre=own_centre, status="entered"
            )
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "EXTRA39" in response.content.decode()


def test_versions_page_shows_each_version_and_the_signature(client, cast, rnd, cohort):
    entry_list = _signed(rnd, cohort, cast)
    reg = cohort.registrations.first()
    services.amend_registration(reg, by=cast[R.EXAMS_OFFICER], reason="Wrong pathway", pathway="B")
    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.get(reverse("registrations:entry_list_versions", args=[entry_list.pk]))
    text = page.content.decode()
    assert "Version 2" in text and "Wrong pathway" in text
    assert f"Signed by {cast[R.PROGRAMME_LEADER].get_full_name()}" in text


def test_calendar_sets_the_entry_check_deadline_from_half_term(client, cast, own_centre):
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:calendar_edit"),
        {
            "centre": own_centre.pk,
            "academic_year": "2026/27",
            "term_starts": "03/09/2026",
            "october_half_term_starts": "26/10/2026",
        },
        follow=True,
    )
    assert "closes on 23/10/2026" in response.content.decode()


def test_round_page_warns_before_the_fee_band_changes(client, cast, rnd):
    call_command("load_registration_years", verbosity=0)
    with time_machine.travel(dt.datetime(2026, 10, 25, 10, 0)):
        client.force_login(cast[R.EXAMS_OFFICER])
        page = client.get(rnd.get_absolute_url()).content.decode()
    assert "From 02/11/2026 (in 8 days) registrations pay the late fee × 1.05" in page


def test_programme_leader_chooses_each_learners_options_before_sending(
    client, cast, rnd, cohort, own_centre, make_user
):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    learner = cohort.teaching_groups.get().learners.order_by("last_name").first()
    reg = services.propose_entry(req, learner=learner, by=cast[R.PROGRAMME_LEADER])
    url = reverse("registrations:proposal_options", args=[req.pk, reg.pk])
    # Not their programme: refused, whatever the role says.
    other_pl = make_user("other_pl2", R.PROGRAMME_LEADER, centre=own_centre)
    client.force_login(other_pl)
    assert client.post(url, {"pathway": "X"}).status_code == 403
    client.force_login(cast[R.EXAMS_OFFICER])
    assert client.get(url).status_code == 403
    client.force_login(cast[R.PROGRAMME_LEADER])
    client.post(url, {"pathway": "Finance", "optional_units": []})
    reg.refresh_from_db()
    assert reg.pathway == "Finance" and not reg.optional_units.exists()
    assert reg.steps.last().what == "Options chosen"
    page = client.get(reverse("registrations:proposals", args=[req.pk])).content.decode()
    assert "(Finance)" in page and "Optional units: none" in page
    # Once entered, only the exams office amends it.
    services.finish_proposals(req, by=cast[R.PROGRAMME_LEADER])
    services.make_entries(cohort.entry_lists.get(), registrations=[reg], by=cast[R.EXAMS_OFFICER])
    response = client.post(url, {"pathway": "Other"})
    assert "already been entered" in response.content.decode()


def test_a_submission_dated_before_the_list_was_signed_is_refused(client, cast, rnd, cohort):
    """The submission date cannot be earlier than the signature: that would record an
    unsigned list as sent to Pearson."""
    entry_list = _signed(rnd, cohort, cast)  # signed on 14/09/2026
    client.force_login(cast[R.EXAMS_OFFICER])
    url = reverse("registrations:entry_list_submit", args=[entry_list.pk])
    page = client.post(
        url, {"submitted_on": "01/09/2026", "lock": entry_list.lock_version}, follow=True
    ).content.decode()
    assert "before the programme leader signed" in page and "14/09/2026" in page
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED
    assert not cohort.registrations.filter(status="submitted").exists()
    client.post(url, {"submitted_on": "14/09/2026", "lock": entry_list.lock_version})
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SUBMITTED


def test_a_double_click_on_submit_says_it_is_already_submitted(client, cast, rnd, cohort):
    """The second of two identical posts is not blamed on "someone else"."""
    entry_list = _signed(rnd, cohort, cast)
    client.force_login(cast[R.EXAMS_OFFICER])
    url = reverse("registrations:entry_list_submit", args=[entry_list.pk])
    data = {"submitted_on": "14/09/2026", "lock": entry_list.lock_version}
    client.post(url, data)
    page = client.post(url, data, follow=True).content.decode()
    assert "already been submitted" in page
    assert "Someone else changed" not in page
    assert cohort.registrations.filter(status="submitted").count() == 3


def test_requesting_entries_where_nobody_can_propose_says_so(client, cast, partner_centre):
    """A partner centre with no programme leader: the request would stall unseen."""
    from accounts.models import RoleAssignment

    eo = cast[R.EXAMS_OFFICER]
    RoleAssignment.objects.get_or_create(user=eo, role=R.EXAMS_OFFICER, centre=partner_centre)
    RoleAssignment.objects.filter(centre=partner_centre, role=R.PROGRAMME_LEADER).delete()
    cohort = CohortFactory(centre=partner_centre, leader=None)
    rnd = services.open_round(centre=partner_centre, academic_year="2026/27", by=eo)
    client.force_login(eo)
    page = client.post(
        reverse("registrations:request_entries", args=[rnd.pk]),
        {"cohort": cohort.pk, "due_date": "30/09/2026"},
        follow=True,
    ).content.decode()
    assert "Entries requested" in page
    assert "holds the Programme Leader role" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"academic_year": "2026/28"}, "is not an academic year"),
        ({"october_half_term_starts": "26/10/2062"}, "is not in 2026/27"),
        ({"entry_check_deadline": "24/10/2026"}, "is a weekend or a bank holiday"),
        ({"entry_check_deadline": "27/10/2026"}, "ends before half term"),
    ],
)
def test_centre_dates_that_cannot_be_right_are_refused(client, cast, own_centre, fields, message):
    from registrations.models import CentreCalendar

    client.force_login(cast[R.EXAMS_OFFICER])
    data = {
        "centre": own_centre.pk,
        "academic_year": "2026/27",
        "term_starts": "03/09/2026",
        "october_half_term_starts": "26/10/2026",
    } | fields
    response = client.post(reverse("registrations:calendar_edit"), data)
    assert message in response.content.decode()
    assert not CentreCalendar.objects.exists()


def test_yearly_figures_load_from_the_shipped_files_and_a_bad_file_is_named(tmp_path, db):
    from django.core.management.base import CommandError

    from registrations.models import RegistrationYear

    call_command("load_registration_years", verbosity=0)
    year = RegistrationYear.objects.get(academic_year="2026/27")
    assert year.registration_deadline == dt.date(2026, 11, 1)
    assert "2024/25" in year.unconfirmed  # what is not confirmed says so
    bad = tmp_path / "2030-31.json"
    bad.write_text('{"academic_year": "2030/31", "registration_deadline": "31/11/2030"}')
    with pytest.raises(CommandError, match="2030-31.json"):
        call_command("load_registration_years", str(bad), verbosity=0)
    assert not RegistrationYear.objects.filter(academic_year="2030/31").exists()
