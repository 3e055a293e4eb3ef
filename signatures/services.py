"""Freeze a version, sign it, tell what changed since. Used by every app that signs.

A signable model provides:
- `snapshot()` -> dict: what the signer vouches for (JSON-able, stable order);
- `signing_statement` (str): the words the signature stands behind.
"""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from audit.services import canonical_json
from workflow.steps import StaleRecord  # noqa: E402  (one exception for every stale form)

from .models import RecordVersion, Signature


def content_sha256(snapshot: dict) -> str:
    return hashlib.sha256(canonical_json(snapshot).encode()).hexdigest()


def current_sha256(record) -> str:
    return content_sha256(record.snapshot())


def versions(record):
    ct = ContentType.objects.get_for_model(record)
    return RecordVersion.objects.filter(content_type=ct, object_id=str(record.pk))


def latest_version(record) -> RecordVersion | None:
    return versions(record).order_by("-number").first()


def signatures(record):
    ct = ContentType.objects.get_for_model(record)
    return Signature.objects.filter(
        version__content_type=ct, version__object_id=str(record.pk)
    ).select_related("version")


def latest_signature(record) -> Signature | None:
    return signatures(record).order_by("-signed_at", "-pk").first()


def freeze_version(record, *, by, reason: str = "") -> RecordVersion:
    """Keep the record's present content as a new version (or return the latest if unchanged)."""
    snapshot = record.snapshot()
    sha = content_sha256(snapshot)
    latest = latest_version(record)
    if latest and latest.sha256 == sha:
        return latest
    version = RecordVersion.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        number=(latest.number + 1) if latest else 1,
        snapshot=snapshot,
        sha256=sha,
        reason=reason[:300],
        created_by=by,
        created_by_repr=_name(by),
    )
    audit.record(
        by,
        "signatures.record.version_made",
        record,
        after={"version": version.number, "sha256": sha, "reason": reason},
    )
    return version


def _name(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def check_unchanged(record, seen_sha256: str) -> None:
    """Refuse to act on a record that changed after the person opened it."""
    if seen_sha256 != current_sha256(record):
        latest = latest_version(record)
        who = f" (version {latest.number} by {latest.created_by_repr})" if latest else ""
        raise StaleRecord(
            "This record changed after you opened it"
            f"{who}. Nothing was done: reload the page, check it again, then try once more."
        )


def sign(
    record, *, user, password: str, role, seen_sha256: str, statement: str | None = None
) -> Signature:
    """Sign what the person saw: password re-entered, content unchanged since it was opened.

    The signature records person, role, date and time and the content's SHA-256,
    and points at a frozen version, so later changes cannot alter what was signed.
    `statement` is for a record two people sign in different capacities (an assignment
    brief: its internal verifier and its assessor); by default the record's own
    `signing_statement`.
    """
    if not password or not user.check_password(password):
        # Named for the form's password field, so the form shows it there.
        raise ValidationError({"password": "That password is not right, so nothing was signed."})
    with transaction.atomic():
        type(record).objects.select_for_update().filter(pk=record.pk).first()
        check_unchanged(record, seen_sha256)
        version = freeze_version(record, by=user, reason="signed")
        signature = Signature.objects.create(
            version=version,
            signer=user,
            signer_name=_name(user),
            role=str(role),
            role_label=getattr(role, "label", str(role)),
            sha256=version.sha256,
            statement=(statement or record.signing_statement)[:300],
        )
        audit.record(
            user,
            "signatures.record.signed",
            record,
            after={
                "version": version.number,
                "role": signature.role_label,
                "sha256": version.sha256,
            },
        )
    return signature


def diff_rows(before: list[dict], after: list[dict], key: str = "key") -> dict:
    """Rows added, removed and changed (with field before/after) between two snapshots."""
    old = {r[key]: r for r in before}
    new = {r[key]: r for r in after}
    changed = []
    for k in old.keys() & new.keys():
        fields = {
            f: (old[k].get(f), new[k].get(f))
            for f in sorted(set(old[k]) | set(new[k]))
            if old[k].get(f) != new[k].get(f)
        }
        if fields:
            changed.append({"row": new[k], "fields": fields})
    return {
        "added": [new[k] for k in new.keys() - old.keys()],
        "removed": [old[k] for k in old.keys() - new.keys()],
        "changed": changed,
    }
