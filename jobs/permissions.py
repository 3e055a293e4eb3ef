"""Who may see a job at all. What each job's page shows is decided by its kind's permission.

`VIEW_JOBS` is the model's view permission: staff at the job's centre know a job exists
(so a role too weak for the kind's permission is a 403, not a 404). The job page, its
progress and its download each fetch the job with the permission of its kind
(`registry.register_job(..., permission=...)`): only people who may get the result see it.
"""

from accounts.permissions import register
from accounts.roles import STAFF_ROLES

VIEW_JOBS = register(
    "jobs.view_jobs",
    STAFF_ROLES,
    writes=False,
    description="Follow a background job of their centre (each job's own kind decides more).",
)
