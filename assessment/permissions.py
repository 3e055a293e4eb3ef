"""Who may do what with assessment records (Assessment issue).

Every permission reaches objects through the one access layer (accounts.permissions):
the object's own centre decides, 404 outside reach, 403 for a role too weak.
"""

from accounts.permissions import ARRANGEMENT, DELIVERING, register
from accounts.roles import STAFF_ROLES

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


# (decisions: further permissions go above this line)


# --- the tracking sheet and Tech Award marks -------------------------------------------


# (tracking: further permissions go above this line)
