"""The audit trail: an append-only, keyed hash chain, with personal details held apart.

Each event's hash is an HMAC-SHA-256 (key from the environment, audit/keys.py)
over its own content and the previous event's hash, so an edit, a deletion, an
insertion or a reordering breaks the chain from that point, and nobody without
the key can write an event that verifies. The chain head (count and last hash)
is kept in its own row, updated in the same transaction, and a signed copy of it
is kept outside the database (audit/checkpoints.py), so a missing tail shows too.

The learner's name, the object's text and the values before and after are
personal data, and a retention disposal must be able to erase them years later
without breaking the chain. They are held in AuditEventDetail, one row per
event, with a random salt; the chain covers only a keyed digest of them
(`details_digest`). Erasing blanks the row (salt included) and points it at the
erasure's own event; the chain still verifies.

before/after are stored as canonical JSON text (sorted keys, no spaces) rather
than a JSONField: PostgreSQL's jsonb would reorder keys, and verification must
digest exactly the bytes that were written.
"""

import copy
import json

from django.conf import settings
from django.db import models

ERASED = "erased under retention"
ERASE_ACTION = "audit.personal_details.erased"


class AppendOnlyError(RuntimeError):
    pass


# The personal details, once columns of the event: a query may still name them.
PERSONAL_FIELDS = ("learner_repr", "object_repr", "before", "after")


def _in_detail(name: str) -> str:
    """A lookup on an event, with a personal field moved to its details row."""
    sign = "-" if name.startswith("-") else ""
    bare = name[len(sign) :]
    field, _, rest = bare.partition("__")
    return f"{sign}detail__{bare}" if field in PERSONAL_FIELDS else name


def _q_in_detail(q: models.Q) -> models.Q:
    q = copy.copy(q)
    q.children = [
        _q_in_detail(c) if isinstance(c, models.Q) else (_in_detail(c[0]), c[1]) for c in q.children
    ]
    return q


class AuditEventQuerySet(models.QuerySet):
    """Append-only; and the personal details, held apart, can still be named in a query
    (`filter(learner_repr__icontains=…)`, `values_list("after")`) as when they were columns."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    update.queryset_only = True
    delete.queryset_only = True

    def _filter_or_exclude_inplace(self, negate, args, kwargs):
        args = tuple(_q_in_detail(a) if isinstance(a, models.Q) else a for a in args)
        kwargs = {_in_detail(k): v for k, v in kwargs.items()}
        return super()._filter_or_exclude_inplace(negate, args, kwargs)

    def order_by(self, *field_names):
        return super().order_by(*(_in_detail(f) if isinstance(f, str) else f for f in field_names))

    def values(self, *fields, **expressions):
        moved = {f: models.F(_in_detail(f)) for f in fields if f in PERSONAL_FIELDS}
        kept = [f for f in fields if f not in moved]
        return super().values(*kept, **moved, **expressions)

    def values_list(self, *fields, **kwargs):
        return super().values_list(
            *(_in_detail(f) if isinstance(f, str) else f for f in fields), **kwargs
        )


class AuditEventManager(models.Manager.from_queryset(AuditEventQuerySet)):
    """Every read brings the personal details in the same query: a page of events is one."""

    def get_queryset(self):
        return super().get_queryset().select_related("detail")


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, to which object and learner.

    What was said about the learner (names, values before and after) is in
    `detail`; the properties below read it, so callers see one event.
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    # The id of the key that signed this event (audit/keys.py); never the key.
    key_id = models.CharField(max_length=16, editable=False)
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
    learner_id = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )
    centre_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True, editable=False)
    # The keyed digest of the personal details (salt, learner, object, before, after).
    details_digest = models.CharField(max_length=64, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventManager()

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

    # The personal details, read through the event as they always were.

    def _detail(self):
        pending = self.__dict__.get("_pending_detail")
        if pending is not None:
            return pending
        try:
            return self.detail
        except AuditEventDetail.DoesNotExist:
            return None

    def _detail_for_writing(self):
        detail = self.__dict__.get("_pending_detail")
        if detail is None:
            detail = self.__dict__["_pending_detail"] = AuditEventDetail()
        return detail

    def _text(name):  # noqa: N805 - builds the four properties below
        def get(self):
            detail = self._detail()
            if detail is None:
                return ""
            return ERASED if detail.erased and name.endswith("_repr") else getattr(detail, name)

        def set_(self, value):
            setattr(self._detail_for_writing(), name, value)

        return property(get, set_)

    learner_repr = _text("learner_repr")
    object_repr = _text("object_repr")
    before = _text("before")
    after = _text("after")
    del _text

    @property
    def erased(self) -> bool:
        """True once the personal details were erased under retention."""
        detail = self._detail()
        return detail is not None and detail.erased

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field that differs: what a reader wants to see."""
        if self.erased:
            return [("personal details", None, ERASED)]
        b, a = self.before_data or {}, self.after_data or {}
        if not isinstance(b, dict) or not isinstance(a, dict):
            return [("value", b, a)]
        return [
            (k, b.get(k), a.get(k))
            for k in sorted(set(b) | set(a))
            if b.get(k) != a.get(k) and k != "reason"
        ]

    @property
    def sentence(self) -> str:
        """The event as the office reads it, from the action registry (audit/actions.py)."""
        from .actions import sentence

        return ERASED if self.erased else sentence(self)

    @property
    def label(self) -> str:
        from .actions import get_action

        action = get_action(self.action)
        return action.label if action else self.action

    def display_changes(self) -> list[tuple[str, object, object]]:
        """changes() with field names as words (date of birth, not date_of_birth)."""
        return [(k.replace("_", " "), b, a) for k, b, a in self.changes()]

    @property
    def reason(self) -> str:
        """Why the change was made, when the person said (kept beside the fields, not as one)."""
        a = self.after_data
        return a.get("reason", "") if isinstance(a, dict) else ""


class AuditEventDetailQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(
            "Audit personal details cannot be changed; erase them with "
            "audit.erase_personal_details()."
        )

    def delete(self):
        raise AppendOnlyError("Audit personal details cannot be deleted, only erased.")

    def _erase(self, by_seq: int, at) -> int:
        """Blank these rows and point them at the erasure's event (services only)."""
        return super().update(
            salt="",
            learner_repr="",
            object_repr="",
            before="",
            after="",
            erased_at=at,
            erased_by_seq=by_seq,
        )

    update.queryset_only = True
    delete.queryset_only = True


class AuditEventDetail(models.Model):
    """An event's personal details, apart from the chain so that they can be erased."""

    event = models.OneToOneField(
        AuditEvent,
        to_field="seq",
        db_column="seq",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        related_name="detail",
        editable=False,
    )
    # Random per event and erased with the rest: the digest left in the chain then
    # says nothing about what was erased, even to someone who guesses the values.
    salt = models.CharField(max_length=32, blank=True, editable=False)
    learner_repr = models.CharField(max_length=200, blank=True, editable=False)
    object_repr = models.CharField(max_length=300, blank=True, editable=False)
    before = models.TextField(blank=True, editable=False)
    after = models.TextField(blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_by_seq = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    objects = AuditEventDetailQuerySet.as_manager()

    def __str__(self) -> str:
        return f"details of #{self.event_id}" + (" (erased)" if self.erased else "")

    def save(self, *args, **kwargs):
        raise AppendOnlyError("Audit personal details are written by audit.record() only.")

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit personal details cannot be deleted, only erased.")

    @property
    def erased(self) -> bool:
        return self.erased_by_seq is not None


class AuditChainHead(models.Model):
    """The chain's head, kept apart from the events: one row, id=1."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    count = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # The key that signed the newest event: a change means the key was rotated.
    key_id = models.CharField(max_length=16, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.count} events, head {self.last_hash[:12]}…"
