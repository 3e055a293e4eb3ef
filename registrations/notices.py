"""Telling each learner what they are registered for (policy: "Make each learner aware of
their registration status").

A learner with a live registration in a round (status in Registration.ON_LIST, through
the learner's home centre, which is the round's centre) gets one notice covering every
such registration: the qualification, programme, pathway and optional units, whether it
is only entered (or sent to Pearson) or registered with Pearson, with the registration
number, their identifiers, and how to report a mistake. The notice is e-mailed when the
learner has an e-mail address; otherwise it goes into a printed letters batch (one PDF,
one page per learner, documents.letters_pdf). The letters the next send would print can
be previewed first (letters_to_send): nothing is recorded.

Each notice sent is a LearnerNotice (method, when, by whom, the SHA-256 of the notice
text, the letters batch) and an audit event on the learner. A learner is never sent the
same unchanged notice twice: a notice whose text hash was already sent in the round is
skipped. An e-mailed notice is not sent by the page: its record and its outbox e-mail
(outbox.services.queue_email, keyed by the record) are written in one transaction, and a
worker sends it after commit, retrying while the mail server is down. Only a notice whose
e-mail the outbox gave up on counts as not told, so "send" tries it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

import audit
from documents.formats import uk_date
from outbox import selectors as outbox_selectors
from outbox import services as outbox
from outbox.models import OutgoingEmail
from qualifications.models import Unit

from .models import LearnerNotice, Registration, RegistrationRound

log = logging.getLogger(__name__)

TEMPLATE = "registrations/email/notice.txt"
NOTICE_EMAIL = "registrations.notice"  # the outbox kind; the key adds the LearnerNotice id


@dataclass(frozen=True)
class Notice:
    """One learner's notice for a round: the text, its hash, and how it goes out."""

    learner: object
    round: RegistrationRound
    registrations: tuple
    text: str
    sha256: str
    sent_at: dt.datetime | None = None
    batch: str = ""

    @property
    def method(self) -> str:
        return LearnerNotice.Method.EMAIL if self.learner.email else LearnerNotice.Method.LETTER

    @property
    def subject(self) -> str:
        return f"Your BTEC registration at {self.round.centre.name}: please check it"


@dataclass
class SendResult:
    """What send_notices did: counts for the message, the letters batch to print.

    emailed counts the e-mails queued in the outbox; a worker sends them after commit.
    """

    emailed: int = 0
    skipped: int = 0
    batch: str = ""
    letters: list[Notice] = field(default_factory=list)


def live_registrations(rnd: RegistrationRound, learner_ids=None):
    """Registrations the round's centre made for its learners this year, on a list.

    Entries made in this round only: a continuing learner was told when registered."""
    qs = (
        Registration.objects.filter(
            Q(round=rnd) | Q(round__isnull=True, cohort__start_year=rnd.academic_year),
            centre=rnd.centre_id,
            status__in=Registration.ON_LIST,
        )
        .select_related("learner", "cohort__qualification", "cohort__centre")
        .prefetch_related(
            Prefetch("optional_units", queryset=Unit.objects.order_by("sort_key", "number"))
        )
        .order_by(
            "learner__last_name",
            "learner__first_name",
            "learner_id",
            "cohort__qualification__title",
            "pk",
        )
    )
    if learner_ids is not None:
        qs = qs.filter(learner_id__in=list(learner_ids))
    return qs


def is_registered(reg: Registration) -> bool:
    """Registered with Pearson: Pearson has confirmed it (a registration number is its sign)."""
    return reg.status == Registration.Status.REGISTERED or bool(reg.registration_number)


