"""The chain head, signed and kept outside the database, in media storage.

Someone with the database can delete the newest events and roll the head row
back to match: the chain then verifies. A checkpoint (count, last hash, when,
the signing key's id, and an HMAC of those under the audit key) kept where the
database cannot reach shows the loss: the trail is BEHIND the checkpoint.

It is written through Django's storage API after each commit that recorded
events (services._append registers it once per transaction) and by the beat job
`audit.tasks.write_checkpoint`. A write never moves the checkpoint backwards or
onto another chain: when the database no longer extends the checkpoint, the
write is refused and the old checkpoint stays as evidence. `verify_audit_trail`
prints it, so a copy can be kept elsewhere too (a log, a ticket, a backup).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, router

from .chain import GENESIS, SEP
from .keys import Keyring, UnknownKey, keyring
from .models import AuditChainHead, AuditEvent

log = logging.getLogger(__name__)

DIRECTORY = "audit/checkpoints"
FORMAT = "btecqa-audit-checkpoint-1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: not JSON, or fields missing."""


class CheckpointRefused(RuntimeError):
    """The database does not extend the checkpoint; it was left as it is."""


@dataclass(frozen=True)
class Checkpoint:
    count: int
    last_hash: str
    written_at: str  # UTC, ISO 8601 with a Z
    key_id: str
    signature: str
    format: str = FORMAT

    def message(self) -> bytes:
        return SEP.join(
            (self.format, str(self.count), self.last_hash, self.written_at, self.key_id)
        ).encode()

    @classmethod
    def sign(cls, count: int, last_hash: str, ring: Keyring | None = None, at=None):
        key = (ring or keyring()).current
        at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        unsigned = cls(count, last_hash, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), key.id, "")
        return cls(
            **{**asdict(unsigned), "signature": key.checkpoint.hexdigest(unsigned.message())}
        )

    def signature_problem(self, ring: Keyring) -> str:
        """ "" when the signature is good; otherwise what is wrong, in words."""
        if self.format != FORMAT:
            return f"is of an unknown format ({self.format!r})"
        try:
            key = ring.get(self.key_id)
        except UnknownKey:
            return (
                f"is signed with key {self.key_id}, which is not in the keyring: forged, or its "
                "key was dropped from AUDIT_HMAC_OLD_KEYS"
            )
        if key.checkpoint.hexdigest(self.message()) != self.signature:
            return "signature does not match: it was altered, or not written by btecqa"
        return ""

    def to_json(self) -> str:
        """One line, keys sorted: the text kept in storage and printed by verify_audit_trail."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text) -> Checkpoint:
        try:
            data = json.loads(text)
            checkpoint = cls(
                count=int(data["count"]),
                last_hash=str(data["last_hash"]),
                written_at=str(data["written_at"]),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
                format=str(data.get("format", "")),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise CheckpointError(f"not an audit checkpoint: {exc}") from None
        if checkpoint.count < 0:
            raise CheckpointError("not an audit checkpoint: a negative count")
        return checkpoint

    @property
    def when(self) -> str:
        """The time it was written, as the office reads times (dd/mm/yyyy HH:MM:SS UTC)."""
        try:
            at = dt.datetime.fromisoformat(self.written_at.replace("Z", "+00:00"))
        except ValueError:
            return self.written_at
        return at.strftime("%d/%m/%Y %H:%M:%S UTC")

    def __str__(self) -> str:
        return (
            f"{self.count} events, head {self.last_hash}, written {self.when}, "
            f"signed by key {self.key_id}"
        )


def name() -> str:
    """Where this database's checkpoint lives in media storage.

    AUDIT_CHECKPOINT_NAME, or else the database's name: a test database, a
    developer's and production each keep their own, even in one media folder.
    """
    label = getattr(settings, "AUDIT_CHECKPOINT_NAME", "") or _database_label()
    return f"{DIRECTORY}/{re.sub(r'[^A-Za-z0-9_.-]+', '-', label).strip('-.') or 'default'}.json"


def _database_label() -> str:
    connection = connections[router.db_for_write(AuditEvent)]
    db_name = str(connection.settings_dict.get("NAME") or "default")
    if connection.vendor == "sqlite" and "memory" not in db_name:
        db_name = PurePath(db_name).name
    return db_name


def read(storage=None, path: str | None = None) -> Checkpoint | None:
    """The checkpoint in media storage, or None when there is none yet.

    Raises CheckpointError when there is a file but it is no checkpoint.
    """
    storage = storage or default_storage
    path = path or name()
    if not storage.exists(path):
        return None
    with storage.open(path, "rb") as handle:
        return Checkpoint.from_json(handle.read().decode("utf-8", "replace"))


def store(checkpoint: Checkpoint, storage=None, path: str | None = None) -> None:
    """Replace the stored checkpoint (the storage API has no rename: delete, then save)."""
    storage = storage or default_storage
    path = path or name()
    if storage.exists(path):
        storage.delete(path)
    saved = storage.save(path, ContentFile((checkpoint.to_json() + "\n").encode()))
    if saved != path:  # another process wrote it in between: theirs stands, ours goes
        storage.delete(saved)


@dataclass
class Written:
    checkpoint: Checkpoint
    written: bool

    def __str__(self) -> str:
        verb = "Wrote" if self.written else "Unchanged:"
        return f"{verb} audit checkpoint {name()}: {self.checkpoint}"


def current_head() -> tuple[int, str, str] | None:
    return AuditChainHead.objects.filter(id=1).values_list("count", "last_hash", "key_id").first()


def write() -> Written:
    """Checkpoint the database's head, if it extends the stored checkpoint.

    Refused (CheckpointRefused, the stored checkpoint left alone) when the head
    row is missing, when the head is behind the checkpoint, or when the event at
    the checkpoint's count is not the one it recorded: that is for
    verify_audit_trail to name, and the old checkpoint is the evidence.
    """
    ring = keyring()
    head = current_head()
    if head is None:
        raise CheckpointRefused("the audit chain head row is missing: run verify_audit_trail.")
    count, last_hash, _key_id = head
    try:
        stored = read()
    except CheckpointError as exc:
        raise CheckpointRefused(f"the stored checkpoint {name()} is unreadable: {exc}") from None
    if stored is not None:
        problem = stored.signature_problem(ring)
        if problem:
            raise CheckpointRefused(f"the stored checkpoint {problem}: run verify_audit_trail.")
        if count < stored.count:
            raise CheckpointRefused(
                f"the database's head ({count} events) is behind the checkpoint "
                f"({stored.count}): run verify_audit_trail."
            )
        at_stored = (
            GENESIS
            if stored.count == 0
            else AuditEvent.objects.filter(seq=stored.count).values_list("hash", flat=True).first()
        )
        if at_stored != stored.last_hash:
            raise CheckpointRefused(
                f"event #{stored.count} is not the one the checkpoint recorded: "
                "run verify_audit_trail."
            )
        if count == stored.count and stored.key_id == ring.current.id:
            return Written(stored, written=False)
    checkpoint = Checkpoint.sign(count, last_hash, ring)
    store(checkpoint)
    return Written(checkpoint, written=True)


def write_after_commit() -> None:
    """write(), after a commit that recorded events: a refusal or a storage failure is logged,
    never raised into the request or import that has already committed."""
    try:
        write()
    except CheckpointRefused as exc:
        log.error("Audit checkpoint not written: %s", exc)
    except Exception:
        log.exception("Audit checkpoint not written: the storage failed")


def accept_loss(*, by, reason: str) -> Written:
    """Carry on after a restore that is BEHIND the checkpoint, the lost events being gone.

    The chain in the database must verify on its own. The old checkpoint is kept
    beside the new one (…superseded-<time>.json), and the loss is recorded on the
    chain, by whom and why, with the checkpoint it leaves behind; the checkpoint
    written after that commit starts from the restored trail.
    """
    from . import record
    from .services import verify_chain

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why the events after the restored backup are accepted as lost.")
    stored = read()
    if stored is None:
        raise CheckpointRefused("there is no checkpoint to supersede.")
    result = verify_chain()
    if not result.ok:
        raise CheckpointRefused(f"the trail itself does not verify: {result}")
    if result.checked >= stored.count:
        raise CheckpointRefused("the trail is not behind its checkpoint: nothing was lost.")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = name().removesuffix(".json") + f".superseded-{stamp}.json"
    store(stored, path=kept)
    default_storage.delete(name())
    record(
        by,
        "audit.checkpoint.superseded",
        before={"count": stored.count, "last_hash": stored.last_hash, "at": stored.written_at},
        after={"count": result.checked, "lost": stored.count - result.checked, "reason": reason},
    )
    return write()
