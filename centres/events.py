"""What the arrangements workflow asks people to do (to-do kinds)."""

from accounts.roles import Role
from todos.kinds import register_kind

TELL_PEARSON = register_kind(
    "arrangement.tell_pearson",
    "Tell Pearson about a change to the arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
)
RESPOND = register_kind(
    "arrangement.respond",
    "Accept or refuse an invitation into an arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
)
AWAIT_REPLY = register_kind(
    "arrangement.await_reply",
    "Follow up an invitation the partner has not answered",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
)
NOTE_CHANGE = register_kind(
    "arrangement.note_change",
    "Note a change the other centre made to the arrangement",
    owner=Role.QUALITY_NOMINEE,
    due_days=7,
)
RECORD_APPROVAL = register_kind(
    "arrangement.record_approval",
    "Record the centre's Pearson approval for a shared qualification",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
)
