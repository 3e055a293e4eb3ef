"""What the assessment plan and brief workflows ask people to do, and what the trail says."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import register_kind

REVIEW_PLAN = register_kind(
    "assessment.review_plan",
    "Review the Lead IV's assessment plan",
    owner=Role.QUALITY_NOMINEE,
    due_days=7,
    link="assessment:plan_list",
)
REVISE_PLAN = register_kind(
    "assessment.revise_plan",
    "Revise the assessment plan the Quality Nominee returned",
    owner=Role.LEAD_IV,
    due_days=7,
    link="assessment:plan_list",
)

_ = register_action

PLAN_STARTED = _("assessment.plan.started", "Assessment plan started", "{actor} started {object}")
ASSIGNMENT_SAVED = _(
    "assessment.plan.assignment_saved",
    "Assignment planned",
    "{actor} saved the assignment {title} on {object}",
)
ASSIGNMENT_REMOVED = _(
    "assessment.plan.assignment_removed",
    "Assignment taken off the plan",
    "{actor} took the assignment {title} off {object}",
)
PLAN_SUBMITTED = _(
    "assessment.plan.submitted",
    "Assessment plan submitted",
    "{actor} signed and submitted {object} to the Quality Nominee (version {version})",
)
PLAN_APPROVED = _(
    "assessment.plan.approved",
    "Assessment plan approved",
    "{actor} approved and signed {object} (version {version})",
)
PLAN_RETURNED = _(
    "assessment.plan.returned",
    "Assessment plan returned",
    "{actor} returned {object} for changes: {comment}",
)
PLAN_REOPENED = _(
    "assessment.plan.reopened",
    "Approved plan reopened",
    "{actor} started a new version of {object}: {reason}",
)

VERIFY_BRIEF = register_kind(
    "assessment.verify_brief",
    "Internally verify the assignment brief",
    owner="assignee",
    due_days=5,
    link="assessment:brief_detail",
)

SIGN_BRIEF = register_kind(
    "assessment.sign_brief",
    "Sign the verified assignment brief as its assessor",
    owner="assignee",
    due_days=5,
    link="assessment:brief_detail",
)

BRIEF_SAVED = _(
    "assessment.brief.saved",
    "Assignment brief saved",
    "{actor} saved version {version} of {object}",
)
BRIEF_CHECKED = _(
    "assessment.brief.checked",
    "Brief checked: action required",
    "{actor} checked {object} and asked for: {actions_required}",
)
BRIEF_VERIFIED = _(
    "assessment.brief.verified",
    "Assignment brief internally verified",
    "{actor} internally verified and signed {object}",
)
BRIEF_ASSESSOR_SIGNED = _(
    "assessment.brief.assessor_signed",
    "Assignment brief signed by its assessor",
    "{actor} signed {object} as its assessor (version {version})",
)
BRIEF_ISSUED = _(
    "assessment.brief.issued",
    "Assignment brief issued",
    "{actor} issued {object} to learners",
)
