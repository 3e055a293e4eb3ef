"""Who reads a cohort's claim readiness."""

from accounts.permissions import LEADS_PROGRAMME, register
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

PREPARE_CLAIMS = register(
    "claims.prepare_claims",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer prepares a claim (interim, final or fallback) from the claim "
        "readiness, changes its lines before approval and amends a submitted claim."
    ),
)

APPROVE_CLAIMS = register(
    "claims.approve_claims",
    {Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "Open a claim's approval form: the programme leader (their own cohort) and the exams "
        "officer each approve, as two different people."
    ),
)

APPROVE_AS_LEADER = register(
    "claims.approve_as_leader",
    {Role.PROGRAMME_LEADER},
    writes=True,
    rules=[LEADS_PROGRAMME],
    description="The cohort's programme leader approves its claim (password re-entered).",
)

APPROVE_AS_EXAMS_OFFICER = register(
    "claims.approve_as_exams_officer",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer approves a claim with the programme leader: two different people."
    ),
)

SUBMIT_CLAIMS = register(
    "claims.submit_claims",
    {Role.EXAMS_OFFICER},
    writes=True,
    description="The exams officer records a claim's submission: its date and Pearson's reference.",
)

EXPORT_CLAIM_FILE = register(
    "claims.export_claim_file",
    {Role.EXAMS_OFFICER},
    writes=False,
    description=(
        "The exams officer downloads the claim file (XLSX or CSV) laid out for keying into "
        "Edexcel Online; every file made is kept on record with its SHA-256."
    ),
)

VIEW_EXTERNAL_ENTRIES = register(
    "claims.view_external_entries",
    STAFF_ROLES,
    writes=False,
    description=(
        "Read a cohort's external assessment entries per series (late marks, withdrawals, "
        "resits, the imported result beside each entry) and the entries file."
    ),
)

MAKE_EXTERNAL_ENTRIES = register(
    "claims.make_external_entries",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer enters a cohort's registered learners for external units in a "
        "series, and withdraws entries (policy 004: external entries in February)."
    ),
)
