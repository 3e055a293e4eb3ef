"""The audit trail's keys: HMAC-SHA-256 with keys from the environment, never in the database.

settings.AUDIT_HMAC_KEY signs every new event, personal-details digest and
checkpoint. settings.AUDIT_HMAC_OLD_KEYS (oldest first) are retired keys: they
only verify what they signed before a rotation, and sign nothing new.

Each event stores the id of the key that signed it (`key_id`), so a rotation is
only a change of environment: move the current key to the end of
AUDIT_HMAC_OLD_KEYS, set a new AUDIT_HMAC_KEY, restart. The first event written
after that is an `audit.key.rotated` event, and the chain may never go back to
an older key: an event signed with a retired key after a newer key has signed
is reported as forged (someone who obtained an old key cannot extend the chain).

A key id is a fingerprint of the key (an HMAC of a constant, truncated): it
names the key in events and checkpoints without revealing it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The development key settings.py falls back to with DEBUG on; a deploy check refuses it.
DEVELOPMENT_KEY = "btecqa-development-only-audit-key-do-not-use-in-production"
MIN_KEY_LENGTH = 32


class Hmac:
    """HMAC-SHA-256 under one key, the key's two pads hashed once.

    hmac.new() hashes the padded key again for every message; verifying a long
    chain hashes a message per event, so this keeps the two prepared states and
    copies them. The digest is exactly hmac.new(key, msg, sha256)'s (tested).
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(key.translate(hmac.trans_36))
        self._outer = hashlib.sha256(key.translate(hmac.trans_5C))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return hmac.new(master, b"btecqa audit " + purpose, hashlib.sha256).digest()


@dataclass(frozen=True, eq=False)
class AuditKey:
    """One key of the keyring, as three keys derived from it (one per use) and its id."""

    id: str
    rank: int  # its place in the keyring, oldest 0: the chain's ranks never go down
    chain: Hmac
    details: Hmac
    checkpoint: Hmac

    @classmethod
    def from_secret(cls, secret: str, rank: int) -> AuditKey:
        master = secret.encode()
        return cls(
            id="k" + _derive(master, b"key id").hex()[:12],
            rank=rank,
            chain=Hmac(_derive(master, b"chain")),
            details=Hmac(_derive(master, b"personal details")),
            checkpoint=Hmac(_derive(master, b"checkpoint")),
        )


class UnknownKey(LookupError):
    pass


@dataclass(frozen=True)
class Keyring:
    current: AuditKey
    by_id: dict

    def get(self, key_id: str) -> AuditKey:
        try:
            return self.by_id[key_id]
        except KeyError:
            raise UnknownKey(key_id) from None

    def describe(self) -> str:
        retired = [k for k in self.by_id.values() if k is not self.current]
        text = f"signing key {self.current.id}"
        if retired:
            text += ", retired " + ", ".join(k.id for k in sorted(retired, key=lambda k: k.rank))
        return text


def keyring() -> Keyring:
    """The keyring the settings give now (cached per settings value, so tests may override)."""
    current = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not current:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY is not set: the audit trail cannot be keyed.")
    old = getattr(settings, "AUDIT_HMAC_OLD_KEYS", ()) or ()
    return _keyring(tuple(k for k in old if k), current)


@lru_cache(maxsize=16)
def _keyring(old: tuple[str, ...], current: str) -> Keyring:
    secrets = [k for k in old if k != current] + [current]
    by_id = {}
    for rank, secret in enumerate(secrets):
        key = AuditKey.from_secret(secret, rank)
        by_id.setdefault(key.id, key)
    return Keyring(current=by_id[AuditKey.from_secret(current, 0).id], by_id=by_id)


def key_problems(secret: str, secret_key: str) -> list[str]:
    """Why a production AUDIT_HMAC_KEY is unfit, if it is (the deploy check's words)."""
    problems = []
    if secret == DEVELOPMENT_KEY:
        problems.append("AUDIT_HMAC_KEY is the development key")
    elif len(secret) < MIN_KEY_LENGTH:
        problems.append(f"AUDIT_HMAC_KEY is shorter than {MIN_KEY_LENGTH} characters")
    if secret and secret == secret_key:
        problems.append("AUDIT_HMAC_KEY is the same as SECRET_KEY: use a key of its own")
    return problems
