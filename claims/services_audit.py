"""The yearly claims audit's changes: start, draw the sample, add a line, record a finding,
sign off, reopen a signed audit as a new version. Each is one transaction with its audit
event; the Quality Nominee's permission is checked on the audit itself.
"""

from __future__ import annotations

import math
import random
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit as trail
from accounts.permissions import require_object
from accounts.roles import Role
from signatures import services as signing
from todos.services import close_todos, open_todo
from workflow.steps import step

from . import events
from .config import claims_audit_due, claims_audit_sample
from .models_audit import ClaimsAudit, ClaimsAuditLine
from .models_claims import Claim, ClaimLine
from .permissions import AUDIT_CLAIMS

AUDITED = (Claim.Status.SUBMITTED, Claim.Status.SUPERSEDED)
SIGNED_REFUSAL = (
    "This claims audit is signed off, so it no longer changes. To change it, reopen it as a "
    "new version (the signed version is kept with its signature)."
)


def year_lines(audit: ClaimsAudit):
    """Every line of the year's submitted or superseded claims at the audit's centre."""
    return ClaimLine.objects.filter(
        claim__centre_id=audit.centre_id,
        claim__academic_year=audit.academic_year,
        claim__status__in=AUDITED,
    )


def start_audit(centre, academic_year: str, *, by) -> ClaimsAudit:
    """The centre's audit of the year (made once; the rate and minimum from settings, a
    fresh seed), with the Quality Nominee's to-do due on the configured date."""
    if by is not None:
        require_object(by, AUDIT_CLAIMS, centre)
    rate, minimum = claims_audit_sample()
    existing = ClaimsAudit.objects.filter(centre=centre, academic_year=academic_year).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            made = ClaimsAudit.objects.create(
                centre=centre,
                academic_year=academic_year,
                seed=secrets.randbelow(2**31),
                sample_rate=rate,
                sample_minimum=minimum,
                created_by=by,
            )
            trail.record(
                by,
                events.AUDIT_STARTED,
                made,
                centre=centre,
                after={"academic_year": academic_year, "rate": rate, "minimum": minimum},
            )
            open_todo(
                events.CLAIMS_AUDIT_TODO,
                centre=centre,
                title=f"Audit the {academic_year} certification claims and sign the audit off",
                due=claims_audit_due(academic_year),
                role=Role.QUALITY_NOMINEE,
                target=made,
                actor=by,
            )
    except IntegrityError:  # started at the same moment by someone else
        return ClaimsAudit.objects.get(centre=centre, academic_year=academic_year)
    return made


def open_due_audits(today) -> list[ClaimsAudit]:
    """Start the audit (and its to-do) for every centre whose claims of a year are past the
    audit's due date and not yet audited. Run each morning; safe to run twice."""
    from centres.models import Centre

    made = []
    pairs = (
        Claim.objects.filter(status__in=AUDITED, centre__is_active=True)
        .values_list("centre_id", "academic_year")
        .distinct()
    )
    started = set(ClaimsAudit.objects.values_list("centre_id", "academic_year"))
    for centre_id, year in sorted(set(pairs) - started):
        if claims_audit_due(year) <= today:
            made.append(start_audit(Centre.objects.get(pk=centre_id), year, by=None))
    return made


def sample_size(total: int, rate: int, minimum: int) -> int:
    """rate per cent of the lines, rounded up, and at least `minimum` (or all there are)."""
    return min(total, max(minimum, math.ceil(total * rate / 100)))


def drawn_line_ids(audit: ClaimsAudit, line_ids: list[int]) -> list[int]:
    """The random sample, reproducible: the same seed and the same lines, the same sample."""
    ordered = sorted(line_ids)
    n = sample_size(len(ordered), audit.sample_rate, audit.sample_minimum)
    return sorted(random.Random(audit.seed).sample(ordered, n))


def _refuse_if_signed(audit: ClaimsAudit) -> None:
    if audit.is_signed:
        raise ValidationError(SIGNED_REFUSAL)


def draw_sample(audit: ClaimsAudit, *, by, expected_version: int | None = None) -> list[int]:
    """Draw the sample once (lines added by hand before it stay in it)."""
    drawn: list[int] = []

    def change(locked):
        _refuse_if_signed(locked)
        if locked.sample_drawn_at:
            raise ValidationError("The sample is already drawn; add lines to it by hand.")
        ids = list(year_lines(locked).values_list("pk", flat=True))
        if not ids:
            raise ValidationError(
                f"There are no submitted claims for {locked.academic_year} to sample."
            )
        have = set(locked.sample.values_list("line_id", flat=True))
        drawn.extend(drawn_line_ids(locked, ids))
        ClaimsAuditLine.objects.bulk_create(
            [
                ClaimsAuditLine(
                    audit=locked, line_id=pk, how=ClaimsAuditLine.How.DRAWN, added_by=by
                )
                for pk in drawn
                if pk not in have
            ]
        )
        locked.sample_drawn_at = timezone.now()
        return {"lines": len(ids), "sampled": len(drawn), "seed": locked.seed}

    step(
        audit,
        by=by,
        action=events.AUDIT_SAMPLE_DRAWN,
        permission=AUDIT_CLAIMS,
        expected_version=expected_version,
        change=change,
        centre=audit.centre_id,
    )
    return drawn


