"""Who grants and who sees the Standards Verifier's access (domain.md 3.10)."""

from .permissions import register
from .roles import Role

GRANT_VERIFIER_ACCESS = register(
    "accounts.grant_verifier_access",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="Give Pearson's Standards Verifier read-only access to sampled cohorts, or end it.",
)
VIEW_VERIFIER_GRANTS = register(
    "accounts.view_verifier_grants",
    {Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE},
    writes=False,
    description="See every Standards Verifier grant at the centre and the pages each opened.",
)
