"""The retention part of a learner's dossier: each of their records listed as due, approved
for disposal and disposed (the minimal record that stays), and any legal hold on them."""

from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section

from .models import LegalHold, RetentionItem
from .permissions import VIEW_RETENTION


def retention_rows(learner, viewer) -> list[Row]:
    """Two queries: the learner's retention items and their holds."""
    url = reverse("retention:index")
    rows = []
    items = scope(viewer, VIEW_RETENTION, RetentionItem.objects.filter(learner_id=learner.pk))
    for item in items.select_related("approved_by", "disposed_by").order_by("due_on", "pk"):
        rows.append(Row(f"{item.label}: due for disposal", "", item.due_on, url))
        if item.approved_at:
            reason = f" ({item.approval_reason})" if item.approval_reason else ""
            rows.append(
                Row(
                    f"{item.label}: disposal approved{reason}",
                    name(item.approved_by),
                    item.approved_at,
                    url,
                )
            )
        if item.disposed_at:
            rows.append(
                Row(
                    f"{item.label}: disposed, minimal record kept",
                    name(item.disposed_by),
                    item.disposed_at,
                    url,
                )
            )
    holds = scope(viewer, VIEW_RETENTION, LegalHold.objects.filter(learner_id=learner.pk))
    for hold in holds.select_related("placed_by", "lifted_by").order_by("placed_at", "pk"):
        rows.append(
            Row(
                f"Legal hold placed: {hold.get_reason_display()}",
                name(hold.placed_by),
                hold.placed_at,
                url,
            )
        )
        if hold.lifted_at:
            rows.append(Row("Legal hold lifted", name(hold.lifted_by), hold.lifted_at, url))
    return rows


register_section("retention", "Retention", 90, retention_rows, permission=VIEW_RETENTION)
