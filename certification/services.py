"""Certificates received, checked against the submitted claims, issued and held.

Recording (keyed or imported) writes the certificates of a batch and checks each against
the centre's *submitted* claims (never a superseded one): the claim line is found by ULN,
else by registration number, with the qualification number. What differs becomes a
CertificateException in the exams officer's words:

- the award grade (codes compared without case or spaces);
- the name or the date of birth, compared as Pearson prints them (domain.md 1.6: upper
  case, accents stripped, only A-Z and ' . : ( ) / - kept), so "Zoë O’Neill" claimed and
  "ZOE O'NEILL" printed are the same;
- the units: a unit claimed and not certificated, one certificated and not claimed, or a
  unit grade that differs;
- a certificate nobody claimed; and, once the batch is complete, a claim line submitted
  long enough ago (BTECQA_CERTIFICATE_DISPATCH_DAYS) with no certificate.

A certificate for the same learner (or ULN) and qualification arriving in a later batch is
the amended certificate: it resolves every unresolved exception of that learner and
qualification, and closes their to-dos. Each exception opens a to-do for the exams officer.

Unclaimed certificates are held BTECQA_CERTIFICATE_HOLD_MONTHS from receipt, then may be
destroyed; the destruction log keeps the personal details BTECQA_CERTIFICATE_LOG_YEARS,
then `retention_sweep` removes them (the certificate number and the dates stay).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from claims.models import Claim, ClaimLine, ClaimUnit
from learners.models import Learner
from qualifications.models import Qualification
from tabular.names import normalise_name
from todos.services import close_todos, open_todo, open_todos
from workflow.steps import step

from . import events
from .models import Certificate, CertificateBatch, CertificateException, CertificateIssue
from .permissions import RECORD_CERTIFICATES

Kind = CertificateException.Kind
UNRESOLVED = (CertificateException.Status.OPEN, CertificateException.Status.REPORTED)


def hold_months() -> int:
    return int(getattr(settings, "BTECQA_CERTIFICATE_HOLD_MONTHS", 12))


def log_years() -> int:
    return int(getattr(settings, "BTECQA_CERTIFICATE_LOG_YEARS", 4))


def dispatch_days() -> int:
    return int(getattr(settings, "BTECQA_CERTIFICATE_DISPATCH_DAYS", 14))


# --------------------------------------------------------------------------- comparing


def pearson_name(text: str) -> str:
    """A name as Pearson prints it, folded for comparison: accents stripped, case folded,
    characters Pearson does not accept dropped (domain.md 1.6)."""
    folded = normalise_name(text or "")
    return " ".join(re.sub(r"[^a-z'.:()/\- ]", "", folded).split())


def grade_code(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def _d(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "none"


def _units(pairs) -> dict[str, str]:
    return {str(n).strip().casefold(): grade_code(g) for n, g in pairs}


@dataclass
class Finding:
    kind: str
    description: str


def compare(cert: Certificate, line: ClaimLine, claimed_units: list[tuple[str, str]]):
    """What differs between a certificate and the claim line it answers."""
    head = f"Certificate {cert.certificate_number} for {cert.name}"
    out = []
    if grade_code(cert.award_grade) != grade_code(line.award_grade):
        out.append(
            Finding(
                Kind.GRADE,
                f"{head}: award grade {cert.award_grade or 'none'} on the certificate, "
                f"claimed {line.award_grade or 'none'}",
            )
        )
    if (pearson_name(cert.surname), pearson_name(cert.forenames)) != (
        pearson_name(line.last_name),
        pearson_name(line.first_name),
    ):
        out.append(
            Finding(
                Kind.NAME,
                f"{head}: name {cert.name} on the certificate, claimed "
                f"{line.last_name}, {line.first_name}",
            )
        )
    if cert.date_of_birth != line.date_of_birth:
        out.append(
            Finding(
                Kind.DATE_OF_BIRTH,
                f"{head}: date of birth {_d(cert.date_of_birth)} on the certificate, claimed "
                f"{_d(line.date_of_birth)}",
            )
        )
    got, sent = _units(cert.units), _units(claimed_units)
    parts = []
    for number in sorted(set(got) | set(sent), key=_unit_sort):
        if number not in sent:
            parts.append(f"unit {number} on the certificate ({got[number]}), not claimed")
        elif number not in got:
            parts.append(f"unit {number} claimed ({sent[number]}), not on the certificate")
        elif got[number] != sent[number]:
            parts.append(
                f"unit {number} grade {got[number]} on the certificate, claimed {sent[number]}"
            )
    if parts:
        out.append(Finding(Kind.UNITS, f"{head}: " + "; ".join(parts)))
    return out


def _unit_sort(number: str):
    digits = "".join(c for c in number if c.isdigit())
    return (int(digits) if digits else 0, number)


class Claimed:
    """The centre's submitted claim lines, indexed by (ULN, qualification) and (registration
    number, qualification): a fixed three queries whatever their number."""

    def __init__(self, centre):
        self.by_uln, self.by_number = {}, {}
        self.units: dict[int, list[tuple[str, str]]] = {}
        submitted = {"claim__centre": centre, "claim__status": Claim.Status.SUBMITTED}
        # Only the fields a certificate is compared with. The learners (a certificate is
        # written against one, and its audit event names them) and the few qualifications
        # come in a query each, not as a join repeated on every line.
        lines = list(
            ClaimLine.objects.filter(**submitted).only(
                "pk",
                "learner_id",
                "qualification_id",
                "uln",
                "registration_number",
                "last_name",
                "first_name",
                "date_of_birth",
                "award_grade",
            )
        )
        self.learners = {
            learner.pk: learner
            for learner in Learner.objects.filter(
                pk__in=ClaimLine.objects.filter(**submitted).values("learner_id")
            ).only("pk", "first_name", "last_name", "centre_id")
        }
        self.qualifications = {
            q.pk: q
            for q in Qualification.objects.filter(
                pk__in=ClaimLine.objects.filter(**submitted).values("qualification_id")
            )
        }
        for line in lines:
            qn = self.qualifications[line.qualification_id].number
            if line.uln:
                self.by_uln[(line.uln, qn)] = line
            if line.registration_number:
                self.by_number[(line.registration_number.upper(), qn)] = line
            self.units[line.pk] = []
        # The claimed units as plain values: only their number and grade are compared.
        for line_id, number, grade in (
            ClaimUnit.objects.filter(**{f"line__{k}": v for k, v in submitted.items()})
            .order_by("line_id", "pk")
            .values_list("line_id", "unit__number", "grade")
        ):
            self.units.setdefault(line_id, []).append((number, grade))
        self.lines = lines

    def find(self, uln: str, registration_number: str, qualification_number: str):
        line = None
        if uln:
            line = self.by_uln.get((uln, qualification_number))
        if line is None and registration_number:
            line = self.by_number.get((registration_number.upper(), qualification_number))
        return line


def _key(learner_id, uln, qualification_number):
    return (f"l{learner_id}" if learner_id else f"u{uln}", qualification_number)


# --------------------------------------------------------------------------- recording


FIELDS = (
    "certificate_number",
    "uln",
    "registration_number",
    "surname",
    "forenames",
    "date_of_birth",
    "qualification_number",
    "award_grade",
    "units",
)


def new_batch(centre, *, received_on, by, how, file_name="") -> CertificateBatch:
    require_object(by, RECORD_CERTIFICATES, centre)
    batch = CertificateBatch.objects.create(
        centre=centre, received_on=received_on, recorded_by=by, how=how, file_name=file_name[:255]
    )
    audit.record(
        by,
        events.BATCH_RECORDED,
        batch,
        centre=centre.pk,
        after={"received_on": received_on, "how": how, "file": file_name},
    )
    return batch


def recorded_numbers(centre, numbers) -> set[str]:
    """Which of these certificate numbers the centre has recorded already."""
    return set(
        Certificate.objects.filter(
            batch__centre=centre, certificate_number__in=list(numbers)
        ).values_list("certificate_number", flat=True)
    )


def record_certificates(batch: CertificateBatch, rows: list[dict], *, by) -> list[Certificate]:
    """Write the certificates (each a dict of FIELDS, already checked) and check each against
    the submitted claims, in one transaction. Returns the certificates written."""
    centre = batch.centre
    with transaction.atomic(), audit.batch():
        claimed = Claimed(centre)
        # Learners looked up by ULN only for the certificates no claim line answers.
        ulns = {
            r["uln"]
            for r in rows
            if r.get("uln")
            and not claimed.find(
                r["uln"], r.get("registration_number", ""), r["qualification_number"]
            )
        }
        learners = {
            learner.uln: learner
            for learner in Learner.objects.filter(centre=centre, uln__in=list(ulns)).only(
                "pk", "uln", "first_name", "last_name", "centre_id"
            )
        }
        qualifications = {
            q.number: q
            for q in Qualification.objects.filter(
                number__in={r["qualification_number"] for r in rows}
            )
        }
        certs, lines = [], []
        for r in rows:
            line = claimed.find(
                r.get("uln", ""), r.get("registration_number", ""), r["qualification_number"]
            )
            if line is not None:
                learner = claimed.learners.get(line.learner_id)
                qualification = claimed.qualifications[line.qualification_id]
            else:
                learner = learners.get(r.get("uln"))
                qualification = qualifications.get(r["qualification_number"])
            cert = Certificate(
                batch=batch,
                received_on=batch.received_on,
                claim_line=line,
                learner=learner,
                qualification=qualification,
                **{
                    f: r.get(f) or ("" if f not in ("date_of_birth", "units") else None)
                    for f in FIELDS
                },
            )
            if cert.units is None:
                cert.units = []
            certs.append(cert)
            lines.append(line)
        Certificate.objects.bulk_create(certs, batch_size=1000)
        if certs:
            open_todo(
                events.ISSUE_CERTIFICATES,
                centre=centre,
                title=f"Issue the certificates received on {_d(batch.received_on)}",
                due=batch.received_on + dt.timedelta(days=dispatch_days()),
                role=Role.EXAMS_OFFICER,
                target=batch,
                actor=by,
            )
        for cert in certs:
            audit.record(
                by,
                events.CERTIFICATE_RECEIVED,
                cert,
                learner=cert.learner,
                centre=centre.pk,
                after={
                    "qualification": cert.qualification_number,
                    "award_grade": cert.award_grade,
                    "units": cert.units,
                    "received_on": batch.received_on,
                },
            )
        _resolve(batch, certs, by=by)
        found = []
        for cert, line in zip(certs, lines, strict=True):
            if line is None:
                found.append(
                    (
                        cert,
                        None,
                        Finding(
                            Kind.UNCLAIMED,
                            f"Certificate {cert.certificate_number} for {cert.name}: nobody "
                            f"claimed qualification {cert.qualification_number} for "
                            + (
                                f"ULN {cert.uln}"
                                if cert.uln
                                else f"registration number {cert.registration_number}"
                            )
                            + " (no submitted claim)",
                        ),
                    )
                )
                continue
            for f in compare(cert, line, claimed.units[line.pk]):
                found.append((cert, line, f))
        _open_exceptions(
            batch,
            [
                CertificateException(
                    batch=batch,
                    certificate=cert,
                    claim_line=line,
                    learner=cert.learner,
                    qualification=cert.qualification,
                    uln=cert.uln,
                    qualification_number=cert.qualification_number,
                    kind=f.kind,
                    description=f.description[:1000],
                )
                for cert, line, f in found
            ],
            by=by,
        )
    return certs


def _open_exceptions(batch, exceptions, *, by):
    CertificateException.objects.bulk_create(exceptions, batch_size=1000)
    for exc in exceptions:
        audit.record(
            by,
            events.EXCEPTION_FOUND,
            exc,
            learner=exc.learner,
            centre=batch.centre_id,
            after={"kind": exc.kind, "description": exc.description},
        )
    # One to-do per difference (each is reported and tracked on its own), opened together.
    open_todos(
        events.REPORT_EXCEPTION,
        [(exc, f"Report to Pearson: {exc.description}") for exc in exceptions],
        centre=batch.centre,
        role="exams_officer",
        actor=by,
    )


def _resolve(batch, certs, *, by) -> int:
    """The certificates of this batch resolve the unresolved exceptions of earlier batches
    for the same learner (or ULN) and qualification: they are the amended certificates."""
    arrived = {}
    for cert in certs:
        arrived[_key(cert.learner_id, cert.uln, cert.qualification_number)] = cert
        if cert.uln:
            arrived.setdefault(_key(None, cert.uln, cert.qualification_number), cert)
    pending = CertificateException.objects.filter(
        batch__centre_id=batch.centre_id, status__in=UNRESOLVED
    ).exclude(batch=batch)
    today = timezone.localdate()
    resolved = 0
    for exc in pending.select_related("batch"):
        cert = arrived.get(_key(exc.learner_id, exc.uln, exc.qualification_number))
        if cert is None and exc.uln:
            cert = arrived.get(_key(None, exc.uln, exc.qualification_number))
        if cert is None:
            continue
        before = exc.status
        exc.status = CertificateException.Status.RESOLVED
        exc.resolved_by = cert
        exc.resolved_on = today
        exc.lock_version += 1
        exc.save(update_fields=["status", "resolved_by", "resolved_on", "lock_version"])
        audit.record(
            by,
            events.EXCEPTION_RESOLVED,
            exc,
            learner=exc.learner,
            centre=batch.centre_id,
            before={"status": before},
            after={"status": exc.status, "certificate": cert.certificate_number},
        )
        close_todos(events.REPORT_EXCEPTION, target=exc, by=by, note="amended certificate received")
        resolved += 1
    return resolved


def check_missing(batch: CertificateBatch, *, by) -> int:
    """After a batch: each submitted claim line, claimed at least the dispatch period before
    the batch arrived, with no certificate at the centre and no unresolved exception saying
    so, becomes a "certificate missing" exception. Returns how many were found."""
    require_object(by, RECORD_CERTIFICATES, batch)
    cutoff = batch.received_on - dt.timedelta(days=dispatch_days())
    centre = batch.centre
    with transaction.atomic(), audit.batch():
        answered = set(
            Certificate.objects.filter(batch__centre=centre, claim_line__isnull=False).values_list(
                "claim_line_id", flat=True
            )
        )
        arrived = {
            _key(learner_id, uln, qn)
            for learner_id, uln, qn in Certificate.objects.filter(batch__centre=centre).values_list(
                "learner_id", "uln", "qualification_number"
            )
        }
        told = set(
            CertificateException.objects.filter(
                batch__centre=centre, kind=Kind.MISSING, status__in=UNRESOLVED
            ).values_list("claim_line_id", flat=True)
        )
        lines = (
            ClaimLine.objects.filter(
                claim__centre=centre,
                claim__status=Claim.Status.SUBMITTED,
                claim__submitted_on__lte=cutoff,
            )
            .exclude(pk__in=answered | told)
            .select_related("qualification", "claim", "claim__cohort")
        )
        missing = []
        for line in lines:
            if _key(line.learner_id, line.uln, line.qualification.number) in arrived:
                continue
            missing.append(
                CertificateException(
                    batch=batch,
                    claim_line=line,
                    learner_id=line.learner_id,
                    qualification=line.qualification,
                    uln=line.uln,
                    qualification_number=line.qualification.number,
                    kind=Kind.MISSING,
                    description=(
                        f"No certificate for {line.last_name}, {line.first_name}"
                        + (f" (ULN {line.uln})" if line.uln else "")
                        + f": {line.qualification.number} was claimed on the "
                        f"{line.claim.get_kind_display().lower()} submitted "
                        f"{_d(line.claim.submitted_on)}"
                    )[:1000],
                )
            )
        _open_exceptions(batch, missing, by=by)
        CertificateBatch.objects.filter(pk=batch.pk).update(
            checked_at=timezone.now(), checked_by=by
        )
    return len(missing)


# --------------------------------------------------------------------------- exceptions


def report_exception(exc, *, by, reported_on, reference, expected_version=None):
    """The exams officer reported the difference to Pearson on a date, with Pearson's case
    reference; it stays open until the amended certificate arrives."""
    if not (reference or "").strip():
        raise ValidationError({"pearson_reference": "Give Pearson's case reference."})
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": "The date it was reported cannot be in the future."})

    def change(e):
        e.reported_on = reported_on
        e.reported_by = by
        e.pearson_reference = reference.strip()[:60]

    return step(
        exc,
        by=by,
        action=events.EXCEPTION_REPORTED,
        permission=RECORD_CERTIFICATES,
        allowed=[CertificateException.Status.OPEN],
        refusal="This difference has been reported to Pearson already",
        expected_version=expected_version,
        status=CertificateException.Status.REPORTED,
        change=change,
        centre=exc.batch.centre_id,
        learner=exc.learner,
    )


# --------------------------------------------------------------------------- issue


def issue_certificate(
    cert,
    *,
    by,
    how,
    issued_on,
    signed_name="",
    witnessed_by=None,
    address_line="",
    expected_version=None,
):
    """The certificate handed to its learner: signed for on collection (the learner's name
    typed, who witnessed it) or posted (the date and the address line). Once only."""
    errors = {}
    if issued_on > timezone.localdate():
        errors["issued_on"] = "The date cannot be in the future."
    if issued_on < cert.received_on:
        errors["issued_on"] = "The date is before the certificate was received."
    if how == CertificateIssue.How.COLLECTED:
        if not signed_name.strip():
            errors["signed_name"] = "The learner types their name to sign for the certificate."
        elif pearson_name(cert.surname) and pearson_name(cert.surname) not in pearson_name(
            signed_name
        ):
            errors["signed_name"] = (
                f"The name signed does not include the surname on the certificate ({cert.surname})."
            )
        if witnessed_by is None:
            errors["witnessed_by"] = "Say who witnessed the collection."
    elif how == CertificateIssue.How.POSTED:
        if not address_line.strip():
            errors["address_line"] = "Give the address line it was posted to."
    else:
        errors["how"] = "Say whether it was collected or posted."
    if errors:
        raise ValidationError(errors)

    def change(c):
        CertificateIssue.objects.create(
            certificate=c,
            how=how,
            issued_on=issued_on,
            signed_name=signed_name.strip()[:200] if how == CertificateIssue.How.COLLECTED else "",
            witnessed_by=witnessed_by if how == CertificateIssue.How.COLLECTED else None,
            address_line=address_line.strip()[:300] if how == CertificateIssue.How.POSTED else "",
            recorded_by=by,
        )
        return {"how": how, "issued_on": issued_on}

    with transaction.atomic():
        issued = step(
            cert,
            by=by,
            action=events.CERTIFICATE_ISSUED,
            permission=RECORD_CERTIFICATES,
            allowed=[Certificate.Status.HELD],
            refusal="This certificate cannot be issued again",
            expected_version=expected_version,
            status=Certificate.Status.ISSUED,
            change=change,
            centre=cert.batch.centre_id,
            learner=cert.learner,
        )
        _close_issue_todo_if_done(cert.batch, by=by, note="every certificate issued")
    return issued


def _close_issue_todo_if_done(batch, *, by, note: str) -> int:
    """The batch's to-do closes once none of its certificates is held."""
    if Certificate.objects.filter(batch=batch, status=Certificate.Status.HELD).exists():
        return 0
    return close_todos(events.ISSUE_CERTIFICATES, target=batch, by=by, note=note)


