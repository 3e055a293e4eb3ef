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

from accounts.permissions import register_centre_fact

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
