"""The one name normaliser: how every import matches a name, and how learner search finds one.

"Zoë" and "Zoe", "O’Neill" and "O'Neill", "Smith–Jones" and "Smith-Jones", "ANNE  marie"
and "Anne Marie" are each the same name: accents are folded (so are the letters Unicode
does not decompose: ø, ł, æ, œ, ß …), curly apostrophes and every dash become the plain
ones, case is folded and runs of white space are one space.
"""

from __future__ import annotations

import functools
import unicodedata

# Letters that carry no combining mark to drop: their plain spelling.
_LETTERS = {
    "ø": "o",
    "Ø": "o",
    "ł": "l",
    "Ł": "l",
    "đ": "d",
    "Đ": "d",
    "ð": "d",
    "Ð": "d",
    "þ": "th",
    "Þ": "th",
    "æ": "ae",
    "Æ": "ae",
    "œ": "oe",
    "Œ": "oe",
    "ı": "i",
    "ß": "ss",
    "ẞ": "ss",
}
# Apostrophes and quotation marks people type, or word processors put, inside a name.
_APOSTROPHES = "\u2018\u2019\u201a\u201b\u02bc\u02bb\u02b9\u0060\u00b4\u2032\uff07"
# Hyphens and dashes, and the minus sign.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_TABLE = str.maketrans(
    {**_LETTERS, **dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_DASHES, "-")}
)


@functools.lru_cache(maxsize=65536)
def normalise_name(text: str) -> str:
    """The form two spellings of one name share: "  O’NEILL " and "o'neill" alike."""
    if not text:
        return ""
    if text.isascii() and "`" not in text:  # most names: no accent to fold, no curly apostrophe
        return " ".join(text.casefold().split())
    text = unicodedata.normalize("NFKD", text.translate(_TABLE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.translate(_TABLE).casefold().split())
