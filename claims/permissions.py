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
