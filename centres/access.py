"""What a collaborative arrangement grants: the ARRANGEMENT reach of the permission layer.

Access flows through an arrangement only by consent and approval:
- the partner centre's own Quality Nominee or Head of Centre accepted the invitation;
- the qualification is on the arrangement and not withdrawn;
- both the lead centre and the partner have recorded their own Pearson approval for it
  (qualification approval comes before collaborative approval, policy 3.1.2).

Who it grants to:
- the lead centre's Quality Nominee, who coordinates quality assurance for the
  arrangement (3.1.3): the partners' records on the arrangement's qualifications;
- the qualification's Lead Internal Verifier: that qualification's records at every
  centre of the arrangement (they must hold the permission at one of its centres).

After a partner withdraws, permissions declared `after_withdrawal=True` (reading QA
records) keep reaching what was shared, for the retention period (3.1.10).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.permissions import (
    ARRANGEMENT,
    Access,
    Permission,
    assignments,
    centres_where,
    materialised,
    register_centre_fact,
    register_reach,
)
from accounts.roles import Role

ARRANGEMENT_FACT = "centres.in_an_arrangement"


def _in_an_arrangement(user):
    """Does any arrangement qualification have the centre as lead, or the user as Lead IV?
    Read with the role assignments, so the pairs below need no query when none does."""
    from .models import ArrangementQualification

    return Exists(
        ArrangementQualification.objects.filter(
            Q(arrangement__lead_centre=OuterRef("centre")) | Q(lead_iv=user.pk)
        )
    )


register_centre_fact(ARRANGEMENT_FACT, _in_an_arrangement)

# The lead centre's roles that oversee the partners' records (policy 3.1.3, 3.2.1).
LEAD_OVERSIGHT_ROLES = frozenset({Role.QUALITY_NOMINEE})


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    """Partnerships that ended on or after this day still share what they shared (3.1.10)."""
    today = today or timezone.localdate()
    years = settings.BTECQA_SHARED_RECORDS_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def shared_pairs(user, perm: Permission) -> set[tuple[int, int]]:
    """(centre_id, qualification_id) pairs whose records `perm` reaches for this user."""
    cache = getattr(user, "_btecqa_arrangement_pairs", None)
    if cache is None:
        cache = user._btecqa_arrangement_pairs = {}
    key = (perm.code, perm.after_withdrawal)
    if key not in cache:
        cache[key] = _compute_pairs(user, perm)
    return cache[key]


def _compute_pairs(user, perm: Permission) -> set[tuple[int, int]]:
    from .models import ArrangementPartner, ArrangementQualification, QualificationApproval

    held = [(r, c) for r, c in assignments(user) if r in perm.roles]
    if not held or centres_where(user, ARRANGEMENT_FACT) == set():
        return set()  # no arrangement has the user's centres as lead, nor the user as Lead IV
    accepted = Q(status=ArrangementPartner.Status.ACCEPTED)
    partner_ok, qual_ok = accepted, Q(withdrawn_on__isnull=True)
    if perm.after_withdrawal:
        cutoff = retention_cutoff()
        partner_ok = accepted | Q(
            status=ArrangementPartner.Status.WITHDRAWN, withdrawn_on__gte=cutoff
        )
        qual_ok |= Q(withdrawn_on__gte=cutoff)

    oversight = {c for r, c in held if r in LEAD_OVERSIGHT_ROLES}
    quals = ArrangementQualification.objects.filter(qual_ok).filter(
        Q(arrangement__lead_centre_id__in=oversight) | Q(lead_iv=user)
    )
    rows = list(
        quals.values_list(
            "arrangement_id", "arrangement__lead_centre_id", "qualification_id", "lead_iv_id"
        )
    )
    if not rows:
        return set()
    arrangement_ids = {a for a, _, _, _ in rows}
    partners: dict[int, set[int]] = defaultdict(set)
    for a, c in ArrangementPartner.objects.filter(
        partner_ok, arrangement_id__in=arrangement_ids
    ).values_list("arrangement_id", "centre_id"):
        partners[a].add(c)
    centres_involved = {lead for _, lead, _, _ in rows} | {
        c for cs in partners.values() for c in cs
    }
    approved = set(
        QualificationApproval.objects.filter(
            centre_id__in=centres_involved, qualification_id__in={q for _, _, q, _ in rows}
        ).values_list("centre_id", "qualification_id")
    )
    mine = {c for _, c in held}
    pairs: set[tuple[int, int]] = set()
    for a, lead, q, lead_iv in rows:
        if (lead, q) not in approved:
            continue  # the lead centre's own approval comes first
        members = {p for p in partners[a] if (p, q) in approved}
        if lead in oversight:
            pairs.update((p, q) for p in members)
        if lead_iv == user.pk and mine & (members | {lead}):
            pairs.update((c, q) for c in members | {lead})
    return pairs


def arrangement_reach(user, perm: Permission, spec: Access, model, own) -> Q | None:
    """The shared (centre, qualification) pairs' rows beyond the user's own centres (the
    home branch keeps theirs), from the pairs: no query when none reach beyond."""
    if not spec.qualification:
        return None
    by_centre: dict[int, set[int]] = defaultdict(set)
    for c, q in shared_pairs(user, perm):
        if c not in own:
            by_centre[c].add(q)
    if not by_centre:
        return None
    condition = Q(pk__in=[])
    for c, qs in sorted(by_centre.items()):
        condition |= Q(**{spec.centre: c, f"{spec.qualification}__in": sorted(qs)})
    return materialised(model, spec, own, condition)


def install() -> None:
    register_reach(ARRANGEMENT, arrangement_reach)
