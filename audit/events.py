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
