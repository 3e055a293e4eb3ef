"""The dossier's sections: a registry each app adds its part of the record to.

`register_section(code, title, order, function, permission=…)` in an app's
`dossier_sections.py` (found by `DossierConfig.ready`). `function(learner, viewer)`
returns `Row`s: what happened, who, when, and a link when the viewer may open it. The
function reads its rows with `scope(viewer, permission, …)`, its own app's view
permission, in a fixed number of queries whatever the number of rows; the dossier knows
nothing of the apps behind its sections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from documents.formats import uk_date, uk_datetime


@dataclass
class Row:
    what: str
    who: str
    when: dt.datetime | dt.date | None
    url: str = ""

    @property
    def when_text(self) -> str:
        if self.when is None:
            return ""
        if isinstance(self.when, dt.datetime):
            return uk_datetime(self.when, " ")
        return uk_date(self.when)

    @property
    def sort_key(self):
        when = self.when
        if when is None:
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        if not isinstance(when, dt.datetime):
            when = timezone.make_aware(dt.datetime.combine(when, dt.time.min))
        return when


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    order: int
    function: Callable
    permission: str  # the view permission the section's rows are read with


_SECTIONS: dict[str, Section] = {}


def register_section(
    code: str, title: str, order: int, function: Callable, *, permission: str
) -> str:
    """Add a section to every dossier; registering a code again replaces it."""
    _SECTIONS[code] = Section(code, title, order, function, permission)
    return code


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.code))


def name(user) -> str:
    """A person as the dossier prints them."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
