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
    # Pearson's external verifier: a personal, read-only account the Quality Nominee grants
    # for the cohorts being sampled, until a set date (accounts/models_grants.py).
    STANDARDS_VERIFIER = "standards_verifier", "Standards Verifier"


ALL_ROLES = frozenset(Role)
# Roles that reach only what a grant names, never the whole centre (accounts/permissions.py
# LIMITED_ROLES): not staff, so no permission declared for STAFF_ROLES reaches them.
EXTERNAL_ROLES = frozenset({Role.STANDARDS_VERIFIER})
STAFF_ROLES = ALL_ROLES - {Role.GOVERNOR} - EXTERNAL_ROLES
