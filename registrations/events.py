"""What the registration cycle asks people to do (to-do kinds), with their default due dates.

A due date given by the workflow (the entry-request date, the entry-check deadline) wins;
otherwise the kind's days apply, overridable in settings (BTECQA_TODO_DUE_DAYS).
"""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import register_kind

PL, EO, QN = Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE


def _kind(code: str, label: str, *, owner, due_days: int | None = None) -> str:
    """A registration kind: its target's page, else the rounds (every one of them has one)."""
    return register_kind(
        code, label, owner=owner, due_days=due_days, link="registrations:round_list"
    )


PROPOSE = _kind("registrations.propose_entries", "Propose the programme's entries", owner=PL)
MAKE_ENTRIES = _kind(
    "registrations.make_entries", "Make the proposed entries", owner=EO, due_days=7
)
SIGN = _kind(
    "registrations.sign_entry_list", "Check, sign and date the entry list", owner=PL, due_days=5
)
ANSWER_QUERY = _kind(
    "registrations.answer_query", "Answer the programme leader's query", owner=EO, due_days=3
)
SUBMIT = _kind(
    "registrations.submit_entry_list", "Submit the signed entries to Pearson", owner=EO, due_days=5
)
CHECK = _kind("registrations.entry_check", "Check entries against class lists", owner=QN)
CHECK_ANSWER = _kind(
    "registrations.entry_check_answer", "Answer the Quality Nominee's question", owner=PL
)
CHECK_AMEND = _kind(
    "registrations.entry_check_amend", "Amend an entry found wrong by the check", owner=EO
)
CHECK_REVIEW = _kind("registrations.entry_check_review", "Review an answer or amendment", owner=QN)
CHECK_LATE = _kind(
    "registrations.entry_check_late", "The entry check is past its deadline", owner=EO
)
ACTION_CHANGE = _kind(
    "registrations.action_change", "Make the change at Pearson", owner=EO, due_days=5
)
VERIFY_NEW_STARTER = _kind(
    "registrations.verify_new_starter",
    "Verify a new starter's entry with the exams officer",
    owner=QN,
    due_days=5,
)
RECEIVE_TRANSFER = _kind(
    "registrations.receive_transfer",
    "Complete a transfer from another centre",
    owner=EO,
    due_days=5,
)
TRANSFER_DECLINED_TODO = _kind(
    "registrations.transfer_declined",
    "Decide what next for a transfer the receiving centre declined",
    owner=EO,
    due_days=5,
)
NUMBERS_LEFT = _kind(
    "registrations.registration_numbers_left",
    "Match the registration numbers left over",
    owner=EO,
    due_days=7,
)


# --- what the trail says ------------------------------------------------------------------
_ = register_action

