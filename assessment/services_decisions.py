"""Recording criterion decisions, verifying them, and authorising resubmissions and retakes.

The class grid is saved whole, in one transaction and a fixed number of queries whatever
the class size: every row is read once, checked, and written with bulk_create/bulk_update;
nothing is written when any cell is refused. Each refusal names the learner (row), the
criterion (column) and the reason.

Rules (domain.md):
- 3.4: a decision needs the learner's and the assessor's authenticity declarations: a row
  whose learner still has current decisions after the save keeps both, whether or not a
  cell changed (they clear only with all of the learner's decisions, never verified ones).
- the decision date is neither in the future nor before the assignment's hand-out date
  (the latest decision date starts the resubmission window).
- 3.5: an extension to the hand-in date is agreed, with its reason, by the assignment's
  assessor or the Lead IV before the deadline passes (see agree_extension).
- decisions once internally verified are frozen: a change is a new version with a reason.
- 3.6: one resubmission per assignment, by the Lead IV, when the work met the deadline or
  an agreed extension, was authenticated, and within the qualification's window of working
  days (England and Wales bank holidays) after the decision. Not capped.
- 3.7: one retake per unit, by the Lead IV, with a new assignment; capped (family setting).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object, scope
from qualifications.models import UNIT_GRADE_RANK, UnitGrade
from registrations.calendar import working_days_until
from todos.services import close_todos, open_todo
from verification.selectors import standardisation_refusal

from . import events_decisions as ev
from .models import (
    Attempt,
    CriterionDecision,
    ImportedUnitResult,
    PlannedAssignment,
    Resubmission,
    Retake,
    Submission,
)
from .permissions import (
    AGREE_EXTENSIONS,
    AUTHORISE_REATTEMPTS,
    RECORD_DECISIONS,
    VERIFY_DECISIONS,
)
from .selectors_decisions import best_unit_grade

ACHIEVED, NOT_YET, BLANK = "achieved", "not_yet", ""
CELL_VALUES = {ACHIEVED, NOT_YET, BLANK}


@dataclass(frozen=True)
class Problem:
    learner: str  # the row
    criterion: str  # the column ("" for the row as a whole)
    reason: str

    def __str__(self) -> str:
        where = f"{self.learner}, {self.criterion}" if self.criterion else self.learner
        return f"{where}: {self.reason}"


class GridRefused(ValidationError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


@dataclass
class RowInput:
    """What the grid posted for one learner."""

    cells: dict[int, str] = field(default_factory=dict)  # criterion id -> value
    learner_declared: bool = False
    assessor_declared: bool = False
    submitted_on: dt.date | None = None
    feedback: str = ""
    reason: str = ""


@dataclass
class GridResult:
    created: int = 0
    changed: int = 0
    cleared: int = 0
    learners_changed: int = 0


def name_of(learner) -> str:
    return f"{learner.first_name} {learner.last_name}"


@contextmanager
def _whole_batches():
    """SQLite's real variable limit (250000 here) rather than Django's 999 assumption, so one
    grid is one INSERT and one UPDATE there as on PostgreSQL (a fixed number of queries)."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    features = connection.features
    before = features.__dict__.get("max_query_params")
    features.max_query_params = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    try:
        yield
    finally:
        if before is None:
            del features.max_query_params
        else:
            features.max_query_params = before


