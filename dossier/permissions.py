"""Who reads a learner's dossier (policy 004 aim 3: the audit trail from each registration
and claim to the certificate).

The learner's home centre staff, and the delivering centre (the one teaching the learner
in a consortium group); governors hold neither. Opening the dossier decides only that the
page exists for the reader: each section then reads its rows with its own app's view
permission (`scope()`), so the delivering centre sees only what it may see elsewhere.
"""

from accounts.permissions import DELIVERING, register
from accounts.roles import STAFF_ROLES, Role

VIEW_DOSSIER = register(
    "dossier.view_dossier",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING],
    description=(
        "Read a learner's dossier: registration, plan and briefs, decisions, IV, SV, results "
        "and claims, each with who and when, and the check of the learner's audit events."
    ),
)
EXPORT_DOSSIER = register(
    "dossier.export_dossier",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.PROGRAMME_LEADER, Role.LEAD_IV},
    writes=False,
    reach=[DELIVERING],
    description=(
        "Download a learner's dossier as PDF: exactly the sections and rows this "
        "permission's holder may read."
    ),
)
