"""Which teaching groups hold learners from another centre, kept as the groups change.

The access layer's delivering reach needs the groups a centre teaches that hold another
centre's learners: a partner's learners in the lead centre's consortium cohort. Working
that out on every request meant looking through every member of every group the user's
centres teach (about 10 ms at 20,000 learners); the flag on the group makes it one short
read of the groups. It is kept here for every way a group's learners change: the
many-to-many calls (`group.learners.add/remove/set/clear`, and the same from the learner's
side) through the signal, and bulk writes to the membership table by calling
`refresh_visiting_learners` themselves.
"""

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from accounts.permissions import (
    LEARNERS_HOME,
    centres_where,
    materialised,
    register_centre_fact,
    register_reach,
)

from .models import Learner, TeachingGroup

Membership = TeachingGroup.learners.through


def refresh_visiting_learners(group_ids) -> None:
    """Set each group's flag from its members: two or three queries, whatever the size."""
    group_ids = sorted(set(group_ids))
    if not group_ids:
        return
    visiting = set(
        Membership.objects.filter(teachinggroup_id__in=group_ids)
        .exclude(learner__centre_id=F("teachinggroup__cohort__centre_id"))
        .values_list("teachinggroup_id", flat=True)
        .distinct()
    )
    TeachingGroup.objects.filter(pk__in=visiting, visiting_learners=False).update(
        visiting_learners=True
    )
    TeachingGroup.objects.filter(pk__in=set(group_ids) - visiting, visiting_learners=True).update(
        visiting_learners=False
    )


@receiver(m2m_changed, sender=Membership, dispatch_uid="learners.visiting_learners")
def _members_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # After a clear the learner's groups are gone: note them first.
        instance._btecqa_cleared_groups = (
            list(instance.teaching_groups.values_list("pk", flat=True))
            if reverse
            else [instance.pk]
        )
    elif action == "post_clear":
        refresh_visiting_learners(getattr(instance, "_btecqa_cleared_groups", ()))
    elif action in ("post_add", "post_remove"):
        if isinstance(instance, Learner) or reverse:
            refresh_visiting_learners(pk_set or ())
        else:
            refresh_visiting_learners([instance.pk])


def _teaches_away(user):
    """Does the centre teach any group for another centre, or one holding another centre's
    learners? Read with the role assignments: when no centre of the user does, the
    delivering reach needs no query of its own."""
    return Exists(
        TeachingGroup.objects.filter(delivering_centre=OuterRef("centre")).filter(
            ~Q(cohort__centre=OuterRef("centre")) | Q(visiting_learners=True)
        )
    )


register_centre_fact(f"teaches_away:{TeachingGroup._meta.label}", _teaches_away)


# --- the learners' home centre reach (collaborative arrangements policy 3.1.7) ----------

LEARNERS_AWAY_FACT = f"learners_away:{TeachingGroup._meta.label}"


def _learners_away(user):
    """Are any of the centre's learners in a group of another centre's cohort? Read with the
    role assignments, so a centre whose learners are all taught at home pays no query."""
    return Exists(
        TeachingGroup.objects.filter(
            visiting_learners=True, learners__centre=OuterRef("centre")
        ).exclude(cohort__centre=OuterRef("centre"))
    )


register_centre_fact(LEARNERS_AWAY_FACT, _learners_away)


def _cohorts_holding_learners_of(user, own) -> list[int]:
    """Other centres' cohorts whose groups hold learners of the user's centres `own` (one
    short query per user and request, through the groups' flag; none when the fact says so)."""
    cache = getattr(user, "_btecqa_cohorts_with_my_learners", None)
    if cache is None:
        cache = user._btecqa_cohorts_with_my_learners = {}
    key = tuple(sorted(own))
    if key not in cache:
        away = centres_where(user, LEARNERS_AWAY_FACT)
        mine = sorted(set(own) & away) if away is not None else sorted(own)
        cache[key] = cohorts_reached_for(mine, own) if mine else []
    return cache[key]


def cohorts_reached_for(learner_centres, own) -> list[int]:
    """The cohorts of centres other than `own` that the learners' home reach opens to the
    centres `own` because their groups hold learners of `learner_centres` (one query, from
    the groups' flag: what the access layer reaches, and what the yearly monitoring of
    policy 3.1.7 checks against the groups' members)."""
    return sorted(
        set(
            TeachingGroup.objects.filter(
                visiting_learners=True, learners__centre_id__in=sorted(learner_centres)
            )
            .exclude(cohort__centre_id__in=sorted(own))
            .values_list("cohort_id", flat=True)
        )
    )


def _learners_home(user, perm, spec, model, own):
    """A record about one of the user's centres' learners (its `learner` path) kept at
    another centre, or a record of another centre's cohort (its `cohort` path) whose groups
    hold such learners now."""
    if spec.learner is not None:
        if not spec.learner or spec.centre == f"{spec.learner}__centre":
            return None  # the learner, or a record kept at the learner's centre: home already
        # Kept while the learner is in the group and after (the IV of their work stays theirs).
        return materialised(model, spec, own, Q(**{f"{spec.learner}__centre_id__in": sorted(own)}))
    cohort = spec.paths.get("cohort")
    if not cohort:
        return None
    cohorts = _cohorts_holding_learners_of(user, own)
    if not cohorts:
        return None
    return materialised(model, spec, own, Q(**{f"{cohort}__in": cohorts}))


register_reach(LEARNERS_HOME, _learners_home)
