"""What the trail says about Pearson's results file and the results it brings in."""

from audit.actions import register_action

RESULT_IMPORTED = register_action(
    "claims.external_result.imported",
    "External result imported",
    "{actor} imported {learner}'s result {object} from Pearson's results file",
)
RESULTS_IMPORTED = register_action(
    "claims.results_import.committed",
    "Pearson results file imported",
    "{actor} imported Pearson's results file {object}",
)
EXTERNAL_ENTERED = register_action(
    "claims.external_entry.made",
    "External entry made",
    "{actor} entered {learner} for {object}",
)
EXTERNAL_ENTRY_WITHDRAWN = register_action(
    "claims.external_entry.withdrawn",
    "External entry withdrawn",
    "{actor} withdrew {learner}'s entry for {object}",
)