# --------------------------------------------------------------------------- unclaimed


def destruction_due_on(received_on: dt.date) -> dt.date:
    return received_on + relativedelta(months=hold_months())


def due_for_destruction(queryset, today=None):
    """Held (unclaimed) certificates past their holding period."""
    today = today or timezone.localdate()
    return queryset.filter(
        status=Certificate.Status.HELD, received_on__lte=today - relativedelta(months=hold_months())
    )


def destroy_certificates(certs, *, by, destroyed_on, how) -> int:
    """The exams officer records the secure destruction of unclaimed certificates past their
    holding period; each row stays as the destruction log."""
    if not (how or "").strip():
        raise ValidationError({"how": "Say how they were destroyed (e.g. cross-cut shredded)."})
    if destroyed_on > timezone.localdate():
        raise ValidationError({"destroyed_on": "The date cannot be in the future."})
    done = 0
    with transaction.atomic():
        centres, batches = set(), {}
        for cert in certs:
            due = destruction_due_on(cert.received_on)
            if destroyed_on < due:
                raise ValidationError(
                    f"Certificate {cert.certificate_number} is held until {_d(due)} "
                    f"({hold_months()} months from receipt): it cannot be destroyed before then."
                )

            def change(c):
                c.destroyed_on = destroyed_on
                c.destroyed_by = by
                c.destroyed_how = how.strip()[:200]

            step(
                cert,
                by=by,
                action=events.CERTIFICATE_DESTROYED,
                permission=RECORD_CERTIFICATES,
                allowed=[Certificate.Status.HELD],
                refusal=f"Certificate {cert.certificate_number} is not held",
                status=Certificate.Status.DESTROYED,
                change=change,
                centre=cert.batch.centre_id,
                learner=cert.learner,
            )
            centres.add(cert.batch.centre)
            batches[cert.batch_id] = cert.batch
            done += 1
        for batch in batches.values():
            _close_issue_todo_if_done(batch, by=by, note="the rest destroyed unclaimed")
        for centre in centres:
            if not due_for_destruction(Certificate.objects.filter(batch__centre=centre)).exists():
                close_todos(events.DESTROY_UNCLAIMED, target=centre, by=by, note="destroyed")
    return done


