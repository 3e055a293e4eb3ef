"""Reads about people that several apps' forms need."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from .roles import STAFF_ROLES


def people_at(centres, roles: Iterable = STAFF_ROLES):
    """Active people holding one of `roles` at one of `centres` (ids or a queryset), by name:
    the choices for a coordinator, a Lead IV, an attendee or a programme leader. Staff by
    default, so a Standards Verifier or a governor is never offered (the services check the
    chosen centre)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__centre__in=centres,
            role_assignments__role__in=sorted(roles),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
