"""What the trail says about Pearson's results file and the results it brings in."""

from audit.actions import register_action

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

# --- the yearly claims audit (004-duty-6) ----------------------------------------------

from accounts.roles import Role  # noqa: E402
from todos.kinds import register_kind  # noqa: E402

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
