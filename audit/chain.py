"""The chain's format: the exact bytes each HMAC covers, written in one place.

An event's hash is HMAC-SHA-256 (the signing key's chain key) over the previous
event's hash followed by its payload: FIELDS joined with SEP. The personal
details are not in the payload; their keyed digest is (`details_digest`, an
HMAC under the key's details key over the salt and the four texts joined with
SEP). No stored text may contain SEP (record() replaces it; JSON escapes it), so
moving text from one field to the next cannot keep a hash.
"""

from __future__ import annotations

import datetime as dt
import json

from .keys import keyring

GENESIS = "0" * 64
SEP = "\x1f"

# The chained fields, in payload order (attnames, which are also the column names).
FIELDS = (
    "seq",
    "occurred_at",
    "key_id",
    "actor_id",
    "actor_repr",
    "action",
    "object_type",
    "object_id",
    "learner_id",
    "centre_id",
    "details_digest",
)
EVENT_SEPS = len(FIELDS) - 1
# The personal details, in digest order; each event has its own random salt first.
DETAIL_FIELDS = ("salt", "learner_repr", "object_repr", "before", "after")
DETAIL_SEPS = len(DETAIL_FIELDS) - 1


def canonical_json(value) -> str:
    """The exact text stored and digested: sorted keys, no spaces, dates as ISO strings."""
    if value is None:
        return ""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False
    )


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def plain(text: str) -> str:
    """text with SEP replaced, as record() stores it."""
    return text.replace(SEP, " ") if SEP in text else text


TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def ts(value: dt.datetime) -> str:
    """The instant in UTC as TS_FORMAT gives it, e.g. 2026-11-23T01:43:22.004500Z."""
    value = value.astimezone(dt.UTC)
    if value.year < 1000:  # strftime's %Y does not pad these to four digits on every platform
        return value.strftime(TS_FORMAT)
    # The same text as strftime(TS_FORMAT), at a fraction of the cost (verification's hot path).
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _opt(value) -> str:
    return "" if value is None else str(value)


def payload_text(
    seq,
    ts_text,
    key_id,
    actor_id,
    actor_repr,
    action,
    object_type,
    object_id,
    learner_id,
    centre_id,
    details_digest,
) -> str:
    """An event's payload with its timestamp already as ts() text."""
    return (
        f"{seq}{SEP}{ts_text}{SEP}{key_id}{SEP}{_opt(actor_id)}{SEP}{actor_repr}{SEP}{action}"
        f"{SEP}{object_type}{SEP}{object_id}{SEP}{_opt(learner_id)}{SEP}{_opt(centre_id)}"
        f"{SEP}{details_digest}"
    )


def event_payload(values: tuple) -> bytes:
    """The bytes an event's hash covers after the previous hash, from its values in FIELDS order."""
    seq, occurred_at, *rest = values
    return payload_text(seq, ts(occurred_at), *rest).encode()


def details_text(salt, learner_repr, object_repr, before, after) -> str:
    return f"{salt}{SEP}{learner_repr}{SEP}{object_repr}{SEP}{before}{SEP}{after}"


def chain_hash(prev_hash: str, payload: bytes, key_id: str | None = None) -> str:
    """HMAC of prev_hash + payload under the named key (the signing key by default)."""
    ring = keyring()
    key = ring.get(key_id) if key_id else ring.current
    return key.chain.hexdigest(prev_hash.encode() + payload)


def details_digest(salt, learner_repr, object_repr, before, after, key_id=None) -> str:
    ring = keyring()
    key = ring.get(key_id) if key_id else ring.current
    return key.details.hexdigest(
        details_text(salt, learner_repr, object_repr, before, after).encode()
    )
