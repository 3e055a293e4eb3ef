"""Who reads the retention page, approves disposals and places legal holds (policy 3.1.10)."""

from accounts.permissions import register
from accounts.roles import Role

VIEW_RETENTION = register(
    "retention.view_retention",
    {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.HEAD_OF_CENTRE},
    writes=False,
    description="Read what falls due for disposal, what is approved, held and disposed.",
)
APPROVE_DISPOSAL = register(
    "retention.approve_disposal",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="The Quality Nominee approves the disposal of records past their retention.",
)
PLACE_HOLD = register(
    "retention.place_hold",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="The Quality Nominee places and lifts legal holds (appeal, malpractice, request).",
)
