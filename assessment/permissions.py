"""Who may do what with assessment records (Assessment issue).

Every permission reaches objects through the one access layer (accounts.permissions):
the object's own centre decides, 404 outside reach, 403 for a role too weak.
"""

from django.db.models import Exists, OuterRef, Q

from accounts.permissions import (
    ARRANGEMENT,
    DELIVERING,
    LEADS_PROGRAMME,
    LEARNERS_HOME,
    NOT_OWN_DECISION,
    Access,
    Rule,
    assignments,
    register,
)
from accounts.roles import STAFF_ROLES, Role

# --- assessment plans and assignment briefs ------------------------------------------

VIEW_PLANS = register(
    "assessment.view_plans",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts only
    writes=False,
    # a partner reads the lead centre's plans and briefs for a cohort holding its learners
    reach=[DELIVERING, ARRANGEMENT, LEARNERS_HOME],
    description="See assessment plans, their assignments and briefs.",
)

# The Lead IV writes and submits the plan; the service also checks they are the Lead IV
# appointed for the cohort's qualification, centre and year (or the arrangement's).
WRITE_PLANS = register(
    "assessment.write_plans",
    {Role.LEAD_IV},
    writes=True,
    reach=[ARRANGEMENT],
    description="Write an assessment plan and submit it to the Quality Nominee.",
)
REVIEW_PLANS = register(
    "assessment.review_plans",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="Approve an assessment plan, or return it with comments.",
)

# The assessor (or Lead IV) writes and uploads a brief and issues it once verified; the
# internal verifier checks it (the service also checks they are the assignment's IV).
WRITE_BRIEFS = register(
    "assessment.write_briefs",
    {Role.LEAD_IV, Role.ASSESSOR_IV},
    writes=True,
    reach=[DELIVERING, ARRANGEMENT],
    description="Write or upload an assignment brief and issue it once verified.",
)
VERIFY_BRIEFS = register(
    "assessment.verify_briefs",
    {Role.LEAD_IV, Role.ASSESSOR_IV},
    writes=True,
    reach=[DELIVERING, ARRANGEMENT],
    description="Internally verify an assignment brief against Pearson's checklist.",
)


# (plans and briefs: further permissions go above this line)


# --- criterion decisions, resubmissions and retakes ----------------------------------

VIEW_DECISIONS = register(
    "assessment.view_decisions",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts only
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description="See assessment decisions, unit grades and resubmissions.",
)


def _assessor_of_own_learners(user, spec: Access) -> Q:
    """The assignment's assessor is the user and (for a learner's record) the learner is
    in a teaching group of the assignment's cohort."""
    condition = Q(**{spec.path("assessor"): getattr(user, "pk", None)})
    if spec.learner:
        from learners.models import TeachingGroup

        condition &= Exists(
            TeachingGroup.objects.filter(
                cohort=OuterRef(spec.path("cohort")), learners=OuterRef(spec.learner)
            )
        )
    return condition


ASSESSES_OWN_LEARNERS = Rule(
    "assesses_own_learners",
    _assessor_of_own_learners,
    "Only the assignment's own assessor records decisions, for learners of its cohort.",
)


def _verifies(user, spec: Access) -> Q:
    return Q(**{spec.path("internal_verifier"): getattr(user, "pk", None)})


VERIFIES_ASSIGNMENT = Rule(
    "verifies_assignment",
    _verifies,
    "Only the assignment's own internal verifier marks its decisions verified.",
)

RECORD_DECISIONS = register(
    "assessment.record_decisions",
    {Role.ASSESSOR_IV, Role.LEAD_IV, Role.PROGRAMME_LEADER},
    writes=True,
    reach=[DELIVERING],
    rules=[ASSESSES_OWN_LEARNERS],
    description="The assignment's assessor records criterion decisions and authenticity.",
)
VERIFY_DECISIONS = register(
    "assessment.verify_decisions",
    {Role.ASSESSOR_IV, Role.LEAD_IV},
    writes=True,
    reach=[DELIVERING],
    rules=[VERIFIES_ASSIGNMENT, NOT_OWN_DECISION],
    description="The assignment's internal verifier marks a learner's decisions verified.",
)
AUTHORISE_REATTEMPTS = register(
    "assessment.authorise_reattempts",
    {Role.LEAD_IV},
    writes=True,
    description="The Lead IV authorises a resubmission or a retake (domain.md 3.6, 3.7).",
)


