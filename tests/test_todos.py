"""What needs doing: one to-do mechanism, the dashboard, and the daily reminder digest."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.services import sweep
from todos.kinds import register_kind
from todos.models import ReminderDigest, ToDo
from todos.selectors import open_todos_for
from todos.services import close_todos, open_todo, open_todos, send_reminder_digests
from todos.tasks import send_reminder_digests as reminder_task

from .factories import LearnerFactory

TODAY = dt.date(2026, 10, 12)

# The kinds these tests open, declared as an app declares its own (todos/kinds.py).
for _code in ["entry_check", "chase_uln", "x", "a", "b", "c"] + [
    f"{p}{i}" for p in "kr" for i in range(12)
]:
    register_kind(f"{_code}", f"Test action {_code}", owner=Role.EXAMS_OFFICER)


@pytest.fixture
def learner(own_centre):
    return LearnerFactory(centre=own_centre)


def test_an_action_owed_by_a_role_reaches_everyone_holding_it_at_that_centre(
    cast, own_centre, other_centre, make_user
):
    qn = cast[Role.QUALITY_NOMINEE]
    other_qn = make_user("qn_elsewhere", Role.QUALITY_NOMINEE, centre=other_centre)
    todo = open_todo(
        "entry_check", centre=own_centre, title="Check entries", role=Role.QUALITY_NOMINEE
    )
    assert list(open_todos_for(qn)) == [todo]
    assert list(open_todos_for(other_qn)) == []
    assert list(open_todos_for(cast[Role.EXAMS_OFFICER])) == []


def test_opening_the_same_action_twice_keeps_one(exams_officer, own_centre, learner):
    a = open_todo(
        "chase_uln", centre=own_centre, title="Find ULN", assignee=exams_officer, target=learner
    )
    b = open_todo(
        "chase_uln", centre=own_centre, title="Find ULN", assignee=exams_officer, target=learner
    )
    assert a.pk == b.pk and ToDo.objects.count() == 1


def test_many_actions_opened_at_once_keep_one_each_and_each_is_on_the_trail(
    exams_officer, own_centre, django_assert_max_num_queries
):
    learners = [LearnerFactory(centre=own_centre) for _ in range(3)]
    already = open_todo(
        "chase_uln", centre=own_centre, title="Find ULN", assignee=exams_officer, target=learners[0]
    )
    opened = AuditEvent.objects.filter(action="todos.todo.opened").count()
    with django_assert_max_num_queries(12):
        todos = open_todos(
            "chase_uln",
            [(lr, f"Find the ULN of {lr}") for lr in learners],
            centre=own_centre,
            assignee=exams_officer,
            actor=exams_officer,
        )
    assert todos[0].pk == already.pk and todos[0].title == "Find ULN"
    assert [t.title for t in todos[1:]] == [f"Find the ULN of {lr}" for lr in learners[1:]]
    assert ToDo.objects.filter(kind="chase_uln", closed_at__isnull=True).count() == 3
    events = AuditEvent.objects.filter(action="todos.todo.opened").order_by("seq")[opened:]
    assert [e.learner_id for e in events] == [lr.pk for lr in learners[1:]]
    assert [t.target for t in todos] == learners
    # Opening them again opens nothing more.
    again = open_todos(
        "chase_uln", [(lr, "Again") for lr in learners], centre=own_centre, assignee=exams_officer
    )
    assert [t.pk for t in again] == [t.pk for t in todos]
    assert ToDo.objects.count() == 3


def test_the_service_that_does_the_work_closes_it_and_the_trail_shows_both(
    exams_officer, own_centre, learner
):
    open_todo(
        "chase_uln", centre=own_centre, title="Find ULN", assignee=exams_officer, target=learner
    )
    assert close_todos("chase_uln", target=learner, by=exams_officer, note="ULN found") == 1
    assert list(open_todos_for(exams_officer)) == []
    todo = ToDo.objects.get()
    assert todo.closed_by == exams_officer and todo.closed_note == "ULN found"
    actions = list(
        AuditEvent.objects.filter(learner_id=learner.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["todos.todo.opened", "todos.todo.closed"]


def test_an_action_needs_an_owner(own_centre):
    with pytest.raises(ValueError):
        open_todo("x", centre=own_centre, title="Nobody's job")


def test_only_declared_kinds_of_action_can_be_opened(own_centre):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="declare it with register_kind"):
        open_todo("made.up", centre=own_centre, title="?", role=Role.EXAMS_OFFICER)


def test_every_kind_the_apps_open_is_declared_with_an_owner_and_a_label():
    from todos.kinds import all_kinds

    kinds = all_kinds()
    for code in (
        "arrangement.tell_pearson",
        "registrations.sign_entry_list",
        "registrations.entry_check_amend",
        "registrations.action_change",
    ):
        assert kinds[code].label and kinds[code].owner


def test_a_kinds_default_due_date_comes_from_configuration(settings, own_centre):
    settings.BTECQA_TODO_DUE_DAYS = {"registrations.make_entries": 2}
    todo = open_todo(
        "registrations.make_entries", centre=own_centre, title="Enter", role=Role.EXAMS_OFFICER
    )
    from django.utils import timezone

    assert todo.due_date == timezone.localdate() + dt.timedelta(days=2)


@pytest.mark.parametrize("targets", [1, 50])
def test_the_dashboard_links_actions_to_their_targets_in_fixed_queries(
    client, exams_officer, own_centre, django_assert_max_num_queries, targets
):
    """Fifty actions about fifty learners: each links to its learner, same queries as one."""
    learners = [LearnerFactory(centre=own_centre) for _ in range(targets)]
    for learner in learners:
        open_todo(
            "chase_uln",
            centre=own_centre,
            title=f"Find the ULN of {learner}",
            assignee=exams_officer,
            target=learner,
        )
    client.force_login(exams_officer)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("dashboard")).content.decode()
    for learner in learners:
        assert f'href="{learner.get_absolute_url()}"' in html


@pytest.mark.parametrize("queries_for", [1, 12])
def test_the_dashboard_lists_open_and_overdue_actions_in_fixed_queries(
    client, exams_officer, own_centre, django_assert_max_num_queries, queries_for, time_machine
):
    time_machine.move_to(dt.datetime(2026, 10, 12, 9, 0))
    for i in range(queries_for):
        open_todo(
            f"k{i}",
            centre=own_centre,
            title=f"Late thing {i}",
            due=TODAY - dt.timedelta(days=1),
            assignee=exams_officer,
        )
        open_todo(
            f"r{i}",
            centre=own_centre,
            title=f"Role thing {i}",
            due=TODAY + dt.timedelta(days=3),
            role=Role.EXAMS_OFFICER,
        )
    client.force_login(exams_officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("dashboard"))
    assert len(response.context["overdue"]) == queries_for
    assert len(response.context["open"]) == queries_for
    html = response.content.decode()
    assert "Late thing 0" in html and "Role thing 0" in html and "Overdue" in html


def test_the_reminder_digest_goes_once_per_person_per_day(
    exams_officer, own_centre, cast, django_capture_on_commit_callbacks
):
    open_todo(
        "a",
        centre=own_centre,
        title="Sign the entry list",
        due=TODAY + dt.timedelta(days=2),
        assignee=exams_officer,
    )
    open_todo(
        "b",
        centre=own_centre,
        title="Overdue thing",
        due=TODAY - dt.timedelta(days=2),
        role=Role.EXAMS_OFFICER,
    )
    open_todo(
        "c",
        centre=own_centre,
        title="Far future",
        due=TODAY + dt.timedelta(days=60),
        assignee=exams_officer,
    )
    # Queued in the outbox with the digest's record; sent by the outbox task on commit.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminder_digests(TODAY) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [exams_officer.email]
    assert "Sign the entry list" in message.body and "OVERDUE" in message.body
    assert "Far future" not in message.body
    # The job runs again the same day (a retry, a second beat): nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminder_digests(TODAY) == 0
        assert reminder_task.delay(TODAY.isoformat()).get() == 0
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    # The next day brings a new digest.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminder_digests(TODAY + dt.timedelta(days=1)) == 1
    assert ReminderDigest.objects.filter(user=exams_officer).count() == 2
    assert len(mail.outbox) == 2


def test_a_failed_send_is_retried_by_the_outbox_and_never_queued_twice(
    exams_officer, own_centre, settings, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 10, 12, 6, 30))
    open_todo("a", centre=own_centre, title="Thing", due=TODAY, assignee=exams_officer)
    settings.EMAIL_BACKEND = "tests.broken_mail.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminder_digests(TODAY) == 1
    email = OutgoingEmail.objects.get()
    assert email.status == "pending" and "mail server unreachable" in email.last_error
    assert mail.outbox == []
    # The beat job runs the same day again: the digest is queued already, not again.
    assert send_reminder_digests(TODAY) == 0 and OutgoingEmail.objects.count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(dt.datetime(2026, 10, 12, 6, 32))
    assert sweep()["sent"] == 1
    assert [m.to for m in mail.outbox] == [[exams_officer.email]]


def test_no_digest_without_anything_due(exams_officer):
    assert send_reminder_digests(TODAY) == 0
    assert mail.outbox == []


def test_a_title_too_long_for_its_field_is_cut_to_fit_with_an_ellipsis(exams_officer, own_centre):
    """open_todo fits the title to the field, so no caller cuts it (and none forgets to)."""
    long = "Internally verify the sampled work: " + "a very long cohort name " * 20
    todo = open_todo("x", centre=own_centre, title=long, assignee=exams_officer)
    todo.refresh_from_db()
    room = ToDo._meta.get_field("title").max_length
    assert len(todo.title) == room and todo.title.endswith("…")
    assert todo.title[:-1] == long[: room - 1]
