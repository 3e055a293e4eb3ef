from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

VIEW_LEARNERS = register(
    "learners.view_learners", STAFF_ROLES, writes=False,
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
    description="Download learners, class lists and programmes as XLSX.",
)
IMPORT_LEARNERS = register(
    "learners.import_learners",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=True,
    description="Import learners and class lists from the MIS (CSV or XLSX), preview then commit.",
)
