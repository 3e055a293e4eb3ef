"""Who reads a cohort's claim readiness."""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES

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
