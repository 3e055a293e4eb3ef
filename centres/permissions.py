from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

VIEW_REPORTS = register(
    "centres.view_reports",
    {
        Role.GOVERNOR,
        Role.HEAD_OF_CENTRE,
        Role.QUALITY_NOMINEE,
        Role.EXAMS_OFFICER,
        Role.CENTRE_ADMIN,
    },
    writes=False,
    description="Read centre reports: counts, never a learner's details.",
)
VIEW_ARRANGEMENTS = register(
    "centres.view_arrangements",
    STAFF_ROLES,
    writes=False,
    description="See the collaborative arrangements their centre leads or belongs to.",
)
MANAGE_ARRANGEMENTS = register(
    "centres.manage_arrangements",
    {Role.QUALITY_NOMINEE, Role.CENTRE_ADMIN},
    writes=True,
    description="The lead centre's Quality Nominee and centre administrators manage it.",
)
