"""Reads for IV records, and what counts as internally verified for a claim.

**What counts as internally verified** (policy 000-3.2.1; domain.md 3.8: "claims must be
based only on internally verified records"). The Certification issue reads
`internally_verified(decisions)` (or `iv_condition()` inside its own query). A current
CriterionDecision counts when:

1. **Sampled and complete.** A *summative* SampleItem for its learner, assignment and
   attempt has an IV record that is complete — an agree, or a disagree whose action the
   IV closed — and the decision was recorded no later than that completion (a decision
   changed after its IV is not covered by it); or
2. **Its batch is verified.** It was not sampled itself, but its batch — the same
   assignment (so the same plan's cohort and assessor) and the same attempt — has at least
   one summative sampled item and every such item's IV is complete; and the decision was
   made by the assignment's own assessor (a decision someone else recorded, such as an
   import, counts only when sampled itself);
3. and in either case **no uncleared DecisionFlag** covers it (the flag's cohort ×
   assessor × assignment): decisions under an open flag never count, even an agreed one.

Interim samples (work in progress) never make final decisions count. A resubmission is
its own attempt: its decisions count through resubmission items and batches only.

Each read here runs a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from accounts.permissions import scope
from assessment.models import CriterionDecision

from .models_sampling import DecisionFlag, IVRecord, SampleItem

SUMMATIVE = SampleItem.Stage.SUMMATIVE


def _own_items():
    """The summative items sampling the outer decision itself."""
    return SampleItem.objects.filter(
        learner=OuterRef("learner"),
        assignment=OuterRef("assignment"),
        attempt=OuterRef("attempt"),
        stage=SUMMATIVE,
    )


def _batch_items():
    """The summative items of the outer decision's batch (assignment × attempt)."""
    return SampleItem.objects.filter(
        assignment=OuterRef("assignment"),
        attempt=OuterRef("attempt"),
        stage=SUMMATIVE,
        plan__cohort=OuterRef("assignment__plan__cohort"),
    )


INCOMPLETE = Q(iv_record__isnull=True) | Q(
    iv_record__outcome=IVRecord.Outcome.DISAGREE, iv_record__closed_at__isnull=True
)


def _open_flags():
    return DecisionFlag.objects.filter(
        cleared_at__isnull=True,
        assignment=OuterRef("assignment"),
        assessor=OuterRef("assessor"),
        cohort=OuterRef("assignment__plan__cohort"),
    )


def _own_complete():
    """The IV records that cover the outer decision itself (point 1): its own summative
    item's, complete (an agree, or a closed disagree) no earlier than it was recorded."""
    return IVRecord.objects.filter(
        item__learner=OuterRef("learner"),
        item__assignment=OuterRef("assignment"),
        item__attempt=OuterRef("attempt"),
        item__stage=SUMMATIVE,
    ).filter(
        Q(outcome=IVRecord.Outcome.AGREE, recorded_at__gte=OuterRef("recorded_at"))
        | Q(closed_at__gte=OuterRef("recorded_at"))
    )


def iv_condition() -> Q:
    """The condition on CriterionDecision rows that counts them internally verified."""
    batch = (
        ~Exists(_own_items())
        & Q(assessor=F("assignment__assessor"))
        & Exists(_batch_items())
        & ~Exists(_batch_items().filter(INCOMPLETE))
    )
    return (Exists(_own_complete()) | batch) & ~Exists(_open_flags())


def internally_verified(decisions: QuerySet) -> QuerySet:
    """The decisions of `decisions` that count as internally verified (see the module)."""
    return decisions.filter(iv_condition())


def internally_verified_ids(decisions: QuerySet) -> set[int]:
    """The ids of those decisions (one query)."""
    return set(internally_verified(decisions).values_list("pk", flat=True))


def _uk_day(value) -> str:
    from django.utils import timezone

    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {local:%b}"


# Why a current decision does not count yet, in the order a reason is given (0: it counts).
VERIFIED, FLAGGED, NO_RECORD, ACTION_OPEN, CHANGED, BATCH = range(6)


def iv_reason() -> Case:
    """An annotation for CriterionDecision rows: VERIFIED when the row counts as
    internally verified (`iv_condition`), else the first reason it does not, in the order
    `not_yet_verified` gives them. Evaluated in the row's own query, so a read of the
    decisions learns their IV state without a second read."""
    return Case(
        When(iv_condition(), then=Value(VERIFIED)),
        When(Exists(_open_flags()), then=Value(FLAGGED)),
        When(Exists(_own_items().filter(iv_record__isnull=True)), then=Value(NO_RECORD)),
        When(Exists(_open_own_items()), then=Value(ACTION_OPEN)),
        When(Exists(_own_items()), then=Value(CHANGED)),
        default=Value(BATCH),
        output_field=IntegerField(),
    )


def _open_own_items():
    """The outer decision's own summative items whose disagreement's action is open."""
    return _own_items().filter(
        iv_record__outcome=IVRecord.Outcome.DISAGREE,
        iv_record__closed_at__isnull=True,
        iv_record__recorded_at__isnull=False,
    )


