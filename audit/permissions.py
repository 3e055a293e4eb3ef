from accounts.permissions import register
from accounts.roles import Role

VIEW_AUDIT = register(
    "audit.view_events",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE, Role.CENTRE_ADMIN},
    writes=False,
    description="Read the audit trail of their centres.",
)


def _declare_access():
    """AuditEvent rows reach a centre by the centre id they were recorded at (no foreign key:
    the trail outlives what it describes)."""
    from accounts.permissions import Access

    from .models import AuditEvent

    AuditEvent.access = Access(centre="centre_id", view=VIEW_AUDIT, learner="learner_id")


_declare_access()
