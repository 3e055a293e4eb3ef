"""Reads the learner pages need, each in a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.permissions import centre_ids_for
from audit.models import AuditEvent
from centres.models import Centre

from .access import scope_learners
from .models import Learner, Programme, TeachingGroup
from .permissions import VIEW_LEARNERS


def learner_search(
    user,
    *,
    q: str = "",
    centre_id=None,
    programme_id=None,
    year: str = "",
    on_roll: bool | None = None,
) -> QuerySet[Learner]:
    qs = scope_learners(Learner.objects.select_related("centre"), user)
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "").upper()
        if compact.isdigit() and len(compact) == 10:
            qs = qs.filter(uln=compact)
        elif len(compact) == 13 and compact[:12].isdigit():
            qs = qs.filter(uci=compact)
        elif compact.isdigit() and len(compact) <= 4:
            # A candidate number (Excel drops the zeros of 0042), or an all-digit admission
            # number as SIMS gives them.
            qs = qs.filter(
                Q(candidate_number=compact.zfill(4)) | Q(admission_number__iexact=compact)
            )
        else:
            # Words, so "O'NEILL, Zoë" as the list shows a learner finds them.
            for word in q.replace(",", " ").split():
                qs = qs.filter(
                    Q(last_name__icontains=word)
                    | Q(first_name__icontains=word)
                    | Q(preferred_name__icontains=word)
                    | Q(admission_number__iexact=word)
                )
    if centre_id:
        qs = qs.filter(centre_id=centre_id)
    membership = Learner.teaching_groups.through.objects
    if programme_id:
        qs = qs.filter(
            pk__in=membership.filter(teachinggroup__programme_id=programme_id).values("learner_id")
        )
    if year:
        qs = qs.filter(
            pk__in=membership.filter(teachinggroup__programme__academic_year=year).values(
                "learner_id"
            )
        )
    if on_roll is not None:
        qs = qs.filter(on_roll=on_roll)
    return qs.order_by("last_name", "first_name", "pk")


def with_groups(learners: QuerySet[Learner]) -> QuerySet[Learner]:
    return learners.prefetch_related(
        Prefetch(
            "teaching_groups",
            queryset=TeachingGroup.objects.select_related(
                "programme__qualification", "delivering_centre"
            ),
        )
    )


def visible_programmes(user) -> QuerySet[Programme]:
    if user.is_superuser:
        return Programme.objects.select_related("qualification", "centre", "leader")
    own = centre_ids_for(user, VIEW_LEARNERS)
    return (
        Programme.objects.filter(
            Q(centre_id__in=own) | Q(teaching_groups__delivering_centre_id__in=own)
        )
        .distinct()
        .select_related("qualification", "centre", "leader")
    )


def visible_centres(user) -> QuerySet[Centre]:
    if user.is_superuser:
        return Centre.objects.all()
    return Centre.objects.filter(pk__in=centre_ids_for(user, VIEW_LEARNERS))


def learner_timeline(learner) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(learner_id=learner.pk).order_by("-seq")


def possible_duplicates(learner) -> QuerySet[Learner]:
    """Same legal name and date of birth at the same centre: flagged, never merged."""
    return Learner.objects.filter(
        centre_id=learner.centre_id,
        date_of_birth=learner.date_of_birth,
        first_name__iexact=learner.first_name,
        last_name__iexact=learner.last_name,
    ).exclude(pk=learner.pk)
