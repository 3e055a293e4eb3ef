"""Reads for the declaration and review pages: a fixed number of queries each."""

from __future__ import annotations

from accounts.permissions import scope
from signatures import services as signing

from .checks import all_checks
from .models import ArrangementReview, QualityDeclaration
from .services import checklist_findings


def declaration_rows(declaration) -> list[dict]:
    """Each checklist item: the QN's tick and note, and the evidence and gaps — from the
    records today while a draft, as frozen once completed."""
    items = {i.clause: i for i in declaration.items.all()}
    live = declaration.status == QualityDeclaration.Status.DRAFT
    findings = checklist_findings(declaration) if live else {}
    rows = []
    for check in all_checks():
        item = items.get(check.clause)
        if live:
            f = findings[check.clause]
            evidence, gaps, by_hand, hint = f.evidence, f.gaps, f.by_hand, f.hint
        else:
            evidence = item.evidence if item else []
            gaps = item.gaps if item else []
            by_hand, hint = False, ""
        rows.append(
            {
                "clause": check.clause,
                "title": item.title if item and not live else check.title,
                "item": item,
                "evidence": evidence,
                "gaps": gaps,
                "by_hand": by_hand,
                "hint": hint,
            }
        )
    return rows


def version_rows(declaration) -> list[dict]:
    """Every kept version, newest first, with the signatures on it (two queries)."""
    signatures: dict[int, list] = {}
    for sig in signing.signatures(declaration):
        signatures.setdefault(sig.version_id, []).append(sig)
    return [
        {"version": v, "signatures": signatures.get(v.pk, [])}
        for v in signing.versions(declaration).order_by("-number")
    ]


def declarations_for(user, perm: str, centres, academic_year: str) -> list[tuple]:
    """(centre, its declaration for the year or None) for each centre listed."""
    found = {
        d.centre_id: d
        for d in scope(
            user, perm, QualityDeclaration.objects.filter(academic_year=academic_year)
        ).filter(centre__in=centres)
    }
    return [(c, found.get(c.pk)) for c in centres]


def reviews(user, perm: str):
    return (
        scope(user, perm, ArrangementReview.objects.all())
        .select_related("arrangement__lead_centre", "recorded_by")
        .prefetch_related("attendance__centre", "actions")
        .order_by("-held_on", "-pk")
    )