def save_grid(
    assignment: PlannedAssignment,
    *,
    by,
    learners,
    criteria,
    rows: dict[int, RowInput],
    decided_on: dt.date,
    attempt: str = Attempt.FIRST,
) -> GridResult:
    """Save the posted grid for `learners` (those shown) × `criteria` (the assignment's).

    Raises GridRefused with every problem, writing nothing, when any cell is refused.
    """
    require_object(by, RECORD_DECISIONS, assignment)
    learners = {learner.pk: learner for learner in learners}
    criteria = {c.pk: c for c in criteria}
    problems: list[Problem] = decision_date_problems(assignment, decided_on)
    if refusal := standardisation_refusal(by, assignment, doing="record decisions"):
        problems.append(Problem("Standardisation", "", refusal))
    for lid in rows:
        if lid not in learners:
            problems.append(Problem(f"Learner {lid}", "", "is not on this class grid."))
    if problems:
        raise GridRefused(problems)
    with transaction.atomic(), _whole_batches():
        existing = {
            (d.learner_id, d.criterion_id): d
            for d in CriterionDecision.objects.select_for_update().filter(
                assignment=assignment, attempt=attempt, current=True, learner_id__in=list(rows)
            )
        }
        submissions = {
            s.learner_id: s
            for s in Submission.objects.select_for_update().filter(
                assignment=assignment, attempt=attempt, learner_id__in=list(rows)
            )
        }
        decided_cells: dict[int, set[int]] = {}
        for learner_id, criterion_id in existing:
            decided_cells.setdefault(learner_id, set()).add(criterion_id)
        allowed_learners = _allowed_for_attempt(assignment, attempt, list(rows))
        today = timezone.localdate()
        now = timezone.now()
        new_subs, changed_subs = [], []
        create, update, retire, clear = [], [], [], []
        changed_learners: dict[int, dict] = {}
        for lid, row in rows.items():
            learner = learners[lid]
            who = name_of(learner)
            sub = submissions.get(lid)
            sub_changed = False
            if sub is None and (row.learner_declared or row.assessor_declared or row.submitted_on):
                sub = Submission(
                    learner_id=lid, assignment=assignment, attempt=attempt, recorded_by=by
                )
                new_subs.append(sub)
            if sub is not None:
                wanted = {
                    "learner_declared_on": (sub.learner_declared_on or today)
                    if row.learner_declared
                    else None,
                    "assessor_declared_on": (sub.assessor_declared_on or today)
                    if row.assessor_declared
                    else None,
                    "submitted_on": row.submitted_on,
                }
                for name, value in wanted.items():
                    if getattr(sub, name) != value:
                        setattr(sub, name, value)
                        sub_changed = True
                if sub_changed and sub.pk:
                    sub.recorded_by, sub.recorded_at = by, now
                    changed_subs.append(sub)
            row_changes = []
            remaining = set(decided_cells.get(lid, ()))  # current decisions after the save
            for cid, value in row.cells.items():
                criterion = criteria.get(cid)
                if criterion is None:
                    problems.append(
                        Problem(who, f"criterion {cid}", "is not a criterion of this assignment.")
                    )
                    continue
                if value not in CELL_VALUES:
                    problems.append(
                        Problem(who, criterion.code, "choose achieved, not yet or blank.")
                    )
                    continue
                old = existing.get((lid, cid))
                if value == BLANK:
                    if old is None:
                        continue
                    if old.verified_at:
                        problems.append(
                            Problem(
                                who,
                                criterion.code,
                                "was internally verified, so it cannot be cleared; record "
                                "a new decision with a reason instead.",
                            )
                        )
                        continue
                    clear.append(old.pk)
                    remaining.discard(cid)
                    row_changes.append(
                        (criterion.code, "achieved" if old.achieved else "not yet", "")
                    )
                    continue
                achieved = value == ACHIEVED
                remaining.add(cid)
                if old is not None and old.achieved == achieved:
                    if old.verified_at or row.feedback in ("", old.feedback):
                        continue  # unchanged (empty feedback keeps the old; frozen stays)
                before = ("achieved" if old.achieved else "not yet") if old else ""
                row_changes.append((criterion.code, before, "achieved" if achieved else "not yet"))
                if old is None:
                    create.append(
                        CriterionDecision(
                            learner_id=lid,
                            assignment=assignment,
                            criterion_id=cid,
                            attempt=attempt,
                            achieved=achieved,
                            decided_on=decided_on,
                            feedback=row.feedback,
                            assessor=by,
                            recorded_at=now,
                        )
                    )
                elif old.verified_at:
                    if not row.reason.strip():
                        problems.append(
                            Problem(
                                who,
                                criterion.code,
                                f"was internally verified on {old.verified_at:%d/%m/%Y}; "
                                "give the reason for the change.",
                            )
                        )
                        continue
                    old.current = False
                    retire.append(old)
                    create.append(
                        CriterionDecision(
                            learner_id=lid,
                            assignment=assignment,
                            criterion_id=cid,
                            attempt=attempt,
                            achieved=achieved,
                            decided_on=decided_on,
                            feedback=row.feedback or old.feedback,
                            assessor=by,
                            recorded_at=now,
                            version=old.version + 1,
                            replaces=old,
                            reason=row.reason.strip()[:300],
                        )
                    )
                else:
                    old.achieved, old.decided_on, old.assessor, old.recorded_at = (
                        achieved,
                        decided_on,
                        by,
                        now,
                    )
                    if row.feedback:
                        old.feedback = row.feedback
                    update.append(old)
            if remaining:  # decisions stand only with both declarations (3.4)
                problems.extend(_declaration_problems(who, sub))
            if row_changes and any(after for _, _, after in row_changes):
                if lid not in allowed_learners:
                    problems.append(Problem(who, "", _ATTEMPT_REFUSALS[attempt]))
            if row_changes or sub_changed:
                changed_learners[lid] = {"cells": row_changes, "declarations": sub_changed}
        if problems:
            raise GridRefused(problems)
        with audit.batch():
            Submission.objects.bulk_create(new_subs)
            Submission.objects.bulk_update(
                changed_subs,
                [
                    "learner_declared_on",
                    "assessor_declared_on",
                    "submitted_on",
                    "recorded_by",
                    "recorded_at",
                ],
            )
            if clear:
                CriterionDecision.objects.filter(pk__in=clear).delete()
            CriterionDecision.objects.bulk_update(retire, ["current"])
            CriterionDecision.objects.bulk_update(
                update, ["achieved", "decided_on", "feedback", "assessor", "recorded_at"]
            )
            CriterionDecision.objects.bulk_create(create)
            for lid, what in changed_learners.items():
                learner = learners[lid]
                audit.record(
                    by,
                    ev.DECISIONS_RECORDED,
                    assignment,
                    learner=learner,
                    centre=learner.centre_id,
                    before={code: b for code, b, _ in what["cells"]},
                    after={
                        **{code: a for code, _, a in what["cells"]},
                        "attempt": attempt,
                        "declarations changed": what["declarations"],
                    },
                )
            if attempt != Attempt.FIRST and create:
                _close_reattempt_todo_if_done(assignment, by=by)
    return GridResult(
        created=len(create) - len(retire),
        changed=len(update) + len(retire),
        cleared=len(clear),
        learners_changed=len(changed_learners),
    )


