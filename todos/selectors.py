from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.permissions import assignments

from .models import ToDo


def open_todos_for(user) -> QuerySet[ToDo]:
    """Open actions owed by this person, or by a role they hold at that centre."""
    owed = Q(assignee=user)
    for role, centre_id in assignments(user):
        owed |= Q(assignee__isnull=True, role=role, centre_id=centre_id)
    return (
        ToDo.objects.filter(owed, closed_at__isnull=True)
        .select_related("centre", "assignee", "target_type")
        .order_by("due_date", "created_at")
    )


def dashboard_todos(user, today=None) -> dict:
    today = today or timezone.localdate()
    todos = list(open_todos_for(user))
    overdue = [t for t in todos if t.due_date and t.due_date < today]
    rest = [t for t in todos if not (t.due_date and t.due_date < today)]
    return {"overdue": overdue, "open": rest, "today": today}


def todos_needing_reminder(user, today, lookahead_days: int) -> list[ToDo]:
    """Open actions due within the lookahead, and every open one of a kind that asks to be
    in the digest while it is open (todos.kinds: remind_while_open)."""
    from .kinds import all_kinds

    kinds = all_kinds()
    horizon = today + timedelta(days=lookahead_days)
    return [
        t
        for t in open_todos_for(user)
        if (t.due_date is not None and t.due_date <= horizon)
        or getattr(kinds.get(t.kind), "remind_while_open", False)
    ]
