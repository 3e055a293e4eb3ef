"""What the trail says about the qualification catalogue."""

from audit.actions import register_action

_ = register_action
QUALIFICATION_CREATED = _(
    "qualifications.qualification.created",
    "Qualification added to the catalogue",
    "{actor} added {object} to the catalogue",
    replaces=["catalogue.qualification_created"],
)
QUALIFICATION_UPDATED = _(
    "qualifications.qualification.updated",
    "Qualification changed in the catalogue",
    "{actor} changed {object} in the catalogue",
    replaces=["catalogue.qualification_updated"],
)
UNIT_CREATED = _(
    "qualifications.unit.created",
    "Unit added",
    "{actor} added {object}",
    replaces=["catalogue.unit_created"],
)
UNIT_UPDATED = _(
    "qualifications.unit.updated",
    "Unit changed",
    "{actor} changed {object}",
    replaces=["catalogue.unit_updated"],
)
AIM_CREATED = _(
    "qualifications.aim.created",
    "Learning aim added",
    "{actor} added learning aim {object}",
    replaces=["catalogue.aim_created"],
)
AIM_UPDATED = _(
    "qualifications.aim.updated",
    "Learning aim changed",
    "{actor} changed learning aim {object}",
    replaces=["catalogue.aim_updated"],
)
CRITERION_CREATED = _(
    "qualifications.criterion.created",
    "Criterion added",
    "{actor} added criterion {object}",
    replaces=["catalogue.criterion_created"],
)
CRITERION_UPDATED = _(
    "qualifications.criterion.updated",
    "Criterion changed",
    "{actor} changed criterion {object}",
    replaces=["catalogue.criterion_updated"],
)
STRUCTURE_IMPORTED = _(
    "qualifications.structure.imported",
    "Structure imported",
    "{actor} imported the structure of {object}",
    replaces=["catalogue.structure_imported"],
)
GRADING_TABLE_CREATED = _(
    "qualifications.grading_table.created",
    "Grading table added",
    "{actor} added the grading table {object}",
)
GRADING_TABLE_UPDATED = _(
    "qualifications.grading_table.updated",
    "Grading table changed",
    "{actor} changed the grading table {object}",
)
