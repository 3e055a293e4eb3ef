"""What the trail says about declarations and reviews, and the to-do the window opens."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import register_kind

COMPLETE_AQD = register_kind(
    "declarations.complete_aqd",
    "Complete the Annual Quality Declaration",
    owner=Role.QUALITY_NOMINEE,
    link="declarations:declaration_detail",
)
CONFIRM_AQD = register_kind(
    "declarations.confirm_aqd",
    "Confirm the Annual Quality Declaration",
    owner=Role.HEAD_OF_CENTRE,
    link="declarations:declaration_detail",
)

_ = register_action
DECLARATION_STARTED = _(
    "declarations.declaration.started",
    "Annual Quality Declaration started",
    "{actor} started {object}",
)
DECLARATION_ITEMS_SAVED = _(
    "declarations.declaration.items_saved",
    "Declaration items saved",
    "{actor} saved the checklist of {object}",
)
DECLARATION_COMPLETED = _(
    "declarations.declaration.completed",
    "Declaration completed",
    "{actor} completed {object} for the Head of Centre",
)
DECLARATION_CONFIRMED = _(
    "declarations.declaration.confirmed",
    "Declaration confirmed",
    "{actor} confirmed {object}",
)
DECLARATION_SUBMITTED = _(
    "declarations.declaration.submitted",
    "Declaration submitted to Pearson",
    "{actor} recorded that {object} was submitted to Pearson",
)
DECLARATION_REOPENED = _(
    "declarations.declaration.reopened",
    "Signed declaration changed",
    "{actor} changed {object} after it was signed",
)
REVIEW_RECORDED = _(
    "declarations.review.recorded",
    "Arrangement review recorded",
    "{actor} recorded {object}",
)
REVIEW_ACTION_ADDED = _(
    "declarations.review.action_added",
    "Review action added",
    "{actor} added an action to {object}",
)
REVIEW_ACTION_CLOSED = _(
    "declarations.review.action_closed",
    "Review action closed",
    "{actor} closed an action of {object}",
)