ROUND_OPENED = _(
    "registrations.round.opened",
    "Registration round opened",
    "{actor} opened the {academic_year} registration round",
    replaces=["registrations.round_opened"],
)
ROUND_CLOSED = _(
    "registrations.round.closed",
    "Registration round closed",
    "{actor} closed the {academic_year} registration round",
)
COHORTS_STARTED = _(
    "registrations.round.cohorts_started",
    "New cohorts started",
    "{actor} started {count} new cohort(s) for {academic_year}: {titles}",
)
CALENDAR_SAVED = _(
    "registrations.calendar.saved",
    "Centre dates saved",
    "{actor} saved the centre's dates for {academic_year}",
    replaces=["registrations.calendar_saved"],
)
ENTRIES_REQUESTED = _(
    "registrations.entry_request.requested",
    "Entries requested",
    "{actor} asked for the entries of {cohort} by {due}",
    replaces=["registrations.entries_requested"],
)
REQUEST_EMAILED = _(
    "registrations.entry_request.emailed",
    "Entry request e-mailed",
    "The entry request for {object} was e-mailed to {to}",
    replaces=["registrations.entry_request_emailed"],
)
PROPOSALS_SENT = _(
    "registrations.entry_request.proposals_sent",
    "Proposals sent",
    "{actor} sent the proposed entries for {object}",
    replaces=["registrations.proposals_sent"],
)
LIST_RETURNED = _(
    "registrations.entry_list.returned",
    "Entry list returned for signing",
    "{actor} returned {object} to the programme leader to check and sign",
    replaces=["registrations.list_returned"],
)
ENTRIES_MADE = _(
    "registrations.entry_list.entries_made",
    "Entries made",
    "{actor} entered {entered} proposed learner(s) on {object}",
)
LIST_SIGNED = _(
    "registrations.entry_list.signed",
    "Entry list signed",
    "{actor} signed and dated {object} (version {version})",
)
LIST_AMENDED = _(
    "registrations.entry_list.amended",
    "Entry list amended",
    "{actor} amended {object}: {detail} ({reason})",
)
QUERY_ANSWERED = _(
    "registrations.row_query.answered",
    "Query answered",
    "{actor} answered the query on {learner}: “{answer}”",
)
LIST_SUBMITTED = _(
    "registrations.entry_list.submitted",
    "Entries submitted to Pearson",
    "{actor} recorded the submission of {object} to Pearson on {submitted_on}",
    replaces=["registrations.list_submitted"],
)
NUMBERS_IMPORTED = _(
    "registrations.numbers.imported",
    "Registration numbers imported",
    "{actor} imported registration numbers from {object}",
    replaces=["registrations.numbers_imported"],
)
NOTICE_SENT = _(
    "registrations.notice.sent",
    "Learner told of their registration",
    "{actor} told {learner} of their registration ({method})",
    replaces=["registrations.notice_sent"],
)
EC_STARTED = _(
    "registrations.entry_check.started",
    "Entry check started",
    "{actor} started the entry check (deadline {deadline})",
    replaces=["registrations.entry_check_started"],
)
EC_RUN = _(
    "registrations.entry_check.run",
    "Entry check run",
    "{actor} compared the entries with the class lists: {found} new discrepancies",
    replaces=["registrations.entry_check_run"],
)
EC_CLOSED = _(
    "registrations.entry_check.closed",
    "Entry check closed",
    "{actor} closed {object}",
    replaces=["registrations.entry_check_closed"],
)
EC_LATE = _(
    "registrations.entry_check.late",
    "Entry check late",
    "{object} passed its deadline with discrepancies open",
    replaces=["registrations.entry_check_late"],
)
D_FOUND = _(
    "registrations.discrepancy.found",
    "Found by the check",
    "The entry check found {object}",
    replaces=["registrations.discrepancy_found"],
)
D_RECORDED = _(
    "registrations.discrepancy.recorded",
    "Recorded by the Quality Nominee",
    "{actor} recorded {object}: {detail}",
    replaces=["registrations.discrepancy_recorded"],
)
D_ASKED = _(
    "registrations.discrepancy.asked",
    "Question to the programme leader",
    "{actor} asked the programme leader about {learner}: “{question}”",
    replaces=["registrations.discrepancy_asked"],
)
D_ANSWERED = _(
    "registrations.discrepancy.answered",
    "Answered by the programme leader",
    "{actor} answered about {learner}: “{answer}”",
    replaces=["registrations.discrepancy_answered"],
)
D_PASSED = _(
    "registrations.discrepancy.passed",
    "Passed to the exams officer",
    "{actor} passed {object} to the exams officer to amend",
    replaces=["registrations.discrepancy_passed"],
)
D_AMENDED = _(
    "registrations.discrepancy.amended",
    "Amended by the exams officer",
    "{actor} amended the entry of {learner}: {amendment}",
    replaces=["registrations.discrepancy_amended"],
)
D_RESOLVED = _(
    "registrations.discrepancy.resolved",
    "Resolved",
    "{actor} resolved {object}. {note}",
    replaces=["registrations.discrepancy_resolved"],
)
CHANGE_REQUESTED = _(
    "registrations.change.requested",
    "Change notified",
    "{actor} notified {object}: {details}",
    replaces=["registrations.change_requested"],
)
CHANGE_ACTIONED = _(
    "registrations.change.actioned",
    "Change made at Pearson",
    "{actor} made {object} at Pearson on {actioned_on} (reference {pearson_reference})",
    replaces=["registrations.change_actioned"],
)
CHANGE_CANCELLED = _(
    "registrations.change.cancelled",
    "Change cancelled",
    "{actor} cancelled {object}: {why}",
    replaces=["registrations.change_cancelled"],
)

TRANSFER_HANDED_OVER = _(
    "registrations.transfer.handed_over",
    "Transfer handed over",
    "{actor} handed over {object}: registration number {registration_number}, UCI {uci}",
)
TRANSFER_COMPLETED = _(
    "registrations.transfer.completed",
    "Transfer completed",
    "{actor} completed {object} at Pearson on {completed_on} (reference {pearson_reference})",
)
TRANSFER_DECLINED = _(
    "registrations.transfer.declined",
    "Transfer declined",
    "{actor} declined {object}: {reason}",
)
TRANSFER_LEARNER_ADDED = _(
    "registrations.transfer.learner_added",
    "Learner added by a transfer",
    "{actor} added {object} from a transfer, keeping their UCI {uci}",
)
TRANSFER_IDS_MOVED = _(
    "registrations.transfer.identifiers_moved",
    "UCI and ULN moved with a transfer",
    "{actor} moved {object}'s UCI and ULN to the receiving centre's record ({detail})",
)


