"""Queue an e-mail with the work that causes it; send what is due; release dead claims.

The transactional outbox: `queue_email` writes an `OutgoingEmail` row in the caller's
transaction, so rolled-back work sends nothing, and asks for a send after commit. A
sender claims a batch of due rows (compare-and-set on the status, `SKIP LOCKED` on
PostgreSQL so two workers take different rows), sends each, and marks each one sent in
its own transaction just after the mail server accepts it. A sender that dies leaves its
rows "sending"; `release_orphaned_claims` (on worker start) and `release_stale_claims`
(the beat sweep) put them back. What remains is one message: a crash after the server
accepted it and before its row was marked sent sends that one again.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutgoingEmail

log = logging.getLogger(__name__)

S = OutgoingEmail.Status

# One per process start. A worker's pool children are forked after the task modules are
# imported, so they share it; a restarted worker has a new one.
_INCARNATION = uuid.uuid4().hex[:12]

_AFTER_SENT: dict[str, list[Callable[[OutgoingEmail], None]]] = {}


def after_sent(kind: str):
    """Register fn(email), run when an e-mail of this kind is marked sent (same transaction).

    For the app that queued it to note the delivery (e.g. "e-mailed at", an audit event)
    without the outbox knowing that app. A failing hook is logged; the row stays sent.
    """

    def register(fn):
        hooks = _AFTER_SENT.setdefault(kind, [])
        if fn not in hooks:
            hooks.append(fn)
        return fn

    return register


def queue_email(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    body: str,
    key: str | None = None,
    html: str = "",
    from_email: str | None = None,
) -> OutgoingEmail:
    """Write the e-mail in the current transaction; it is sent after commit.

    kind: what it is ("todos.digest"), for the admin and the after_sent hooks.
    key: an idempotency key; when a row with this key exists, that row is returned and
    nothing new is queued (one digest per person per day, one e-mail per notice).
    """
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        raise ValueError(f"An e-mail ({kind}) needs at least one recipient.")
    if "\n" in subject or "\r" in subject:
        raise ValueError(f"An e-mail subject ({kind}) must be one line: {subject!r}")
    fields = {
        "kind": kind,
        "to": recipients,
        "subject": subject,
        "body": body,
        "html": html,
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
    }
    if key is None:
        email = OutgoingEmail.objects.create(**fields)
    else:
        email, created = OutgoingEmail.objects.get_or_create(key=key, defaults=fields)
        if not created:
            return email
    _send_after_commit()
    return email


_batch = threading.local()


@contextmanager
def batch():
    """Queue many e-mails, ask for one send task at the end (else one per e-mail).

    Use it inside the transaction, as the digests and notices do. On an exception it asks
    for nothing: the rollback takes the rows away, and any that survive go with the sweep.
    """
    depth = getattr(_batch, "depth", 0)
    if depth == 0:
        _batch.queued = False
    _batch.depth = depth + 1
    try:
        yield
    finally:
        _batch.depth = depth
    if depth == 0 and _batch.queued:
        _send_after_commit()


def _enqueue_send() -> None:
    from .tasks import send_pending

    send_pending.delay()


def _send_after_commit() -> None:
    """Ask for a send task once the transaction commits.

    robust: a broker that is down must not turn committed work into an error page; the
    rows wait and the beat sweep sends them.
    """
    if getattr(_batch, "depth", 0):
        _batch.queued = True
        return
    transaction.on_commit(_enqueue_send, robust=True)


# --- sending ------------------------------------------------------------------------------


def claimant(node: str | None = None) -> str:
    """Who holds a claim: the worker's node name, this process's start, its pid."""
    node = node or f"local@{socket.gethostname()}"
    return f"{node}/{_INCARNATION}/{os.getpid()}"


def _claim(by: str, size: int) -> tuple[str, list[OutgoingEmail]]:
    now = timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = OutgoingEmail.objects.filter(status=S.PENDING, not_before__lte=now).order_by(
            "not_before", "pk"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:size])
        if not ids:
            return token, []
        # Compare-and-set: a row another sender took since it was read is left alone.
        OutgoingEmail.objects.filter(pk__in=ids, status=S.PENDING).update(
            status=S.SENDING,
            claim_token=token,
            claimed_by=by,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    return token, list(OutgoingEmail.objects.filter(claim_token=token, status=S.SENDING))


def _still_ours(email: OutgoingEmail, token: str) -> bool:
    """Renew the claim just before sending; False if the sweep gave it to someone else."""
    return (
        OutgoingEmail.objects.filter(pk=email.pk, claim_token=token, status=S.SENDING).update(
            claimed_at=timezone.now()
        )
        == 1
    )


def _message(email: OutgoingEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        email.subject, email.body, email.from_email, list(email.to), connection=connection
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def _mark_sent(email: OutgoingEmail, token: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        ours = (
            OutgoingEmail.objects.filter(pk=email.pk, claim_token=token)
            .exclude(status=S.SENT)
            .update(status=S.SENT, sent_at=now, last_error="", claim_token="")
        )
        if not ours:
            # Released as stale while this sender was still at work: record the send
            # anyway so nobody sends it a third time, and say it may have gone twice.
            log.warning("outbox: e-mail %s was sent after its claim was released", email.pk)
            ours = (
                OutgoingEmail.objects.filter(pk=email.pk)
                .exclude(status=S.SENT)
                .update(status=S.SENT, sent_at=now, claim_token="")
            )
        if not ours:
            return
        email.status, email.sent_at = S.SENT, now
        for hook in _AFTER_SENT.get(email.kind, []):
            try:
                with transaction.atomic():
                    hook(email)
            except Exception:
                log.exception("outbox: after-sent hook %s failed for e-mail %s", hook, email.pk)


def _backoff(attempts: int) -> timedelta:
    base = settings.OUTBOX_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def _failed(email: OutgoingEmail, token: str, error: str) -> None:
    """Back to pending with the error and a later due time, or given up after the last try."""
    gave_up = email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    OutgoingEmail.objects.filter(pk=email.pk, claim_token=token, status=S.SENDING).update(
        status=S.FAILED if gave_up else S.PENDING,
        not_before=timezone.now() + _backoff(email.attempts),
        last_error=error[:4000],
        claim_token="",
        claimed_by="",
        claimed_at=None,
    )
    log.warning(
        "outbox: e-mail %s (%s) failed, attempt %s%s: %s",
        email.pk,
        email.kind,
        email.attempts,
        ", giving up" if gave_up else "",
        error,
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# The server refused this one message; anything else (a refused connection, a dropped
# line, a time-out) is the server's state, and the rest of the batch would fail the same.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    UnicodeError,
    ValueError,
)


def _put_back(emails: list[OutgoingEmail], token: str, *, due, reason: str | None = None) -> None:
    """Rows claimed but not tried: pending again, the claim not counted as an attempt."""
    fields = {"last_error": reason} if reason is not None else {}
    OutgoingEmail.objects.filter(
        pk__in=[e.pk for e in emails], claim_token=token, status=S.SENDING
    ).update(
        status=S.PENDING,
        attempts=F("attempts") - 1,
        not_before=due,
        claim_token="",
        claimed_by="",
        claimed_at=None,
        **fields,
    )


def _server_down(batch: list[OutgoingEmail], i: int, token: str, exc: BaseException) -> None:
    """The one being sent counts a failed try; the rest of the batch waits as long."""
    email = batch[i]
    _failed(email, token, _describe(exc))
    _put_back(
        batch[i + 1 :],
        token,
        due=timezone.now() + _backoff(email.attempts),
        reason=f"Not tried: the mail server failed ({_describe(exc)}).",
    )


def _send_batch(batch: list[OutgoingEmail], token: str, stop: float) -> tuple[int, bool]:
    """Send a claimed batch over one connection; (how many sent, whether the server failed)."""
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception as exc:
        _server_down(batch, 0, token, exc)
        return 0, True
    sent = 0
    try:
        for i, email in enumerate(batch):
            if time.monotonic() > stop:
                _put_back(batch[i:], token, due=timezone.now())
                break
            if not _still_ours(email, token):
                continue
            try:
                accepted = mail.send_messages([_message(email, mail)])
            except MESSAGE_ERRORS as exc:
                _failed(email, token, _describe(exc))
                continue
            except Exception as exc:  # the server, not the message: stop and retry later
                _server_down(batch, i, token, exc)
                return sent, True
            if not accepted:
                _failed(email, token, "The mail server did not accept the message.")
                continue
            _mark_sent(email, token)
            sent += 1
    finally:
        try:
            mail.close()
        except Exception:
            log.warning("outbox: closing the mail connection failed", exc_info=True)
    return sent, False


def send_pending(*, node: str | None = None, seconds: float | None = None) -> tuple[int, bool]:
    """Send the due e-mails in batches for up to `seconds`; (how many sent, more waiting)."""
    by = claimant(node)
    stop = time.monotonic() + (seconds or settings.OUTBOX_SEND_SECONDS)
    sent = 0
    while time.monotonic() < stop:
        token, batch = _claim(by, settings.OUTBOX_BATCH_SIZE)
        if not batch:
            return sent, False
        done, server_failed = _send_batch(batch, token, stop)
        sent += done
        if server_failed:
            return sent, False  # the rest wait for the sweep, after the back-off
    return sent, OutgoingEmail.objects.filter(
        status=S.PENDING, not_before__lte=timezone.now()
    ).exists()


# --- releasing the claims of senders that died ---------------------------------------------


def _release(qs, reason: str) -> int:
    return qs.update(
        status=S.PENDING,
        claim_token="",
        claimed_by="",
        claimed_at=None,
        not_before=timezone.now(),
        last_error=reason,
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_orphaned_claims(node: str) -> int:
    """Free the rows this worker node claimed before it was killed, so they go out now.

    A claim made by an earlier start of the same node name, or by a pool process of this
    start that is gone, can never be finished. Node names are unique per worker (Celery
    requires it), so a live worker elsewhere is never robbed.
    """
    released = 0
    claims = OutgoingEmail.objects.filter(status=S.SENDING, claimed_by__startswith=f"{node}/")
    for pk, by in claims.values_list("pk", "claimed_by"):
        try:
            _, incarnation, pid = by.rsplit("/", 2)
            mine = incarnation == _INCARNATION and _alive(int(pid))
        except ValueError:
            mine = False
        if mine:
            continue
        released += _release(
            OutgoingEmail.objects.filter(pk=pk, status=S.SENDING, claimed_by=by),
            f"The worker sending it ({by}) stopped before it was marked sent.",
        )
    if released:
        log.warning("outbox: released %s e-mail(s) left by an earlier start of %s", released, node)
    return released


def release_stale_claims() -> int:
    """Free every claim older than OUTBOX_CLAIM_TIMEOUT: its sender has died, wherever."""
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT)
    released = _release(
        OutgoingEmail.objects.filter(status=S.SENDING, claimed_at__lt=cutoff),
        f"Its sender held it for more than {settings.OUTBOX_CLAIM_TIMEOUT} seconds "
        "without finishing, so it was put back.",
    )
    if released:
        log.warning("outbox: released %s stale claim(s)", released)
    return released


def sweep(node: str | None = None) -> dict:
    """The beat job: put back what dead senders held, then send everything due."""
    released = release_stale_claims()
    if node:
        released += release_orphaned_claims(node)
    sent, more = send_pending(node=node)
    return {"released": released, "sent": sent, "more": more}