def retention_sweep(today: dt.date | None = None) -> dict:
    """The daily job: a to-do at each centre with unclaimed certificates due for destruction
    (closed when none is left), and the personal details removed from the destruction log
    of certificates destroyed more than the log period ago."""
    from centres.models import Centre

    today = today or timezone.localdate()
    due = due_for_destruction(Certificate.objects.all(), today)
    counts = {}
    for centre_id, n in _count_by_centre(due).items():
        counts[centre_id] = n
    opened = 0
    for centre in Centre.objects.filter(pk__in=list(counts)):
        n = counts[centre.pk]
        open_todo(
            events.DESTROY_UNCLAIMED,
            centre=centre,
            title=(
                f"{n} unclaimed certificate{'s' if n != 1 else ''} held {hold_months()} months: "
                "destroy securely and record it (Certificates, due for destruction)"
            ),
            role="exams_officer",
            target=centre,
        )
        opened += 1
    cutoff = today - relativedelta(years=log_years())
    old = list(
        Certificate.objects.filter(
            status=Certificate.Status.DESTROYED,
            destroyed_on__lte=cutoff,
            details_removed_on__isnull=True,
        ).select_related("batch")
    )
    with transaction.atomic(), audit.batch():
        for cert in old:
            learner = cert.learner
            cert.uln = cert.registration_number = cert.surname = cert.forenames = ""
            cert.date_of_birth = None
            cert.units = []
            cert.award_grade = ""
            cert.learner = None
            cert.claim_line = None
            cert.details_removed_on = today
            cert.save()
            CertificateException.objects.filter(certificate=cert).update(
                description=f"Certificate {cert.certificate_number}: details removed", uln=""
            )
            audit.record(
                None,
                events.DETAILS_REMOVED,
                cert,
                learner=learner,
                centre=cert.batch.centre_id,
                after={"details_removed_on": today},
            )
    return {"centres_due": opened, "details_removed": len(old)}


def _count_by_centre(qs) -> dict:
    from django.db.models import Count

    return dict(
        qs.values_list("batch__centre").annotate(n=Count("pk")).values_list("batch__centre", "n")
    )
