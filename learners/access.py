"""Which learners a person may see: the learner-level part of the one permission layer.

Built on accounts.permissions (roles at centres), widened by consortium rules:
- staff see learners whose home centre is one of theirs;
- a delivering centre's staff see the consortium students in the teaching groups
  they deliver, and nothing more of the home centre;
- the lead centre's Quality Nominee sees partner centres' learners on the
  arrangement's qualifications (active partners and qualifications only);
- a qualification's Lead IV in an arrangement sees that qualification's learners
  at every centre of the arrangement;
- governors hold no learner permission: they see counts, never a learner.
Anything else is outside the queryset, so a view answers 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.permissions import assignments, centre_ids_for
from accounts.roles import Role
from centres.models import ArrangementPartner, ArrangementQualification

from .models import Learner
from .permissions import VIEW_LEARNERS


def _arrangement_pairs(user) -> set[tuple[int, int]]:
    """(centre_id, qualification_id) pairs the user sees through arrangements."""
    pairs: set[tuple[int, int]] = set()
    qn_centres = {c for r, c in assignments(user) if r == Role.QUALITY_NOMINEE}
    if qn_centres:
        partners = ArrangementPartner.objects.filter(
            arrangement__lead_centre_id__in=qn_centres,
            withdrawn_on__isnull=True,
            arrangement__qualifications__withdrawn_on__isnull=True,
        ).values_list("centre_id", "arrangement__qualifications__qualification_id")
        pairs.update((c, q) for c, q in partners if q is not None)
    led = ArrangementQualification.objects.filter(
        lead_iv=user, withdrawn_on__isnull=True
    ).values_list("arrangement_id", "arrangement__lead_centre_id", "qualification_id")
    led = list(led)
    if led:
        members = ArrangementPartner.objects.filter(
            arrangement_id__in={a for a, _, _ in led}, withdrawn_on__isnull=True
        ).values_list("arrangement_id", "centre_id")
        by_arrangement: dict[int, set[int]] = {}
        for a, c in members:
            by_arrangement.setdefault(a, set()).add(c)
        for a, lead_centre, q in led:
            for c in by_arrangement.get(a, set()) | {lead_centre}:
                pairs.add((c, q))
    return pairs


def learner_filter(user) -> Q | None:
    """A Q selecting the learners this user may see; None means everyone (superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    own = centre_ids_for(user, VIEW_LEARNERS)
    if not own:  # every widening below starts from a learner permission at one's own centre
        return Q(pk__in=[])
    q = Q(centre_id__in=own) | Q(
        pk__in=Learner.teaching_groups.through.objects.filter(
            teachinggroup__delivering_centre_id__in=own
        ).values("learner_id")
    )
    for centre_id, qualification_id in _arrangement_pairs(user):
        q |= Q(
            centre_id=centre_id,
            pk__in=Learner.teaching_groups.through.objects.filter(
                teachinggroup__programme__qualification_id=qualification_id,
            ).values("learner_id"),
        )
    return q


def scope_learners(queryset: QuerySet, user) -> QuerySet:
    condition = learner_filter(user)
    return queryset if condition is None else queryset.filter(condition)


def get_learner_for_user(user, **lookup) -> Learner:
    return get_object_or_404(scope_learners(Learner.objects.all(), user), **lookup)
