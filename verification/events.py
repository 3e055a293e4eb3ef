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
SAMPLING_STRATEGY_SET = register_action(
    "verification.sampling.strategy_set",
    "IV sampling strategy set",
    "{actor} set {object}",
)
ASSESSOR_RATING_SET = register_action(
    "verification.sampling.rating_set",
    "Assessor risk rating set",
    "{actor} set a risk rating: {object}",
)
IV_PLAN_CREATED = register_action(
    "verification.sampling.plan_created",
    "IV sampling plan started",
    "{actor} started {object}",
)
IV_SAMPLE_BUILT = register_action(
    "verification.sampling.sample_built",
    "IV sample built",
    "{actor} built the sample for {object}",
)
IV_SAMPLE_ITEM_ADDED = register_action(
    "verification.sampling.item_added",
    "Work added to the IV sample",
    "{actor} added to the IV sample: {object}",
)
IV_SAMPLE_ITEM_REMOVED = register_action(
    "verification.sampling.item_removed",
    "Work removed from the IV sample",
    "{actor} removed from the IV sample: {object}",
)
