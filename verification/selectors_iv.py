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


def iv_condition() -> Q:
    """The condition on CriterionDecision rows that counts them internally verified."""
    own_complete = IVRecord.objects.filter(
        item__learner=OuterRef("learner"),
        item__assignment=OuterRef("assignment"),
        item__attempt=OuterRef("attempt"),
        item__stage=SUMMATIVE,
    ).filter(
        Q(outcome=IVRecord.Outcome.AGREE, recorded_at__gte=OuterRef("recorded_at"))
        | Q(closed_at__gte=OuterRef("recorded_at"))
    )
    batch = (
        ~Exists(_own_items())
        & Q(assessor=F("assignment__assessor"))
        & Exists(_batch_items())
        & ~Exists(_batch_items().filter(INCOMPLETE))
    )
    return (Exists(own_complete) | batch) & ~Exists(_open_flags())


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


def open_actions_since(cohort) -> dict[tuple, object]:
    """(learner, assignment, attempt) -> when the IV recorded the disagreement whose
    action is still open, the latest-sampled item's (one query, a handful of rows)."""
    rows = (
        SampleItem.objects.filter(
            assignment__plan__cohort=cohort,
            stage=SUMMATIVE,
            iv_record__outcome=IVRecord.Outcome.DISAGREE,
            iv_record__closed_at__isnull=True,
            iv_record__recorded_at__isnull=False,
        )
        .order_by("sampled_at", "pk")
        .values_list("learner_id", "assignment_id", "attempt", "iv_record__recorded_at")
    )
    return {(learner, assignment, attempt): when for learner, assignment, attempt, when in rows}


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
