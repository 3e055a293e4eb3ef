"""The e-mail outbox: written with the work, sent after commit, retried, never sent twice.

Runs on SQLite with eager Celery (and on PostgreSQL in the second pass). A small real SMTP
server (tests/smtp_server.py) stands in for the mail server, so what the outbox does with
"accepted", "550 no such mailbox" and "connection refused" is what smtplib really reports.
The real-worker kill-and-restart test is tests/test_outbox_worker.py.
"""

import datetime as dt
import socket
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from outbox import checks, services
from outbox.models import OutgoingEmail
from outbox.services import after_sent, queue_email, send_pending, sweep
from registrations import services as registrations
from registrations.models import EntryRequest
from todos.services import open_todo, send_reminder_digest, send_reminder_digests

from .factories import CohortFactory, QualificationFactory
from .smtp_server import SMTPServer

R = Role
NOW = dt.datetime(2026, 9, 14, 9, 0, tzinfo=dt.UTC)
S = OutgoingEmail.Status


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def smtp(settings):
    """Mail goes to a real SMTP server on this machine, through Django's SMTP backend."""
    with SMTPServer(refuse={"nobody@example.org"}) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server


@pytest.fixture
def smtp_down(settings):
    """A mail server that is not there: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def _queue(n=1, **kw):
    return [
        queue_email(
            kind="test.note",
            to=[kw.get("to", f"person{i}@example.org")],
            subject=f"Note {i}",
            body=f"Body {i}",
            key=kw.get("key"),
        )
        for i in range(n)
    ]


@pytest.fixture
def entry_request(cast, own_centre, clock):
    cohort = CohortFactory(
        centre=own_centre,
        qualification=QualificationFactory(title="BTEC National Diploma in Outboxes"),
        leader=cast[R.PROGRAMME_LEADER],
    )
    rnd = registrations.open_round(
        centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER]
    )

    def request(**kw):
        return registrations.request_entries(
            rnd, cohort=cohort, due_date=dt.date(2026, 9, 25), by=cast[R.EXAMS_OFFICER]
        )

    return request


# --- written with the work --------------------------------------------------------------------


def test_work_that_rolls_back_sends_nothing(entry_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            entry_request()
            assert OutgoingEmail.objects.count() == 1  # written in the same transaction
            raise RuntimeError("the request failed after the e-mail was queued")
    assert callbacks == [] and not OutgoingEmail.objects.exists()
    assert not EntryRequest.objects.exists() and mail.outbox == []


def test_committed_work_is_sent_after_commit_and_the_request_notes_it(
    entry_request, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        req = entry_request()
    # Nothing is sent inside the transaction; one send task is asked for on commit.
    assert mail.outbox == [] and len(callbacks) == 1
    email = OutgoingEmail.objects.get()
    assert (email.status, email.kind, email.key) == (
        S.PENDING,
        "registrations.entry_request",
        f"registrations.entry_request:{req.pk}",
    )
    callbacks[0]()
    (message,) = mail.outbox
    assert message.to == [cast[R.PROGRAMME_LEADER].email]
    assert "Outboxes" in message.subject and "by Friday 25 September 2026" in message.body
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (S.SENT, 1, "")
    assert email.sent_at == NOW and email.claim_token == ""
    # The registration app's after-sent hook: the request shows it went, the trail to whom.
    assert EntryRequest.objects.get().emailed_at == NOW
    assert AuditEvent.objects.filter(action="registrations.entry_request.emailed").count() == 1
    # Sending again sends nothing.
    assert send_pending() == (0, False) and len(mail.outbox) == 1


def test_a_batch_of_emails_asks_for_one_send_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic(), services.batch():
            _queue(5)
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{i}@example.org" for i in range(5)]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {S.SENT}


def test_bad_emails_are_refused_when_queued_not_when_sent(db):
    with pytest.raises(ValueError, match="needs at least one recipient"):
        queue_email(kind="test.note", to=["", " "], subject="Hello", body="x")
    with pytest.raises(ValueError, match="subject .* must be one line"):
        queue_email(kind="test.note", to=["a@example.org"], subject="Hi\nBcc: x", body="x")
    assert not OutgoingEmail.objects.exists()


def test_an_idempotency_key_queues_an_email_once(db):
    (first,) = _queue(key="test.once:1")
    (second,) = _queue(key="test.once:1")
    assert first.pk == second.pk and OutgoingEmail.objects.count() == 1


def test_a_digest_is_queued_once_per_person_per_day(exams_officer, own_centre, clock):
    open_todo("x", centre=own_centre, title="Do it", due=NOW.date(), assignee=exams_officer)
    assert send_reminder_digest(exams_officer, NOW.date()) is True
    assert send_reminder_digest(exams_officer, NOW.date()) is False
    assert send_reminder_digests(NOW.date()) == 0
    (email,) = OutgoingEmail.objects.all()
    assert email.key == f"todos.digest:{exams_officer.pk}:2026-09-14"
    assert send_pending() == (1, False)
    assert [m.to for m in mail.outbox] == [[exams_officer.email]]


def test_the_digest_of_everyone_is_one_transaction_and_one_send_task(
    cast, own_centre, clock, django_capture_on_commit_callbacks
):
    for role in (R.EXAMS_OFFICER, R.QUALITY_NOMINEE, R.PROGRAMME_LEADER):
        open_todo("x", centre=own_centre, title="Do it", due=NOW.date(), role=role)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_reminder_digests(NOW.date()) == 3
    assert len(callbacks) == 1 and len(mail.outbox) == 3


# --- sending ------------------------------------------------------------------------------------


def test_the_mail_server_accepts_and_each_row_is_marked_sent(db, smtp, clock):
    _queue(3)
    assert send_pending() == (3, False)
    assert sorted(smtp.recipients()) == [f"person{i}@example.org" for i in range(3)]
    assert smtp.accepted[0][1]["Subject"].startswith("Note ")
    assert list(OutgoingEmail.objects.values_list("status", flat=True).distinct()) == [S.SENT]


def test_a_refused_recipient_fails_that_email_only(db, smtp, clock):
    _queue(1, to="nobody@example.org")
    _queue(2)
    assert send_pending() == (2, False)
    refused = OutgoingEmail.objects.get(to=["nobody@example.org"])
    assert refused.status == S.PENDING and refused.attempts == 1
    assert "SMTPRecipientsRefused" in refused.last_error and "No such mailbox" in refused.last_error
    assert refused.not_before == NOW + dt.timedelta(minutes=1)
    assert sorted(smtp.recipients()) == ["person0@example.org", "person1@example.org"]


def test_a_mail_server_that_is_down_leaves_rows_pending_and_they_go_when_it_is_back(
    db, smtp_down, settings, clock
):
    settings.OUTBOX_BATCH_SIZE = 2
    _queue(3)
    assert send_pending() == (0, False)
    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert [r.status for r in rows] == [S.PENDING] * 3
    assert "ConnectionRefusedError" in rows[0].last_error and rows[0].attempts == 1
    # The rest of its batch was not tried, so no attempt counted against it.
    assert rows[1].attempts == 0 and rows[1].last_error.startswith("Not tried: the mail server")
    # Not due yet: nothing is tried before the back-off.
    assert send_pending() == (0, False)
    assert OutgoingEmail.objects.get(pk=rows[0].pk).attempts == 1

    with SMTPServer() as smtp:
        settings.EMAIL_PORT = smtp.port
        clock.move_to(NOW + dt.timedelta(seconds=61), tick=False)
        assert sweep() == {"released": 0, "sent": 3, "more": False}
    assert len(smtp.accepted) == 3
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {S.SENT}


def test_retries_back_off_and_give_up_after_the_last_attempt(db, smtp_down, settings, clock):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    (email,) = _queue()
    waits = []
    for _ in range(3):
        send_pending()
        email.refresh_from_db()
        waits.append((email.not_before - NOW).total_seconds())
        clock.move_to(email.not_before, tick=False)
    assert waits[:2] == [60, 60 + 120]
    assert (email.status, email.attempts) == (S.FAILED, 3)
    assert "ConnectionRefusedError" in email.last_error
    clock.move_to(NOW + dt.timedelta(days=1), tick=False)
    assert send_pending() == (0, False)  # given up: not tried again


def test_a_failing_after_sent_hook_does_not_make_an_email_go_twice(db, clock):
    calls = []

    @after_sent("test.hooked")
    def _broken(email):
        calls.append(email.pk)
        raise RuntimeError("bug in the hook")

    queue_email(kind="test.hooked", to=["a@example.org"], subject="Hi", body="x")
    assert send_pending() == (1, False)
    assert OutgoingEmail.objects.get().status == S.SENT and len(calls) == 1
    assert sweep()["sent"] == 0 and len(mail.outbox) == 1


# --- claims: two senders, dead senders -----------------------------------------------------------


def test_a_claimed_row_is_not_claimed_again(db, clock):
    _queue(3)
    token, claimed = services._claim(services.claimant("worker-a@host"), 2)
    assert len(claimed) == 2
    _, second = services._claim(services.claimant("worker-b@host"), 10)
    assert [e.pk for e in second] == [
        e.pk for e in OutgoingEmail.objects.exclude(pk__in=[c.pk for c in claimed])
    ]
    _, third = services._claim(services.claimant("worker-c@host"), 10)
    assert third == []


def test_the_sweep_puts_back_a_claim_older_than_the_timeout(db, settings, clock):
    settings.OUTBOX_CLAIM_TIMEOUT = 600
    (email,) = _queue()
    # A worker on another machine claimed it and died before sending.
    services._claim("celery@elsewhere/0123456789ab/4242", 10)
    assert sweep() == {"released": 0, "sent": 0, "more": False}  # might still be at work
    clock.move_to(NOW + dt.timedelta(seconds=601), tick=False)
    assert sweep() == {"released": 1, "sent": 1, "more": False}
    email.refresh_from_db()
    assert email.status == S.SENT and email.attempts == 2
    assert [m.to for m in mail.outbox] == [["person0@example.org"]]


def test_a_restarted_worker_frees_its_earlier_claims_at_once_and_no_one_elses(db, clock):
    a, b, c, d = _queue(4)
    node = "celery@worker1"
    # Claimed by this node before it was killed (another start), by a live process of this
    # start (this test), by a process of this start that is gone, and by another node.
    services._claim(f"{node}/deadbeef0000/17", 1)
    services._claim(services.claimant(node), 1)
    services._claim(f"{services.claimant(node).rsplit('/', 1)[0]}/999999999", 1)
    services._claim("celery@worker2/deadbeef0000/17", 1)
    assert services.release_orphaned_claims(node) == 2
    status = dict(OutgoingEmail.objects.values_list("pk", "status"))
    assert status == {a.pk: S.PENDING, b.pk: S.SENDING, c.pk: S.PENDING, d.pk: S.SENDING}
    assert "stopped before it was marked sent" in OutgoingEmail.objects.get(pk=a.pk).last_error


def test_a_claim_taken_over_by_the_sweep_is_not_sent_by_the_slow_sender(db, clock, settings):
    (email,) = _queue()
    token, _ = services._claim("celery@slow/0123456789ab/1", 10)
    clock.move_to(NOW + dt.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT + 1), tick=False)
    assert sweep()["sent"] == 1
    # The slow sender wakes up: its claim is gone, so it does not send.
    assert services._still_ours(email, token) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_send_the_same_email(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database is not shared between threads")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OUTBOX_BATCH_SIZE = 3
    # Rows as queue_email leaves them, without the send it asks for on commit.
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            kind="test.note",
            to=[f"person{i}@example.org"],
            subject=f"Note {i}",
            body="x",
            from_email="office@example.org",
        )
        for i in range(40)
    )
    errors = []

    def sender(name):
        try:
            services.send_pending(node=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(f"w{i}@host",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sent = sorted(m.to[0] for m in mail.outbox)
    assert sent == sorted(f"person{i}@example.org" for i in range(40))
    assert OutgoingEmail.objects.filter(status=S.SENT).count() == 40
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}


# --- settings, admin ----------------------------------------------------------------------------


def test_the_settings_do_not_let_an_email_be_held_for_ever_or_a_task_run_twice(settings):
    assert checks.outbox_settings() == []
    settings.OUTBOX_CLAIM_TIMEOUT = 50
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert [w.id for w in checks.outbox_settings()] == ["outbox.W002", "outbox.W003"]
    settings.EMAIL_TIMEOUT = None
    assert "outbox.W001" in [w.id for w in checks.outbox_settings()]
    call_command("check")  # and the project's own settings pass


def test_the_admin_lists_emails_by_status_and_changes_none(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    _queue(2)
    send_pending()
    _queue(1, to="waiting@example.org")
    client.force_login(admin)
    url = reverse("admin:outbox_outgoingemail_changelist")
    html = client.get(url, {"status__exact": "pending"}).content.decode()
    assert "waiting@example.org" in html and "person0@example.org" not in html
    assert "Waiting to be sent" in html
    pk = OutgoingEmail.objects.get(to=["waiting@example.org"]).pk
    assert client.get(reverse("admin:outbox_outgoingemail_add")).status_code == 403
    assert client.post(reverse("admin:outbox_outgoingemail_delete", args=[pk])).status_code == 403
    assert OutgoingEmail.objects.count() == 3
