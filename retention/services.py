"""List what falls due, approve disposals, place and lift legal holds, dispose.

Nothing is disposed without the Quality Nominee's approval, and nothing held is disposed:
a hold turns its items to HELD (an earlier approval is withdrawn), and the disposal re-reads
the live holds under the same lock before it removes anything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from todos.services import close_todos, open_todo

from . import clocks, events
from .models import LegalHold, RetentionItem
from .permissions import APPROVE_DISPOSAL, PLACE_HOLD
from .registry import all_kinds, get_kind

S = RetentionItem.Status
ERASURE_REASON = "Retention: the learner's retained records were disposed of (004-duty-8)"


class _LearnerRef:
    """A learner named by id only: disposal events carry no personal details."""

    def __init__(self, pk):
        self.pk = pk

    def __str__(self) -> str:
        return f"Learner #{self.pk}"


def _live_holds():
    learners, records = set(), set()
    for learner_id, kind, object_id in LegalHold.objects.filter(lifted_at__isnull=True).values_list(
        "learner_id", "kind", "object_id"
    ):
        if learner_id:
            learners.add(learner_id)
        else:
            records.add((kind, object_id))
    return learners, records


# --- the sweep -------------------------------------------------------------------------


def _cohort_starts(kind, clock, cohort_ids):
    """A cohort's records start their clock when its last learner's does, once all have."""
    from learners.models import Learner

    members = defaultdict(set)
    for cohort_id, learner_id in Learner.objects.filter(
        teaching_groups__cohort__in=cohort_ids
    ).values_list("teaching_groups__cohort", "pk"):
        members[cohort_id].add(learner_id)
    known = clocks.starts(clock, {lid for ids in members.values() for lid in ids})
    result = {}
    for cohort_id, ids in members.items():
        if ids and ids <= known.keys():
            result[cohort_id] = max(known[lid] for lid in ids)
    return result


def sweep(today: dt.date | None = None, chunk: int | None = None) -> int:
    """List every record whose clock has run out as a RetentionItem per holding centre.

    Idempotent (one item per kind, record and centre), and read in keyset chunks so memory
    stays flat however many records there are. Opens the Quality Nominee's to-do at each
    centre with items due. Returns how many items it listed.
    """
    today = today or timezone.localdate()
    chunk = chunk or settings.BTECQA_RETENTION_SWEEP_CHUNK
    held_learners, held_records = _live_holds()
    listed = 0
    due_cache: dict[tuple[str, dt.date], dt.date] = {}
    for kind in all_kinds().values():
        subject = kind.learner or kind.cohort
        # (pk, own centre, further holders…, learner or cohort): the subject is last.
        fields = ["pk", kind.centre, *kind.also, subject]
        base = kind.model._base_manager.order_by("pk")
        last = 0
        while True:
            rows = list(base.filter(pk__gt=last).values_list(*fields)[:chunk])
            if not rows:
                break
            last = rows[-1][0]
            subjects = {r[-1] for r in rows if r[-1] is not None}
            if kind.learner:
                started = clocks.starts(kind.clock, subjects)
            else:
                started = _cohort_starts(kind, kind.clock, subjects)
            wanted = []
            for row in rows:
                start = started.get(row[-1])
                if start is None:
                    continue
                key = (kind.clock, start)
                if key not in due_cache:
                    due_cache[key] = clocks.due_date(kind.clock, start)
                due = due_cache[key]
                if due > today:
                    continue
                learner_id = row[-1] if kind.learner else None
                for centre_id in dict.fromkeys(c for c in row[1:-1] if c is not None):
                    wanted.append((row[0], centre_id, learner_id, start, due))
            if not wanted:
                continue
            existing = set(
                RetentionItem.objects.filter(kind=kind.code, object_id__in={w[0] for w in wanted})
                .order_by()  # a set: no need to sort by Meta.ordering
                .values_list("object_id", "centre_id")
            )
            new = [
                RetentionItem(
                    kind=kind.code,
                    object_id=oid,
                    centre_id=centre_id,
                    learner_id=learner_id,
                    label=f"{kind.label} #{oid}",
                    clock_started_on=start,
                    due_on=due,
                    status=S.HELD
                    if learner_id in held_learners or (kind.code, oid) in held_records
                    else S.DUE,
                )
                for oid, centre_id, learner_id, start, due in wanted
                if (oid, centre_id) not in existing
            ]
            RetentionItem.objects.bulk_create(new, ignore_conflicts=True)
            listed += len(new)
    _open_todos()
    return listed


def _open_todos() -> None:
    from centres.models import Centre

    # One row per centre, decided in the database. Not values_list("centre_id").distinct():
    # RetentionItem's Meta.ordering would add due_on, kind and object_id to the DISTINCT and
    # bring back one row per item (the sweep's peak memory grew with the items listed).
    due = RetentionItem.objects.filter(centre=OuterRef("pk"), status=S.DUE)
    for centre in Centre.objects.filter(Exists(due)):
        open_todo(
            events.REVIEW_DISPOSALS,
            centre=centre,
            title="Records are due for disposal: approve or hold them",
            role=Role.QUALITY_NOMINEE,
            target=centre,
        )


# --- approval --------------------------------------------------------------------------


def approve(items, *, by, reason: str) -> int:
    """The Quality Nominee approves the disposal of these items (one or many)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why these records may be disposed of."})
    items = list(items)
    if not items:
        raise ValidationError({"items": "Choose at least one record to approve."})
    with transaction.atomic():
        locked = {
            i.pk: i
            for i in RetentionItem.objects.select_for_update().filter(pk__in=[i.pk for i in items])
        }
        for item in items:
            require_object(by, APPROVE_DISPOSAL, item)
            current = locked[item.pk]
            if current.status != S.DUE:
                raise ValidationError(
                    {
                        "items": f"{current.label}: it is {current.get_status_display().lower()}, "
                        "so it cannot be approved."
                    }
                )
        now = timezone.now()
        RetentionItem.objects.filter(pk__in=locked).update(
            status=S.APPROVED, approved_by=by, approved_at=now, approval_reason=reason
        )
        with audit.batch():
            for item in locked.values():
                audit.record(
                    by,
                    events.DISPOSAL_APPROVED,
                    item,
                    learner=_LearnerRef(item.learner_id) if item.learner_id else None,
                    after={"reason": reason, "due_on": item.due_on.isoformat()},
                )
        for centre_id in {i.centre_id for i in locked.values()}:
            if not RetentionItem.objects.filter(centre_id=centre_id, status=S.DUE).exists():
                close_todos(events.REVIEW_DISPOSALS, target=locked_centre(centre_id), by=by)
    return len(locked)


