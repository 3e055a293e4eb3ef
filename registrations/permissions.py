"""Who may take each step: the roles the second seed policy names, at their own centres."""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES, Role

VIEW_REGISTRATIONS = register(
    "registrations.view",
    STAFF_ROLES,
    writes=False,
    description="See the registration round, entry lists and registrations at their centres.",
)
RUN_REGISTRATIONS = register(
    "registrations.run",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "The exams officer: open the round, request entries, make entries, return lists, "
        "answer queries, amend, submit to Pearson, import registration numbers, action changes."
    ),
)
PROPOSE_ENTRIES = register(
    "registrations.propose",
    {Role.PROGRAMME_LEADER},
    writes=True,
    description="The programme leader proposes entries, queries rows and signs the entry list.",
)
CHECK_ENTRIES = register(
    "registrations.check_entries",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="The Quality Nominee checks entries against class lists before October half term.",
)
ANSWER_DISCREPANCIES = register(
    "registrations.answer_discrepancies",
    {Role.PROGRAMME_LEADER},
    writes=True,
    description="The programme leader answers the Quality Nominee's questions on discrepancies.",
)
REQUEST_CHANGES = register(
    "registrations.request_changes",
    {Role.PROGRAMME_LEADER, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "Notify a new starter (programme leader), a withdrawal (Quality Nominee), a transfer "
        "or a change of details."
    ),
)
CONFIGURE_CALENDAR = register(
    "registrations.configure_calendar",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=True,
    description="Enter the centre's dates for the year: start of term, October half term.",
)
