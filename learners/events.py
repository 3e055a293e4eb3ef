"""What the trail says about learners, programmes and teaching groups."""

from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

# A previewed MIS import nobody committed: owed by its uploader until it is committed or
# refused at commit, or a later one of the same kind by them is (learners.imports).
COMMIT_IMPORT = register_kind(
    "learners.commit_import",
    "Commit the previewed import, or upload it again",
    owner=ASSIGNEE,
    due_days=7,
    link="learner_imports:preview",
)

_ = register_action
LEARNER_CREATED = _(
    "learners.learner.created",
    "Learner added",
    "{actor} added {learner}",
    replaces=["learner.created"],
)
LEARNER_UPDATED = _(
    "learners.learner.updated",
    "Learner's details corrected",
    "{actor} corrected {learner}'s details. {reason}",
    replaces=["learner.updated"],
)
LEARNER_LEFT = _(
    "learners.learner.left",
    "Learner left the roll",
    "{actor} marked {learner} as left",
    replaces=["learner.left"],
)
JOINED_GROUP = _(
    "learners.learner.joined_group",
    "Joined a teaching group",
    "{actor} put {learner} in {group}",
    replaces=["learner.joined_group"],
)
LEFT_GROUP = _(
    "learners.learner.left_group",
    "Left a teaching group",
    "{actor} took {learner} out of {group}",
    replaces=["learner.left_group"],
)
COHORT_CREATED = _(
    "learners.cohort.created",
    "Cohort set up",
    "{actor} set up the cohort {object}",
    replaces=["programme.created", "learners.programme.created"],
)
COHORT_UPDATED = _(
    "learners.cohort.updated",
    "Cohort changed",
    "{actor} changed the cohort {object}",
    replaces=["programme.updated", "learners.programme.updated"],
)
GROUP_CREATED = _(
    "learners.teaching_group.created",
    "Teaching group set up",
    "{actor} set up group {object}",
    replaces=["teaching_group.created"],
)
GROUP_UPDATED = _(
    "learners.teaching_group.updated",
    "Teaching group changed",
    "{actor} changed group {object}",
    replaces=["teaching_group.updated"],
)
GROUP_LEARNER_ADDED = _(
    "learners.teaching_group.learner_added",
    "Class list: learner added",
    "{actor} added {learner} to {object} from a class list",
    replaces=["teaching_group.learner_added"],
)
MAPPING_SAVED = _(
    "learners.column_mapping.saved",
    "Column headings remembered",
    "{actor} saved how {object}'s MIS headings map",
    replaces=["column_mapping.saved"],
)