def open_since() -> Subquery:
    """An annotation for CriterionDecision rows: when the IV recorded the disagreement
    whose action is still open on the row's latest-sampled own item (else None)."""
    return Subquery(_open_own_items().order_by("-sampled_at").values("iv_record__recorded_at")[:1])


def iv_covered() -> Exists:
    """An annotation for CriterionDecision rows: True when the row's own summative item
    has a complete IV record no earlier than the row was recorded (point 1). The one part
    of the definition that compares each row with its own IV, so it stays in SQL; the rest
    `CohortIV.reason` reads from the cohort's items and flags."""
    return Exists(_own_complete())


class CohortIV:
    """What counts as internally verified (the module's definition, `iv_reason()`'s
    reasons and order) for the current decisions of one cohort, read once per cohort
    instead of with a correlated subquery per decision: the summative items of the
    cohort's assignments with their IV records, and the cohort's open flags (two queries,
    a handful of rows each, whatever the size of the cohort: `cohort_iv`).

    A read of the cohort's decisions annotates them with `iv_covered()` and passes each
    row's learner, assignment, attempt, assessor, the assignment's assessor and that
    annotation to `reason`, which gives what `iv_reason()` gives the same row
    (tests/test_iv_cohort.py holds the two to each other)."""

    def __init__(self, cohort_id, items, flags):
        # (learner, assignment, attempt) -> [has an item without an IV record, has an
        # item whose disagreement's action is open]: the row's own summative items
        self.own: dict[tuple, list[bool]] = {}
        # (assignment, attempt) -> every summative item of the batch (in the assignment's
        # cohort's plans) is complete
        self.batch_complete: dict[tuple, bool] = {}
        # (learner, assignment, attempt) -> when the IV recorded the disagreement whose
        # action is open, the latest-sampled item's (for "action open since")
        self.open_since: dict[tuple, object] = {}
        self.flags = set(flags)  # (assignment, assessor) under an uncleared flag
        disagree = IVRecord.Outcome.DISAGREE
        for learner, assignment, attempt, plan_cohort, record, outcome, at, closed in items:
            key = (learner, assignment, attempt)
            own = self.own.setdefault(key, [False, False])
            if record is None:
                own[0] = True
            elif outcome == disagree and closed is None and at is not None:
                own[1] = True
                self.open_since[key] = at
            if plan_cohort == cohort_id:
                incomplete = record is None or (outcome == disagree and closed is None)
                batch = (assignment, attempt)
                self.batch_complete[batch] = self.batch_complete.get(batch, True) and (
                    not incomplete
                )

    def reason(self, learner, assignment, attempt, assessor, assignment_assessor, covered) -> int:
        """The `iv_reason()` code of one current decision of the cohort."""
        own = self.own.get((learner, assignment, attempt))
        flagged = (assignment, assessor) in self.flags
        if not flagged and (
            covered
            or (
                own is None
                and assessor is not None
                and assessor == assignment_assessor
                and self.batch_complete.get((assignment, attempt), False)
            )
        ):
            return VERIFIED
        if flagged:
            return FLAGGED
        if own is None:
            return BATCH
        if own[0]:
            return NO_RECORD
        if own[1]:
            return ACTION_OPEN
        return CHANGED


def cohort_iv(cohort) -> CohortIV:
    """The cohort's IV state for `CohortIV.reason` (two queries)."""
    items = (
        SampleItem.objects.filter(assignment__plan__cohort=cohort, stage=SUMMATIVE)
        .order_by("sampled_at", "pk")
        .values_list(
            "learner_id",
            "assignment_id",
            "attempt",
            "plan__cohort_id",
            "iv_record__id",
            "iv_record__outcome",
            "iv_record__recorded_at",
            "iv_record__closed_at",
        )
    )
    flags = DecisionFlag.objects.filter(cohort=cohort, cleared_at__isnull=True).values_list(
        "assignment_id", "assessor_id"
    )
    return CohortIV(cohort.pk, items, flags)


def reason_text(reason: int, open_since=None) -> str:
    """The words for an `iv_reason` code."""
    if reason == FLAGGED:
        return "flagged: checked again after a disagreement"
    if reason == NO_RECORD:
        return "sampled, IV not recorded"
    if reason == ACTION_OPEN:
        return f"action open since {_uk_day(open_since)}"
    if reason == CHANGED:
        return "changed after its IV"
    return "batch not yet verified"


