"""Who reads, completes and confirms the Annual Quality Declaration; who keeps the reviews."""

from accounts.permissions import MEMBER, register
from accounts.roles import ALL_ROLES, STAFF_ROLES, Role

VIEW_DECLARATION = register(
    "declarations.view_declaration",
    ALL_ROLES,
    writes=False,
    description=(
        "Read the centre's Annual Quality Declaration and its checklist (staff, the Head of "
        "Centre, and governors, who read it)."
    ),
)
COMPLETE_DECLARATION = register(
    "declarations.complete_declaration",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Quality Nominee completes the Annual Quality Declaration: a note and a tick for "
        "each item, then marks it complete for the Head of Centre."
    ),
)
CONFIRM_DECLARATION = register(
    "declarations.confirm_declaration",
    {Role.HEAD_OF_CENTRE},
    writes=True,
    description="The Head of Centre confirms the completed declaration by signing it.",
)
VIEW_REVIEWS = register(
    "declarations.view_arrangement_reviews",
    STAFF_ROLES,
    writes=False,
    reach=[MEMBER],
    description=(
        "Read the yearly review meetings of the collaborative arrangements their centre "
        "leads or belongs to."
    ),
)
RECORD_REVIEWS = register(
    "declarations.record_arrangement_review",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "At the lead centre: the Quality Nominee records the arrangement's yearly review "
        "meeting, who attended, and its actions to closure."
    ),
)
