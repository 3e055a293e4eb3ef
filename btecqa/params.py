"""Whole numbers read from a request: ids in the query string or a form post, range-checked.

A 30-digit id used to reach the database, which cannot hold it (SQLite raises OverflowError),
and a digit such as "²" passes str.isdigit() but not int(). Every integer a view reads goes
through here: absent is the default, anything else that is not a whole number in the
database's range is a 400 naming the parameter (django.core.exceptions.BadRequest, shown by
templates/400.html). Forms get the same range from btecqa/forms.py; URL ids from
btecqa/converters.py.
"""

from __future__ import annotations

import re

from django.core.exceptions import BadRequest
from django.shortcuts import render

# The database's integer range: BigAutoField ids (PostgreSQL bigint, SQLite's 64-bit integer).
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_ID = MAX_INT

_DIGITS = re.compile(r"[0-9]{1,19}")


def to_int(value, *, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """The whole number this text is, or None: ASCII digits only, minimum to maximum.

    The default range is a record id's: 1 to MAX_ID.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value)
    else:
        return None
    return number if minimum <= number <= maximum else None


class BadParameter(BadRequest):
    """A request parameter that is not what the page sends; its message is shown (400)."""


def _refuse(name: str, value, minimum: int, maximum: int) -> BadParameter:
    shown = str(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return BadParameter(
        f"{name}={shown!r} in this request is not a whole number from {minimum:,} to "
        f"{maximum:,}. Go back and choose from the page again."
    )


def int_param(
    params, name: str, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_INT
) -> int | None:
    """A number from request.GET or request.POST: default when absent or blank, else 400 if bad."""
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    number = to_int(raw, minimum=minimum, maximum=maximum)
    if number is None:
        raise _refuse(name, raw, minimum, maximum)
    return number


def id_list_param(params, name: str) -> list[int]:
    """Every id in a repeated parameter (ticked boxes): 400 if any is not one."""
    ids = []
    for raw in params.getlist(name):
        if str(raw).strip() == "":
            continue
        number = to_int(raw)
        if number is None:
            raise _refuse(name, raw, 1, MAX_INT)
        ids.append(number)
    return ids


def bad_request(request, exception=None):
    """handler400: our own refusals say what was wrong; Django's others stay generic."""
    message = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"message": message}, status=400)
