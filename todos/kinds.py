"""The registry of to-do kinds: what each action is, who owes it, when it is due, where it links.

Each app declares its kinds in its `events.py` (imported when the app is ready) with
`register_kind()`. `open_todo()` refuses a kind nobody declared, so every action on a
dashboard has a label, an owner and a default due date, and its link is built from the
target's id without loading the target (the dashboard's query count stays fixed).

Default due dates are configuration: `BTECQA_TODO_DUE_DAYS = {"kind.code": days}` in the
environment-driven settings overrides the declared number of days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role

ASSIGNEE = "assignee"  # owed by one named person (e.g. the programme's own leader)


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    owner: str  # a Role value, or ASSIGNEE
    due_days: int | None = None
    # URL name taking the target's id as its only argument, or none (a queue page); used
    # when the target has no page of its own (get_absolute_url).
    link: str | None = None
    # In the daily digest every day it is open, whatever its due date (a calendar reminder
    # opened weeks ahead of its date), not only within BTECQA_REMINDER_LOOKAHEAD_DAYS.
    remind_while_open: bool = False
    # The link even when the target has a page of its own: the target's page is not one
    # the owner may open (a Lead IV's appointment is kept on the Quality Nominee's page).
    link_first: bool = False

    @property
    def area(self) -> str:
        return area_of(self.code)

    def owner_label(self) -> str:
        return "a named person" if self.owner == ASSIGNEE else Role(self.owner).label

    def due(self, today: dt.date) -> dt.date | None:
        days = getattr(settings, "BTECQA_TODO_DUE_DAYS", {}).get(self.code, self.due_days)
        return None if days is None else today + dt.timedelta(days=int(days))

    def url(self, target_id: str) -> str:
        """The page where the action is done: the link with the target's id, or the link
        alone when it takes no argument (a queue: every item of that kind for the person)."""
        if not self.link:
            return ""
        for args in ([target_id] if target_id else []), []:
            try:
                return reverse(self.link, args=args)
            except NoReverseMatch:
                continue
        return ""


_KINDS: dict[str, Kind] = {}

# The dashboard groups actions by the area of the office's work they belong to, read from
# the first part of the kind's code (the app that declared it), in this order.
AREAS = [
    ("registrations", "Registrations"),
    ("arrangement", "Centres and arrangements"),
    ("assessment", "Assessment"),
    ("verification", "Verification"),
    ("claims", "Certification claims"),
    ("certification", "Certificates"),
    ("declarations", "Quality declaration"),
    ("policies", "Policies"),
    ("retention", "Retention"),
    ("learners", "Learners"),
    ("calendar", "Calendar"),
]
AREA_LABELS = dict(AREAS)
OTHER_AREA = "Other"


def area_of(code: str) -> str:
    return AREA_LABELS.get(code.split(".", 1)[0], OTHER_AREA)


def register_kind(
    code: str,
    label: str,
    *,
    owner,
    due_days: int | None = None,
    link: str | None = None,
    remind_while_open: bool = False,
    link_first: bool = False,
) -> str:
    if link_first and not link:
        raise ImproperlyConfigured(f"To-do kind {code} asks for its link first but has none.")
    owner = ASSIGNEE if owner == ASSIGNEE else Role(owner).value
    kind = Kind(code, label, owner, due_days, link, remind_while_open, link_first)
    if code in _KINDS and _KINDS[code] != kind:
        raise ImproperlyConfigured(f"To-do kind {code} declared twice differently.")
    _KINDS[code] = kind
    return code


def get_kind(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise ImproperlyConfigured(
            f"Unknown to-do kind {code!r}: declare it with register_kind() in the app's events.py."
        ) from None


def all_kinds() -> dict[str, Kind]:
    return dict(_KINDS)