def _assessor_or_lead_iv(user, spec: Access) -> Q:
    """The assignment's own assessor (of its cohort's learners, as for decisions), or a
    Lead IV at the object's own centre (as for authorising a resubmission)."""
    lead_iv_at = sorted({c for role, c in assignments(user) if role == Role.LEAD_IV})
    return _assessor_of_own_learners(user, spec) | Q(**{f"{spec.centre}__in": lead_iv_at})


ASSESSOR_OR_LEAD_IV = Rule(
    "assessor_or_lead_iv",
    _assessor_or_lead_iv,
    "Only the assignment's own assessor or the qualification's Lead IV agrees an extension.",
)

AGREE_EXTENSIONS = register(
    "assessment.agree_extensions",
    {Role.ASSESSOR_IV, Role.LEAD_IV, Role.PROGRAMME_LEADER},
    writes=True,
    reach=[DELIVERING],
    rules=[ASSESSOR_OR_LEAD_IV],
    description=(
        "The assignment's assessor or the Lead IV agrees a learner's extension to the "
        "hand-in date (domain.md 3.5)."
    ),
)

# (decisions: further permissions go above this line)


# --- the tracking sheet and Tech Award marks -------------------------------------------

VIEW_TRACKING = register(
    "assessment.view_tracking",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description="See a cohort's tracking sheet: unit statuses, unit grades, points, estimates.",
)
EXPORT_TRACKING = register(
    "assessment.export_tracking",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.PROGRAMME_LEADER, Role.LEAD_IV},
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description=(
        "Download the tracking sheet and the Tech Award assessment record as XLSX: "
        "exactly the learners this permission reaches."
    ),
)
IMPORT_TRACKING = register(
    "assessment.import_tracking",
    {Role.EXAMS_OFFICER, Role.PROGRAMME_LEADER},
    writes=True,
    description="Import unit grades or criteria from a school's tracking spreadsheet.",
)
SIGN_TRACKING_TEACHER = register(
    "assessment.sign_tracking_teacher",
    {Role.ASSESSOR_IV, Role.LEAD_IV},
    writes=True,
    description="The class teacher signs off the tracking sheet (policy 004, certification).",
)
SIGN_TRACKING_LEADER = register(
    "assessment.sign_tracking_leader",
    {Role.PROGRAMME_LEADER},
    writes=True,
    rules=[LEADS_PROGRAMME],
    description="The programme leader signs off the tracking sheet (policy 004, certification).",
)
RECORD_COMPONENT_MARKS = register(
    "assessment.record_component_marks",
    {Role.ASSESSOR_IV, Role.LEAD_IV, Role.EXAMS_OFFICER},
    writes=True,
    description="Record Tech Award Pearson Set Assignment raw marks for a series.",
)
# The exams officer enters learners for an internal component in the series in which its
# Pearson Set Assignment is completed (domain.md §2.2); the same reach as the marks.
ENTER_SERIES = register(
    "assessment.enter_series",
    {Role.EXAMS_OFFICER},
    writes=True,
    description=(
        "Enter learners for a Tech Award internal component in a series, or withdraw an "
        "entry before any mark is recorded."
    ),
)

# (tracking: further permissions go above this line)


# --- the learner's record of progress and achievement (policy 000-3.1.8) ---------------

# Each centre sees it for its own learners, and the delivering centre (the one teaching
# the learner in a consortium group) for the cohorts it teaches them on.
VIEW_PROGRESS = register(
    "assessment.view_progress",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING],
    description=(
        "See a learner's record of progress and achievement: each programme's registration, "
        "criterion decisions, unit grades, internal verification and re-attempts."
    ),
)
EXPORT_PROGRESS = register(
    "assessment.export_progress",
    {Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE, Role.PROGRAMME_LEADER, Role.LEAD_IV},
    writes=False,
    reach=[DELIVERING],
    description=(
        "Download a learner's record of progress and achievement as XLSX: exactly the "
        "programmes this permission reaches."
    ),
)