def registration_status(reg: Registration) -> str:
    """The notice's status line: entered but not yet registered, or registered (and its
    number), so a learner is never told they are registered before Pearson has done it."""
    if is_registered(reg):
        text = "registered with Pearson"
        if reg.registered_on:
            text += f" on {uk_date(reg.registered_on)}"
        number = reg.registration_number
        return text + (f", registration number {number}" if number else "; no number recorded yet")
    if reg.status == Registration.Status.SUBMITTED:
        sent = f" on {uk_date(reg.submitted_on)}" if reg.submitted_on else ""
        return (
            f"entered, and sent to Pearson{sent}; not registered with Pearson yet "
            "(Pearson has not issued a registration number)"
        )
    return "entered by the centre; not registered with Pearson yet"


def notice_text(rnd: RegistrationRound, learner, registrations) -> str:
    """The notice's words, exactly as e-mailed and printed (and hashed)."""
    items = [
        {"registration": r, "registered": is_registered(r), "status": registration_status(r)}
        for r in registrations
    ]
    registered = sum(item["registered"] for item in items)
    text = render_to_string(
        TEMPLATE,
        {
            "centre": rnd.centre,
            "round": rnd,
            "learner": learner,
            "items": items,
            "registered": "all"
            if registered == len(items)
            else "none"
            if not registered
            else "some",
        },
    )
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notices_for_round(rnd: RegistrationRound, learner_ids=None) -> list[Notice]:
    """Every learner's notice as it would be sent now (a few queries whatever the size)."""
    by_learner: dict[int, list[Registration]] = {}
    learners = {}
    for reg in live_registrations(rnd, learner_ids):
        by_learner.setdefault(reg.learner_id, []).append(reg)
        learners[reg.learner_id] = reg.learner
    notices = []
    for learner_id, regs in by_learner.items():
        learner = learners[learner_id]
        text = notice_text(rnd, learner, regs)
        notices.append(Notice(learner, rnd, tuple(regs), text, text_sha256(text)))
    return notices


# --- a cohort's letters (printed by a background job: registrations.jobs_kinds) -----------


def cohort_registrations(cohort, learner_ids=None):
    """The cohort's registrations its own centre made, on a list (entered, sent to Pearson
    or registered), with what a notice prints. A partner's learner is registered, and told,
    by their home centre."""
    qs = (
        Registration.objects.filter(
            cohort=cohort, centre=cohort.centre_id, status__in=Registration.ON_LIST
        )
        .select_related("learner", "cohort__qualification", "cohort__centre", "round__centre")
        .prefetch_related(
            Prefetch("optional_units", queryset=Unit.objects.order_by("sort_key", "number"))
        )
        .order_by("learner_id", "pk")
    )
    if learner_ids is not None:
        qs = qs.filter(learner_id__in=list(learner_ids))
    return qs


def cohort_learner_ids(cohort) -> list[int]:
    """The learners a cohort's letters are for, by id (the order a resumed run needs)."""
    return list(
        cohort_registrations(cohort)
        .order_by("learner_id")
        .values_list("learner_id", flat=True)
        .distinct()
    )


def cohort_notices(cohort, learner_ids) -> list[Notice]:
    """Each of these learners' letter about their registration on the cohort, worded as
    the round's notice (notice_text) and dated when printed: two queries. Wording them
    records nothing; the letters job records each one printed (record_printed_letters)."""
    by_learner: dict[int, list[Registration]] = {}
    for reg in cohort_registrations(cohort, learner_ids):
        by_learner.setdefault(reg.learner_id, []).append(reg)
    out = []
    for regs in by_learner.values():
        first = regs[0]
        # A continuing learner's registration has no round: the cohort's year at its centre.
        rnd = first.round or RegistrationRound(
            centre=cohort.centre, academic_year=cohort.start_year
        )
        text = notice_text(rnd, first.learner, regs)
        out.append(Notice(first.learner, rnd, tuple(regs), text, text_sha256(text)))
    return out


def _new_batch_id(rnd: RegistrationRound) -> str:
    now = timezone.localtime()
    return f"{rnd.centre.number}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def email_key(record: LearnerNotice) -> str:
    return f"{NOTICE_EMAIL}:{record.pk}"


