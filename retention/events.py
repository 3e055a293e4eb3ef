"""What the trail says about retention, and the Quality Nominee's to-do."""

from accounts.roles import Role
from audit.actions import register_action
from todos.backfill import register_backfill
from todos.kinds import register_kind

REVIEW_DISPOSALS = register_kind(
    "retention.review_disposals",
    "Review records due for disposal",
    owner=Role.QUALITY_NOMINEE,
    link="retention:index",
)
register_backfill(REVIEW_DISPOSALS, "retention.services.open_waiting_disposal_todos")
# A live legal hold keeps records past their disposal date: the Quality Nominee reviews it
# and lifts it once the appeal, investigation or request is over (closed by lift_hold).
REVIEW_HOLD = register_kind(
    "retention.review_hold",
    "Review the legal hold and lift it once it is no longer needed",
    owner=Role.QUALITY_NOMINEE,
    due_days=90,
    link="retention:index",
)
register_backfill(REVIEW_HOLD, "retention.services.open_waiting_hold_todos")

_ = register_action
DISPOSAL_APPROVED = _(
    "retention.item.approved", "Disposal approved", "{actor} approved the disposal of {object}"
)
DISPOSED = _("retention.item.disposed", "Record disposed", "{actor} disposed of {object}")
HOLD_PLACED = _("retention.hold.placed", "Legal hold placed", "{actor} placed {object}")
HOLD_LIFTED = _("retention.hold.lifted", "Legal hold lifted", "{actor} lifted {object}")
