"""Who reads and who keeps the centre's policy register (policy 000-4, MONITORING)."""

from accounts.permissions import Rule, register
from accounts.roles import ALL_ROLES, STAFF_ROLES, Role

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


# --- the yearly policy monitoring report (seed 000, section 4) --------------------------


def _drafts_for_staff(user, spec):
    """A signed report is read by everyone holding the permission (governors included);
    a draft only where the user may read drafts (staff, READ_MONITORING_DRAFTS)."""
    from django.db.models import Q

    from accounts.permissions import centre_ids_for

    status = spec.path("status")
    drafts_at = sorted(centre_ids_for(user, READ_MONITORING_DRAFTS))
    return ~Q(**{status: "draft"}) | Q(**{f"{spec.centre}__in": drafts_at})


SIGNED_UNLESS_STAFF = Rule(
    "signed_unless_staff",
    _drafts_for_staff,
    "Governors read the policy monitoring report once the Quality Nominee has signed it.",
)
READ_MONITORING_DRAFTS = register(
    "policies.read_monitoring_drafts",
    STAFF_ROLES,
    writes=False,
    description=(
        "Staff read the policy monitoring report while the Quality Nominee drafts it "
        "(governors read the signed report only)."
    ),
)
VIEW_MONITORING = register(
    "policies.view_monitoring_report",
    STAFF_ROLES | {Role.GOVERNOR},
    writes=False,
    rules=[SIGNED_UNLESS_STAFF],
    description=(
        "Read the Quality Nominee's yearly policy monitoring report: each clause held, its "
        "exceptions and their actions (governors: once signed). The Standards Verifier "
        "receives the signed report in the SV evidence pack."
    ),
)
EXPORT_MONITORING = register(
    "policies.export_monitoring_report",
    {Role.QUALITY_NOMINEE, Role.HEAD_OF_CENTRE, Role.GOVERNOR},
    writes=False,
    rules=[SIGNED_UNLESS_STAFF],
    description="Download the policy monitoring report as a PDF, for Pearson in the autumn.",
)
KEEP_MONITORING = register(
    "policies.keep_monitoring_report",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Quality Nominee drafts the yearly policy monitoring report from the records, "
        "writes the action for each exception, signs it, and makes a new version with a "
        "reason when a signed one must change."
    ),
)
