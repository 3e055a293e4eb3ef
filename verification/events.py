"""What the trail says about Lead IV appointments."""

from audit.actions import register_action

LEAD_IV_APPOINTED = register_action(
    "verification.lead_iv.appointed",
    "Lead IV identified",
    "{actor} identified the Lead IV: {object}",
)
LEAD_IV_CHANGED = register_action(
    "verification.lead_iv.changed",
    "Lead IV or cover changed",
    "{actor} changed {object}",
)
STANDARDISATION_RECORDED = register_action(
    "verification.standardisation.recorded",
    "Standardisation recorded",
    "{actor} recorded standardisation: {object}",
)
STANDARDISATION_RULE_SET = register_action(
    "verification.standardisation.rule_set",
    "Standardisation rule set",
    "{actor} set {object}",
)
