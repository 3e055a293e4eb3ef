"""The one permission layer. Every view goes through it.

Two questions, always in this order:
1. May this person use this page at all?  A role too weak answers 403.
2. May they see this object?  The queryset is scoped to the centres where they
   hold a role granting the permission; anything outside answers 404, so its
   existence does not leak.

Apps declare their permissions with `register()` next to their views, naming
the roles that get them. A permission that changes anything is declared with
`writes=True` and can never be granted to a governor.

Views use `@requires(perm)` (function views) or `PermissionMixin` (class-based
views). tests/test_permissions_layer.py walks every URL and fails if a view is
neither wrapped nor explicitly public, so a new view cannot forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .roles import Role


@dataclass(frozen=True)
class Permission:
    code: str
    roles: frozenset[Role]
    writes: bool
    description: str


_REGISTRY: dict[str, Permission] = {}


def register(code: str, roles, *, writes: bool, description: str = "") -> str:
    """Declare a permission and the roles that hold it; returns the code."""
    roles = frozenset(Role(r) for r in roles)
    if writes and Role.GOVERNOR in roles:
        raise ImproperlyConfigured(f"{code}: governors read reports but change nothing.")
    existing = _REGISTRY.get(code)
    perm = Permission(code, roles, writes, description)
    if existing and existing != perm:
        raise ImproperlyConfigured(f"Permission {code} declared twice with different roles.")
    _REGISTRY[code] = perm
    return code


def get_permission(code: str) -> Permission:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise ImproperlyConfigured(
            f"Unknown permission {code!r}: declare it with register()."
        ) from None


def all_permissions() -> dict[str, Permission]:
    return dict(_REGISTRY)


def assignments(user) -> list[tuple[str, int]]:
    """(role, centre_id) pairs for the user, cached on the user for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_btecqa_assignments", None)
    if cached is None:
        cached = list(
            user.role_assignments.filter(centre__is_active=True).values_list("role", "centre_id")
        )
        user._btecqa_assignments = cached
    return cached


def roles_of(user, centre_id: int | None = None) -> set[Role]:
    return {Role(r) for r, c in assignments(user) if centre_id is None or c == centre_id}


def centre_ids_for(user, perm: str) -> set[int]:
    """Centres at which the user holds a role granting `perm`."""
    roles = get_permission(perm).roles
    return {c for r, c in assignments(user) if r in roles}


def has_perm(user, perm: str, centre_id: int | None = None) -> bool:
    """May the user do `perm` (anywhere, or at one centre)?"""
    get_permission(perm)
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    ids = centre_ids_for(user, perm)
    return bool(ids) if centre_id is None else centre_id in ids


def scope(queryset: QuerySet, user, perm: str, centre_field: str = "centre") -> QuerySet:
    """Only the rows at centres where the user holds `perm`."""
    get_permission(perm)
    if getattr(user, "is_superuser", False) and user.is_active:
        return queryset
    return queryset.filter(**{f"{centre_field}__in": centre_ids_for(user, perm)})


def get_for_user(queryset: QuerySet, user, perm: str, centre_field: str = "centre", **lookup):
    """The object if the user may see it; otherwise 404 (never 403: no leak)."""
    return get_object_or_404(scope(queryset, user, perm, centre_field), **lookup)


def require(user, perm: str, centre_id: int | None = None) -> None:
    """Raise 403 unless the user holds `perm` (at the centre, when given)."""
    if not has_perm(user, perm, centre_id):
        raise PermissionDenied(f"Your role does not allow this ({get_permission(perm).code}).")


def requires(perm: str):
    """Decorator for function views: log-in (via middleware) plus `perm` somewhere."""
    get_permission(perm)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapped.btecqa_permission = perm
        return wrapped

    return decorator


SIGNED_IN = "signed_in"


def signed_in(view):
    """Any logged-in person, whatever their roles (dashboard, own password)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:  # the middleware redirects first; belt and braces
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.btecqa_permission = SIGNED_IN
    return wrapped


def public(view):
    """Mark a view as open to anyone (log-in page, health check). Used sparingly."""
    view = login_not_required(view)
    view.btecqa_public = True
    return view


class PermissionMixin:
    """For class-based views: set `permission` (and `centre_field` for scoping).

    `get_queryset()` is scoped, so DetailView/UpdateView answer 404 for an
    object outside the user's centres.
    """

    permission: str = ""
    centre_field: str = "centre"

    def dispatch(self, request, *args, **kwargs):
        if not self.permission:
            raise ImproperlyConfigured(f"{type(self).__name__} must set `permission`.")
        if request.user.is_authenticated:
            require(request.user, self.permission)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user, self.permission, self.centre_field)
