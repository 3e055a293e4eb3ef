"""Typed cells: each turns a cell into a value, or says why it cannot.

A cell type's ``clean(value, text, ctx)`` gets the cell as the file holds it (str, number,
date, bool), its text as a person sees it (``reading.cell_text``) and the read's
``Context`` (today, the file's date epoch, anything the importer adds such as its centre);
it returns (value, None) or (None, reason). An empty cell never reaches it. Every text goes
through ``btecqa.validators.text_problem`` first, so a control character is named wherever
it is. Identifiers (ULN, UCI, candidate number, registration number …) are ``Check``
cells: the importer passes the validator that knows them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from btecqa.validators import text_problem

from .reading import EXCEL_EPOCH, cell_text


class Context:
    """What cells may need besides themselves: today, the file's date epoch, extras."""

    def __init__(self, today: dt.date, date_base: dt.date = EXCEL_EPOCH, **extra):
        self.today, self.date_base = today, date_base
        self.__dict__.update(extra)


class Cell:
    """A cell read as text: refused if it holds what text_problem refuses."""

    def clean(self, value, text: str, ctx: Context):
        if problem := text_problem(text):
            return None, problem
        return self.clean_text(text, ctx)

    def clean_text(self, text: str, ctx: Context):
        return text, None


class Text(Cell):
    """Text of at most max_length characters; upper: stored in capitals."""

    def __init__(self, max_length: int | None = None, *, upper: bool = False):
        self.max_length, self.upper = max_length, upper

    def clean_text(self, text, ctx):
        if self.max_length and len(text) > self.max_length:
            return None, f"longer than {self.max_length} characters"
        return (text.upper() if self.upper else text), None


TEXT = Text()


class Email(Text):
    def __init__(self, max_length: int = 254):
        super().__init__(max_length)

    def clean_text(self, text, ctx):
        try:
            validate_email(text)
        except ValidationError:
            return None, f"{text} is not a valid e-mail address"
        return super().clean_text(text, ctx)


class Choice(Cell):
    """One of a few words (any case) each standing for a value; message gets {text}."""

    def __init__(self, choices: dict, message: str):
        self.choices = {str(k).casefold(): v for k, v in choices.items()}
        self.message = message

    def clean(self, value, text, ctx):
        if isinstance(value, bool) and value in self.choices.values():
            return value, None
        return super().clean(value, text, ctx)

    def clean_text(self, text, ctx):
        value = self.choices.get(text.casefold())
        if value is None:
            return None, self.message.format(text=text)
        return value, None


class Integer(Cell):
    """A whole number from minimum to maximum; message gets {text}."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None, message: str = ""):
        self.minimum, self.maximum = minimum, maximum
        self.message = message or "{text} is not a whole number"

    def clean(self, value, text, ctx):
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value) if value.is_integer() else None
        else:
            return super().clean(value, text, ctx)
        return self._bounded(number, text)

    def clean_text(self, text, ctx):
        digits = text.replace(",", "")
        number = int(digits) if re.fullmatch(r"-?\d{1,18}", digits) else None
        return self._bounded(number, text)

    def _bounded(self, number, text):
        if (
            number is None
            or (self.minimum is not None and number < self.minimum)
            or (self.maximum is not None and number > self.maximum)
        ):
            return None, self.message.format(text=text)
        return number, None


class Check(Cell):
    """Text checked by a function the importer gives: fn(text, ctx) -> (value, reason)."""

    def __init__(self, fn: Callable[[str, Context], tuple]):
        self.fn = fn

    def clean_text(self, text, ctx):
        return self.fn(text, ctx)


# --------------------------------------------------------------------------- dates

_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")


def parse_date(value, date_base: dt.date = EXCEL_EPOCH) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, why not). UK dd/mm/yyyy, yyyy-mm-dd, Excel serials, real dates."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, date_base, cell_text(value))
    text = cell_text(value)
    if _SERIAL.match(text):
        return _serial(float(text), date_base, text)
    m = _DMY.match(text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            return None, f"{text}: write the year in full (dd/mm/yyyy)"
    else:
        m = _YMD.match(text)
        if not m:
            return None, f"{text} is not a date: use dd/mm/yyyy"
        year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day), None
    except ValueError:
        hint = " (dates are read as dd/mm/yyyy)" if month > 12 and day <= 12 else ""
        return None, f"{text} is not a real date{hint}"


def _serial(number: float, base: dt.date, text: str) -> tuple[dt.date | None, str | None]:
    if number < 1 or number > 2958465 or number != int(number):
        return None, f"{text} is not a date: use dd/mm/yyyy"
    return base + dt.timedelta(days=int(number)), None


class Date(Cell):
    """A date: a date cell, dd/mm/yyyy or an Excel serial; check(date, ctx) -> reason or None."""

    def __init__(self, check: Callable[[dt.date, Context], str | None] | None = None):
        self.check = check

    def clean(self, value, text, ctx):
        if value.__class__ is dt.datetime:  # a date cell: nothing to parse
            day = value.date()
        else:
            day, reason = parse_date(value, ctx.date_base)
            if reason:
                return None, reason
        if self.check is not None and (reason := self.check(day, ctx)):
            return None, reason
        return day, None


def not_in_future(day: dt.date, ctx: Context) -> str | None:
    return f"{day:%d/%m/%Y} is in the future" if day > ctx.today else None
