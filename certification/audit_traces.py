"""The claims audit's certificate trace (004-duty-6): each claim line to the certificate that
answers it, and any difference still open with Pearson. Registered with claims' trace
registry, so the claims audit reads it without knowing this app."""

from __future__ import annotations

from django.urls import reverse

from claims.audit_traces import Trace, register_claim_trace

from .models import Certificate, CertificateException


def trace_certificate(line_ids: list[int]) -> dict[int, Trace]:
    """Two queries for the whole year: the certificates matched to the lines, and the
    differences not yet resolved by an amended certificate."""
    certificates: dict[int, Certificate] = {}
    for c in Certificate.objects.filter(claim_line_id__in=line_ids).order_by("received_on", "pk"):
        certificates[c.claim_line_id] = c  # the latest received answers the line
    open_by_line: dict[int, list[str]] = {}
    for line_id, description in (
        CertificateException.objects.filter(claim_line_id__in=line_ids)
        .exclude(status=CertificateException.Status.RESOLVED)
        .order_by("found_at", "pk")
        .values_list("claim_line_id", "description")
    ):
        open_by_line.setdefault(line_id, []).append(description)
    out = {}
    for pk in line_ids:
        c = certificates.get(pk)
        problems = open_by_line.get(pk, [])
        if c is None and not problems:
            continue  # "No record found": no certificate has arrived for this line
        if c is None:
            out[pk] = Trace("No certificate; " + "; ".join(problems), False)
            continue
        text = f"Certificate {c.certificate_number} received {c.received_on:%d/%m/%Y}"
        url = reverse("certification:certificate", args=[c.pk])
        if problems:
            out[pk] = Trace(text + " (open with Pearson: " + "; ".join(problems) + ")", False, url)
        else:
            out[pk] = Trace(text + ", matches the claim", True, url)
    return out


CERTIFICATE = register_claim_trace("certificate", "Certificate", trace_certificate, order=50)
