"""Audit codes for criterion decisions, submissions, extensions, resubmissions and retakes."""

from audit.actions import register_action

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
