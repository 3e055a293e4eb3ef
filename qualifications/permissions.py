"""Who reads and changes the qualification catalogue."""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

# The qualification catalogue is Pearson's, not a centre's: not centre-scoped.
VIEW_CATALOGUE = register(
    "qualifications.view_catalogue",
    STAFF_ROLES,
    writes=False,
    description="See the qualification catalogue (units, aims, criteria); download a structure.",
)
MANAGE_CATALOGUE = register(
    "qualifications.manage_catalogue",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.CENTRE_ADMIN},
    writes=True,
    description="Import a qualification's structure from XLSX (checked, all or nothing, audited).",
)
