"""A learner's identifiers as import cells, for every import that reads them.

The MIS import, the registration-number import and the imports still to come (tracking
sheets, Pearson results, certificates) read ULNs, UCIs, candidate numbers, dates of birth
and sex with these, so a value is accepted or refused, and worded, the same everywhere.
The rules themselves are learners.validators'.
"""

from __future__ import annotations

import re

from tabular.cells import Check, Choice, Date, Text

from .validators import date_of_birth_problem, uci_problem, uln_problem

_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d*)?E\+?\d+$", re.IGNORECASE)  # 1.00000E+09


def _uln(text, ctx):
    value = text.replace(" ", "")
    if _SCIENTIFIC.match(value):
        return None, (
            f"ULN {text}: Excel has shown it in scientific notation and its digits are lost; "
            "format the ULN column as text (or as a number with no decimals) in the MIS "
            "export or Excel, and export it again"
        )
    problem = uln_problem(value)
    return (None, f"ULN {text}: {problem}") if problem else (value, None)


def _uci(text, ctx):
    value = text.replace(" ", "").upper()
    problem = uci_problem(value)
    return (None, f"UCI {text}: {problem}") if problem else (value, None)


def _candidate_number(text, ctx):
    value = text.replace(" ", "")
    if value.isdigit() and len(value) < 4:
        value = value.zfill(4)  # Excel drops the leading zeros of 0042
    if len(value) != 4 or not value.isdigit() or value == "0000":
        return None, f"{text} is not a candidate number: four digits, 0001\u20139999"
    return value, None


def _born(day, ctx):
    return date_of_birth_problem(day, ctx.today)


ULN = Check(_uln)
UCI = Check(_uci)
CANDIDATE_NUMBER = Check(_candidate_number)
DATE_OF_BIRTH = Date(check=_born)
SEX = Choice(
    {"m": "M", "male": "M", "f": "F", "female": "F"},
    "{text} is not M or F (sex as the awarding body records it)",
)
NAME = Text(100)
