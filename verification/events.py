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

# --- standards verification (000-3.1.11, 000-3.1.13) -----------------------------------

from todos.kinds import ASSIGNEE, register_kind  # noqa: E402

SV_ALLOCATED = register_action(
    "verification.sv.allocated",
    "Standards verifier allocation recorded",
    "{actor} recorded the standards verifier: {object}",
)
SV_ROUTE_SET = register_action(
    "verification.sv.route_set",
    "Standards verification route set",
    "{actor} set the route: {object}",
)
SV_STATUS_SET = register_action(
    "verification.sv.status_set",
    "Standards verification report status set",
    "{actor} set the report status: {object}",
)
SV_SAMPLE_REQUESTED = register_action(
    "verification.sv.sample_requested",
    "Standards verification sample requested",
    "{actor} recorded the verifier's request: {object}",
)
SV_LEARNERS_NAMED = register_action(
    "verification.sv.learners_named",
    "Learners named for standards verification",
    "{actor} recorded the learners the verifier named: {object}",
)
SV_WORK_SUBMITTED = register_action(
    "verification.sv.work_submitted",
    "Work sent to the standards verifier",
    "{actor} recorded the work sent: {object}",
)
SV_ACTION_ADDED = register_action(
    "verification.sv.action_added", "Standards verification action agreed", "{actor} added {object}"
)
SV_ACTION_CLOSED = register_action(
    "verification.sv.action_closed",
    "Standards verification action closed",
    "{actor} closed {object}",
)
SV_PACK_DOWNLOADED = register_action(
    "verification.sv.pack_downloaded",
    "Evidence pack downloaded",
    "{actor} downloaded the evidence pack: {object}",
)

SV_ACTION_TODO = register_kind(
    "verification.sv_action",
    "Do the standards verifier's action",
    owner=ASSIGNEE,
    due_days=14,
    link="verification:sv_action_close",
)
