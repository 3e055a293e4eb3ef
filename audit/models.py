"""The audit trail: an append-only, hash-chained event store.

Each event's hash covers its own content and the previous event's hash, so an
edit, a deletion, an insertion or a reordering breaks the chain from that point.
The chain head (count and last hash) is kept in its own row, updated in the
same transaction, so deleting the newest event is caught too.

before/after are stored as canonical JSON text (sorted keys, no spaces) rather
than a JSONField: PostgreSQL's jsonb would reorder keys, and verification must
hash exactly the bytes that were written.
"""

import json

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, to which object and learner, before and after."""

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    # No database constraint: the trail outlives users, learners and objects.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_repr = models.CharField(max_length=200, editable=False)
    action = models.CharField(max_length=100, db_index=True, editable=False)
    object_type = models.CharField(max_length=100, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    object_repr = models.CharField(max_length=300, blank=True, editable=False)
    learner_id = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )
    learner_repr = models.CharField(max_length=200, blank=True, editable=False)
    centre_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True, editable=False)
    before = models.TextField(blank=True, editable=False)
    after = models.TextField(blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_repr}"

    def save(self, *args, **kwargs):
        raise AppendOnlyError(
            "Write audit events with audit.record(); they cannot be saved or changed."
        )

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs: what a reader wants to see."""
        b, a = self.before_data or {}, self.after_data or {}
        if not isinstance(b, dict) or not isinstance(a, dict):
            return [("value", b, a)]
        return [
            (k, b.get(k), a.get(k))
            for k in sorted(set(b) | set(a))
            if b.get(k) != a.get(k) and k != "reason"
        ]

    def display_changes(self) -> list[tuple[str, object, object]]:
        """changes() with field names as words (date of birth, not date_of_birth)."""
        return [(k.replace("_", " "), b, a) for k, b, a in self.changes()]

    @property
    def reason(self) -> str:
        """Why the change was made, when the person said (kept beside the fields, not as one)."""
        a = self.after_data
        return a.get("reason", "") if isinstance(a, dict) else ""


class AuditChainHead(models.Model):
    """The chain's head, kept apart from the events: one row, id=1."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    count = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.count} events, head {self.last_hash[:12]}…"
