"""Who reads and who keeps the centre's policy register (policy 000-4, MONITORING)."""

from accounts.permissions import register
from accounts.roles import ALL_ROLES, Role

VIEW_REGISTER = register(
    "policies.view_register",
    ALL_ROLES,
    writes=False,
    description=(
        "See the centre's policy register: each policy, its versions, signatures and the "
        "Quality Nominee's monitoring (staff and governors; governors read only)."
    ),
)
MANAGE_REGISTER = register(
    "policies.manage_register",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Quality Nominee keeps the register: adds policies, records each review as a new "
        "version, records the chair of governors' signature and the yearly monitoring."
    ),
)
SIGN_AS_HEAD = register(
    "policies.sign_as_head",
    {Role.HEAD_OF_CENTRE},
    writes=True,
    description="The Head of Centre signs a reviewed policy's version themself.",
)
EXPORT_REGISTER = register(
    "policies.export_register",
    {Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE},
    writes=False,
    description=(
        "Download the register (XLSX) and the current policy files (ZIP) for Pearson, "
        "who ask for them in the autumn."
    ),
)
