"""What the trail says about the tracking sheet, its imports and Tech Award entries and marks."""

from audit.actions import register_action

_ = register_action
UNIT_RESULT_IMPORTED = _(
    "assessment.unit_result.imported",
    "Unit grade imported",
    "{actor} imported {learner}'s {object} from a tracking sheet",
)
DECISION_IMPORTED = _(
    "assessment.criterion_decision.imported",
    "Criteria imported",
    "{actor} imported {learner}'s achieved criteria from a tracking sheet",
)
TRACKING_IMPORTED = _(
    "assessment.tracking_import.committed",
    "Tracking sheet imported",
    "{actor} imported the tracking sheet {object}",
)
TRACKING_EXPORTED = _(
    "assessment.tracking_sheet.exported",
    "Tracking sheet downloaded",
    "{actor} downloaded {object}",
)
COMPONENT_MARK_RECORDED = _(
    "assessment.component_mark.recorded",
    "Component mark recorded",
    "{actor} recorded {learner}'s mark for {object}",
)
COMPONENT_ENTERED = _(
    "assessment.component_entry.entered",
    "Entered for a series",
    "{actor} entered {learner} for {object}",
)
COMPONENT_ENTRY_WITHDRAWN = _(
    "assessment.component_entry.withdrawn",
    "Series entry withdrawn",
    "{actor} withdrew {learner}'s entry for {object}",
)
