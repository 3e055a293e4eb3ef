"""Changing learner records. Every change goes on the learner's audit trail."""

from __future__ import annotations

from django.db import transaction

import audit

from .models import Learner

EDITABLE_FIELDS = [
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "uln",
    "uci",
    "candidate_number",
    "admission_number",
    "email",
    "on_roll",
    "left_on",
]


def update_learner(learner: Learner, *, by, changes: dict, reason: str = "") -> list[str]:
    """Apply field changes after full validation; returns the fields that changed."""
    with transaction.atomic():
        current = Learner.objects.select_for_update().get(pk=learner.pk)
        before = {f: getattr(current, f) for f in EDITABLE_FIELDS}
        for field, value in changes.items():
            if field not in EDITABLE_FIELDS:
                raise ValueError(f"{field} cannot be changed here")
            if field in {"uln", "uci"} and value == "":
                value = None
            setattr(current, field, value)
        current.full_clean()
        changed = [f for f in EDITABLE_FIELDS if getattr(current, f) != before[f]]
        if not changed:
            return []
        current.save(update_fields=changed)
        audit.record(
            by,
            "learner.updated",
            current,
            before={f: before[f] for f in changed},
            after={f: getattr(current, f) for f in changed}
            | ({"reason": reason} if reason else {}),
        )
    learner.refresh_from_db()
    return changed
