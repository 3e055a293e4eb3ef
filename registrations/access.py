"""What of the registration round a user may see: their own centres, through the one layer.

Registrations go through the learner's home centre (a consortium does not change
centre numbers), so the registration round, its lists and registrations are
scoped by that centre. Anything outside is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.permissions import require, scope

from .models import EntryList, Registration, RegistrationRound
from .permissions import VIEW_REGISTRATIONS


def visible_rounds(user):
    return scope(RegistrationRound.objects.select_related("centre"), user, VIEW_REGISTRATIONS)


def visible_entry_lists(user):
    return scope(
        EntryList.objects.select_related(
            "programme__qualification", "programme__centre", "programme__leader", "round"
        ),
        user,
        VIEW_REGISTRATIONS,
        centre_field="programme__centre",
    )


def visible_registrations(user):
    return scope(
        Registration.objects.select_related("learner", "programme__qualification"),
        user,
        VIEW_REGISTRATIONS,
    )


def round_for(user, pk: int, perm: str | None = None) -> RegistrationRound:
    """The round if visible (else 404); with `perm`, also the step's role there (else 403)."""
    rnd = get_object_or_404(visible_rounds(user), pk=pk)
    if perm:
        require(user, perm, rnd.centre_id)
    return rnd


def entry_list_for(user, pk: int, perm: str | None = None) -> EntryList:
    entry_list = get_object_or_404(visible_entry_lists(user), pk=pk)
    if perm:
        require(user, perm, entry_list.programme.centre_id)
    return entry_list
