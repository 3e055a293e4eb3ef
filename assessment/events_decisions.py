"""Audit codes for criterion decisions, submissions, extensions, resubmissions and retakes."""

from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

# A resubmission or retake the Lead IV authorised, until the assignment's assessor has
# recorded its decisions: one to-do per assessor and assignment (authorise_resubmission,
# authorise_retake open it; save_grid closes it once no authorised re-attempt is waiting).
ASSESS_REATTEMPT = register_kind(
    "assessment.assess_reattempt",
    "Assess the authorised resubmission or retake",
    owner=ASSIGNEE,
    due_days=15,
    link="assessment:decisions_grid",
)

_ = register_action

DECISIONS_RECORDED = _(
    "assessment.decisions.recorded",
    "Decisions recorded",
    "recorded criterion decisions",
)
DECISIONS_VERIFIED = _(
    "assessment.decisions.verified",
    "Decisions internally verified",
    "marked the learner's decisions internally verified",
)
SUBMISSION_RECORDED = _(
    "assessment.submission.recorded",
    "Submission recorded",
    "recorded the hand-in and authenticity declarations",
)
RESUBMISSION_AUTHORISED = _(
    "assessment.resubmission.authorised",
    "Resubmission authorised",
    "authorised a resubmission",
)
RETAKE_AUTHORISED = _(
    "assessment.retake.authorised",
    "Retake authorised",
    "authorised a retake",
)
EXTENSION_AGREED = _(
    "assessment.extension.agreed",
    "Extension agreed",
    "agreed an extension to the hand-in date",
)
