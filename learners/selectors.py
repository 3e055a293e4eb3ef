"""Reads the learner pages need, each in a fixed number of queries."""

from __future__ import annotations

from django.db.models import IntegerField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.permissions import only_own_centres, own_centres, scope
from audit.models import AuditEvent
from btecqa.compiled import CompiledQuery
from centres.models import Centre
from tabular.names import normalise_name

from .models import Cohort, Learner, TeachingGroup, search_name_of
from .permissions import VIEW_LEARNERS

Membership = Learner.teaching_groups.through


def learner_search(
    user,
    *,
    perm: str = VIEW_LEARNERS,
    q: str = "",
    centre_id=None,
    cohort_id=None,
    year: str = "",
    on_roll: bool | None = None,
) -> QuerySet[Learner]:
    """The learners `perm` reaches for this user (an export passes the export permission)."""
    qs = Learner.objects.select_related("centre")
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "").upper()
        if identifier := identifier_of(q):
            qs = qs.filter(**{identifier[0]: identifier[1]})
        elif compact.isdigit() and len(compact) <= 4:
            # A candidate number (Excel drops the zeros of 0042), or an all-digit admission
            # number as SIMS gives them.
            qs = qs.filter(
                Q(candidate_number=compact.zfill(4)) | Q(admission_number__iexact=compact)
            )
        else:
            # Words, so "O'NEILL, Zoë" as the list shows a learner finds them. Each is
            # compared through the one name normaliser with the learner's search_name
            # (their names, normalised when saved): "Zoe" finds Zoë, "O’Neill" O'Neill,
            # the same on SQLite and PostgreSQL.
            for word in q.replace(",", " ").split():
                qs = qs.filter(
                    Q(search_name__contains=normalise_name(word)) | Q(admission_number__iexact=word)
                )
    if centre_id:
        qs = qs.filter(centre_id=centre_id)
    membership = Learner.teaching_groups.through.objects
    if cohort_id:
        qs = qs.filter(
            pk__in=membership.filter(teachinggroup__cohort_id=cohort_id).values("learner_id")
        )
    if year:
        qs = qs.filter(
            pk__in=membership.filter(teachinggroup__academic_year=year).values("learner_id")
        )
    if on_roll is not None:
        qs = qs.filter(on_roll=on_roll)
    # Scoped last, so a reach beyond home is worked out over the matching learners only.
    return scope(user, perm, qs).order_by(*LIST_ORDER)


LIST_ORDER = ("last_name", "first_name", "pk")


def identifier_of(q: str) -> tuple[str, str] | None:
    """("uln", "1234567890") or ("uci", ...) when a search is a learner's ULN or UCI."""
    compact = (q or "").replace(" ", "").upper()
    if compact.isdigit() and len(compact) == 10:
        return "uln", compact
    if len(compact) == 13 and compact[:12].isdigit():
        return "uci", compact
    return None


# Browsing the whole list (no search, no filter) when the permission reaches only the
# user's own centres: the page opened most, its count and rows compiled once.
_OWN_LEARNER_COUNT = CompiledQuery(  # one COUNT(*) on the centre index, not grouped
    lambda centre_ids: (
        Learner.objects.filter(centre__in=centre_ids)
        .order_by()
        .annotate(n=RawSQL("COUNT(*)", (), output_field=IntegerField()))
        .values_list("n")
    )
)
_OWN_LEARNER_PAGE = CompiledQuery(
    lambda centre_ids, fields, offset, limit: (
        Learner.objects.filter(centre__in=centre_ids)
        .order_by(*LIST_ORDER)
        .values_list(*fields)[offset : offset + limit]
    )
)


def browsing_own_centres(user, perm: str = VIEW_LEARNERS) -> list[int] | None:
    """The centres whose learners a browse of the whole list shows, when `perm` reaches
    only the user's own (then own_learner_count/own_learner_page serve it); else None."""
    own = only_own_centres(user, perm, Learner)
    return sorted(own) if own else None


def own_learner_count(centres: list[int]) -> int:
    """learner_search(user).count() for browsing_own_centres(user)."""
    return sum(n for (n,) in _OWN_LEARNER_COUNT.rows(centres, using=Learner.objects.db))


_OWN_IDENTIFIED = CompiledQuery(
    lambda centre_ids, value, field, fields: (
        Learner.objects.filter(centre__in=centre_ids, **{field: value})
        .order_by(*LIST_ORDER)
        .values_list(*fields)
    )
)


def own_learners_identified(centres: list[int], identifier: tuple[str, str], fields) -> list:
    """learner_search(user, q=<that ULN or UCI>).values_list(*fields), for the centres of
    browsing_own_centres(user): every match (an identifier names one or two learners)."""
    field, value = identifier
    return _OWN_IDENTIFIED.rows(
        centres, str(value), key=(field, tuple(fields)), using=Learner.objects.db
    )


def own_learner_page(centres: list[int], fields: tuple, offset: int, limit: int) -> list:
    """learner_search(user).values_list(*fields)[offset:offset + limit], likewise."""
    return _OWN_LEARNER_PAGE.rows(
        centres, key=(tuple(fields), offset, limit), using=Learner.objects.db
    )