def _with_delivery(records) -> list[LearnerNotice]:
    """Each e-mailed record gets .delivery (its outbox e-mail) and .undelivered (given up)."""
    records = list(records)
    deliveries = outbox_selectors.by_key(
        email_key(r) for r in records if r.method == LearnerNotice.Method.EMAIL
    )
    for record in records:
        record.delivery = (
            deliveries.get(email_key(record))
            if record.method == LearnerNotice.Method.EMAIL
            else None
        )
        record.undelivered = (
            record.delivery is not None and record.delivery.status == OutgoingEmail.Status.FAILED
        )
    return records


def _told(rnd) -> set[tuple[int, str]]:
    """(learner, notice hash) already sent in the round, less e-mails the outbox gave up on."""
    return {
        (r.learner_id, r.content_sha256)
        for r in _with_delivery(
            LearnerNotice.objects.filter(round=rnd).only(
                "pk", "method", "learner_id", "content_sha256"
            )
        )
        if not r.undelivered
    }


def _notice_record(rnd, notice: Notice, *, method: str, by, at, batch: str) -> LearnerNotice:
    return LearnerNotice(
        learner=notice.learner,
        round=rnd,
        method=method,
        sent_at=at,
        sent_by=by,
        content_sha256=notice.sha256,
        content=notice.text,
        batch=batch,
    )


def _record(rnd, notice: Notice, *, method: str, by, at, batch: str = "") -> LearnerNotice:
    record = _notice_record(rnd, notice, method=method, by=by, at=at, batch=batch)
    record.save()
    _audit_sent(rnd, notice, record, by=by)
    if method == LearnerNotice.Method.EMAIL:
        outbox.queue_email(
            kind=NOTICE_EMAIL,
            key=email_key(record),
            to=[notice.learner.email],
            subject=notice.subject,
            body=notice.text,
        )
    return record


def _audit_sent(rnd, notice: Notice, record: LearnerNotice, *, by) -> None:
    method, batch = record.method, record.batch
    audit.record(
        by,
        "registrations.notice_sent",
        record,
        learner=notice.learner,
        centre=rnd.centre_id,
        after={
            "round": rnd.academic_year,
            "method": method,
            "to": notice.learner.email if method == LearnerNotice.Method.EMAIL else "",
            "batch": batch,
            "sha256": notice.sha256,
            "registrations": [str(r.cohort) for r in notice.registrations],
        },
    )


def job_batch_id(cohort, job_pk: int) -> str:
    """The letters batch of a cohort letters job: the same for every attempt of the job,
    so a resumed run finds the letters it recorded already."""
    return f"{cohort.centre.number}-job{job_pk}"[:40]


def record_printed_letters(notices, *, by, batch: str, at=None) -> list[LearnerNotice]:
    """Record each letter printed for a cohort (registrations.cohort_letters) as the
    learner's LearnerNotice (a printed letter in `batch`) with its audit event, as
    send_notices records the round's letters. A learner already recorded in the batch is
    skipped, so a job resumed from its checkpoint redoing a chunk records no letter twice.

    A letter worded for a continuing learner's registration (no round of its own) is
    recorded against the round of its centre and year; one with no such round records
    nothing. A fixed number of queries whatever the number of letters.
    """
    notices = list(notices)
    if not notices:
        return []
    at = at or timezone.now()
    with transaction.atomic(), audit.batch():
        done = set(
            LearnerNotice.objects.filter(
                batch=batch,
                method=LearnerNotice.Method.LETTER,
                learner_id__in=[n.learner.pk for n in notices],
            ).values_list("learner_id", flat=True)
        )
        wanted = {(n.round.centre_id, n.round.academic_year) for n in notices if n.round.pk is None}
        rounds = {}
        if wanted:
            q = Q(pk__in=[])
            for centre_id, year in wanted:
                q |= Q(centre_id=centre_id, academic_year=year)
            rounds = {
                (r.centre_id, r.academic_year): r for r in RegistrationRound.objects.filter(q)
            }
        pairs = []
        for notice in notices:
            if notice.learner.pk in done:
                continue
            rnd = notice.round
            if rnd.pk is None:
                rnd = rounds.get((rnd.centre_id, rnd.academic_year))
                if rnd is None:
                    continue
            done.add(notice.learner.pk)
            record = _notice_record(
                rnd, notice, method=LearnerNotice.Method.LETTER, by=by, at=at, batch=batch
            )
            pairs.append((rnd, notice, record))
        LearnerNotice.objects.bulk_create([record for _, _, record in pairs])
        for rnd, notice, record in pairs:
            _audit_sent(rnd, notice, record, by=by)
    return [record for _, _, record in pairs]