def add_line(audit: ClaimsAudit, line_id: int, *, by) -> ClaimsAuditLine:
    """Add a line of the year to the sample by hand."""
    require_object(by, AUDIT_CLAIMS, audit)
    with transaction.atomic():
        locked = ClaimsAudit.objects.select_for_update().get(pk=audit.pk)
        _refuse_if_signed(locked)
        line = year_lines(locked).select_related("learner").filter(pk=line_id).first()
        if line is None:
            raise ValidationError(
                {"line": f"Line {line_id} is not on a submitted {locked.academic_year} claim."}
            )
        row, made = ClaimsAuditLine.objects.get_or_create(
            audit=locked,
            line=line,
            defaults={"how": ClaimsAuditLine.How.ADDED, "added_by": by},
        )
        if not made:
            raise ValidationError({"line": f"{line} is already in the sample."})
        trail.record(
            by,
            events.AUDIT_LINE_ADDED,
            row,
            learner=line.learner,
            centre=locked.centre_id,
            after={"line": line.pk, "how": row.how},
        )
    return row


def record_finding(
    row: ClaimsAuditLine,
    *,
    by,
    finding: str,
    note: str = "",
    action: str = "",
    expected_version: int | None = None,
) -> ClaimsAuditLine:
    """Traced correctly, or a problem with a note and an action (both needed)."""
    require_object(by, AUDIT_CLAIMS, row.audit)
    finding = ClaimsAuditLine.Finding(finding) if finding else ""
    note, action = note.strip(), action.strip()
    if finding == ClaimsAuditLine.Finding.PROBLEM:
        errors = {}
        if not note:
            errors["note"] = "Say what the problem is."
        if not action:
            errors["action"] = "Say what will be done about it."
        if errors:
            raise ValidationError(errors)
    elif finding != ClaimsAuditLine.Finding.TRACED:
        raise ValidationError({"finding": "Choose traced correctly or a problem."})

    def change(locked):
        _refuse_if_signed(ClaimsAudit.objects.select_for_update().get(pk=locked.audit_id))
        locked.finding, locked.note, locked.action = finding, note, action
        locked.found_by, locked.found_at = by, timezone.now()

    return step(
        row,
        by=by,
        action=events.AUDIT_FINDING,
        expected_version=expected_version,
        change=change,
        centre=row.audit.centre_id,
        learner=row.line.learner,
    )


def missing_findings(audit: ClaimsAudit) -> int:
    return audit.sample.filter(finding="").count()


def sign_off(audit: ClaimsAudit, *, by, password: str, seen_sha256: str):
    """The QN signs the audit off: only once sampled, and every sampled line has a finding."""
    require_object(by, AUDIT_CLAIMS, audit)
    with transaction.atomic():
        locked = ClaimsAudit.objects.select_for_update().get(pk=audit.pk)
        _refuse_if_signed(locked)
        if not locked.sample.exists():
            raise ValidationError("Draw the sample before signing the audit off.")
        missing = missing_findings(locked)
        if missing:
            raise ValidationError(
                f"{missing} sampled line{'s' if missing != 1 else ''} still "
                f"{'have' if missing != 1 else 'has'} no finding: record one on each before "
                "signing the audit off."
            )
        signature = signing.sign(
            locked,
            user=by,
            password=password,
            role=Role.QUALITY_NOMINEE,
            seen_sha256=seen_sha256,
        )
        step(
            locked,
            by=by,
            action=events.AUDIT_SIGNED,
            allowed=[ClaimsAudit.Status.OPEN],
            status=ClaimsAudit.Status.SIGNED,
            audit_extra={"version": signature.version.number, "sha256": signature.sha256},
            centre=locked.centre_id,
        )
        close_todos(events.CLAIMS_AUDIT_TODO, target=locked, by=by)
    return signature


def reopen(audit: ClaimsAudit, *, by, reason: str) -> ClaimsAudit:
    """A change after sign-off: the signed version stays frozen (with its signature); the
    audit goes on as the next version, to be signed again."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the signed audit is reopened."})

    def change(locked):
        signing.freeze_version(locked, by=by, reason="signed version kept before reopening")
        locked.version += 1
        locked.reopen_reason = reason[:500]
        return {"reason": reason}

    return step(
        audit,
        by=by,
        action=events.AUDIT_REOPENED,
        permission=AUDIT_CLAIMS,
        allowed=[ClaimsAudit.Status.SIGNED],
        refusal="Only a signed-off audit is reopened",
        status=ClaimsAudit.Status.OPEN,
        change=change,
        centre=audit.centre_id,
    )
