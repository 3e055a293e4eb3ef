from accounts.permissions import register
from accounts.roles import Role

VIEW_AUDIT = register(
    "audit.view_events",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE, Role.CENTRE_ADMIN},
    writes=False,
    description="Read the audit trail of their centres.",
)
