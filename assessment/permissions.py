"""Who may do what with assessment records (Assessment issue).

Every permission reaches objects through the one access layer (accounts.permissions):
the object's own centre decides, 404 outside reach, 403 for a role too weak.
"""

from accounts.permissions import ARRANGEMENT, DELIVERING, register
from accounts.roles import STAFF_ROLES, Role

# --- assessment plans and assignment briefs ------------------------------------------

VIEW_PLANS = register(
    "assessment.view_plans",
    STAFF_ROLES,
    writes=False,
    reach=[DELIVERING, ARRANGEMENT],
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

from . import events_plans  # noqa: E402,F401  (the plans' to-do kinds and audit codes)

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
