"""Who sees and who keeps the list of Lead IVs (the Quality Nominee, domain.md 3.1)."""

from accounts.permissions import LEARNERS_HOME, NOT_OWN_DECISION, register
from accounts.roles import STAFF_ROLES, Role
from assessment.permissions import ASSESSES_OWN_LEARNERS, VERIFIES_ASSIGNMENT

VIEW_LEAD_IVS = register(
    "verification.view_lead_ivs",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts only
    writes=False,
    description="See who is Lead IV (and cover) for each qualification at their centre.",
)
MANAGE_LEAD_IVS = register(
    "verification.manage_lead_ivs",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Quality Nominee identifies each qualification's Lead IV for the year and "
        "their succession cover."
    ),
)

# --- standardisation (000-3.1.5) -------------------------------------------------------

VIEW_STANDARDISATION = register(
    "verification.view_standardisation",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts only
    writes=False,
    description="See the centre's standardisation records.",
)
RECORD_STANDARDISATION = register(
    "verification.record_standardisation",
    {Role.LEAD_IV, Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Lead IV (or the Quality Nominee) records a standardisation activity or the "
        "Lead IV's Pearson standardisation training."
    ),
)
SET_STANDARDISATION_RULE = register(
    "verification.set_standardisation_rule",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="Choose whether an unstandardised assessor or IV is warned or blocked.",
)

# --- internal verification sampling (000-3.2.1) ---------------------------------------

VIEW_IV_SAMPLING = register(
    "verification.view_iv_sampling",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts only
    writes=False,
    # the home centre reads the IV of its own learners' work wherever it was assessed (3.1.7)
    reach=[LEARNERS_HOME],
    description="See the internal verification sampling plans, samples and IV records.",
)

# --- Pearson's standards verification (000-3.1.11, 000-3.1.13) -------------------------

VIEW_SV = register(
    "verification.view_sv",
    STAFF_ROLES | {Role.STANDARDS_VERIFIER},  # the SV: their grant's cohorts (and the pack)
    writes=False,
    # a partner reads the SV of the lead centre's cohort that holds its learners (3.1.7)
    reach=[LEARNERS_HOME],
    description="See each cohort's standards verification: verifier, route, status, samples.",
)
MANAGE_SV = register(
    "verification.manage_sv",
    {Role.QUALITY_NOMINEE, Role.LEAD_IV},
    writes=True,
    description=(
        "The Quality Nominee or Lead IV records Pearson's allocation, the route, the report's "
        "status, the samples asked for and sent, and the actions agreed with the verifier."
    ),
)

# --- IV records on sampled decisions (000-3.2.1; domain.md 3.8) --------------------------
# The internal verifier records agree or disagree on a sampled item: only the
# assignment's own IV (the same rule as assessment.verify_decisions, whose mark_verified
# freezes the decisions on an agree), and nobody on decisions they made themselves
# (NOT_OWN_DECISION, the access layer's rule).

RECORD_IV = register(
    "verification.record_iv",
    {Role.ASSESSOR_IV, Role.LEAD_IV},
    writes=True,
    rules=[VERIFIES_ASSIGNMENT, NOT_OWN_DECISION],
    description=(
        "The assignment's internal verifier records agree or disagree on a sampled "
        "learner's work, and closes the action once it is checked again."
    ),
)
ANSWER_IV_ACTION = register(
    "verification.answer_iv_action",
    {Role.ASSESSOR_IV, Role.LEAD_IV, Role.PROGRAMME_LEADER},
    writes=True,
    rules=[ASSESSES_OWN_LEARNERS],
    description="The assessor says the action an IV disagreement set them is done.",
)
CLEAR_FLAG = register(
    "verification.clear_flag",
    {Role.LEAD_IV, Role.QUALITY_NOMINEE},
    writes=True,
    rules=[NOT_OWN_DECISION],
    description=(
        "The Lead IV (or Quality Nominee) clears a cohort's flag once every decision it "
        "covers was checked again."
    ),
)
PLAN_IV_SAMPLING = register(
    "verification.plan_iv_sampling",
    {Role.LEAD_IV, Role.QUALITY_NOMINEE},
    writes=True,
    description=(
        "The Lead IV (or the Quality Nominee) sets assessors' risk ratings and builds and "
        "edits the IV sampling plan."
    ),
)
SET_SAMPLING_STRATEGY = register(
    "verification.set_sampling_strategy",
    {Role.QUALITY_NOMINEE},
    writes=True,
    description="The Quality Nominee sets the centre's IV sampling rates.",
)
