"""What the trail says about itself and about the admin."""

from .actions import register_action

ADMIN_CREATED = register_action(
    "audit.admin_record.created", "Added in the admin", "{actor} added {object} in the admin"
)
ADMIN_CHANGED = register_action(
    "audit.admin_record.changed", "Changed in the admin", "{actor} changed {object} in the admin"
)
ADMIN_DELETED = register_action(
    "audit.admin_record.deleted", "Deleted in the admin", "{actor} deleted {object} in the admin"
)
KEY_ROTATED = register_action(
    "audit.key.rotated",
    "Audit key rotated",
    "The audit trail's key was rotated: events from here on are signed with the new key",
)
DETAILS_ERASED = register_action(
    "audit.personal_details.erased",
    "Personal details erased under retention",
    "{actor} erased the personal details on {learner}'s events under retention ({reason})",
)
CHECKPOINT_SUPERSEDED = register_action(
    "audit.checkpoint.superseded",
    "Checkpoint superseded after a loss",
    "{actor} accepted a loss of audit events after a restore and started a new checkpoint "
    "({reason})",
)
