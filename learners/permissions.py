"""Who may see and change learners, programmes and teaching groups.

Seeing reaches past the home centre in two ways only (the one layer decides):
- DELIVERING: a centre that teaches a consortium group sees the learners, groups and
  programmes of the groups it teaches, and nothing more of the home centre;
- ARRANGEMENT: what a consented collaborative arrangement grants (the lead centre's
  Quality Nominee; the qualification's Lead IV), see centres/access.py.
Changing a learner, importing and setting up programmes stay at the home centre.
"""

from accounts.permissions import ARRANGEMENT, DELIVERING, register
from accounts.roles import STAFF_ROLES, Role

VIEW_LEARNERS = register(
    "learners.view_learners",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description="See learner records at their centres (governors see counts only).",
)

CHANGE_LEARNERS = register(
    "learners.change_learners",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=True,
    description="Correct a learner's details (every change audited).",
)
EXPORT_LEARNERS = register(
    "learners.export_learners",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN, Role.QUALITY_NOMINEE, Role.PROGRAMME_LEADER},
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description=(
        "Download learners, class lists and programmes as XLSX: exactly the rows this "
        "permission reaches, never what another permission shows on screen."
    ),
)
IMPORT_LEARNERS = register(
    "learners.import_learners",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=True,
    description="Import learners and class lists from the MIS (CSV or XLSX), preview then commit.",
)

MANAGE_COHORTS = register(
    "learners.manage_programmes",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.CENTRE_ADMIN},
    writes=True,
    description="Set up a centre's programmes: leader, optional units and teaching groups.",
)
