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
    return {"overdue": overdue, "open": rest, "today": today, "areas": by_area(overdue, rest)}


def by_area(overdue: list[ToDo], rest: list[ToDo]) -> list[dict]:
    """The actions grouped by area (todos.kinds.AREAS), each group overdue first; the groups
    holding anything overdue come first, then the office's usual order. No query."""
    from .kinds import AREAS, OTHER_AREA, area_of

    order = {label: i for i, (_, label) in enumerate(AREAS)}
    groups: dict[str, dict] = {}
    for todo, late in [(t, True) for t in overdue] + [(t, False) for t in rest]:
        label = area_of(todo.kind)
        group = groups.setdefault(label, {"label": label, "overdue": [], "open": []})
        group["overdue" if late else "open"].append(todo)
    for group in groups.values():
        group["count"] = len(group["overdue"]) + len(group["open"])
        group["slug"] = "area-" + "-".join(group["label"].lower().split())
    return sorted(
        groups.values(),
        key=lambda g: (
            not g["overdue"],
            order.get(g["label"], len(order)),
            g["label"] == OTHER_AREA,
        ),
    )


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


def dashboard_reading(user, today=None) -> dict:
    """What the roles whose part is reading have to read, for the dashboard's "To read" panel.

    Not to-dos: reading changes nothing a service could close an action on, so a to-do would
    stay open for ever or be closed by a page view. Read straight from the records instead:
    - a Standards Verifier: each live grant (accounts.VerifierGrant), its centre, the sampled
      cohorts it opens and its last day, "ending soon" within the reminder lookahead;
    - a governor: the governors' annual report of each centre they govern.
    Two queries for a verifier, none for anyone else (the roles are read once per request).
    """
    from django.conf import settings

    from accounts.models_grants import VerifierGrant
    from accounts.roles import Role

    today = today or timezone.localdate()
    roles = {role for role, _ in assignments(user)}
    grants = []
    if Role.STANDARDS_VERIFIER in roles:
        soon = today + timedelta(days=settings.BTECQA_REMINDER_LOOKAHEAD_DAYS)
        for grant in (
            VerifierGrant.objects.live(today)
            .filter(user=user, centre__is_active=True)
            .select_related("centre")
            .prefetch_related("cohorts__qualification")
            .order_by("expires_on", "pk")
        ):
            grants.append(
                {
                    "grant": grant,
                    "cohorts": sorted(grant.cohorts.all(), key=str),
                    "days_left": (grant.expires_on - today).days,
                    "ending_soon": grant.expires_on <= soon,
                }
            )
    governs = Role.GOVERNOR in roles
    return {"grants": grants, "governs": governs, "any": bool(grants) or governs}
