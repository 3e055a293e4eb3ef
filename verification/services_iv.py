"""IV records on sampled decisions: agree, or disagree with an action followed to closure
(policy 000-3.2.1; domain.md 3.8).

- `record_iv` — the assignment's internal verifier records agree or disagree on a sampled
  item (first submission or resubmission alike: the item's `attempt` says whose decisions
  they are). An agree freezes the item's decisions through assessment's `mark_verified`.
  A disagree needs an action and a due date; the action goes to the assessor (a to-do and
  an e-mail) and raises a DecisionFlag: every decision by that assessor on that
  assignment across the cohort is to be checked again.
- `mark_action_done` — the assessor says the action is done (their to-do closes, the IV's
  opens).
- `close_action` — the IV checks again and closes it (the decisions are frozen).
- `clear_flag` — the Lead IV (or QN) clears the flag once the flagged decisions were
  checked again.

Every step runs in one transaction and is audited. An IV record, once made, is never
rewritten: each later step fills in its own fields (done, closed, cleared) beside it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object, scope
from accounts.roles import Role
from assessment.models import CriterionDecision
from assessment.permissions import VERIFY_DECISIONS
from assessment.services_decisions import mark_verified, name_of
from outbox.services import queue_email
from todos.services import close_todos, open_todo

from . import events as ev
from .models_sampling import DecisionFlag, IVRecord, SampleItem
from .permissions import ANSWER_IV_ACTION, CLEAR_FLAG, RECORD_IV
from .selectors import standardisation_refusal
from .services_sampling import close_iv_todo_if_done


def _person(user) -> str:
    return user.get_full_name() or user.username


def item_decisions(item: SampleItem):
    """The current decisions the item samples: its learner's, on its assignment, for its
    attempt (a resubmission's item has the resubmission's decisions)."""
    return CriterionDecision.objects.filter(
        learner_id=item.learner_id,
        assignment_id=item.assignment_id,
        attempt=item.attempt,
        current=True,
    )


def _own_decisions_refusal(by, item: SampleItem) -> str | None:
    """NOT_OWN_DECISION at the decisions themselves (the access layer's rule): someone who
    recorded one of the item's decisions (an import, an earlier plan) may not verify it."""
    rows = item_decisions(item)
    codes = set(rows.values_list("criterion__code", flat=True))
    allowed = set(scope(by, VERIFY_DECISIONS, rows).values_list("criterion__code", flat=True))
    if own := sorted(codes - allowed):
        return (
            f"You recorded {name_of(item.learner)}'s decision on {', '.join(own)}: another "
            "internal verifier must verify it, as nobody verifies their own assessment."
        )
    return None


def _freeze(item: SampleItem, by) -> None:
    """Freeze the item's decisions through assessment's own mark_verified (audited there).

    Only a summative item's decisions are frozen (an interim sample is work in progress);
    nothing to freeze (already verified, or none recorded) is not an error here."""
    if item.stage != SampleItem.Stage.SUMMATIVE:
        return
    if item_decisions(item).filter(verified_at__isnull=True).exists():
        mark_verified(item.assignment, item.learner, by=by, attempt=item.attempt)


def _items():
    return SampleItem.objects.select_related(
        "learner",
        "assignment__unit",
        "assignment__assessor",
        "assignment__internal_verifier",
        "plan__cohort__centre",
    )


def _email(user, subject: str, body: str, key: str) -> None:
    if user.email:
        queue_email(kind="verification.iv", to=[user.email], subject=subject, body=body, key=key)


def record_iv(
    item: SampleItem,
    *,
    by,
    outcome: str,
    comments: str,
    action: str = "",
    action_due: dt.date | None = None,
) -> IVRecord:
    """Record the IV's agree or disagree on a sampled item. Refusals name the field."""
    require_object(by, RECORD_IV, item)
    comments, action = (comments or "").strip(), (action or "").strip()
    with transaction.atomic():
        item = _items().select_for_update(of=("self",)).get(pk=item.pk)
        if IVRecord.objects.filter(item=item).exists():
            raise ValidationError(
                f"{name_of(item.learner)}'s work on {item.assignment.title} already has its IV "
                "record: it is not rewritten. Follow its action through instead."
            )
        errors: dict[str, list[str]] = {}
        if outcome not in IVRecord.Outcome.values:
            errors["outcome"] = ["Choose agree or disagree."]
        elif outcome == IVRecord.Outcome.DISAGREE:
            if not action:
                errors["action"] = [
                    "A disagreement needs an action: say what the assessor must do."
                ]
            if action_due is None:
                errors["action_due"] = ["A disagreement needs a date the action is due by."]
            elif action_due < timezone.localdate():
                errors["action_due"] = [
                    f"The action's due date ({action_due:%d/%m/%Y}) is in the past."
                ]
        if errors:
            raise ValidationError(errors)
        if refusal := standardisation_refusal(
            by, item.assignment, doing="record internal verification"
        ):
            raise ValidationError(refusal)
        if refusal := _own_decisions_refusal(by, item):
            raise ValidationError(refusal)
        decisions = sorted(item_decisions(item).values_list("criterion__code", flat=True))
        if not decisions and item.stage == SampleItem.Stage.SUMMATIVE:
            raise ValidationError(
                f"{name_of(item.learner)} has no decisions on {item.assignment.title} "
                f"({item.attempt}) to verify yet."
            )
        record = IVRecord.objects.create(
            item=item,
            verifier=by,
            outcome=outcome,
            comments=comments,
            action=action if outcome == IVRecord.Outcome.DISAGREE else "",
            action_due=action_due if outcome == IVRecord.Outcome.DISAGREE else None,
        )
        cohort = item.plan.cohort
        audit.record(
            by,
            ev.IV_RECORDED,
            record,
            learner=item.learner,
            centre=cohort.centre_id,
            after={
                "outcome": outcome,
                "attempt": item.attempt,
                "stage": item.stage,
                "criteria": ", ".join(decisions),
                "comments": comments,
                "action": record.action,
                "action_due": record.action_due,
            },
        )
        close_iv_todo_if_done(
            item.plan, item.assignment.internal_verifier, by=by, note="sampled work verified"
        )
        if outcome == IVRecord.Outcome.AGREE:
            _freeze(item, by)
            return record
        assessor = item.assignment.assessor
        _open_action_todo(record, by)
        _email(
            assessor,
            f"IV action due {action_due:%d/%m/%Y}: {item.assignment.title}",
            f"{_person(by)} disagreed with your decisions for {name_of(item.learner)} on "
            f"{item.assignment.title} (unit {item.assignment.unit.number}).\n\n"
            f"Action: {action}\nDue: {action_due:%d/%m/%Y}\n\n"
            "Every decision you made on this assignment in the cohort is flagged to be "
            "checked again.",
            key=f"verification.iv_action.{record.pk}",
        )
        _raise_flag(record, item, by)
    return record


def _raise_flag(record: IVRecord, item: SampleItem, by) -> DecisionFlag:
    """Flag the cohort × assessor × assignment (one open flag at a time)."""
    cohort = item.plan.cohort
    assessor = item.assignment.assessor
    flag = DecisionFlag.objects.filter(
        cohort=cohort, assignment=item.assignment, assessor=assessor, cleared_at__isnull=True
    ).first()
    if flag is not None:
        return flag
    flag = DecisionFlag.objects.create(
        cohort=cohort, assignment=item.assignment, assessor=assessor, raised_by=record
    )
    covered = CriterionDecision.objects.filter(
        assignment=item.assignment, assessor=assessor, current=True
    )
    audit.record(
        by,
        ev.IV_FLAG_RAISED,
        flag,
        centre=cohort.centre_id,
        after={
            "assessor": _person(assessor),
            "assignment": item.assignment.title,
            "learners": covered.values("learner").distinct().count(),
            "decisions": covered.count(),
        },
    )
    _open_flag_todo(flag, by)
    return flag


def _open_flag_todo(flag: DecisionFlag, by) -> None:
    open_todo(
        ev.IV_FLAG_TODO,
        centre=flag.cohort.centre,
        title=f"Check again {_person(flag.assessor)}'s decisions on {flag.assignment.title}",
        role=Role.LEAD_IV,
        target=flag,
        actor=by,
    )


def _open_action_todo(record: IVRecord, by) -> None:
    item = record.item
    open_todo(
        ev.IV_ACTION_TODO,
        centre=item.plan.cohort.centre,
        title=f"IV action: {name_of(item.learner)}, {item.assignment.title}",
        due=record.action_due,
        assignee=item.assignment.assessor,
        target=record,
        actor=by,
    )


def _open_recheck_todo(record: IVRecord, by) -> None:
    item = record.item
    open_todo(
        ev.IV_RECHECK_TODO,
        centre=item.plan.cohort.centre,
        title=f"Check the IV action again: {name_of(item.learner)}, {item.assignment.title}",
        assignee=item.assignment.internal_verifier,
        target=record,
        actor=by,
    )


# Backfills (todos.backfill): the open IV actions and flags, whatever their year, at active
# centres: an open action or flag is still owed (escalation treats it so).


def open_waiting_action_todos(today) -> None:
    """A disagreement's action not yet done is owed by the assessor (as record_iv opens)."""
    for record in _records().filter(
        outcome=IVRecord.Outcome.DISAGREE,
        action_done_at__isnull=True,
        closed_at__isnull=True,
        item__plan__cohort__centre__is_active=True,
    ):
        _open_action_todo(record, None)


def open_waiting_recheck_todos(today) -> None:
    """An action said done, not yet closed, is checked again by the IV (as
    mark_action_done opens)."""
    for record in _records().filter(
        outcome=IVRecord.Outcome.DISAGREE,
        action_done_at__isnull=False,
        closed_at__isnull=True,
        item__plan__cohort__centre__is_active=True,
    ):
        _open_recheck_todo(record, None)


def open_waiting_flag_todos(today) -> None:
    """A flag not yet cleared is the Lead IV's to check again (as record_iv raises it)."""
    for flag in DecisionFlag.objects.filter(
        cleared_at__isnull=True, cohort__centre__is_active=True
    ).select_related("cohort__centre", "assignment", "assessor"):
        _open_flag_todo(flag, None)


def _records():
    return IVRecord.objects.select_related(
        "item__learner",
        "item__assignment__unit",
        "item__assignment__assessor",
        "item__assignment__internal_verifier",
        "item__plan__cohort__centre",
    )


def _open_action(record: IVRecord) -> None:
    if record.outcome != IVRecord.Outcome.DISAGREE:
        raise ValidationError("This IV record agreed: it has no action.")
    if record.closed_at is not None:
        raise ValidationError(
            f"The action was closed on {timezone.localtime(record.closed_at):%d/%m/%Y}."
        )


def mark_action_done(record: IVRecord, *, by, note: str) -> IVRecord:
    """The assessor says the action is done; the IV is asked to check it again."""
    require_object(by, ANSWER_IV_ACTION, record)
    note = (note or "").strip()
    with transaction.atomic():
        record = _records().select_for_update(of=("self",)).get(pk=record.pk)
        _open_action(record)
        if record.action_done_at is not None:
            raise ValidationError(
                f"You said the action was done on "
                f"{timezone.localtime(record.action_done_at):%d/%m/%Y}: the IV checks it next."
            )
        if not note:
            raise ValidationError({"note": ["Say what you did about the action."]})
        record.action_done_at = timezone.now()
        record.save(update_fields=["action_done_at"])
        item = record.item
        audit.record(
            by,
            ev.IV_ACTION_DONE,
            record,
            learner=item.learner,
            centre=item.plan.cohort.centre_id,
            after={"note": note, "done_at": record.action_done_at.isoformat()},
        )
        close_todos(ev.IV_ACTION_TODO, target=record, by=by, note=note)
        iv = item.assignment.internal_verifier
        _open_recheck_todo(record, by)
        _email(
            iv,
            f"IV action done: {item.assignment.title}",
            f"{_person(by)} says the action on {name_of(item.learner)}'s work is done:\n\n"
            f"{note}\n\nCheck it again and close it.",
            key=f"verification.iv_action_done.{record.pk}",
        )
    return record


def close_action(record: IVRecord, *, by, note: str) -> IVRecord:
    """The IV checked the action again: closed, and the item's decisions are frozen."""
    require_object(by, RECORD_IV, record)
    note = (note or "").strip()
    with transaction.atomic():
        record = _records().select_for_update(of=("self",)).get(pk=record.pk)
        _open_action(record)
        if record.action_done_at is None:
            raise ValidationError(
                "The assessor has not said the action is done yet: it is closed after that."
            )
        if not note:
            raise ValidationError({"note": ["Say what you checked again."]})
        item = record.item
        if refusal := standardisation_refusal(
            by, item.assignment, doing="record internal verification"
        ):
            raise ValidationError(refusal)
        if refusal := _own_decisions_refusal(by, item):
            raise ValidationError(refusal)
        record.closed_at = timezone.now()
        record.closed_by = by
        record.closing_note = note
        record.save(update_fields=["closed_at", "closed_by", "closing_note"])
        audit.record(
            by,
            ev.IV_ACTION_CLOSED,
            record,
            learner=item.learner,
            centre=item.plan.cohort.centre_id,
            after={"note": note, "closed_at": record.closed_at.isoformat()},
        )
        close_todos(ev.IV_RECHECK_TODO, target=record, by=by, note=note)
        close_todos(ev.IV_ACTION_TODO, target=record, by=by, note=note)
        _freeze(item, by)
    return record


def clear_flag(flag: DecisionFlag, *, by, note: str) -> DecisionFlag:
    """The Lead IV clears a flag once its decisions were checked again."""
    require_object(by, CLEAR_FLAG, flag)
    note = (note or "").strip()
    with transaction.atomic():
        flag = (
            DecisionFlag.objects.select_related("raised_by", "assignment", "assessor", "cohort")
            .select_for_update(of=("self",))
            .get(pk=flag.pk)
        )
        if flag.cleared_at is not None:
            raise ValidationError(
                f"This flag was cleared on {timezone.localtime(flag.cleared_at):%d/%m/%Y}."
            )
        if flag.raised_by.closed_at is None:
            raise ValidationError(
                "The disagreement that raised this flag is still open: the IV closes its "
                "action before the flag is cleared."
            )
        if not note:
            raise ValidationError({"note": ["Say how the flagged decisions were checked again."]})
        flag.cleared_at = timezone.now()
        flag.cleared_by = by
        flag.clearing_note = note
        flag.save(update_fields=["cleared_at", "cleared_by", "clearing_note"])
        audit.record(
            by,
            ev.IV_FLAG_CLEARED,
            flag,
            centre=flag.cohort.centre_id,
            after={"note": note, "cleared_at": flag.cleared_at.isoformat()},
        )
        close_todos(ev.IV_FLAG_TODO, target=flag, by=by, note=note)
    return flag
