"""What the trail says about Lead IV appointments."""

from audit.actions import register_action

LEAD_IV_APPOINTED = register_action(
    "verification.lead_iv.appointed",
    "Lead IV identified",
    "{actor} identified the Lead IV: {object}",
)
LEAD_IV_CHANGED = register_action(
    "verification.lead_iv.changed",
    "Lead IV or cover changed",
    "{actor} changed {object}",
)
STANDARDISATION_RECORDED = register_action(
    "verification.standardisation.recorded",
    "Standardisation recorded",
    "{actor} recorded standardisation: {object}",
)
STANDARDISATION_RULE_SET = register_action(
    "verification.standardisation.rule_set",
    "Standardisation rule set",
    "{actor} set {object}",
)

# --- IV records on sampled decisions (000-3.2.1) ---------------------------------------
from accounts.roles import Role  # noqa: E402
from todos.kinds import ASSIGNEE, register_kind  # noqa: E402

IV_RECORDED = register_action(
    "verification.iv.recorded",
    "IV recorded",
    "{actor} recorded internal verification: {object}",
)
IV_ACTION_DONE = register_action(
    "verification.iv.action_done",
    "IV action done",
    "{actor} said the IV action is done: {object}",
)
IV_ACTION_CLOSED = register_action(
    "verification.iv.action_closed",
    "IV action closed",
    "{actor} checked the IV action again and closed it: {object}",
)
IV_FLAG_RAISED = register_action(
    "verification.iv.flag_raised",
    "Decisions flagged",
    "{actor} flagged decisions to be checked again: {object}",
)
IV_FLAG_CLEARED = register_action(
    "verification.iv.flag_cleared",
    "Flag cleared",
    "{actor} cleared the flag: {object}",
)

IV_ACTION_TODO = register_kind(
    "verification.iv_action",
    "Do the action the internal verifier set",
    owner=ASSIGNEE,
    due_days=10,
    link="verification:iv_action_done",
)
IV_RECHECK_TODO = register_kind(
    "verification.iv_recheck",
    "Check the assessor's action again and close it",
    owner=ASSIGNEE,
    due_days=5,
    link="verification:iv_action_close",
)
IV_FLAG_TODO = register_kind(
    "verification.iv_flag",
    "Check again the flagged decisions, then clear the flag",
    owner=Role.LEAD_IV,
    due_days=15,
    link="verification:iv_flag_clear",
)