def locked_centre(centre_id):
    from centres.models import Centre

    return Centre.objects.get(pk=centre_id)


# --- legal holds -----------------------------------------------------------------------


def _items_of(hold: LegalHold):
    if hold.learner_id:
        return RetentionItem.objects.filter(learner_id=hold.learner_id)
    return RetentionItem.objects.filter(kind=hold.kind, object_id=hold.object_id)


def place_hold(*, by, reason: str, note: str, learner=None, item=None) -> LegalHold:
    """Hold a learner's records, or one record: nothing held is disposed of."""
    note = (note or "").strip()
    if reason not in LegalHold.Reason.values:
        raise ValidationError({"reason": "Choose why the records are held."})
    if not note:
        raise ValidationError({"note": "Write a note saying what the hold is for."})
    if (learner is None) == (item is None):
        raise ValidationError("A hold is on a learner or on one record.")
    target = item or learner
    require_object(by, PLACE_HOLD, target)
    with transaction.atomic():
        hold = LegalHold.objects.create(
            centre_id=target.centre_id,
            learner_id=learner.pk if learner else None,
            kind=item.kind if item else "",
            object_id=item.object_id if item else None,
            reason=reason,
            note=note,
            placed_by=by,
        )
        # An approval given before the hold is withdrawn: it must be given again after.
        _items_of(hold).exclude(status=S.DISPOSED).update(
            status=S.HELD, approved_by=None, approved_at=None, approval_reason=""
        )
        lid = hold.learner_id or (item.learner_id if item else None)
        audit.record(
            by,
            events.HOLD_PLACED,
            hold,
            learner=_LearnerRef(lid) if lid else None,
            after={"reason": reason, "note": note},
        )
        _open_hold_todo(hold, by)
    return hold


def _open_hold_todo(hold: LegalHold, by) -> None:
    open_todo(
        events.REVIEW_HOLD,
        centre=hold.centre,
        # No learner's name: the title outlives the records the hold keeps.
        title=(
            f"Review the legal hold ({hold.get_reason_display().lower()}) placed on "
            f"{timezone.localdate(hold.placed_at):%d/%m/%Y}"
        ),
        role=Role.QUALITY_NOMINEE,
        target=hold,
        actor=by,
    )


def open_waiting_hold_todos(today) -> None:
    """Backfill (todos.backfill): every live hold is reviewed by the Quality Nominee (as
    place_hold opens), whenever it was placed."""
    for hold in LegalHold.objects.filter(lifted_at__isnull=True).select_related("centre"):
        _open_hold_todo(hold, None)


def open_waiting_disposal_todos(today) -> None:
    """Backfill (todos.backfill): each centre with records due for disposal (as the sweep
    opens)."""
    _open_todos()


