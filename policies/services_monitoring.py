"""The yearly policy monitoring report's steps (seed 000, section 4): draft it from the
evidence readers, read the records again while it is a draft, write the actions, sign it,
and make a new version of a signed one with a reason. Each step is one transaction with
its audit event; the Quality Nominee's permission is checked on the report itself.

The autumn date by which the report is signed, ready for Pearson, is yearly configuration:
`"policy_monitoring_due": "2026-10-31"` in registrations/year_data/<yyyy-yy>.json, else
`BTECQA_POLICY_MONITORING_DUE` (a month-day, default "10-31") in the autumn that begins the
academic year; the report then signed is the one on the year just ended.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.permissions import require, require_object
from accounts.roles import Role
from btecqa.validators import academic_year_problem
from signatures import services as signing
from todos.services import close_todos, open_todo
from workflow.steps import StaleRecord

from . import events
from .models_monitoring import SIGNED_REFUSAL, MonitoringClause, PolicyMonitoringReport
from .monitoring import EXCEPTIONS, read_clauses
from .permissions import KEEP_MONITORING

S = PolicyMonitoringReport.Status
DEFAULT_DUE = "10-31"


@lru_cache(maxsize=32)
def _year_data(academic_year: str) -> dict:
    path = (
        Path(apps.get_app_config("registrations").path)
        / "year_data"
        / (academic_year.replace("/", "-") + ".json")
    )
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def previous_year(academic_year: str) -> str:
    start = int(academic_year[:4]) - 1
    return f"{start}/{str(start + 1)[-2:]}"


def monitoring_due(academic_year: str) -> dt.date:
    """The autumn day of `academic_year` by which last year's report is signed (no query)."""
    configured = _year_data(academic_year).get("policy_monitoring_due")
    if configured:
        return dt.date.fromisoformat(configured)
    month_day = getattr(settings, "BTECQA_POLICY_MONITORING_DUE", DEFAULT_DUE)
    return dt.date.fromisoformat(f"{academic_year[:4]}-{month_day}")


def _check_lock(report, expected_lock) -> None:
    if expected_lock is not None and expected_lock != report.lock_version:
        raise StaleRecord(
            "Someone else saved this report after you opened it. Nothing was saved: reload "
            "the page, check it again, then try once more."
        )


def _refuse_if_signed(report) -> None:
    if report.status != S.DRAFT:
        raise ValidationError(SIGNED_REFUSAL)


def _fill(report, *, by, keep_actions: dict[str, str] | None = None) -> dict:
    """Every clause's row from the readers now; actions already written are kept."""
    keep_actions = keep_actions or {}
    results = read_clauses(report.centre, report.academic_year)
    MonitoringClause.objects.filter(report=report).delete()
    rows = []
    for position, r in enumerate(results):
        action = keep_actions.get(r.clause.id, "")
        rows.append(
            MonitoringClause(
                report=report,
                position=position,
                clause=r.clause.id,
                text=r.clause.text,
                status=r.status,
                evidence=r.evidence,
                exceptions=r.exceptions,
                action=action,
                action_by=by if action else None,
                action_at=timezone.now() if action else None,
            )
        )
    MonitoringClause.objects.bulk_create(rows)
    tally = {s: 0 for s in MonitoringClause.Status.values}
    for r in results:
        tally[r.status] += 1
    return tally


def _open_sign_todo(report, by) -> None:
    open_todo(
        events.SIGN_MONITORING,
        centre=report.centre,
        role=Role.QUALITY_NOMINEE,
        title=f"Write the actions and sign the policy monitoring report for {report.academic_year}",
        due=monitoring_due(_next_year(report.academic_year)),
        target=report,
        actor=by,
    )


def _next_year(academic_year: str) -> str:
    start = int(academic_year[:4]) + 1
    return f"{start}/{str(start + 1)[-2:]}"


