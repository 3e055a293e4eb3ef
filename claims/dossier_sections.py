"""The claims parts of a learner's dossier: Pearson's external results for the learner and
the certification claims that carry them."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section
from signatures.models import Signature

from .models import ExternalResult
from .models_claims import Claim, ClaimFile, ClaimLine
from .permissions import VIEW_CLAIMS, VIEW_READINESS


def result_rows(learner, viewer) -> list[Row]:
    # Read with the permission claim readiness reads them with (the model's own view
    # permission, importing results, is the exams officer's alone).
    results = scope(
        viewer, VIEW_READINESS, ExternalResult.objects.filter(learner_id=learner.pk)
    ).select_related("unit", "imported_by")
    rows = []
    for r in results.order_by("imported_at", "pk"):
        what = f"Pearson result for unit {r.unit.number}, {r.series}: {r.grade}"
        if r.source:
            what += f" (from {r.source})"
        if not r.current:
            what += " (replaced by a later import)"
        rows.append(Row(what, name(r.imported_by), r.imported_at))
    return rows


def claim_rows(learner, viewer) -> list[Row]:
    lines = scope(
        viewer, VIEW_CLAIMS, ClaimLine.objects.filter(learner_id=learner.pk)
    ).select_related("claim__cohort", "claim__created_by", "claim__submitted_by", "qualification")
    lines = list(lines)
    titles = {}
    rows = []
    for line in lines:
        claim = line.claim
        url = reverse("claims:claim_detail", args=[claim.pk])
        title = (
            # the kind's label ends in "claim" ("Final (full award) claim")
            f"the {claim.get_kind_display().lower()} for {line.qualification.title} "
            f"{claim.academic_year} (version {claim.version})"
        )
        titles[str(claim.pk)] = (title, url)
        grade = f", award {line.award_grade}" if line.award_grade else ""
        rows.append(Row(f"Put on {title}{grade}", name(claim.created_by), claim.created_at, url))
        if claim.submitted_on:
            ref = (
                f", Pearson reference {claim.pearson_reference}" if claim.pearson_reference else ""
            )
            rows.append(
                Row(f"Submitted {title}{ref}", name(claim.submitted_by), claim.submitted_on, url)
            )
    if titles:  # the claim files made for Edexcel Online, in one query
        made = ClaimFile.objects.filter(claim_id__in=[int(pk) for pk in titles])
        for f in made.select_related("made_by").order_by("made_at", "pk"):
            title, url = titles[str(f.claim_id)]
            rows.append(
                Row(
                    f"Claim file ({f.get_format_display()}) made for {title}, "
                    f"SHA-256 {f.sha256[:12]}…",
                    name(f.made_by),
                    f.made_at,
                    url,
                )
            )
    if titles:  # the two approvals: signatures on the claim's versions, in one query
        approvals = Signature.objects.filter(
            version__content_type=ContentType.objects.get_for_model(Claim),
            version__object_id__in=sorted(titles),
        ).select_related("version")
        for sig in approvals:
            title, url = titles[sig.version.object_id]
            rows.append(
                Row(
                    f"Approved {title} as {sig.role_label} (version {sig.version.number})",
                    sig.signer_name,
                    sig.signed_at,
                    url,
                )
            )
    return rows


register_section("results", "External results", 60, result_rows, permission=VIEW_READINESS)
register_section("claims", "Certification claims", 70, claim_rows, permission=VIEW_CLAIMS)
