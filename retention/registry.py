"""The retained kinds: each app says what it keeps, on which clock, and how it is disposed of.

`register_kind(code, label, model, clock, centre=…, learner=…, cohort=…, also=…, dispose=…)`:

- `centre`: path to the record's own centre; `also`: paths to further centres that hold
  the record (a consortium's delivering centre, the learner's home centre): each holder
  gets its own RetentionItem and the record itself goes only when every holder's item is
  disposed (a partner's disposal never removes what the lead still holds, 3.1.10);
- `learner`: path to the learner the record is about (the clock starts from that learner);
  `cohort`: for records about a whole cohort (a brief, an SV visit), the clock starts when
  the last of the cohort's learners does, and not before every one has a start;
- `dispose(queryset)`: removes the files and personal details of those records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

from .clocks import CLOCK_STARTS


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    model: type
    clock: str
    centre: str
    learner: str = ""
    cohort: str = ""
    also: tuple[str, ...] = field(default_factory=tuple)
    dispose: Callable | None = None


_KINDS: dict[str, Kind] = {}


def register_kind(
    code, label, model, clock, *, centre, learner="", cohort="", also=(), dispose
) -> str:
    if clock not in CLOCK_STARTS:
        raise ImproperlyConfigured(f"{code}: unknown retention clock {clock!r}.")
    if bool(learner) == bool(cohort):
        raise ImproperlyConfigured(f"{code}: a retained kind has a learner path or a cohort path.")
    kind = Kind(code, label, model, clock, centre, learner, cohort, tuple(also), dispose)
    if code in _KINDS and _KINDS[code] != kind:
        raise ImproperlyConfigured(f"Retained kind {code} declared twice differently.")
    _KINDS[code] = kind
    return code


def get_kind(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown retained kind {code!r}.") from None


def all_kinds() -> dict[str, Kind]:
    return dict(_KINDS)
