"""The one permission layer. Every view, list, export and service goes through it.

Three questions, always answered here and nowhere else:

1. May this person use this page at all?  `@requires(perm)`: a role that grants `perm`
   at some centre, or 403. (A list page then shows only what `scope()` keeps.)
2. Which rows may they see or act on?  `scope(user, perm, queryset)`: the rows whose
   *own* centre (the model's `access.centre` path) is one where the user holds a role
   granting `perm`, widened only by the reaches `perm` declares (a consortium group's
   delivering centre; what a consented collaborative arrangement grants), and narrowed
   by the object rules `perm` declares (the programme's own leader, ...).
3. May they act on this one object?  `get_object(user, perm, queryset, **lookup)`:
   the object if `scope()` keeps it; 403 if the user may see it (it is in scope for the
   model's view permission, or at a centre where they hold any role) but not do `perm`;
   404 otherwise, so an object's existence never leaks across centres.

Models declare how they reach a centre once, as `access = Access(...)` on the class.
Permissions are declared with `register()` in each app's `permissions.py`; a permission
that changes anything (`writes=True`) can never be granted to a governor. Reaches that
need another app's data (the arrangement grants, from centres/) are plugged in with
`register_reach()`, so this module knows no feature app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import F, Model, Q, QuerySet, Value
from django.http import Http404

from btecqa.compiled import CompiledQuery

from .roles import EXTERNAL_ROLES, Role

# --- reaches: where a permission may be exercised beyond the object's own centre ---------

HOME = "home"  # the object's own centre (always)
DELIVERING = "delivering"  # the centre that teaches a consortium group the object belongs to
MEMBER = "member"  # a centre taking part in the object (an arrangement's partners)
ARRANGEMENT = "arrangement"  # what a consented collaborative arrangement grants
# The home centre of a record's learners, wherever they are taught and assessed: their QA
# records at the lead centre (plans, briefs, IV, SV) for a cohort holding its learners, and
# records about one of its learners (collaborative arrangements policy 3.1.7).
LEARNERS_HOME = "learners_home"
KNOWN_REACHES = {HOME, DELIVERING, MEMBER, ARRANGEMENT, LEARNERS_HOME}


@dataclass(frozen=True)
class Rule:
    """An object rule: a named predicate on rows, beside the role rules.

    `q(user, access)` returns the condition on the model's rows (paths from `access`);
    it is ANDed with the reach, so lists and single objects obey it alike.
    """

    name: str
    q: Callable[[object, Access], Q]
    explanation: str = ""


@dataclass(frozen=True)
class Permission:
    code: str
    roles: frozenset[Role]
    writes: bool
    description: str
    reach: frozenset[str] = frozenset({HOME})
    rules: tuple[Rule, ...] = ()
    # Read permissions whose records stay readable to the lead centre after a partner
    # withdraws, for the retention period (collaborative arrangements policy 3.1.10).
    after_withdrawal: bool = False


_REGISTRY: dict[str, Permission] = {}


def register(
    code: str,
    roles,
    *,
    writes: bool,
    description: str = "",
    reach: Iterable[str] = (HOME,),
    rules: Iterable[Rule] = (),
    after_withdrawal: bool = False,
) -> str:
    """Declare a permission: the roles that hold it, where it reaches, its object rules."""
    roles = frozenset(Role(r) for r in roles)
    reach = frozenset(reach) | {HOME}
    if unknown := reach - KNOWN_REACHES:
        raise ImproperlyConfigured(f"{code}: unknown reach {sorted(unknown)}.")
    if writes and Role.GOVERNOR in roles:
        raise ImproperlyConfigured(f"{code}: governors read reports but change nothing.")
    if writes and roles & EXTERNAL_ROLES:
        raise ImproperlyConfigured(f"{code}: a Standards Verifier's account only reads.")
    if writes and after_withdrawal:
        raise ImproperlyConfigured(f"{code}: only reading outlives a partner's withdrawal.")
    perm = Permission(
        code, roles, writes, description, reach, tuple(rules), after_withdrawal=after_withdrawal
    )
    existing = _REGISTRY.get(code)
    if existing and existing != perm:
        raise ImproperlyConfigured(f"Permission {code} declared twice with different rules.")
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


# --- how each model reaches its centre --------------------------------------------------


@dataclass(frozen=True)
class Access:
    """How rows of a model reach a centre, declared once on the model as `access = Access(...)`.

    centre: lookup path to the object's own (home) centre, e.g. "programme__centre".
    view: the permission that decides whether the object exists for a user at all
        (outside it: 404). Defaults to the app's view permission given here.
    learner: path to the learner the record is about, where it has one ("" for Learner).
    delivering: path to the centre teaching it in a consortium (teaching groups).
    member: path to centres taking part in it (an arrangement's partners).
    qualification: path to the qualification, for what an arrangement grants.
    paths: further named paths that object rules use (e.g. {"cohort": "cohort"}).
    """

    centre: str
    view: str
    learner: str | None = None
    delivering: str | None = None
    member: str | None = None
    qualification: str | None = None
    paths: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> str:
        known = {
            "centre": self.centre,
            "learner": self.learner,
            "delivering": self.delivering,
            "member": self.member,
            "qualification": self.qualification,
            **self.paths,
        }
        value = known.get(name)
        if value is None:
            raise ImproperlyConfigured(f"This model's access declares no {name!r} path.")
        return value


def access_of(model) -> Access:
    spec = getattr(model, "access", None)
    if not isinstance(spec, Access):
        raise ImproperlyConfigured(
            f"{model._meta.label} declares no `access = Access(...)`: the permission layer "
            "cannot tell which centre its rows belong to."
        )
    return spec


def protected_models() -> list[type[Model]]:
    """Every model that declares its access (the permission matrix test makes one of each)."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if isinstance(getattr(m, "access", None), Access)
    ]


