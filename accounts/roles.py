from django.db import models


class Role(models.TextChoices):
    """The roles the seed policies name. A person may hold several, each at several centres."""

    EXAMS_OFFICER = "exams_officer", "Exams Officer"
    QUALITY_NOMINEE = "quality_nominee", "Quality Nominee"
    PROGRAMME_LEADER = "programme_leader", "Programme Leader"
    LEAD_IV = "lead_iv", "Lead Internal Verifier"
    ASSESSOR_IV = "assessor_iv", "Assessor / Internal Verifier"
    HEAD_OF_CENTRE = "head_of_centre", "Head of Centre"
    GOVERNOR = "governor", "Governor"
    CENTRE_ADMIN = "centre_admin", "Centre Administrator"


ALL_ROLES = frozenset(Role)
STAFF_ROLES = ALL_ROLES - {Role.GOVERNOR}
