"""Who reads a cohort's claim readiness."""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

VIEW_READINESS = register(
    "claims.view_readiness",
    STAFF_ROLES,
    writes=False,
    description=(
        "Read a cohort's claim readiness: each learner's blockers (outcomes, internal "
        "verification, external results, standards verification, the gap since "
        "registration, withdrawal, eligibility) and the countdown to the claim deadline."
    ),
)

IMPORT_RESULTS = register(
    "claims.import_results",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer imports Pearson's results file for external units (preview, then "
        "confirm): each result kept as the file gives it, a Near Pass included."
    ),
)

VIEW_CLAIMS = register(
    "claims.view_claims",
    STAFF_ROLES,
    writes=False,
    description=(
        "Read a cohort's certification claims (interim, final, fallback), their lines, "
        "approvals, claim file and Pearson's reference."
    ),
)

# --- the yearly claims audit (policy 004-duty-6: certificate claims audited) -------------

VIEW_CLAIMS_AUDIT = register(
    "claims.view_claims_audit",
    {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.HEAD_OF_CENTRE},
    writes=False,
    description=(
        "Read the yearly claims audit: every claim of the year traced to its internally "
        "verified decisions, approvers, submission, file and certificate; the sample and the "
        "Quality Nominee's findings and sign-off."
    ),
)

EXPORT_CLAIMS_AUDIT = register(
    "claims.export_claims_audit",
    {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.HEAD_OF_CENTRE},
    writes=False,
    description="Download the yearly claims audit as PDF or XLSX.",
)

AUDIT_CLAIMS = register(
    "claims.audit_claims",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Quality Nominee audits the year's claims: starts the audit, draws the sample "
        "(and adds lines by hand), records a finding on each sampled line and signs it off."
    ),
)