def not_yet_verified(cohort) -> list[dict]:
    """The cohort's current decisions that do not count yet, one row per learner ×
    assignment × attempt: learner, unit, assignment, attempt and why (two queries).

    Why, in this order: "flagged: checked again after a disagreement"; "sampled, IV not
    recorded"; "action open since 3 Nov"; "changed after its IV"; "batch not yet
    verified" (not sampled, and a sampled item of its batch is not complete, or none was
    sampled). `iv_reason()` is this order as an annotation, for a read of the decisions
    that wants their IV state too (claims.selectors.claim_readiness)."""
    rows = (
        CriterionDecision.objects.filter(assignment__plan__cohort=cohort, current=True)
        .annotate(iv_reason=iv_reason())
        .exclude(iv_reason=VERIFIED)
        .annotate(open_since=open_since())
        .values(
            "learner_id",
            "learner__first_name",
            "learner__last_name",
            "assignment_id",
            "assignment__title",
            "assignment__unit__number",
            "assignment__unit__title",
            "attempt",
            "criterion__code",
            "iv_reason",
            "open_since",
        )
        .order_by("learner__last_name", "learner__first_name", "learner_id", "assignment_id")
    )
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["learner_id"], r["assignment_id"], r["attempt"])
        row = out.get(key)
        if row is None:
            row = out[key] = {
                "learner_id": r["learner_id"],
                "learner": f"{r['learner__first_name']} {r['learner__last_name']}",
                "unit": f"Unit {r['assignment__unit__number']}: {r['assignment__unit__title']}",
                "assignment": r["assignment__title"],
                "attempt": r["attempt"],
                "criteria": [],
                "why": reason_text(r["iv_reason"], r["open_since"]),
            }
        row["criteria"].append(r["criterion__code"])
    return list(out.values())


# --- the pages' reads ------------------------------------------------------------------


def items_query():
    return SampleItem.objects.select_related(
        "learner",
        "assignment__unit",
        "assignment__assessor",
        "assignment__internal_verifier",
        "plan__cohort__qualification",
        "iv_record",
    )


def records_query():
    return IVRecord.objects.select_related(
        "item__learner",
        "item__assignment__unit",
        "item__assignment__assessor",
        "item__assignment__internal_verifier",
        "item__plan__cohort__qualification",
        "verifier",
    )


def iv_queue(user, perm: str) -> list[SampleItem]:
    """The items this user may verify, those still to do first (one query)."""
    items = list(scope(user, perm, items_query()).order_by("sampled_at", "pk"))

    def waiting(item) -> int:
        record = getattr(item, "iv_record", None)
        if record is None:
            return 0
        if record.outcome == IVRecord.Outcome.DISAGREE and record.closed_at is None:
            return 1 if record.action_done_at else 2
        return 3

    return sorted(items, key=waiting)


def open_actions(user, perm: str) -> list[IVRecord]:
    """The disagreements whose action is not closed, that this user answers (one query)."""
    return list(
        scope(user, perm, records_query())
        .filter(outcome=IVRecord.Outcome.DISAGREE, closed_at__isnull=True)
        .order_by("action_due", "pk")
    )


def current_decisions(item: SampleItem) -> list[CriterionDecision]:
    """The item's current decisions, to read beside the snapshot (one query)."""
    return list(
        CriterionDecision.objects.filter(
            learner_id=item.learner_id,
            assignment_id=item.assignment_id,
            attempt=item.attempt,
            current=True,
        )
        .select_related("criterion", "assessor")
        .order_by("criterion__code")
    )


def flags_with_decisions(user, perm: str) -> list[DecisionFlag]:
    """Flags the user may clear (open first), each with `.decisions`: every current
    decision by the assessor on the assignment across the cohort (two queries)."""
    flags = list(
        scope(user, perm, DecisionFlag.objects.all())
        .select_related(
            "cohort__qualification",
            "assignment__unit",
            "assessor",
            "raised_by__item__learner",
            "cleared_by",
        )
        .order_by(F("cleared_at").desc(nulls_first=True), "-raised_at")
    )
    by_pair: dict[tuple, list] = {}
    if flags:
        decisions = (
            CriterionDecision.objects.filter(
                assignment__in={f.assignment_id for f in flags}, current=True
            )
            .select_related("learner", "criterion")
            .order_by("learner__last_name", "learner__first_name", "attempt", "criterion__code")
        )
        for d in decisions:
            by_pair.setdefault((d.assignment_id, d.assessor_id), []).append(d)
    for flag in flags:
        rows: dict[tuple, dict] = {}
        for d in by_pair.get((flag.assignment_id, flag.assessor_id), []):
            row = rows.setdefault(
                (d.learner_id, d.attempt),
                {"learner": d.learner, "attempt": d.get_attempt_display(), "criteria": []},
            )
            row["criteria"].append(f"{d.criterion.code} {'✓' if d.achieved else '✗'}")
        flag.decisions = list(rows.values())
    return flags


def snapshot_rows(snapshot) -> list[tuple[str, object]]:
    """The snapshot as label/value pairs, and a table for a list of records."""
    out = []
    if not isinstance(snapshot, dict):
        return [("Snapshot", snapshot)]
    for key, value in snapshot.items():
        label = str(key).replace("_", " ").capitalize()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            rows = [[v.get(c, "") for c in columns] for v in value]
            out.append((label, {"columns": columns, "rows": rows}))
        else:
            out.append((label, value))
    return out
