"""Move each event's personal details apart and re-chain the trail under the audit key.

btecqa is not in production yet, so the trail is re-chained rather than versioned:
every existing event keeps its content, seq and time, gains a salted, keyed digest of
its personal details, and gets a new prev_hash and hash (HMAC under AUDIT_HMAC_KEY,
audit/chain.py's format). First the old unkeyed chain is verified as it stands: a
trail that was already broken is refused rather than re-signed, so no tampering from
before is laundered. On PostgreSQL the append-only trigger is lifted for this
transaction only (this migration runs as the tables' owner). After the commit the
new head is checkpointed in media storage.
"""

import hashlib
import os

from django.db import migrations, transaction

SEP = "\x1f"
GENESIS = "0" * 64
CHUNK = 1000


def _ts(value):
    from audit.chain import ts

    return ts(value)


def _old_payload(e) -> bytes:
    """The unkeyed scheme's payload (audit/services.py before this migration)."""
    return SEP.join(
        (
            str(e.seq),
            _ts(e.occurred_at),
            "" if e.actor_id is None else str(e.actor_id),
            e.actor_repr,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            "" if e.learner_id is None else str(e.learner_id),
            e.learner_repr,
            "" if e.centre_id is None else str(e.centre_id),
            e.before,
            e.after,
        )
    ).encode()


def _chunks(Event):
    last = 0
    while True:
        chunk = list(Event.objects.filter(seq__gt=last).order_by("seq")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].seq


def _check_old_chain(Event, Head):
    head = Head.objects.filter(id=1).first()
    prev, expected = GENESIS, 1
    for chunk in _chunks(Event):
        for e in chunk:
            if e.seq != expected or e.prev_hash != prev:
                raise RuntimeError(
                    f"The audit trail is broken at event #{expected} (a gap or a wrong link): "
                    "refusing to re-sign it under the key. Investigate with the previous "
                    "release's verify_audit_trail, or start from a fresh database."
                )
            if hashlib.sha256(prev.encode() + _old_payload(e)).hexdigest() != e.hash:
                raise RuntimeError(
                    f"The audit trail's event #{e.seq} does not match its hash (edited): "
                    "refusing to re-sign it under the key."
                )
            prev, expected = e.hash, expected + 1
    if head is not None and (head.count, head.last_hash) != (expected - 1, prev):
        raise RuntimeError(
            f"The audit chain head records {head.count} events but the trail has "
            f"{expected - 1}: refusing to re-sign it under the key."
        )


def forwards(apps, schema_editor):
    from audit.chain import details_text, payload_text, plain
    from audit.keys import keyring

    Event = apps.get_model("audit", "AuditEvent")
    Detail = apps.get_model("audit", "AuditEventDetail")
    Head = apps.get_model("audit", "AuditChainHead")
    _check_old_chain(Event, Head)
    key = keyring().current
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only", params=None
        )
    prev, seq = GENESIS, 0
    for chunk in _chunks(Event):
        details = []
        for e in chunk:
            detail = Detail(
                event_id=e.seq,
                salt=os.urandom(16).hex(),
                learner_repr=plain(e.learner_repr),
                object_repr=plain(e.object_repr),
                before=e.before,
                after=e.after,
            )
            details.append(detail)
            e.actor_repr, e.action = plain(e.actor_repr), plain(e.action)
            e.object_type, e.object_id = plain(e.object_type), plain(e.object_id)
            e.key_id, e.prev_hash = key.id, prev
            e.details_digest = key.details.hexdigest(
                details_text(
                    detail.salt, detail.learner_repr, detail.object_repr, e.before, e.after
                ).encode()
            )
            payload = payload_text(
                e.seq,
                _ts(e.occurred_at),
                key.id,
                e.actor_id,
                e.actor_repr,
                e.action,
                e.object_type,
                e.object_id,
                e.learner_id,
                e.centre_id,
                e.details_digest,
            )
            e.hash = prev = key.chain.hexdigest((prev + payload).encode())
            seq = e.seq
        Detail.objects.bulk_create(details)
        Event.objects.bulk_update(
            chunk,
            ["actor_repr", "action", "object_type", "object_id", "key_id", "details_digest"]
            + ["prev_hash", "hash"],
        )
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", params=None)
        schema_editor.execute(
            "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only", params=None
        )
    Head.objects.update_or_create(id=1, defaults={"count": seq, "last_hash": prev, "key_id": key.id})
    if seq:
        from audit import checkpoints

        transaction.on_commit(checkpoints.write_after_commit, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_personal_details_apart")]
    # Irreversible: the unkeyed chain is not kept, and re-deriving it would need every hash anew.
    operations = [migrations.RunPython(forwards, elidable=False)]