def _lock_round(rnd) -> None:
    """Two people pressing "send" at once: the second waits, then finds it already sent."""
    RegistrationRound.objects.select_for_update().filter(pk=rnd.pk).first()


def send_notices(rnd: RegistrationRound, by) -> SendResult:
    """Record every learner's notice that has not been sent unchanged already.

    One transaction: each notice's record and audit event, and for an e-mail its outbox
    row (sent by a worker after commit, not by this request). Returns the e-mailed count,
    the skipped count (same notice already sent) and the letters batch (its id and
    notices, for documents.letters_pdf).
    """
    result = SendResult()
    told = _told(rnd)
    to_send = []
    for notice in notices_for_round(rnd):
        if (notice.learner.pk, notice.sha256) in told:
            result.skipped += 1
        else:
            to_send.append(notice)
    if not to_send:
        return result

    letters = any(n.method == LearnerNotice.Method.LETTER for n in to_send)
    batch = _new_batch_id(rnd) if letters else ""
    at = timezone.now()
    with transaction.atomic(), audit.batch(), outbox.batch():
        _lock_round(rnd)
        told = _told(rnd)  # again under the lock: a colleague may have sent them just now
        for notice in to_send:
            if (notice.learner.pk, notice.sha256) in told:
                result.skipped += 1
            elif notice.method == LearnerNotice.Method.EMAIL:
                _record(rnd, notice, method=LearnerNotice.Method.EMAIL, by=by, at=at)
                result.emailed += 1
            else:
                _record(rnd, notice, method=LearnerNotice.Method.LETTER, by=by, at=at, batch=batch)
                result.letters.append(
                    Notice(
                        notice.learner,
                        rnd,
                        notice.registrations,
                        notice.text,
                        notice.sha256,
                        sent_at=at,
                        batch=batch,
                    )
                )
    if result.letters:
        result.batch = batch
    return result


def letters_to_send(rnd: RegistrationRound) -> list[Notice]:
    """The letters "Send notices now" would print, exactly as it would print them: for a
    preview, which records nothing (no notice, no audit event, no batch)."""
    told = _told(rnd)
    return [
        n
        for n in notices_for_round(rnd)
        if n.method == LearnerNotice.Method.LETTER and (n.learner.pk, n.sha256) not in told
    ]


# --- reading what was sent ---------------------------------------------------------------


def letter_batches(rnd: RegistrationRound) -> list[dict]:
    """The round's letters batches, newest first: id, when, by whom, how many letters."""
    batches: dict[str, dict] = {}
    records = (
        LearnerNotice.objects.filter(round=rnd, method=LearnerNotice.Method.LETTER)
        .exclude(batch="")
        .select_related("sent_by")
        .order_by("-sent_at", "-pk")
    )
    for record in records:
        entry = batches.setdefault(
            record.batch, {"batch": record.batch, "sent_at": record.sent_at, "by": record.sent_by}
        )
        entry["count"] = entry.get("count", 0) + 1
    return list(batches.values())


def latest_batch(rnd: RegistrationRound) -> str:
    batches = letter_batches(rnd)
    return batches[0]["batch"] if batches else ""


