"""What the trail says about Lead IV appointments."""

from accounts.roles import Role
from audit.actions import register_action
from todos.backfill import register_backfill
from todos.kinds import ASSIGNEE, register_kind

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
# The Lead IV identified for a qualification and year, until the year's standardisation
# activity for it is recorded (appoint_lead_iv / change_lead_iv open it for the Lead IV;
# record_standardisation closes it). The appointment's own page is the Quality Nominee's.
STANDARDISE_TODO = register_kind(
    "verification.standardise",
    "Standardise the assessors and IVs on the qualification for the year",
    owner=ASSIGNEE,
    due_days=30,
    link="verification:standardisation_add",
    link_first=True,
)
register_backfill(STANDARDISE_TODO, "verification.services.open_waiting_standardise_todos")
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
SV_PACK_BUILT = register_action(
    "verification.sv.pack_built",
    "Evidence pack built in the background",
    "{actor} asked for the evidence pack to be built: {object}",
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
register_backfill(SV_ACTION_TODO, "verification.services_sv.open_waiting_action_todos")
# The sample the verifier asked for, until the learners' work is sent (opened by
# request_sample, due on the sample's deadline; closed by record_work_submitted).
SV_SAMPLE_TODO = register_kind(
    "verification.sv_sample_work",
    "Send the standards verifier the sampled learners' work",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="verification:sv_list",
)
register_backfill(SV_SAMPLE_TODO, "verification.services_sv.open_waiting_sample_todos")

# --- IV records on sampled decisions (000-3.2.1) ---------------------------------------

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
register_backfill(IV_ACTION_TODO, "verification.services_iv.open_waiting_action_todos")
IV_RECHECK_TODO = register_kind(
    "verification.iv_recheck",
    "Check the assessor's action again and close it",
    owner=ASSIGNEE,
    due_days=5,
    link="verification:iv_action_close",
)
register_backfill(IV_RECHECK_TODO, "verification.services_iv.open_waiting_recheck_todos")
IV_FLAG_TODO = register_kind(
    "verification.iv_flag",
    "Check again the flagged decisions, then clear the flag",
    owner=Role.LEAD_IV,
    due_days=15,
    link="verification:iv_flag_clear",
)
register_backfill(IV_FLAG_TODO, "verification.services_iv.open_waiting_flag_todos")
# An internal verifier's sampled work with no IV record yet: one to-do per verifier and
# plan (opened by build_sample / add_item, closed for that verifier once none is left).
IV_SAMPLE_TODO = register_kind(
    "verification.iv_sample",
    "Internally verify the sampled work",
    owner=ASSIGNEE,
    due_days=10,
    link="verification:iv_queue",
)
register_backfill(IV_SAMPLE_TODO, "verification.services_sampling.open_waiting_iv_todos")

# --- IV sampling (000-3.2.1) -------------------------------------------------------------

SAMPLING_STRATEGY_SET = register_action(
    "verification.sampling.strategy_set",
    "IV sampling strategy set",
    "{actor} set {object}",
)
ASSESSOR_RATING_SET = register_action(
    "verification.sampling.rating_set",
    "Assessor risk rating set",
    "{actor} set a risk rating: {object}",
)
IV_PLAN_CREATED = register_action(
    "verification.sampling.plan_created",
    "IV sampling plan started",
    "{actor} started {object}",
)
IV_SAMPLE_BUILT = register_action(
    "verification.sampling.sample_built",
    "IV sample built",
    "{actor} built the sample for {object}",
)
IV_SAMPLE_ITEM_ADDED = register_action(
    "verification.sampling.item_added",
    "Work added to the IV sample",
    "{actor} added to the IV sample: {object}",
)
IV_SAMPLE_ITEM_REMOVED = register_action(
    "verification.sampling.item_removed",
    "Work removed from the IV sample",
    "{actor} removed from the IV sample: {object}",
)
