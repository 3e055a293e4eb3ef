"""What the claims pages read: a cohort's claims, and one claim with its lines, units,
approvals (signer and date, and whether each still counts), files and versions. A fixed
number of queries whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.roles import Role
from signatures.services import content_sha256, signatures

from .config import claim_deadline
from .models import Claim


@dataclass
class Approval:
    role: str
    role_label: str
    signer_name: str
    signed_at: object
    current: bool


@dataclass
class ClaimPage:
    claim: Claim
    lines: list
    approvals: list[Approval]
    files: list
    versions: list
    sha256: str
    deadline: object
    days_left: int
    missing: dict = field(default_factory=dict)  # role value -> label, still to approve

    @property
    def days_over(self) -> int:
        return -self.days_left


def cohort_claims(cohort):
    return (
        Claim.objects.filter(cohort=cohort)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def claim_page(claim: Claim) -> ClaimPage:
    lines = list(claim.lines.select_related("qualification").prefetch_related("units__unit"))
    snapshot = claim.snapshot()
    sha = content_sha256(snapshot)
    approvals = [
        Approval(s.role, s.role_label, s.signer_name, s.signed_at, s.sha256 == sha)
        for s in signatures(claim).order_by("signed_at", "pk")
    ]
    have = {a.role for a in approvals if a.current}
    missing = {
        r.value: r.label for r in (Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER) if r.value not in have
    }
    # Every version of this claim: walk to the first, then each amendment (a few queries;
    # amendments are rare).
    root = claim
    while root.amends_id:
        root = Claim.objects.get(pk=root.amends_id)
    versions = [root]
    while True:
        nxt = Claim.objects.filter(amends=versions[-1]).first()
        if nxt is None:
            break
        versions.append(nxt)
    deadline = claim_deadline(claim.academic_year)
    return ClaimPage(
        claim=claim,
        lines=lines,
        approvals=approvals,
        files=list(claim.files.select_related("made_by")),
        versions=versions,
        sha256=sha,
        deadline=deadline,
        days_left=(deadline - timezone.localdate()).days,
        missing=missing,
    )