def _join(prefix: str, tail: str) -> str:
    return f"{prefix}__{tail}" if prefix else tail


# --- who holds what where -------------------------------------------------------------


def _is_super(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


# Facts about each of a person's centres that decide whether a reach needs a query of its
# own at all ("does this centre lead any arrangement?", "does it teach any group away?").
# Other apps declare them (centres/access.py, learners/groups.py); each is an Exists()
# over OuterRef("centre") read in the same query as the role assignments, so a centre
# taking part in no consortium pays no query for one.
_CENTRE_FACTS: dict[str, Callable] = {}


def register_centre_fact(name: str, exists_for: Callable) -> None:
    """`exists_for(user)` returns an Exists() over OuterRef("centre") (the assignment's);
    it may use `user.pk` only (the query is compiled once, with a stand-in id)."""
    _CENTRE_FACTS[name] = exists_for
    _ASSIGNMENTS.forget()


def _assignments_query(user_id, facts: tuple[str, ...]):
    """Each role the user holds at an active centre, with the centre's number and name and
    every registered centre fact (compiled once per database and set of facts: every page
    runs it first, and compiling its joins and EXISTS took far longer than running it)."""
    from .models import RoleAssignment

    class _Someone:
        pk = user_id

    return (
        RoleAssignment.objects.filter(user_id=user_id, centre__is_active=True)
        .annotate(**{f"_fact_{i}": _CENTRE_FACTS[n](_Someone) for i, n in enumerate(facts)})
        .values_list(
            "role",
            "centre_id",
            "centre__number",
            "centre__name",
            *(f"_fact_{i}" for i in range(len(facts))),
        )
    )


_ASSIGNMENTS = CompiledQuery(_assignments_query)


def _load_assignments(user) -> None:
    from .models import RoleAssignment

    facts = tuple(sorted(_CENTRE_FACTS))
    rows = _ASSIGNMENTS.rows(user.pk, key=(facts,), using=RoleAssignment.objects.db)
    held, centres, true = [], {}, {n: set() for n in facts}
    for role, centre_id, number, name, *values in rows:
        held.append((role, centre_id))
        centres[centre_id] = (number, name)
        for fact, value in zip(facts, values, strict=True):
            if value:
                true[fact].add(centre_id)
    user._btecqa_assignments = held
    user._btecqa_centres = centres
    user._btecqa_facts = true


def assignments(user) -> list[tuple[str, int]]:
    """(role, centre_id) pairs for the user, cached on the user for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if getattr(user, "_btecqa_assignments", None) is None:
        _load_assignments(user)
    return user._btecqa_assignments


def forget_access(user) -> None:
    """Drop what the layer has read for this user (roles, centre facts, reaches): the next
    check reads them again, as the next request would. Access is read once per request; a
    test that goes on with the same user object after changing roles, arrangements or
    groups calls this where a new request would begin."""
    for name in [n for n in vars(user) if n.startswith("_btecqa_")]:
        delattr(user, name)


def own_centres(user) -> dict[int, tuple[str, str]]:
    """{centre id: (number, name)} of the active centres the user holds a role at."""
    return user._btecqa_centres if assignments(user) else {}


def centres_where(user, fact: str) -> set[int] | None:
    """The user's centres where a registered fact holds; None if no app declares it."""
    if fact not in _CENTRE_FACTS:
        return None
    return user._btecqa_facts.get(fact, set()) if assignments(user) else set()


def roles_of(user, centre_id: int | None = None) -> set[Role]:
    return {Role(r) for r, c in assignments(user) if centre_id is None or c == centre_id}


def centre_ids_for(user, perm: str) -> set[int]:
    """Centres at which the user holds a role granting `perm`."""
    roles = get_permission(perm).roles
    return {c for r, c in assignments(user) if r in roles}


def home_centres(user, perm: str) -> set[int] | None:
    """Centres at whose own records `perm` may be exercised; None means every centre.

    For a page that marks many rows at once (no query per row). Only for permissions that
    reach no further than the record's own centre and carry no object rule.
    """
    p = get_permission(perm)
    if p.reach != {HOME} or p.rules:
        raise ImproperlyConfigured(f"{perm} reaches further than home: use scope() or can().")
    if _is_super(user):
        return None
    # A limited role (a Standards Verifier) reaches only its grant's rows, never a centre.
    return centre_ids_for(user, perm) - set().union(*_limited_centres(user, p).values())


def any_centre_ids(user) -> set[int]:
    return {c for _, c in assignments(user)}


def has_perm(user, perm: str, centre_id: int | None = None) -> bool:
    """May the user do `perm` (anywhere, or at one centre)? For pages without one object."""
    get_permission(perm)
    if centre_id is not None and (isinstance(centre_id, bool) or not isinstance(centre_id, int)):
        # An object here was always refused (the entries page hid its own buttons): use can().
        raise TypeError(f"has_perm takes a centre id, not {type(centre_id).__name__}; use can()")
    if _is_super(user):
        return True
    ids = centre_ids_for(user, perm)
    return bool(ids) if centre_id is None else centre_id in ids


def require(user, perm: str, centre_id: int | None = None) -> None:
    """Raise 403 unless the user holds `perm` (at the centre, when given)."""
    if not has_perm(user, perm, centre_id):
        raise PermissionDenied(f"Your role does not allow this ({get_permission(perm).code}).")


# --- reaches -------------------------------------------------------------------------

ReachProvider = Callable[[object, Permission, Access, type, set], "Q | None"]
_REACHES: dict[str, ReachProvider] = {}

# Rows a reach finds beyond the user's own centres are kept as a list of ids up to this
# many; past it the condition stays a subquery (the same rows, no long list in the SQL).
MATERIALISE_AT_MOST = 1000


def register_reach(name: str, provider: ReachProvider) -> None:
    """Plug in a reach computed from another app's data (centres/ provides ARRANGEMENT).

    provider(user, perm, spec, model, own) returns the condition on `model`'s rows that it
    reaches beyond the user's own centres `own` (the home branch keeps those), or None.
    """
    if name not in KNOWN_REACHES - {HOME}:
        raise ImproperlyConfigured(f"Unknown reach {name!r}.")
    _REACHES[name] = provider


def _model_at(model, path: str):
    """The model a lookup path ends on ("teaching_groups" from Learner: TeachingGroup)."""
    for part in path.split("__") if path else ():
        model = model._meta.get_field(part).related_model
    return model


def materialised(model, spec: Access, own, condition: Q) -> Q | None:
    """`model`'s rows matching `condition` away from the user's own centres, fetched once as
    ids: None when there are none, so the OR branch is dropped and the home centre's index
    still orders a list. `condition` must start from a small side (a few groups, pairs)."""
    rows = (
        model._default_manager.filter(condition)
        .exclude(**{f"{spec.centre}__in": sorted(own)})
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )
    ids = list(rows[: MATERIALISE_AT_MOST + 1])
    if not ids:
        return None
    if len(ids) > MATERIALISE_AT_MOST:
        return Q(pk__in=rows)
    return Q(pk__in=sorted(ids))


def _groups_delivered_away(user, group_model, field: str) -> list[tuple[int, int, int, bool]]:
    """(group, delivering centre, home centre, holds other centres' learners) for the groups
    one of the user's centres teaches either for another centre's cohort, or with learners of
    another centre in it (a partner's learners in the lead centre's consortium cohort).
    Normally few or none. One short query per user and request, shared by every permission
    and model scoped on the page: the group model keeps a `visiting_learners` flag
    (learners/groups.py) so no group's members are read here."""
    cache = getattr(user, "_btecqa_delivered_away", None)
    if cache is None:
        cache = user._btecqa_delivered_away = {}
    key = (group_model._meta.label, field)
    if key not in cache and centres_where(user, f"teaches_away:{group_model._meta.label}") == set():
        cache[key] = []  # none of the user's centres teaches such a group: no query
    if key not in cache:
        home = access_of(group_model).centre
        away = ~Q(**{field: F(home)})
        has_flag = any(f.name == VISITING for f in group_model._meta.fields)
        groups = group_model._default_manager.filter(
            away | Q(**{VISITING: True}) if has_flag else away,
            **{f"{field}__in": sorted(any_centre_ids(user))},
        )
        mixed = F(VISITING) if has_flag else Value(False)
        cache[key] = list(
            groups.annotate(_mixed=mixed).order_by().values_list("pk", field, home, "_mixed")
        )
    return cache[key]


VISITING = "visiting_learners"  # the group field saying it holds other centres' learners


def _delivering(user, perm: Permission, spec: Access, model, own) -> Q | None:
    """Rows through the groups the user's centres teach for other centres.

    Worked out from the small side: those groups first (`spec.delivering` ends on the
    group's delivering-centre field, the group model declares its own home centre), then
    the rows through them, away from the user's own centres. A group of one's own cohort
    counts only when it has another centre's learners in it (a consortium cohort)."""
    if not spec.delivering:
        return None
    prefix, _, field = spec.delivering.rpartition("__")
    groups = sorted(
        {
            g
            for g, delivering, home, mixed in _groups_delivered_away(
                user, _model_at(model, prefix), field
            )
            if delivering in own and (home not in own or mixed)
        }
    )
    if not groups:
        return None
    if not prefix:  # the groups themselves
        return materialised(model, spec, own, Q(pk__in=groups))
    return materialised(model, spec, own, Q(**{f"{prefix}__in": groups}))


def _member(user, perm: Permission, spec: Access, model, own) -> Q | None:
    """Rows another centre holds that one of the user's centres takes part in: arrangements,
    a handful of rows found from the member side, so a subquery (no query of its own)."""
    if not spec.member:
        return None
    rows = model._default_manager.filter(**{f"{spec.member}__in": sorted(own)})
    return Q(pk__in=rows.exclude(**{f"{spec.centre}__in": sorted(own)}).values("pk"))


_REACHES[DELIVERING] = _delivering
_REACHES[MEMBER] = _member


def _centres_with(user, perm: Permission) -> set[int]:
    return {c for r, c in assignments(user) if r in perm.roles}


def _limited_centres(user, perm: Permission) -> dict[str, set[int]]:
    """{limited role: centres where only that kind of role grants `perm` to the user}.

    At such a centre the permission reaches no further than the role's rule (LIMITED_ROLES:
    a Standards Verifier, the cohorts of their live grant); a staff role at the same centre
    that grants `perm` reaches the whole centre as usual."""
    full, limited = set(), {}
    for r, c in assignments(user):
        if r in perm.roles:
            if r in LIMITED_ROLES:
                limited.setdefault(r, set()).add(c)
            else:
                full.add(c)
    return {r: cs - full for r, cs in limited.items() if cs - full}


def limited_centres(user, perm_code: str) -> set[int]:
    """Centres where `perm` comes to the user only through a limited role (a Standards
    Verifier's grant): a page listing a centre's rows by other means narrows them there."""
    if _is_super(user):
        return set()
    return set().union(*_limited_centres(user, get_permission(perm_code)).values())


def _staff_centre_ids(user) -> set[int]:
    """Centres where the user holds a role that is not limited to a grant."""
    return {c for r, c in assignments(user) if r not in LIMITED_ROLES}


def _widenings(user, perm: Permission, spec: Access, model, own) -> list[Q]:
    """What each of the permission's reaches adds beyond the user's own centres."""
    out = []
    for reach in sorted(perm.reach - {HOME}):
        provider = _REACHES.get(reach)
        if provider is None:
            raise ImproperlyConfigured(f"{perm.code}: no provider for the {reach!r} reach.")
        widened = provider(user, perm, spec, model, own)
        if widened is not None:
            out.append(widened)
    return out


def only_own_centres(user, perm_code: str, model) -> set[int] | None:
    """The user's own centres, when `perm` reaches `model`'s rows there and nowhere else
    (no reach widens it, no rule narrows it): a page can then list those centres' rows
    from what it already knows. None when it reaches further or is narrowed."""
    model = model.model if isinstance(model, QuerySet) else model
    perm = get_permission(perm_code)
    if _is_super(user) or perm.rules or _limited_centres(user, perm):
        return None
    own = _centres_with(user, perm)
    if own and _widenings(user, perm, access_of(model), model, own):
        return None
    return own


def rows_condition(user, perm_code: str, model) -> Q | None:
    """The condition on `model`'s rows that `perm` grants this user; None means every row."""
    model = model.model if isinstance(model, QuerySet) else model
    perm = get_permission(perm_code)
    if _is_super(user):
        return None
    spec = access_of(model)
    own = _centres_with(user, perm)
    if not own:  # every reach starts from holding the permission at one's own centre
        return Q(pk__in=[])
    limited = _limited_centres(user, perm)
    full = own - set().union(*limited.values())
    condition = Q(pk__in=[])
    if full:
        condition = Q(**{f"{spec.centre}__in": sorted(full)})
        for widened in _widenings(user, perm, spec, model, full):
            condition |= widened
    for role, centres in sorted(limited.items()):  # no reach: only what the role's rule names
        condition |= Q(**{f"{spec.centre}__in": sorted(centres)}) & LIMITED_ROLES[role].q(
            user, spec
        )
    for rule in perm.rules:
        condition &= rule.q(user, spec)
    return condition


def scope(user, perm: str, queryset) -> QuerySet:
    """Only the rows `perm` lets this user see or act on (lists, searches, exports)."""
    qs = queryset if isinstance(queryset, QuerySet) else queryset._default_manager.all()
    condition = rows_condition(user, perm, qs.model)
    return qs if condition is None else qs.filter(condition)


def _visible(user, model, pk) -> bool:
    """Does this object exist for the user (so a refusal is 403, not 404)?"""
    spec = access_of(model)
    base = model._default_manager.filter(pk=pk)
    if scope(user, spec.view, base).exists():
        return True
    # Staff at the object's own centre know it exists even when their role cannot see it
    # (a Standards Verifier is not staff: outside their grant nothing exists for them).
    mine = _staff_centre_ids(user)
    return bool(mine) and base.filter(**{f"{spec.centre}__in": mine}).exists()


def get_object(user, perm: str, queryset, **lookup):
    """The object for `perm`: 404 when the user may not see it, 403 when their role is too weak.

    One query when allowed. `queryset` may carry select_related(); it may be a model.
    """
    qs = queryset if isinstance(queryset, QuerySet) else queryset._default_manager.all()
    if not lookup:
        raise ImproperlyConfigured("get_object() needs a lookup, e.g. pk=pk.")
    obj = scope(user, perm, qs).filter(**lookup).first()
    if obj is not None:
        return obj
    found = list(qs.model._default_manager.filter(**lookup).values_list("pk", flat=True)[:2])
    if len(found) == 1 and _visible(user, qs.model, found[0]):
        perm_obj = get_permission(perm)
        raise PermissionDenied(_refusal(perm_obj))
    raise Http404(f"No {qs.model._meta.verbose_name} matches.")


def _refusal(perm: Permission) -> str:
    if perm.rules:
        return " ".join(r.explanation for r in perm.rules if r.explanation) or (
            f"Your role does not allow this ({perm.code})."
        )
    return f"Your role does not allow this ({perm.code})."


def can(user, perm: str, obj) -> bool:
    """May the user do `perm` on this object? For showing a link or button (one query)."""
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    if _is_super(user):
        return True
    if not _centres_with(user, get_permission(perm)):
        return False
    return scope(user, perm, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def require_object(user, perm: str, obj) -> None:
    """Services call this before a change: the same decision the view made (403 otherwise)."""
    if not can(user, perm, obj):
        raise PermissionDenied(_refusal(get_permission(perm)))


# --- decorators for views ---------------------------------------------------------------


def requires(perm: str):
    """Decorator for function views: log-in (via middleware) plus `perm` at some centre.

    It answers only "may this person use such a page at all". A view about one object
    then fetches it with get_object(); a list page with scope().
    """
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


# --- object rules used by several apps ----------------------------------------------------


def _leads(user, spec: Access) -> Q:
    leader = _join(spec.path("cohort"), "leader")
    return Q(**{f"{leader}__isnull": True}) | Q(**{leader: getattr(user, "pk", None)})


LEADS_PROGRAMME = Rule(
    "leads_programme",
    _leads,
    "Only the programme's own leader may do this (any programme leader when it has none).",
)


def _requested_by(user, spec: Access) -> Q:
    return Q(**{spec.path("requested_by"): getattr(user, "pk", None)})


REQUESTED_BY_ME = Rule(
    "requested_by_me", _requested_by, "Only the person who made the request may do this."
)


def _not_own_decision(user, spec: Access) -> Q:
    # ~Q on a nullable path keeps the rows with no decider (Django adds IS NOT NULL).
    return ~Q(**{spec.path("decided_by"): getattr(user, "pk", None)})


NOT_OWN_DECISION = Rule(
    "not_own_decision",
    _not_own_decision,
    "Nobody internally verifies their own assessment decisions (domain.md 3.1).",
)


# --- roles limited to what a grant names ----------------------------------------------------


def granted_cohorts(user) -> list[tuple[int, int, int]]:
    """(centre, cohort, qualification) of each cohort in the user's live verifier grants
    (not revoked, not past expires_on today): one query per request, for a limited role only."""
    cached = getattr(user, "_btecqa_granted", None)
    if cached is None:
        from .models_grants import VerifierGrant

        cached = user._btecqa_granted = VerifierGrant.live_cohorts(user)
    return cached


def _in_granted_cohorts(user, spec: Access) -> Q:
    """Rows of the cohorts the user's live grants name, through the model's "cohort" path; a
    model with none but a qualification path: rows of those cohorts' qualifications at the
    grant's centre (the Lead IV, standardisation). Any other model: nothing."""
    granted = granted_cohorts(user)
    if not granted:
        return Q(pk__in=[])
    try:
        path = spec.path("cohort")
    except ImproperlyConfigured:
        path = None
    if path is not None:
        return Q(**{f"{path}__in" if path else "pk__in": sorted({c for _, c, _ in granted})})
    if spec.qualification:
        by_centre: dict[int, set[int]] = {}
        for centre, _, qualification in granted:
            by_centre.setdefault(centre, set()).add(qualification)
        condition = Q(pk__in=[])
        for centre, quals in sorted(by_centre.items()):
            condition |= Q(**{spec.centre: centre, f"{spec.qualification}__in": sorted(quals)})
        return condition
    return Q(pk__in=[])


GRANTED_COHORTS = Rule(
    "granted_cohorts",
    _in_granted_cohorts,
    "A Standards Verifier sees only the cohorts their grant names, until it expires.",
)

# A limited role reaches, at a centre where it is all the user holds, only the rows its rule
# keeps; no reach widens it, and it can hold no permission that writes (register()).
LIMITED_ROLES: dict[str, Rule] = {Role.STANDARDS_VERIFIER: GRANTED_COHORTS}
if set(LIMITED_ROLES) != set(EXTERNAL_ROLES):
    raise ImproperlyConfigured("Every external role needs its rule in LIMITED_ROLES.")
