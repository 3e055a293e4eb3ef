"""What other apps read about certificates."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max


def certificates_arrived(learner_ids) -> dict[int, dt.date]:
    """For the retention schedule (domain.md 4.8: learner work is kept 12 weeks after the
    centre receives the certificates): learner id -> the latest date a certificate of theirs
    was received. Learners with no certificate are absent. One query."""
    from .models import Certificate

    ids = list(learner_ids)
    if not ids:
        return {}
    rows = (
        Certificate.objects.filter(learner_id__in=ids)
        .values("learner_id")
        .annotate(latest=Max("received_on"))
        .values_list("learner_id", "latest")
    )
    return dict(rows)


def waiting_previews(queryset):
    """The kept previews still waiting to be confirmed or discarded (the upload page)."""
    from .models import CertificateImport

    return (
        queryset.filter(status=CertificateImport.Status.PREVIEWED)
        .exclude(stored_file="")
        .select_related("centre", "uploaded_by")
        .order_by("-created_at")
    )