def with_groups(learners: QuerySet[Learner], user, perm: str = VIEW_LEARNERS):
    """Each learner with `visible_groups`: only the groups `perm` shows this user (a
    delivering centre sees the groups it teaches, not the home centre's own)."""
    shown = scope(user, perm, Membership.objects.all()).values("teachinggroup_id")
    groups = TeachingGroup.objects.filter(pk__in=shown).select_related(
        "cohort__qualification", "delivering_centre"
    )
    return learners.prefetch_related(
        Prefetch("teaching_groups", queryset=groups, to_attr="visible_groups")
    )


_GROUP_ORDER = tuple(f"teachinggroup__{f}" for f in TeachingGroup._meta.ordering)

# The list's group names and programme filter when the permission reaches only the user's
# own centres (no consortium widens it): the same queries as scope() builds, compiled once.
_OWN_GROUP_NAMES = CompiledQuery(
    lambda learner_ids, centre_ids: (
        Membership.objects.filter(learner_id__in=learner_ids, learner__centre__in=centre_ids)
        .order_by(*_GROUP_ORDER)
        .values_list("learner_id", "teachinggroup__name")
    )
)


def group_names(learner_ids, user, perm: str = VIEW_LEARNERS) -> dict[int, str]:
    """Each learner's groups as the list prints them ("12B1, 13B1"): only the groups `perm`
    reaches, as with_groups() would show them, from one query over these learners'
    memberships only."""
    if not learner_ids:
        return {}
    ids = sorted(learner_ids)
    own = only_own_centres(user, perm, Membership)
    if own:
        rows = _OWN_GROUP_NAMES.rows(ids, sorted(own), using=Membership.objects.db)
    else:
        rows = (
            scope(user, perm, Membership.objects.filter(learner_id__in=ids))
            .order_by(*_GROUP_ORDER)
            .values_list("learner_id", "teachinggroup__name")
        )
    names: dict[int, list[str]] = {}
    for learner_id, name in rows:
        names.setdefault(learner_id, []).append(name)
    return {pk: ", ".join(found) for pk, found in names.items()}


# A programme filter lists cohorts by centre, then qualification, then the newest year first.
COHORT_OPTION_ORDER = (
    "centre__name",
    "centre__number",
    "qualification__title",
    *Cohort._meta.ordering,
)
_OWN_COHORTS = CompiledQuery(
    lambda centre_ids: (
        Cohort.objects.filter(centre__in=centre_ids)
        .order_by(*COHORT_OPTION_ORDER)
        .values_list(
            "pk", "start_year", "years", "qualification__title", "centre__name", "centre__number"
        )
    )
)


def cohort_options(user, perm: str = VIEW_LEARNERS) -> list[Cohort]:
    """The programmes `perm` shows this user, for a filter's options (labels, years): when
    it reaches only their own centres, from the query compiled once, as unsaved Cohorts
    carrying just what a label shows; otherwise the scoped queryset's rows."""
    own = only_own_centres(user, perm, Cohort)
    if own is None:
        return list(
            visible_cohorts(user, perm)
            .select_related(None)
            .select_related("qualification", "centre")
            .order_by(*COHORT_OPTION_ORDER)
        )
    if not own:
        return []
    qualification = Cohort._meta.get_field("qualification").related_model
    return [
        Cohort(
            pk=pk,
            start_year=start_year,
            years=years,
            qualification=qualification(title=title),
            centre=Centre(name=name, number=number),
        )
        for pk, start_year, years, title, name, number in _OWN_COHORTS.rows(
            sorted(own), using=Cohort.objects.db
        )
    ]


def visible_cohorts(user, perm: str = VIEW_LEARNERS) -> QuerySet[Cohort]:
    return scope(user, perm, Cohort.objects.select_related("qualification", "centre", "leader"))


def visible_centres(user) -> QuerySet[Centre]:
    return scope(user, VIEW_LEARNERS, Centre.objects.all())


def centre_options(user, perm: str = VIEW_LEARNERS) -> list[tuple[int, str]]:
    """(id, "Name (number)") of the centres whose learners `perm` shows, for a filter:
    from the role assignments already read when it reaches only the user's own centres."""
    own = only_own_centres(user, perm, Centre)
    if own is None:
        return [(c.pk, str(c)) for c in scope(user, perm, Centre.objects.all())]
    names = own_centres(user)
    return [
        (c, f"{names[c][1]} ({names[c][0]})")
        for c in sorted(own, key=lambda c: (names[c][1], names[c][0]))
    ]


def learner_timeline(learner, user) -> QuerySet[AuditEvent]:
    """The learner's events recorded at centres where this user may see learners: the home
    centre sees its own trail; a delivering centre sees what it recorded, never the home
    centre's (change requests, corrections)."""
    return scope(user, VIEW_LEARNERS, AuditEvent.objects.filter(learner_id=learner.pk)).order_by(
        "-seq"
    )


def possible_duplicates(learner, user) -> QuerySet[Learner]:
    """Same legal name (through the one name normaliser: Zoë is Zoe) and date of birth at the
    same centre: flagged, never merged; only the records this user may open."""
    legal = search_name_of(learner.last_name, learner.first_name).removesuffix(" / ")
    return scope(
        user,
        VIEW_LEARNERS,
        Learner.objects.filter(
            centre_id=learner.centre_id,
            date_of_birth=learner.date_of_birth,
            search_name__startswith=legal + " / ",
        ).exclude(pk=learner.pk),
    )
