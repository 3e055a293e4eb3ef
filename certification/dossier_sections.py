"""The certificate part of a learner's dossier: each certificate received for them, the
differences found and reported to Pearson, and how it reached the learner (or was
destroyed unclaimed)."""

from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section

from .models import Certificate, CertificateException
from .permissions import VIEW_CERTIFICATES


def certificate_rows(learner, viewer) -> list[Row]:
    """Two queries: the learner's certificates (with batch, issue and who), and their
    exceptions."""
    certificates = list(
        scope(viewer, VIEW_CERTIFICATES, Certificate.objects.filter(learner_id=learner.pk))
        .select_related("batch__recorded_by", "issue__recorded_by", "destroyed_by")
        .order_by("received_on", "pk")
    )
    rows = []
    for c in certificates:
        url = reverse("certification:certificate", args=[c.pk])
        grade = f", award {c.award_grade}" if c.award_grade else ""
        rows.append(
            Row(
                f"Certificate {c.certificate_number} received ({c.qualification_number}{grade})",
                name(c.batch.recorded_by),
                c.received_on,
                url,
            )
        )
        issue = getattr(c, "issue", None)
        if issue is not None:
            how = f"collected, signed {issue.signed_name}" if issue.how == "collected" else "posted"
            rows.append(
                Row(
                    f"Certificate {c.certificate_number} issued: {how}",
                    name(issue.recorded_by),
                    issue.issued_on,
                    url,
                )
            )
        if c.destroyed_on:
            rows.append(
                Row(
                    f"Certificate {c.certificate_number} destroyed unclaimed",
                    name(c.destroyed_by),
                    c.destroyed_on,
                    url,
                )
            )
    exceptions = scope(
        viewer,
        VIEW_CERTIFICATES,
        CertificateException.objects.filter(learner_id=learner.pk),
    ).select_related("reported_by")
    for e in exceptions.order_by("found_at", "pk"):
        url = reverse("certification:exception", args=[e.pk])
        rows.append(Row(f"Difference found: {e.description}", "", e.found_at, url))
        if e.reported_on:
            ref = f", case {e.pearson_reference}" if e.pearson_reference else ""
            rows.append(Row(f"Reported to Pearson{ref}", name(e.reported_by), e.reported_on, url))
        if e.resolved_on:
            rows.append(Row("Resolved by the amended certificate", "", e.resolved_on, url))
    return rows


register_section("certificates", "Certificates", 80, certificate_rows, permission=VIEW_CERTIFICATES)