def lift_hold(hold: LegalHold, *, by, note: str) -> LegalHold:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write a note saying why the hold is lifted."})
    require_object(by, PLACE_HOLD, hold)
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.lifted_at:
            raise ValidationError("This hold was already lifted.")
        hold.lifted_at, hold.lifted_by, hold.lift_note = timezone.now(), by, note
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        held_learners, held_records = _live_holds()
        for item in _items_of(hold).filter(status=S.HELD):
            if item.learner_id in held_learners or (item.kind, item.object_id) in held_records:
                continue
            item.status = S.DUE
            item.save(update_fields=["status"])
        audit.record(
            by,
            events.HOLD_LIFTED,
            hold,
            learner=_LearnerRef(hold.learner_id) if hold.learner_id else None,
            after={"note": note},
        )
        close_todos(events.REVIEW_HOLD, target=hold, by=by, note="lifted")
    return hold


# --- disposal --------------------------------------------------------------------------


def dispose_approved(chunk: int | None = None) -> int:
    """Dispose of every approved, unheld item; remove a record once no centre holds it.

    Each centre's item is its own copy: a consortium partner's disposal releases its copy,
    and the record itself goes only when every holder's item is disposed (3.1.10). Returns
    how many items were disposed of.
    """
    chunk = chunk or settings.BTECQA_RETENTION_SWEEP_CHUNK
    disposed = 0
    while True:
        with transaction.atomic():
            held_learners, held_records = _live_holds()
            batch = list(
                RetentionItem.objects.select_for_update()
                .filter(status=S.APPROVED)
                .order_by("pk")[:chunk]
            )
            if not batch:
                return disposed
            now = timezone.now()
            go, keep = [], []
            for item in batch:
                held = (
                    item.learner_id in held_learners
                    or (
                        item.kind,
                        item.object_id,
                    )
                    in held_records
                )
                (keep if held else go).append(item)
            if keep:  # a hold placed since the approval: never dispose
                RetentionItem.objects.filter(pk__in=[i.pk for i in keep]).update(
                    status=S.HELD, approved_by=None, approved_at=None, approval_reason=""
                )
            for item in go:
                item.status, item.disposed_at = S.DISPOSED, now
                item.disposed_by_id = item.approved_by_id
            RetentionItem.objects.bulk_update(go, ["status", "disposed_at", "disposed_by"])
            removed_learners = _remove_released(go, now)
            with audit.batch():
                for item in go:
                    audit.record(
                        item.approved_by,
                        events.DISPOSED,
                        item,
                        learner=_LearnerRef(item.learner_id) if item.learner_id else None,
                        after={"kind": item.kind, "object_id": item.object_id},
                    )
            disposed += len(go)
        for learner_id, by in removed_learners.items():
            _erase_if_all_gone(learner_id, by)


def _remove_released(items, now) -> dict[int, object]:
    """Remove each record no centre still holds; the learners whose records went."""
    by_kind = defaultdict(set)
    for item in items:
        by_kind[item.kind].add(item.object_id)
    learners = {}
    for code, oids in by_kind.items():
        kind = get_kind(code)
        still_held = set(
            RetentionItem.objects.filter(kind=code, object_id__in=oids)
            .exclude(status=S.DISPOSED)
            .values_list("object_id", flat=True)
        )
        release = oids - still_held
        if not release:
            continue
        kind.dispose(kind.model._base_manager.filter(pk__in=release))
        RetentionItem.objects.filter(kind=code, object_id__in=release).update(record_removed_at=now)
        for item in items:
            if item.kind == code and item.object_id in release and item.learner_id:
                learners[item.learner_id] = item.approved_by
    return learners


def _erase_if_all_gone(learner_id: int, by) -> None:
    """Erase the learner's audit details once every retained record about them is gone."""
    if LegalHold.objects.filter(learner_id=learner_id, lifted_at__isnull=True).exists():
        return
    if RetentionItem.objects.filter(learner_id=learner_id, record_removed_at__isnull=True).exists():
        return
    for kind in all_kinds().values():
        if not kind.learner:
            continue
        records = kind.model._base_manager.filter(**{kind.learner: learner_id})
        removed = RetentionItem.objects.filter(
            kind=kind.code, learner_id=learner_id, record_removed_at__isnull=False
        ).values("object_id")
        if records.exclude(pk__in=removed).exists():
            return  # a record not yet due, or never listed: the learner's record remains
    audit.erase_personal_details(learner_id, by=by, reason=ERASURE_REASON)


def run(today: dt.date | None = None) -> dict:
    """The beat job: list what fell due, then dispose of what was approved."""
    return {"listed": sweep(today), "disposed": dispose_approved()}
