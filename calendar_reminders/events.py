"""What the trail says about the calendar's reminders and escalations, and their to-do kinds.

Each date source's kind (`calendar.<code>`) is declared by register_calendar_date."""

from accounts.roles import Role
from audit.actions import register_action
from todos.kinds import ASSIGNEE, register_kind

REMINDER_MOVED = register_action(
    "calendar_reminders.reminder.moved",
    "Calendar date moved",
    "The configured date for {object} moved from {previous} to {date}",
)
ESCALATED = register_action(
    "calendar_reminders.action.escalated",
    "Overdue action escalated",
    "{object}, overdue since {due}, escalated to {to} ({step_label})",
)

ESCALATE_LEAD_IV = register_kind(
    "calendar.escalation_lead_iv",
    "Overdue action escalated to the Lead IV",
    owner=ASSIGNEE,
    due_days=0,
    link="verification:iv_flags",
    remind_while_open=True,
)
ESCALATE_QN = register_kind(
    "calendar.escalation_qn",
    "Overdue action escalated to the Quality Nominee",
    owner=Role.QUALITY_NOMINEE,
    due_days=0,
    link="verification:iv_flags",
    remind_while_open=True,
)
