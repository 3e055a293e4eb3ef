"""The certificate part of a learner's dossier, as the batch check went: each certificate
received for them (which delivery, who recorded it), its check against the submitted claim
line it answers, the deliveries after which the submitted claims were checked for
certificates still missing, the differences found and reported to Pearson (and the amended
certificate that resolved each), and how the certificate reached the learner (or was
destroyed unclaimed)."""

from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section

from .models import Certificate, CertificateException
from .permissions import VIEW_CERTIFICATES

Kind = CertificateException.Kind


def _delivery(batch) -> str:
    how = f"file “{batch.file_name}”" if batch.file_name else batch.get_how_display().lower()
    return f"the delivery of {batch.received_on:%d/%m/%Y} ({how})"


def _claim_title(line) -> str:
    claim = line.claim
    # the kind's label ends in "claim" ("Final (full award) claim"), as the claims section
    return (
        f"the {claim.get_kind_display().lower()} for {line.qualification.title} "
        f"{claim.academic_year} (version {claim.version})"
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def certificate_rows(learner, viewer) -> list[Row]:
    """Two queries: the learner's certificates (with their delivery, the claim line each
    answers, the issue and who), and the differences found for the learner."""
    certificates = list(
        scope(viewer, VIEW_CERTIFICATES, Certificate.objects.filter(learner_id=learner.pk))
        .select_related(
            "batch__recorded_by",
            "batch__checked_by",
            "claim_line__claim",
            "claim_line__qualification",
            "issue__recorded_by",
            "issue__witnessed_by",
            "destroyed_by",
        )
        .order_by("received_on", "pk")
    )
    exceptions = list(
        scope(
            viewer,
            VIEW_CERTIFICATES,
            CertificateException.objects.filter(learner_id=learner.pk),
        )
        .select_related("batch__recorded_by", "batch__checked_by", "reported_by", "resolved_by")
        .order_by("found_at", "pk")
    )
    differences: dict[int, int] = {}
    missing: dict[int, int] = {}  # batch -> certificates found missing for the learner
    for e in exceptions:
        if e.certificate_id:
            differences[e.certificate_id] = differences.get(e.certificate_id, 0) + 1
        if e.kind == Kind.MISSING:
            missing[e.batch_id] = missing.get(e.batch_id, 0) + 1
    rows = []
    batches = {}
    for c in certificates:
        url = reverse("certification:certificate", args=[c.pk])
        batch = c.batch
        batches[batch.pk] = batch
        grade = f", award {c.award_grade}" if c.award_grade else ""
        rows.append(
            Row(
                f"Certificate {c.certificate_number} received ({c.qualification_number}{grade}) "
                f"in {_delivery(batch)}",
                name(batch.recorded_by),
                c.received_on,
                url,
            )
        )
        found = differences.get(c.pk, 0)
        if c.claim_line_id:
            title = _claim_title(c.claim_line)
            outcome = (
                f"{_plural(found, 'difference', 'differences')} found (below)"
                if found
                else "it matches the claim (grade, name, date of birth and units)"
            )
            what = f"Certificate {c.certificate_number} checked against {title}: {outcome}"
        else:
            what = (
                f"Certificate {c.certificate_number} checked against the submitted claims: "
                "no claim line for it"
            )
        rows.append(Row(what, name(batch.recorded_by), batch.recorded_at, url))
        issue = getattr(c, "issue", None)
        if issue is not None:
            if issue.how == "collected":
                how = f"collected, signed {issue.signed_name}"
                if issue.witnessed_by_id:
                    how += f", witnessed by {name(issue.witnessed_by)}"
            else:
                how = "posted"
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
    for e in exceptions:
        batches.setdefault(e.batch_id, e.batch)
    for batch in sorted(batches.values(), key=lambda b: (b.received_on, b.pk)):
        if not batch.checked_at:
            continue
        n = missing.get(batch.pk, 0)
        outcome = (
            f"{_plural(n, 'certificate', 'certificates')} of this learner's missing (below)"
            if n
            else "none of this learner's missing"
        )
        rows.append(
            Row(
                f"Submitted claims checked for certificates still missing after "
                f"{_delivery(batch)}: {outcome}",
                name(batch.checked_by),
                batch.checked_at,
                "",
            )
        )
    for e in exceptions:
        url = reverse("certification:exception", args=[e.pk])
        finder = e.batch.checked_by if e.kind == Kind.MISSING else e.batch.recorded_by
        rows.append(
            Row(
                f"Difference found ({e.get_kind_display().lower()}): {e.description}",
                name(finder),
                e.found_at,
                url,
            )
        )
        if e.reported_on:
            ref = f", case {e.pearson_reference}" if e.pearson_reference else ""
            rows.append(Row(f"Reported to Pearson{ref}", name(e.reported_by), e.reported_on, url))
        if e.resolved_on:
            by_cert = f" {e.resolved_by.certificate_number}" if e.resolved_by_id is not None else ""
            rows.append(
                Row(f"Resolved by the amended certificate{by_cert}", "", e.resolved_on, url)
            )
    return rows


register_section("certificates", "Certificates", 80, certificate_rows, permission=VIEW_CERTIFICATES)
