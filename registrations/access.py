"""The registration round's reads, scoped by the one permission layer."""

from __future__ import annotations

from accounts.permissions import get_object, scope

from .models import EntryList, Registration, RegistrationRound
from .permissions import VIEW_REGISTRATIONS


def visible_rounds(user):
    return scope(user, VIEW_REGISTRATIONS, RegistrationRound.objects.select_related("centre"))


def visible_registrations(user):
    return scope(
        user,
        VIEW_REGISTRATIONS,
        Registration.objects.select_related("learner", "cohort__qualification"),
    )


ENTRY_LIST_RELATED = (
    "cohort__qualification",
    "cohort__centre",
    "cohort__leader",
    "round",
)


def round_for(user, pk: int, perm: str = VIEW_REGISTRATIONS) -> RegistrationRound:
    """The round for `perm`: 404 when out of sight, 403 when the role is too weak."""
    return get_object(user, perm, RegistrationRound.objects.select_related("centre"), pk=pk)


def entry_list_for(user, pk: int, perm: str = VIEW_REGISTRATIONS) -> EntryList:
    return get_object(user, perm, EntryList.objects.select_related(*ENTRY_LIST_RELATED), pk=pk)
