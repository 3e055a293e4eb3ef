"""The registry of audit actions: namespaced codes, each with a label and a sentence.

Codes follow one scheme, `<app>.<record>.<what happened>` ("registrations.entry_list.signed").
Each app declares its actions in its `events.py` with `register_action()`; `audit.record()`
refuses a code nobody declared. The audit pages and the learner timeline read each event as
its sentence, and the action filter is a list of labels to pick from.

A sentence is a template: {actor}, {object} and {learner} are the event's own texts, and
any other {name} is taken from the event's "after" values (a question, a reason). A value
that is missing reads as nothing rather than failing.

Codes written before the scheme are kept readable: `replaces=` names them, so an old
event is shown by the action that replaced it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    sentence: str
    replaces: tuple[str, ...] = ()


_ACTIONS: dict[str, Action] = {}
_OLD: dict[str, str] = {}


def register_action(code: str, label: str, sentence: str, *, replaces=()) -> str:
    parts = code.split(".")
    if len(parts) != 3 or not all(p and p.replace("_", "").isalnum() for p in parts):
        raise ImproperlyConfigured(f"Audit action {code!r} is not <app>.<record>.<verb>.")
    action = Action(code, label, sentence, tuple(replaces))
    if code in _ACTIONS and _ACTIONS[code] != action:
        raise ImproperlyConfigured(f"Audit action {code} declared twice differently.")
    _ACTIONS[code] = action
    for old in replaces:
        _OLD[old] = code
    return code


def get_action(code: str) -> Action | None:
    if code.endswith("_in_admin"):
        code = "audit.admin_record." + code.rsplit(".", 1)[1].removesuffix("_in_admin")
    return _ACTIONS.get(code) or _ACTIONS.get(_OLD.get(code, ""))


def canonical(code: str) -> str:
    """The registered code for `code` (an earlier code is written as its replacement).

    Refuses a code nobody declared, so the trail never holds an action no page can read.
    """
    if code in _ACTIONS:
        return code
    if code in _OLD:
        return _OLD[code]
    if code.endswith(("_in_admin",)):
        return "audit.admin_record." + code.rsplit(".", 1)[1].removesuffix("_in_admin")
    require_action(code)
    return code


def require_action(code: str) -> None:
    if code not in _ACTIONS:
        raise ImproperlyConfigured(
            f"Unknown audit action {code!r}: declare it with register_action() in the app's "
            "events.py."
        )


def all_actions() -> dict[str, Action]:
    return dict(_ACTIONS)


def choices() -> list[tuple[str, str]]:
    """(code, label) for the audit page's filter, by label."""
    return sorted(((a.code, a.label) for a in _ACTIONS.values()), key=lambda c: c[1])


def codes_for(code: str) -> list[str]:
    """The code and every earlier code it replaces (to filter old events too)."""
    action = _ACTIONS.get(code)
    return [code, *(action.replaces if action else ())]


class _Values(dict):
    def __missing__(self, key):
        return ""


_formatter = string.Formatter()


def sentence(event) -> str:
    """The event as a sentence an exams officer reads."""
    action = get_action(event.action)
    if action is None:
        return f"{event.actor_repr}: {event.action.replace('_', ' ')} {event.object_repr}".strip()
    values = _Values()
    after = event.after_data
    if isinstance(after, dict):
        for key, value in after.items():
            values[key] = _readable(value)
    values.update(
        actor=event.actor_repr,
        object=event.object_repr,
        learner=event.learner_repr or event.object_repr,
    )
    try:
        return _formatter.vformat(action.sentence, (), values).strip()
    except (ValueError, IndexError):  # a template mistake must not break a page
        return action.label


def _readable(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"  # ISO date → dd/mm/yyyy
    return text
