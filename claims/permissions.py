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
