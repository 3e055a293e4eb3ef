"""What the registration cycle asks people to do (to-do kinds), with their default due dates.

A due date given by the workflow (the entry-request date, the entry-check deadline) wins;
otherwise the kind's days apply, overridable in settings (BTECQA_TODO_DUE_DAYS).
"""

from accounts.roles import Role
from todos.kinds import register_kind

PL, EO, QN = Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE

PROPOSE = register_kind(
    "registrations.propose_entries", "Propose the programme's entries", owner=PL
)
MAKE_ENTRIES = register_kind(
    "registrations.make_entries", "Make the proposed entries", owner=EO, due_days=7
)
SIGN = register_kind(
    "registrations.sign_entry_list", "Check, sign and date the entry list", owner=PL, due_days=5
)
ANSWER_QUERY = register_kind(
    "registrations.answer_query", "Answer the programme leader's query", owner=EO, due_days=3
)
SUBMIT = register_kind(
    "registrations.submit_entry_list", "Submit the signed entries to Pearson", owner=EO, due_days=5
)
CHECK = register_kind("registrations.entry_check", "Check entries against class lists", owner=QN)
CHECK_ANSWER = register_kind(
    "registrations.entry_check_answer", "Answer the Quality Nominee's question", owner=PL
)
CHECK_AMEND = register_kind(
    "registrations.entry_check_amend", "Amend an entry found wrong by the check", owner=EO
)
CHECK_REVIEW = register_kind(
    "registrations.entry_check_review", "Review an answer or amendment", owner=QN
)
CHECK_LATE = register_kind(
    "registrations.entry_check_late", "The entry check is past its deadline", owner=EO
)
ACTION_CHANGE = register_kind(
    "registrations.action_change", "Make the change at Pearson", owner=EO, due_days=5
)
VERIFY_NEW_STARTER = register_kind(
    "registrations.verify_new_starter",
    "Verify a new starter's entry with the exams officer",
    owner=QN,
    due_days=5,
)
NUMBERS_LEFT = register_kind(
    "registrations.registration_numbers_left",
    "Match the registration numbers left over",
    owner=EO,
    due_days=7,
)