def batch_notices(rnd: RegistrationRound, batch: str) -> tuple[list[Notice], list[LearnerNotice]]:
    """The letters of a batch, regenerated from its records for printing again.

    A letter is regenerated from the learner's registrations now; it is printed only if
    its text still has the hash recorded, so a reprint is always the notice on record.
    Returns (printable notices, records whose notice has changed since: send again).
    """
    records = list(
        LearnerNotice.objects.filter(
            round=rnd, batch=batch, method=LearnerNotice.Method.LETTER
        ).select_related("learner")
    )
    current = {n.learner.pk: n for n in notices_for_round(rnd, [r.learner_id for r in records])}
    printable, changed = [], []
    for record in records:
        if record.content and text_sha256(record.content) == record.content_sha256:
            # Kept as sent: the reprint is exactly the letter on record.
            printable.append(
                Notice(
                    record.learner,
                    rnd,
                    (),
                    record.content,
                    record.content_sha256,
                    sent_at=record.sent_at,
                    batch=batch,
                )
            )
            continue
        notice = current.get(record.learner_id)
        if notice is None or notice.sha256 != record.content_sha256:
            changed.append(record)
            continue
        printable.append(
            Notice(
                notice.learner,
                rnd,
                notice.registrations,
                notice.text,
                notice.sha256,
                sent_at=record.sent_at,
                batch=batch,
            )
        )
    key = lambda n: (n.learner.last_name.upper(), n.learner.first_name.upper(), n.learner.pk)  # noqa: E731
    printable.sort(key=key)
    return printable, changed


def notices_from_records(records) -> list[Notice]:
    """Printable notices for LearnerNotice rows (grouped by round and batch)."""
    groups: dict[tuple, list] = {}
    for record in records:
        groups.setdefault((record.round_id, record.batch), []).append(record.learner_id)
    out = []
    rounds = RegistrationRound.objects.select_related("centre").in_bulk([k[0] for k in groups])
    for (round_id, batch), learner_ids in groups.items():
        printable, _ = batch_notices(rounds[round_id], batch)
        out.extend(n for n in printable if n.learner.pk in set(learner_ids))
    return out


def round_status(rnd: RegistrationRound) -> dict:
    """The notices page: each learner, how they would be told, and every notice sent."""
    notices = notices_for_round(rnd)
    records: dict[int, list[LearnerNotice]] = {}
    for record in _with_delivery(
        LearnerNotice.objects.filter(round=rnd)
        .select_related("learner", "sent_by")
        .order_by("-sent_at", "-pk")
    ):
        records.setdefault(record.learner_id, []).append(record)
    rows = []
    for notice in notices:
        sent = records.pop(notice.learner.pk, [])
        if not any(not r.undelivered for r in sent):
            state = "not_told"
        elif any(r.content_sha256 == notice.sha256 and not r.undelivered for r in sent):
            state = "told"
        else:
            state = "changed"
        rows.append(
            {
                "learner": notice.learner,
                "notice": notice,
                "registrations": [(r, is_registered(r)) for r in notice.registrations],
                "sent": sent,
                "state": state,
            }
        )
    gone = [
        {"learner": sent[0].learner, "notice": None, "sent": sent, "state": "gone"}
        for sent in records.values()
    ]
    gone.sort(key=lambda r: (r["learner"].last_name.upper(), r["learner"].first_name.upper()))
    rows.extend(gone)
    counts = {
        "learners": len(notices),
        "told": sum(r["state"] == "told" for r in rows),
        "to_send": sum(r["state"] in ("not_told", "changed") for r in rows),
        "email": sum(
            r["state"] in ("not_told", "changed")
            and r["notice"].method == LearnerNotice.Method.EMAIL
            for r in rows
        ),
    }
    counts["letter"] = counts["to_send"] - counts["email"]
    return {"rows": rows, "counts": counts}
