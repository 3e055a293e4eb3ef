"""What the trail says about Pearson's results file and the results it brings in."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

RESULT_IMPORTED = register_action(
    "claims.external_result.imported",
    "External result imported",
    "{actor} imported {learner}'s result {object} from Pearson's results file",
)
RESULTS_IMPORTED = register_action(
    "claims.results_import.committed",
    "Pearson results file imported",
    "{actor} imported Pearson's results file {object}",
)

# --- certification claims (004-cert-3, 000-3.1.6) ---------------------------------------

CLAIM_PREPARED = register_action(
    "claims.claim.prepared", "Claim prepared", "{actor} prepared {object}"
)
CLAIM_LINE_ADDED = register_action(
    "claims.claim_line.added", "Learner put on a claim", "{actor} put {learner} on {object}"
)
CLAIM_LINE_CHANGED = register_action(
    "claims.claim_line.changed", "Claim line changed", "{actor} changed {learner}'s line {object}"
)
CLAIM_APPROVALS_VOIDED = register_action(
    "claims.claim.approvals_voided",
    "Claim approvals voided",
    "{actor} changed {object} after approval, so its approvals no longer count",
)
CLAIM_APPROVED_BY = register_action(
    "claims.claim.approval_given", "Claim approval given", "{actor} approved {object}"
)
CLAIM_APPROVED = register_action(
    "claims.claim.approved",
    "Claim approved",
    "{object} approved by the programme leader and the exams officer",
)
CLAIM_FILE_MADE = register_action(
    "claims.claim_file.made", "Claim file made", "{actor} made the claim file {object}"
)
CLAIM_SUBMITTED = register_action(
    "claims.claim.submitted", "Claim submitted", "{actor} recorded the submission of {object}"
)
CLAIM_LINE_SUBMITTED = register_action(
    "claims.claim_line.submitted",
    "Learner claimed from Pearson",
    "{actor} claimed {learner} from Pearson on {object}",
)
CLAIM_SUPERSEDED = register_action(
    "claims.claim.superseded", "Claim superseded", "{object} superseded by its amendment"
)
CLAIM_AMENDED = register_action(
    "claims.claim.amended", "Claim amendment opened", "{actor} opened an amendment: {object}"
)

APPROVE_TODO_LEADER = register_kind(
    "claims.approve_leader",
    "Approve the certification claim (programme leader)",
    owner=ASSIGNEE,
    due_days=7,
    link="claims:claim_detail",
)
APPROVE_TODO_EO = register_kind(
    "claims.approve_exams_officer",
    "Approve the certification claim (exams officer)",
    owner=Role.EXAMS_OFFICER,
    due_days=7,
    link="claims:claim_detail",
)
SUBMIT_TODO = register_kind(
    "claims.submit",
    "Key the approved claim into Edexcel Online and record its submission",
    owner=Role.EXAMS_OFFICER,
    due_days=7,
    link="claims:claim_detail",
)