def _step(verb: str, label: str, sentence: str, *old: str) -> str:
    """A history step; `registration.<verb>` was its code before the scheme."""
    return _(
        f"registrations.registration.{verb}",
        label,
        sentence,
        replaces=tuple(dict.fromkeys((f"registration.{verb}", *old))),
    )


# One per line of a learner's registration history (RegistrationStep).
R_PROPOSED = _step("proposed", "Proposed for entry", "{actor} proposed {learner} for {cohort}")
R_CONTINUING = _step(
    "continuing",
    "Continuing: confirmed",
    "{actor} confirmed {learner} continuing on the cohort ({detail})",
)
R_OPTIONS = _step(
    "options_chosen",
    "Options chosen",
    "{actor} chose {learner}'s options: {detail}",
    "registration.options_chosen",
    "registration.proposed",
)
R_ENTERED = _step("entered", "Entered", "{actor} entered {learner} on {cohort}")
R_QUERIED = _step("queried", "Entry queried", "{actor} queried {learner}'s entry: {detail}")
R_QUERY_ANSWERED = _step(
    "query_answered",
    "Query answered",
    "{actor} answered the query on {learner}: {detail}",
    "registration.entered",
    "registration.queried",
    "registration.query_answered",
)
R_AMENDED = _step("amended", "Entry amended", "{actor} amended {learner}'s entry: {detail}")
R_REMOVED = _step(
    "removed",
    "Taken off the entry list",
    "{actor} took {learner} off the list: {detail}",
    "registration.removed_from_the_list",
    "registration.amended",
)
R_SIGNED = _step("signed", "On a signed list", "{actor} signed the entry list with {learner} on it")
R_SUBMITTED = _step("submitted", "Submitted to Pearson", "{actor} submitted {learner}'s entry")
R_REGISTERED = _step(
    "registered",
    "Registered with Pearson",
    "{learner} registered with Pearson: {detail}",
    "registration.signed",
    "registration.submitted",
    "registration.registered",
)
R_CHECKED = _step("entry_check", "Entry check", "{actor}: {detail}", "registration.entry_check")
R_WITHDRAWAL_REQUESTED = _step(
    "withdrawal_requested",
    "Withdrawal notified",
    "{actor} notified {learner}'s withdrawal: {detail}",
    "registration.withdrawal_requested",
)
R_WITHDRAWN = _step("withdrawn", "Withdrawn", "{actor} withdrew {learner} at Pearson: {detail}")
R_DELETED = _step(
    "deleted",
    "Deleted for a refund",
    "{actor} deleted {learner}'s registration: {detail}",
    "registration.withdrawn",
    "registration.deleted",
)
R_TRANSFER_REQUESTED = _step(
    "transfer_requested",
    "Transfer notified",
    "{actor} notified {learner}'s transfer: {detail}",
    "registration.transfer_requested",
)
R_TRANSFERRED = _step("transferred", "Transferred", "{actor} transferred {learner}: {detail}")
R_TRANSFERRED_IN = _step(
    "transferred_in",
    "Transferred in",
    "{actor} transferred {learner} in: {detail}",
    "registration.transferred",
    "registration.transferred_in",
)
R_HANDED_OVER = _step(
    "handed_over",
    "Handed over for transfer",
    "{actor} handed {learner} over to another centre: {detail}",
)
R_TRANSFER_DECLINED = _step(
    "transfer_declined",
    "Transfer declined by the receiving centre",
    "{actor} at the receiving centre declined {learner}'s transfer: {detail}",
)
R_REINSTATED = _step(
    "reinstated", "Reinstated", "{actor} reinstated {learner}'s registration: {detail}"
)
R_NEW_STARTER = _step(
    "new_starter_submitted",
    "New starter registered",
    "{actor} registered new starter {learner}: {detail}",
    "registration.new_starter_submitted",
)
R_NEW_STARTER_CONFIRMED = _step(
    "new_starter_confirmed",
    "New starter confirmed",
    "{actor} confirmed {learner}: {detail}",
    "registration.new_starter_confirmed",
)
R_NEW_STARTER_VERIFIED = _step(
    "new_starter_verified",
    "New starter's entry verified",
    "{actor} verified {learner}'s entry with the exams officer: {detail}",
    "registration.entry_verified_with_the_exams_officer",
)
R_DETAILS_REQUESTED = _step(
    "details_change_requested",
    "Change of details notified",
    "{actor} notified a change to {learner}'s details: {detail}",
    "registration.change_of_details_requested",
)
R_DETAILS_CHANGED = _step(
    "details_changed",
    "Details changed at Pearson",
    "{actor} changed {learner}'s details at Pearson: {detail}",
    "registration.details_changed_at_pearson",
)
R_CHANGE_CANCELLED = _step(
    "change_cancelled",
    "Change cancelled",
    "{actor} cancelled a change for {learner}: {detail}",
    "registration.change_request_cancelled",
)
