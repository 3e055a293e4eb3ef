"""Who may do what with assessment records (Assessment issue).

Every permission reaches objects through the one access layer (accounts.permissions):
the object's own centre decides, 404 outside reach, 403 for a role too weak.
"""

from django.db.models import Exists, OuterRef, Q

from accounts.permissions import ARRANGEMENT, DELIVERING, Access, Rule, register
from accounts.roles import STAFF_ROLES, Role

# --- assessment plans and assignment briefs ------------------------------------------

VIEW_PLANS = register(
    "assessment.view_plans",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
    description="See assessment plans, their assignments and briefs.",
)


# (plans and briefs: further permissions go above this line)


# --- criterion decisions, resubmissions and retakes ----------------------------------

VIEW_DECISIONS = register(
    "assessment.view_decisions",
    STAFF_ROLES,
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
    rules=[VERIFIES_ASSIGNMENT],
    description="The assignment's internal verifier marks a learner's decisions verified.",
)
AUTHORISE_REATTEMPTS = register(
    "assessment.authorise_reattempts",
    {Role.LEAD_IV},
    writes=True,
    description="The Lead IV authorises a resubmission or a retake (domain.md 3.6, 3.7).",
)

from . import events_decisions  # noqa: E402, F401  (the audit codes, declared at start-up)


# (decisions: further permissions go above this line)


# --- the tracking sheet and Tech Award marks -------------------------------------------


# (tracking: further permissions go above this line)
