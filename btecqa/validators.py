"""Checks every form, import and command shares: text that can be stored and exported, and
academic years that make sense.

Text: a control character typed or pasted into a name (a vertical tab from a spreadsheet, an
escape from a terminal) cannot be written into XLSX, whose XML refuses it, and is invisible on
screen. So text is refused at the door with the character named: C0 and C1 controls, DEL,
unpaired surrogates and the two XML non-characters. Tab, line feed and carriage return are
allowed in multi-line text only. `btecqa/forms.py` puts the check on every text field of every
form; the importers call `text_problem` for every text cell.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible

# Unicode's names for the C0 controls, DEL and the C1 controls, lower-cased.
_C0 = (
    "null",
    "start of heading",
    "start of text",
    "end of text",
    "end of transmission",
    "enquiry",
    "acknowledge",
    "bell",
    "backspace",
    "tab",
    "line feed",
    "vertical tab",
    "form feed",
    "carriage return",
    "shift out",
    "shift in",
    "data link escape",
    "device control one",
    "device control two",
    "device control three",
    "device control four",
    "negative acknowledge",
    "synchronous idle",
    "end of transmission block",
    "cancel",
    "end of medium",
    "substitute",
    "escape",
    "file separator",
    "group separator",
    "record separator",
    "unit separator",
)
_C1 = (
    "padding character",
    "high octet preset",
    "break permitted here",
    "no break here",
    "index",
    "next line",
    "start of selected area",
    "end of selected area",
    "character tabulation set",
    "character tabulation with justification",
    "line tabulation set",
    "partial line forward",
    "partial line backward",
    "reverse line feed",
    "single shift two",
    "single shift three",
    "device control string",
    "private use one",
    "private use two",
    "set transmit state",
    "cancel character",
    "message waiting",
    "start of guarded area",
    "end of guarded area",
    "start of string",
    "single graphic character introducer",
    "single character introducer",
    "control sequence introducer",
    "string terminator",
    "operating system command",
    "privacy message",
    "application program command",
)
_NAMES = {**dict(enumerate(_C0)), 0x7F: "delete", **{0x80 + i: n for i, n in enumerate(_C1)}}

_UNSTORABLE = "\ud800-\udfff\ufffe\uffff"  # not characters XML (so XLSX) can hold
REFUSED_IN_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_UNSTORABLE}]")
REFUSED_IN_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_UNSTORABLE}]")


def describe_character(ch: str) -> str:
    """What the character is, for a person: "a control character (vertical tab, U+000B)"."""
    code = ord(ch)
    if code in _NAMES:
        return f"a control character ({_NAMES[code]}, U+{code:04X})"
    if 0xD800 <= code <= 0xDFFF:
        return f"a broken character (an unpaired surrogate, U+{code:04X})"
    return f"a character that cannot be stored (a non-character, U+{code:04X})"


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why this text cannot be kept, or None: "contains a control character (tab, U+0009)"."""
    found = (REFUSED_IN_MULTILINE if multiline else REFUSED_IN_ONE_LINE).search(text)
    if found is None:
        return None
    return f"contains {describe_character(found.group())}"


@deconstructible
class TextValidator:
    """The form-field check: the field's label, then what was found and what to do."""

    def __init__(self, label: str = "", *, multiline: bool = False):
        self.label, self.multiline = label, multiline

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        problem = text_problem(value, multiline=self.multiline)
        if problem:
            raise ValidationError(
                f"{self.label or 'This field'} {problem}: delete it and type the text again.",
                code="control_character",
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and (self.label, self.multiline) == (
            other.label,
            other.multiline,
        )


# --------------------------------------------------------------------------- academic years

ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")


def academic_year_start(day: dt.date) -> int:
    """September to August: 24/11/2026 is in the year starting 2026 (2026/27)."""
    return day.year if day.month >= 9 else day.year - 1


def _name(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


def academic_year_for(day: dt.date) -> str:
    return _name(academic_year_start(day))


def academic_year_range(today: dt.date | None = None) -> tuple[str, str]:
    """The first and last academic years anyone may enter today, from settings."""
    today = today or timezone.localdate()
    ahead = academic_year_start(today) + settings.BTECQA_ACADEMIC_YEARS_AHEAD
    return _name(settings.BTECQA_FIRST_ACADEMIC_YEAR), _name(ahead)


def academic_year_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why this is not a plausible academic year ("2026/27"), or None.

    The one check for every place a year is typed: rounds, programmes, arrangements, centre
    dates and the yearly-figures command. "9999/00" is well formed, so the range matters.
    """
    m = ACADEMIC_YEAR_RE.match(value) if isinstance(value, str) else None
    if not m:
        return f"{value!r} is not an academic year: write it like 2026/27"
    start = int(m.group(1))
    if int(m.group(2)) != (start + 1) % 100:
        return (
            f"{value} is not an academic year: the second part follows the first ({_name(start)})"
        )
    first, last = academic_year_range(today)
    if not int(first[:4]) <= start <= int(last[:4]):
        return f"{value} is outside the years btecqa accepts today: {first} to {last}"
    return None


def validate_academic_year(value: str) -> None:
    problem = academic_year_problem(value)
    if problem:
        raise ValidationError(f"{problem[0].upper()}{problem[1:]}.", code="academic_year")
