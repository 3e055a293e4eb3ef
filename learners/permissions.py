from accounts.permissions import register
from accounts.roles import STAFF_ROLES

VIEW_LEARNERS = register(
    "learners.view_learners", STAFF_ROLES, writes=False,
    description="See learner records at their centres (governors see counts only).",
)
