"""What the trail says about the policy register, and the to-dos it opens."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

POLICY_ADDED = register_action(
    "policies.policy.added", "Policy added", "{actor} added {object} to the register"
)
POLICY_CHANGED = register_action(
    "policies.policy.changed", "Policy details changed", "{actor} changed {object}"
)
POLICY_REVIEWED = register_action(
    "policies.policy.reviewed",
    "Policy reviewed",
    "{actor} recorded a review of {object}: version {version}",
)
VERSION_CORRECTED = register_action(
    "policies.version.corrected",
    "Unsigned policy version corrected",
    "{actor} corrected version {version} of {object} before it was signed",
)
HEAD_SIGNED = register_action(
    "policies.version.head_signed",
    "Policy signed by the Head of Centre",
    "{actor} signed version {version} of {object} as Head of Centre",
)
CHAIR_SIGNATURE_RECORDED = register_action(
    "policies.version.chair_signature_recorded",
    "Chair of governors' signature recorded",
    "{actor} recorded that {chair} signed version {version} of {object} on {signed_on}",
)
MONITORED = register_action(
    "policies.policy.monitored",
    "Policy monitored",
    "{actor} recorded the yearly monitoring of {object} ({academic_year}): {outcome}",
)
REMINDER_DAYS_SET = register_action(
    "policies.settings.reminder_days_set",
    "Policy review reminder changed",
    "{actor} set policy review reminders to {days} days before the due date",
)
REVIEW_REMINDED = register_action(
    "policies.policy.review_reminded",
    "Policy review reminder sent",
    "Reminded the coordinator that {object} is due for review on {due}",
)

# To-dos
REVIEW_DUE = register_kind(
    "policies.review_due",
    "Review a centre policy",
    owner=ASSIGNEE,
    link="policies:policy_detail",
)
CHANGES_NEEDED = register_kind(
    "policies.changes_needed",
    "Change a policy after monitoring",
    owner=ASSIGNEE,
    due_days=30,
    link="policies:policy_detail",
)
SIGN_POLICY = register_kind(
    "policies.sign_as_head",
    "Sign a reviewed policy as Head of Centre",
    owner=Role.HEAD_OF_CENTRE,
    due_days=14,
    link="policies:policy_detail",
)

# --- the yearly policy monitoring report ---------------------------------------------------
MONITORING_DRAFTED = register_action(
    "policies.monitoring_report.drafted",
    "Policy monitoring report drafted",
    "{actor} drafted {object} from the records",
)
MONITORING_REDRAFTED = register_action(
    "policies.monitoring_report.redrafted",
    "Policy monitoring report read again",
    "{actor} read the records again for {object}",
)
MONITORING_ACTIONS_SAVED = register_action(
    "policies.monitoring_report.actions_saved",
    "Policy monitoring actions written",
    "{actor} wrote the actions of {object}",
)
MONITORING_SIGNED = register_action(
    "policies.monitoring_report.signed",
    "Policy monitoring report signed",
    "{actor} signed {object} as Quality Nominee",
)
MONITORING_AMENDED = register_action(
    "policies.monitoring_report.amended",
    "Policy monitoring report: new version",
    "{actor} made a new version of the signed {object}: {reason}",
)
MONITORING_EXPORTED = register_action(
    "policies.monitoring_report.exported",
    "Policy monitoring report downloaded",
    "{actor} downloaded {object} as a PDF",
)
SIGN_MONITORING = register_kind(
    "policies.sign_monitoring_report",
    "Write the actions and sign the policy monitoring report",
    owner=Role.QUALITY_NOMINEE,
    due_days=14,
    link="policies:monitoring_report",
)
