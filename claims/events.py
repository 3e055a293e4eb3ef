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
RESULTS_DISCARDED = register_action(
    "claims.results_import.discarded",
    "Pearson results file preview discarded",
    "{actor} discarded the preview of Pearson's results file {object}",
)
# A previewed results file nobody confirmed: owed by its uploader until it is confirmed or
# discarded, or a later one of theirs at the centre is (claims.services_results).
CONFIRM_RESULTS_IMPORT = register_kind(
    "claims.confirm_results_import",
    "Confirm the previewed results file, or discard it",
    owner=ASSIGNEE,
    due_days=7,
    link="claims:results_import",
)

# --- the yearly claims audit (004-duty-6) ----------------------------------------------


AUDIT_STARTED = register_action(
    "claims.claims_audit.started",
    "Claims audit started",
    "{actor} started the claims audit {object}",
)
AUDIT_SAMPLE_DRAWN = register_action(
    "claims.claims_audit.sample_drawn",
    "Claims audit sample drawn",
    "{actor} drew the sample of the claims audit {object}",
)
AUDIT_LINE_ADDED = register_action(
    "claims.claims_audit.line_added",
    "Claim line added to the audit sample",
    "{actor} added a claim line to the sample: {object}",
)
AUDIT_FINDING = register_action(
    "claims.claims_audit.finding_recorded",
    "Claims audit finding recorded",
    "{actor} recorded a finding on {object}",
)
AUDIT_SIGNED = register_action(
    "claims.claims_audit.signed_off",
    "Claims audit signed off",
    "{actor} signed off the claims audit {object}",
)
AUDIT_REOPENED = register_action(
    "claims.claims_audit.reopened",
    "Claims audit reopened as a new version",
    "{actor} reopened the signed claims audit {object} as a new version",
)

CLAIMS_AUDIT_TODO = register_kind(
    "claims.claims_audit_due",
    "Audit the year's certification claims and sign the audit off",
    owner=Role.QUALITY_NOMINEE,
    due_days=30,
    link="claims:audit_detail",
)
AUDIT_EXPORTED = register_action(
    "claims.claims_audit.downloaded",
    "Claims audit downloaded",
    "{actor} downloaded the claims audit {object}",
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

EXTERNAL_ENTERED = register_action(
    "claims.external_entry.made",
    "External entry made",
    "{actor} entered {learner} for {object}",
)
EXTERNAL_ENTRY_WITHDRAWN = register_action(
    "claims.external_entry.withdrawn",
    "External entry withdrawn",
    "{actor} withdrew {learner}'s entry for {object}",
)
