"""Identifier rules from domain.md §1 (ULN, UCI, candidate number), and a plausible birth date."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

UCI_LETTERS = "ABCDEFGHKLMRTVWXY"  # remainder 0..16 → letter
UCI_WEIGHTS = (16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5)
PLACEHOLDER_ULN = "9999999999"


def uln_problem(value: str) -> str | None:
    """Why this is not a valid ULN, or None if it is."""
    if len(value) != 10 or not (value.isascii() and value.isdigit()):
        return "a ULN is exactly ten digits"
    if value == PLACEHOLDER_ULN:
        return "9999999999 is the ILR placeholder ULN, not a learner's number"
    remainder = sum(int(value[i]) * (10 - i) for i in range(9)) % 11
    if remainder == 0:
        return "no valid ULN has these first nine digits (check-digit remainder 0)"
    if int(value[9]) != 10 - remainder:
        return f"the check digit should be {10 - remainder}, not {value[9]}"
    return None


def validate_uln(value: str) -> None:
    problem = uln_problem(value)
    if problem:
        raise ValidationError(f"ULN {value}: {problem}.", code="uln")


def uci_check_letter(first12: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first12, UCI_WEIGHTS, strict=True))
    return UCI_LETTERS[total % 17]


def uci_problem(value: str) -> str | None:
    if len(value) != 13:
        return "a UCI is 13 characters"
    if not (value[:12].isascii() and value[:12].isdigit()):
        return "the first twelve characters of a UCI are digits (UK centres use 0 in position 6)"
    if value[5] != "0":
        return "position 6 must be 0 for a UK centre"
    if value[8:12] == "0000":
        return "the candidate number part (positions 9–12) cannot be 0000"
    expected = uci_check_letter(value[:12])
    if value[12] != expected:
        return f"the check letter should be {expected}, not {value[12]}"
    return None


def validate_uci(value: str) -> None:
    problem = uci_problem(value)
    if problem:
        raise ValidationError(f"UCI {value}: {problem}.", code="uci")


def validate_candidate_number(value: str) -> None:
    if len(value) != 4 or not value.isdigit() or value == "0000":
        raise ValidationError(
            "A candidate number is four digits, 0001–9999.", code="candidate_number"
        )


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _dmy(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # %Y drops the zeros of 0001


def date_of_birth_problem(born: dt.date, today: dt.date | None = None) -> str | None:
    """Why this is not a plausible date of birth for a school or college learner, or None.

    The bounds are settings (BTECQA_LEARNER_MIN_AGE, BTECQA_LEARNER_MAX_AGE), counted at
    today's date: 01/01/0001 and 01/01/2999 are typing slips, not learners.
    """
    today = today or timezone.localdate()
    low, high = settings.BTECQA_LEARNER_MIN_AGE, settings.BTECQA_LEARNER_MAX_AGE
    if born > today:
        return f"{_dmy(born)} is in the future"
    age = _age(born, today)
    if age < low:
        return f"{_dmy(born)} makes the learner {age}: younger than {low}"
    if age > high:
        return f"{_dmy(born)} makes the learner {age}: older than {high}"
    return None


def validate_date_of_birth(value: dt.date) -> None:
    problem = date_of_birth_problem(value)
    if problem:
        raise ValidationError(
            f"Date of birth {problem}. Learners are {settings.BTECQA_LEARNER_MIN_AGE} to "
            f"{settings.BTECQA_LEARNER_MAX_AGE} years old.",
            code="date_of_birth",
        )
