"""Who may take each step: the roles the second seed policy names, at their own centres.

Registrations go through the learner's home centre (a consortium does not change centre
numbers), so every permission here is exercised at the record's own centre. Duties that
belong to one person are object rules of the same layer: only the programme's own leader
proposes, queries, signs and answers for it (any programme leader when it has none).
"""

from accounts.permissions import LEADS_PROGRAMME, REQUESTED_BY_ME, register
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
    rules=[LEADS_PROGRAMME],
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
    rules=[LEADS_PROGRAMME],
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
# Who may notify which kind of change (the seed policy's roles; the exams officer always may).
NOTIFY_NEW_STARTER = register(
    "registrations.notify_new_starter",
    {Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER},
    writes=True,
    description="Programme leaders notify new starters during the year (policy 004).",
)
NOTIFY_WITHDRAWAL = register(
    "registrations.notify_withdrawal",
    {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=True,
    description="The Quality Nominee notifies withdrawals (policy 004).",
)
NOTIFY_TRANSFER = register(
    "registrations.notify_transfer",
    {Role.PROGRAMME_LEADER, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=True,
    description="Notify a transfer to another programme or centre.",
)
NOTIFY_DETAILS = register(
    "registrations.notify_details",
    {Role.PROGRAMME_LEADER, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=True,
    description="Notify a change of a learner's details to pass on to Pearson.",
)
CANCEL_OWN_CHANGE = register(
    "registrations.cancel_own_change",
    {Role.PROGRAMME_LEADER, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=True,
    rules=[REQUESTED_BY_ME],
    description="Whoever notified a change may cancel it while it is still open.",
)

CONFIGURE_CALENDAR = register(
    "registrations.configure_calendar",
    {Role.EXAMS_OFFICER, Role.CENTRE_ADMIN},
    writes=True,
    description="Enter the centre's dates for the year: start of term, October half term.",
)