def decision_date_problems(assignment: PlannedAssignment, decided_on: dt.date) -> list[Problem]:
    """The decision date's own checks: not in the future, not before the hand-out date."""
    today = timezone.localdate()
    if decided_on > today:
        return [
            Problem(
                "Decision date",
                "",
                f"{_uk(decided_on)} is in the future: a decision is dated the day it was "
                f"made, today ({today:%d/%m/%Y}) at the latest.",
            )
        ]
    if decided_on < assignment.hand_out:
        return [
            Problem(
                "Decision date",
                "",
                f"{_uk(decided_on)} is before the assignment's hand-out date "
                f"({assignment.hand_out:%d/%m/%Y}).",
            )
        ]
    return []


def _uk(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # year 1 too (strftime: "1")


_ATTEMPT_REFUSALS = {
    Attempt.FIRST: "",
    Attempt.RESUBMISSION: "has no resubmission of this assignment authorised by the Lead IV.",
    Attempt.RETAKE: "has no retake with this assignment authorised by the Lead IV.",
}


def _allowed_for_attempt(assignment, attempt, learner_ids) -> set[int]:
    if attempt == Attempt.FIRST:
        return set(learner_ids)
    if attempt == Attempt.RESUBMISSION:
        rows = Resubmission.objects.filter(assignment=assignment, learner_id__in=learner_ids)
    else:
        rows = Retake.objects.filter(assignment=assignment, learner_id__in=learner_ids)
    return set(rows.values_list("learner_id", flat=True))


def _declaration_problems(who: str, sub) -> list[Problem]:
    out = []
    if sub is None or not sub.learner_declared_on:
        out.append(
            Problem(who, "", "the learner's authenticity declaration is missing (domain 3.4).")
        )
    if sub is None or not sub.assessor_declared_on:
        out.append(
            Problem(who, "", "the assessor's authenticity declaration is missing (domain 3.4).")
        )
    return out


# --- internal verification (the marking; sampling comes with the Verification issue) ------


def mark_verified(assignment: PlannedAssignment, learner, *, by, attempt: str | None = None) -> int:
    """The IV marks the learner's current decisions on the assignment verified: frozen.

    With `attempt`, only that attempt's (a resubmission is verified on its own: agreeing it
    must not freeze a first attempt nobody has verified yet)."""
    require_object(by, VERIFY_DECISIONS, assignment)
    with transaction.atomic():
        rows = CriterionDecision.objects.filter(
            assignment=assignment, learner=learner, current=True, verified_at__isnull=True
        )
        if attempt is not None:
            rows = rows.filter(attempt=attempt)
        codes = sorted(rows.values_list("criterion__code", flat=True))
        if not codes:
            raise ValidationError(f"{name_of(learner)} has no unverified decisions to verify.")
        # The access layer's NOT_OWN_DECISION rule: nobody verifies decisions they made
        # (an IV who imported the tracking sheet, or assessed on a plan's earlier version).
        allowed = set(scope(by, VERIFY_DECISIONS, rows).values_list("criterion__code", flat=True))
        if refusal := standardisation_refusal(by, assignment, doing="verify decisions"):
            raise ValidationError(refusal)
        if own := [code for code in codes if code not in allowed]:
            raise ValidationError(
                f"You recorded {name_of(learner)}'s decision on {', '.join(own)}: another "
                "internal verifier must verify it, as nobody verifies their own assessment."
            )
        now = timezone.now()
        count = rows.update(verified_at=now)
        audit.record(
            by,
            ev.DECISIONS_VERIFIED,
            assignment,
            learner=learner,
            centre=learner.centre_id,
            after={"criteria": ", ".join(codes), "verified_at": now.isoformat()},
        )
    return count


# --- extensions (domain.md 3.5) ----------------------------------------------------------


def agree_extension(assignment: PlannedAssignment, learner, *, by, to: dt.date, reason: str):
    """Record an extension to the assignment's hand-in date agreed for one learner.

    Who: the assignment's own assessor or a Lead IV at the cohort's centre
    (AGREE_EXTENSIONS; PermissionDenied otherwise). Each rule is refused with its reason,
    on the field it concerns, and nothing is written:

    - a reason is required (e.g. illness: centre policy decides what is legitimate);
    - the date must be after the hand-in date (otherwise it extends nothing);
    - it may not go past the plan's end of the resubmission window (`resubmission_by`):
      that is the last day the plan schedules work on this assignment from the learner,
      so a first hand-in after it would leave no resubmission the plan can hold. The
      decisions-IV date is the verifier's own schedule, not the learner's, and may fall
      before or after the window; an extension needing more time is a change to the plan;
    - it is agreed before the deadline passes: once the learner's hand-in is recorded
      after the hand-in date, an extension (new or changed) would only rescue the right
      to resubmit after the event (3.5, 3.6), so it is refused.

    The learner's first-attempt Submission row is created if none exists (recorded by
    `by`). Changing an extension records a new event with the before and after.
    """
    require_object(by, AGREE_EXTENSIONS, assignment)
    reason = (reason or "").strip()
    who = name_of(learner)
    with transaction.atomic():
        sub = (
            Submission.objects.select_for_update()
            .filter(assignment=assignment, learner=learner, attempt=Attempt.FIRST)
            .first()
        )
        errors: dict[str, list[str]] = {}
        if not reason:
            errors.setdefault("reason", []).append(
                "Give the reason the extension was agreed (for example, illness)."
            )
        if to <= assignment.hand_in:
            errors.setdefault("to", []).append(
                f"The extension must be to a date after the hand-in date "
                f"({assignment.hand_in:%d/%m/%Y})."
            )
        elif to > assignment.resubmission_by:
            errors.setdefault("to", []).append(
                f"The extension cannot go past the end of the planned resubmission window "
                f"({assignment.resubmission_by:%d/%m/%Y}): change the plan instead."
            )
        if sub is not None and sub.submitted_on and sub.submitted_on > assignment.hand_in:
            errors.setdefault("__all__", []).append(
                f"{who} handed in on {sub.submitted_on:%d/%m/%Y}, after the hand-in date "
                f"({assignment.hand_in:%d/%m/%Y}). An extension is agreed before the deadline "
                "passes, not afterwards to keep the right to resubmit."
            )
        if errors:
            raise ValidationError(errors)
        if sub is None:
            sub = Submission(
                assignment=assignment, learner=learner, attempt=Attempt.FIRST, recorded_by=by
            )
        before = _extension_state(sub)
        after = {"extension to": to.isoformat(), "reason": reason}
        if sub.pk and before == after:
            return sub  # agreed again as it stands: nothing to record
        sub.extension_to, sub.extension_reason = to, reason
        sub.extension_agreed_by, sub.extension_agreed_on = by, timezone.localdate()
        sub.save()
        audit.record(
            by,
            ev.EXTENSION_AGREED,
            sub,
            learner=learner,
            centre=learner.centre_id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={"assignment": str(assignment), **after},
        )
    return sub


def _extension_state(sub: Submission) -> dict:
    return {
        "extension to": sub.extension_to.isoformat() if sub.extension_to else "",
        "reason": sub.extension_reason,
    }


# --- resubmissions and retakes ------------------------------------------------------------


def resubmission_refusals(assignment: PlannedAssignment, learner, *, on: dt.date) -> list[str]:
    """Every rule of domain.md 3.6 the learner does not meet (empty: it may be authorised)."""
    who = name_of(learner)
    out = []
    if Resubmission.objects.filter(assignment=assignment, learner=learner).exists():
        out.append(f"{who} has already had the one resubmission of this assignment.")
    sub = Submission.objects.filter(
        assignment=assignment, learner=learner, attempt=Attempt.FIRST
    ).first()
    if sub is None or sub.submitted_on is None:
        out.append(f"{who} has no hand-in recorded for this assignment.")
    elif not sub.on_time:
        due = max(filter(None, [assignment.hand_in, sub.extension_to]))
        out.append(
            f"{who} handed in on {sub.submitted_on:%d/%m/%Y}, after the deadline or agreed "
            f"extension ({due:%d/%m/%Y}): no resubmission."
        )
    if sub is None or not sub.learner_declared_on:
        out.append(f"{who}'s own authenticity declaration is missing.")
    if sub is None or not sub.assessor_declared_on:
        out.append(f"The assessor has not authenticated {who}'s work.")
    decided = (
        CriterionDecision.objects.filter(
            assignment=assignment, learner=learner, attempt=Attempt.FIRST, current=True
        )
        .order_by("-decided_on")
        .values_list("decided_on", flat=True)
        .first()
    )
    if decided is None:
        out.append(f"{who} has no assessment decision on this assignment yet.")
    else:
        window = assignment.plan.cohort.qualification.resubmission_working_days
        if working_days_until(decided, on) > window:
            out.append(
                f"The resubmission window closed: more than {window} working days since "
                f"the decision of {decided:%d/%m/%Y}."
            )
    return out


def authorise_resubmission(assignment, learner, *, by, on: dt.date | None = None, note=""):
    require_object(by, AUTHORISE_REATTEMPTS, assignment)
    on = on or timezone.localdate()
    with transaction.atomic():
        if refusals := resubmission_refusals(assignment, learner, on=on):
            raise ValidationError(refusals)
        row = Resubmission.objects.create(
            assignment=assignment, learner=learner, authorised_by=by, authorised_on=on, note=note
        )
        audit.record(
            by,
            ev.RESUBMISSION_AUTHORISED,
            row,
            learner=learner,
            centre=learner.centre_id,
            after={"assignment": str(assignment), "on": on.isoformat(), "note": note},
        )
        _open_reattempt_todo(assignment, by=by)
    return row


def _open_reattempt_todo(assignment: PlannedAssignment, *, by) -> None:
    open_todo(
        ev.ASSESS_REATTEMPT,
        centre=assignment.plan.cohort.centre,
        title=f"Assess the authorised resubmissions and retakes: {assignment.title}",
        assignee=assignment.assessor,
        target=assignment,
        actor=by,
    )


def _close_reattempt_todo_if_done(assignment: PlannedAssignment, *, by) -> int:
    """Closed once every resubmission and retake authorised on the assignment has current
    decisions of its own attempt."""
    decided = CriterionDecision.objects.filter(assignment=assignment, current=True)
    waiting = (
        Resubmission.objects.filter(assignment=assignment)
        .exclude(learner__in=decided.filter(attempt=Attempt.RESUBMISSION).values("learner"))
        .exists()
        or Retake.objects.filter(assignment=assignment)
        .exclude(learner__in=decided.filter(attempt=Attempt.RETAKE).values("learner"))
        .exists()
    )
    if waiting:
        return 0
    return close_todos(
        ev.ASSESS_REATTEMPT,
        target=assignment,
        assignee=assignment.assessor,
        by=by,
        note="re-attempts assessed",
    )


def retake_refusals(unit, learner, new_assignment: PlannedAssignment) -> list[str]:
    """Every rule of domain.md 3.7 the learner does not meet (empty: it may be authorised)."""
    who = name_of(learner)
    out = []
    if Retake.objects.filter(unit=unit, learner=learner).exists():
        out.append(f"{who} has already had the one retake of unit {unit.number}.")
    if new_assignment.unit_id != unit.pk:
        out.append(f"The new assignment is not for unit {unit.number}.")
    earlier = CriterionDecision.objects.filter(
        learner=learner, assignment__unit=unit, current=True
    ).exclude(assignment=new_assignment)
    if not earlier.exists():
        out.append(f"{who} has no assessment decisions on unit {unit.number} to retake.")
    if new_assignment.decisions.filter(learner=learner).exists():
        out.append("The retake needs a new assignment, not one the learner has been assessed on.")
    grade = _passed_grade(unit, learner)
    if grade:
        out.append(
            f"{who} has already passed unit {unit.number} ({grade}): a retake is only for a "
            "unit not yet passed."
        )
    return out


def _passed_grade(unit, learner) -> str | None:
    """The unit grade of Pass or better the learner already holds, from decisions or import."""
    grades = [best_unit_grade(learner, unit)["grade"]]
    grades += ImportedUnitResult.objects.filter(learner=learner, unit=unit).values_list(
        "grade", flat=True
    )
    passed = [g for g in grades if g and UNIT_GRADE_RANK[g] >= UNIT_GRADE_RANK[UnitGrade.P]]
    return max(passed, key=UNIT_GRADE_RANK.get) if passed else None


def authorise_retake(unit, learner, *, new_assignment, by, note=""):
    require_object(by, AUTHORISE_REATTEMPTS, new_assignment)
    with transaction.atomic():
        if refusals := retake_refusals(unit, learner, new_assignment):
            raise ValidationError(refusals)
        row = Retake.objects.create(
            unit=unit, learner=learner, assignment=new_assignment, authorised_by=by, note=note
        )
        audit.record(
            by,
            ev.RETAKE_AUTHORISED,
            row,
            learner=learner,
            centre=learner.centre_id,
            after={"unit": unit.number, "assignment": str(new_assignment), "note": note},
        )
        _open_reattempt_todo(new_assignment, by=by)
    return row
