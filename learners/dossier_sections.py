"""The MIS part of a learner's dossier: each committed MIS import (learners file or class
list) that created the learner or changed them, which file it was (its name, the import's
number and the file's SHA-256), who committed it and when, and what it changed."""

from django.urls import reverse

from accounts.permissions import has_perm, scope
from dossier.sections import Row, name, register_section

from .imports import FIELD_LABELS
from .models import LearnerImportChange
from .permissions import IMPORT_LEARNERS, VIEW_LEARNERS

EXTRA_LABELS = {"on_roll": "on roll", "left_on": "date left"}


def _label(field: str) -> str:
    return FIELD_LABELS.get(field) or EXTRA_LABELS.get(field) or field.replace("_", " ")


def import_rows(learner, viewer) -> list[Row]:
    """One query: the learner's changes with their import and who committed it."""
    changes = scope(
        viewer, VIEW_LEARNERS, LearnerImportChange.objects.filter(learner_id=learner.pk)
    ).select_related("learner_import", "learner_import__uploaded_by", "by")
    Action = LearnerImportChange.Action
    rows = []
    for change in changes.order_by("at", "pk"):
        imp = change.learner_import
        source = (
            f"MIS {imp.get_kind_display().lower()} import #{imp.pk} “{imp.file_name}” "
            f"(SHA-256 {imp.file_sha256[:12]}…)"
        )
        if change.action == Action.CREATED:
            what = f"{source}: created the learner's record"
        elif change.action == Action.UPDATED:
            fields = ", ".join(_label(f) for f in change.fields) or "no detail"
            what = f"{source}: changed {fields}"
        elif change.action == Action.LEFT:
            what = f"{source}: marked the learner as left"
        else:
            what = f"{source}: added the learner to teaching group {change.group}"
        url = ""
        if has_perm(viewer, IMPORT_LEARNERS, imp.centre_id):  # the import's own pages
            url = reverse("learner_imports:result", args=[imp.pk])
        rows.append(Row(what, name(change.by or imp.uploaded_by), change.at, url))
    return rows


register_section("mis", "MIS imports", 5, import_rows, permission=VIEW_LEARNERS)
