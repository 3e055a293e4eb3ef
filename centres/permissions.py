from accounts.permissions import register
from accounts.roles import Role

VIEW_REPORTS = register(
    "centres.view_reports",
    {Role.GOVERNOR, Role.HEAD_OF_CENTRE, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=False,
    description="Read centre reports: counts, never a learner's details.",
)