def draft_report(centre, academic_year: str, *, by) -> PolicyMonitoringReport:
    """The centre's report on the year (version 1, made once), drafted from the readers."""
    if problem := academic_year_problem(academic_year):
        raise ValidationError({"academic_year": problem})
    require(by, KEEP_MONITORING, centre.pk)
    existing = (
        PolicyMonitoringReport.objects.filter(centre=centre, academic_year=academic_year)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = PolicyMonitoringReport.objects.create(
                centre=centre, academic_year=academic_year, drafted_by=by
            )
            tally = _fill(report, by=by)
            audit.record(
                by,
                events.MONITORING_DRAFTED,
                report,
                centre=centre.pk,
                after={"academic_year": academic_year, "version": 1, **tally},
            )
            _open_sign_todo(report, by)
        report.just_made = True
    except IntegrityError:  # drafted at the same moment by someone else
        return PolicyMonitoringReport.objects.get(
            centre=centre, academic_year=academic_year, version=1
        )
    return report


def _locked(report) -> PolicyMonitoringReport:
    return (
        PolicyMonitoringReport.objects.select_for_update()
        .select_related("centre")
        .get(pk=report.pk)
    )


def redraft(report, *, by, expected_lock=None) -> PolicyMonitoringReport:
    """Read the records again for a draft (the actions written so far stay)."""
    require_object(by, KEEP_MONITORING, report)
    with transaction.atomic():
        locked = _locked(report)
        _refuse_if_signed(locked)
        _check_lock(locked, expected_lock)
        kept = dict(locked.clauses.exclude(action="").values_list("clause", "action"))
        tally = _fill(locked, by=by, keep_actions=kept)
        locked.drafted_by, locked.drafted_at = by, timezone.now()
        locked.lock_version += 1
        locked.save(update_fields=["drafted_by", "drafted_at", "lock_version"])
        audit.record(by, events.MONITORING_REDRAFTED, locked, centre=locked.centre_id, after=tally)
    return locked


def save_actions(report, *, actions: dict[str, str], by, expected_lock=None):
    """The QN's action text per clause: actions = {clause id: text}."""
    require_object(by, KEEP_MONITORING, report)
    with transaction.atomic():
        locked = _locked(report)
        _refuse_if_signed(locked)
        _check_lock(locked, expected_lock)
        before, after = {}, {}
        for row in locked.clauses.all():
            if row.clause not in actions:
                continue
            text = (actions[row.clause] or "").strip()
            if text != row.action:
                before[row.clause], after[row.clause] = row.action, text
                row.action, row.action_by, row.action_at = text, by, timezone.now()
                row.save(update_fields=["action", "action_by", "action_at"])
        if after:
            locked.lock_version += 1
            locked.save(update_fields=["lock_version"])
            audit.record(
                by,
                events.MONITORING_ACTIONS_SAVED,
                locked,
                centre=locked.centre_id,
                before=before,
                after=after,
            )
    return locked


def missing_actions(report) -> list[str]:
    return list(
        report.clauses.filter(status=EXCEPTIONS, action="")
        .order_by("position")
        .values_list("clause", flat=True)
    )


def sign_report(report, *, by, password: str, seen_sha256: str):
    """The QN signs: every clause with exceptions has its action. Then it never changes."""
    require_object(by, KEEP_MONITORING, report)
    with transaction.atomic():
        locked = _locked(report)
        _refuse_if_signed(locked)
        if missing := missing_actions(locked):
            raise ValidationError(
                "Write the action for each clause with exceptions before signing: "
                + ", ".join(missing)
                + "."
            )
        signature = signing.sign(
            locked,
            user=by,
            password=password,
            role=Role.QUALITY_NOMINEE,
            seen_sha256=seen_sha256,
        )
        now = timezone.now()
        PolicyMonitoringReport.objects.filter(pk=locked.pk).update(
            status=S.SIGNED, signed_at=now, lock_version=locked.lock_version + 1
        )
        if locked.previous_id:
            PolicyMonitoringReport.objects.filter(pk=locked.previous_id).update(status=S.SUPERSEDED)
        audit.record(
            by,
            events.MONITORING_SIGNED,
            locked,
            centre=locked.centre_id,
            after={"version": locked.version, "sha256": signature.sha256},
        )
        close_todos(events.SIGN_MONITORING, target=locked, by=by, note="signed")
    return signature


def amend_report(report, *, by, reason: str) -> PolicyMonitoringReport:
    """A change after signing: version n+1, drafted from the records again with the
    signed version's actions carried over, to be signed again. The signed one stays."""
    require_object(by, KEEP_MONITORING, report)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the signed report needs a new version."})
    with transaction.atomic():
        locked = _locked(report)
        if locked.status != S.SIGNED:
            raise ValidationError(
                "Only the signed, current version is changed by making a new version."
            )
        if PolicyMonitoringReport.objects.filter(previous=locked).exists():
            raise ValidationError("A new version of this report is already being drafted.")
        new = PolicyMonitoringReport.objects.create(
            centre=locked.centre,
            academic_year=locked.academic_year,
            version=locked.version + 1,
            previous=locked,
            reason=reason[:500],
            drafted_by=by,
        )
        kept = dict(locked.clauses.exclude(action="").values_list("clause", "action"))
        tally = _fill(new, by=by, keep_actions=kept)
        audit.record(
            by,
            events.MONITORING_AMENDED,
            new,
            centre=locked.centre_id,
            after={"version": new.version, "replaces": locked.version, "reason": reason, **tally},
        )
        _open_sign_todo(new, by)
    return new


def signature_of(report):
    """The QN's signature on this version, or None."""
    if report.status == S.DRAFT:
        return None
    return signing.latest_signature(report)


def report_signed(centre, academic_year: str) -> bool:
    return PolicyMonitoringReport.objects.filter(
        centre=centre, academic_year=academic_year, status=S.SIGNED
    ).exists()
