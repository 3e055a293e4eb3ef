"""Who may do what with centres and collaborative arrangements."""

from accounts.permissions import ARRANGEMENT, MEMBER, register
from accounts.roles import STAFF_ROLES, Role

VIEW_REPORTS = register(
    "centres.view_reports",
    {
        Role.GOVERNOR,
        Role.HEAD_OF_CENTRE,
        Role.QUALITY_NOMINEE,
        Role.EXAMS_OFFICER,
        Role.CENTRE_ADMIN,
    },
    writes=False,
    description="Read centre reports: counts, never a learner's details.",
)
VIEW_ARRANGEMENTS = register(
    "centres.view_arrangements",
    STAFF_ROLES,
    writes=False,
    reach=[MEMBER],
    description=(
        "See the collaborative arrangements their centre leads, belongs to or is invited to."
    ),
)
MANAGE_ARRANGEMENTS = register(
    "centres.manage_arrangements",
    {Role.QUALITY_NOMINEE, Role.CENTRE_ADMIN},
    writes=True,
    description=(
        "At the lead centre: create an arrangement, invite partners, add and withdraw "
        "qualifications, withdraw a partner, record that Pearson was told."
    ),
)
RESPOND_TO_ARRANGEMENT = register(
    "centres.respond_to_arrangement",
    {Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE},
    writes=True,
    description=(
        "At an invited centre: accept or refuse the invitation; at a partner centre: "
        "withdraw from the arrangement. Nobody else can make a centre a partner."
    ),
)
NOTE_ARRANGEMENT_CHANGES = register(
    "centres.note_arrangement_changes",
    {Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE},
    writes=True,
    description="Mark a change to an arrangement (joined, refused, withdrawn) as noted.",
)
VIEW_APPROVALS = register(
    "centres.view_approvals",
    STAFF_ROLES,
    writes=False,
    description="See the qualifications Pearson has approved their centre to deliver.",
)
RECORD_APPROVALS = register(
    "centres.record_approvals",
    {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.HEAD_OF_CENTRE, Role.CENTRE_ADMIN},
    writes=True,
    description="Record the centre's own Pearson approval for a qualification.",
)

# Quality-assurance records (plans, briefs, decisions, IV, SV) of a partner's learners that
# an arrangement shared stay readable to the lead centre after the partner withdraws, for
# the retention period (collaborative arrangements policy 3.1.10). Learner records
# themselves stop flowing on withdrawal; the QA apps read their records with this.
VIEW_SHARED_QA_RECORDS = register(
    "centres.view_shared_qa_records",
    {Role.QUALITY_NOMINEE, Role.LEAD_IV, Role.HEAD_OF_CENTRE},
    writes=False,
    reach=[ARRANGEMENT],
    after_withdrawal=True,
    description=(
        "Read the QA records an arrangement shared, still after a partner withdraws, "
        "for their retention period."
    ),
)
EXPORT_REPORTS = register(
    "centres.export_reports",
    {Role.GOVERNOR, Role.HEAD_OF_CENTRE, Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER},
    writes=False,
    description="Download the governors' annual report as a PDF: counts, never a learner.",
)
