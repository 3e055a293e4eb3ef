"""Reads the registration pages need: a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from accounts.permissions import has_perm
from learners.models import Learner, Programme
from signatures import services as signing

from . import calendar
from .models import (
    CentreCalendar,
    EntryList,
    EntryRequest,
    Registration,
    RegistrationYear,
    RowQuery,
)
from .permissions import PROPOSE_ENTRIES, RUN_REGISTRATIONS


def round_overview(rnd, user, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    programmes = (
        Programme.objects.filter(centre=rnd.centre_id, academic_year=rnd.academic_year)
        .select_related("qualification", "leader")
        .annotate(
            learners=Count("teaching_groups__learners", distinct=True),
            live=Count(
                "registrations",
                filter=Q(registrations__status__in=Registration.ACTIVE),
                distinct=True,
            ),
        )
        .order_by("qualification__title")
    )
    requests = {
        r.programme_id: r
        for r in EntryRequest.objects.filter(round=rnd).select_related("proposed_by")
    }
    lists = {e.programme_id: e for e in EntryList.objects.filter(round=rnd)}
    rows = [
        {"programme": p, "request": requests.get(p.pk), "list": lists.get(p.pk)} for p in programmes
    ]
    year = RegistrationYear.objects.filter(academic_year=rnd.academic_year).first()
    cal = CentreCalendar.objects.filter(
        centre=rnd.centre_id, academic_year=rnd.academic_year
    ).first()
    return {
        "round": rnd,
        "rows": rows,
        "unrequested": Programme.objects.filter(
            centre=rnd.centre_id, academic_year=rnd.academic_year
        )
        .exclude(pk__in=list(requests))
        .select_related("qualification"),
        "year": year,
        "calendar": cal,
        "entry_check_deadline": calendar.entry_check_deadline(cal) if cal else None,
        "fee_warning": calendar.fee_warning(year, today),
        "fee_band": calendar.fee_band_on(year, today) if year else None,
        "can_run": has_perm(user, RUN_REGISTRATIONS, rnd.centre_id),
        "today": today,
    }


def proposal_rows(req: EntryRequest) -> dict:
    programme = req.programme
    live = {r.learner_id: r for r in programme.registrations.filter(status__in=Registration.ACTIVE)}
    groups = programme.teaching_groups.select_related("delivering_centre").prefetch_related(
        Prefetch("learners", queryset=Learner.objects.order_by("last_name", "first_name"))
    )
    return {
        "groups": [
            (g, [(learner, live.get(learner.pk)) for learner in g.learners.all()]) for g in groups
        ],
        "proposed_count": sum(1 for r in live.values() if r.status == Registration.Status.PROPOSED),
    }


def entry_list_page(entry_list: EntryList, user) -> dict:
    programme = entry_list.programme
    rows = list(
        entry_list.rows().prefetch_related(
            Prefetch(
                "queries", queryset=RowQuery.objects.select_related("raised_by", "answered_by")
            )
        )
    )
    proposed = list(
        programme.registrations.filter(status=Registration.Status.PROPOSED).select_related(
            "learner"
        )
    )
    signature = signing.latest_signature(entry_list)
    snapshot_rows = [_row_dict(r) for r in rows]
    current = {"programme": _programme_dict(programme), "rows": snapshot_rows}
    sha = signing.content_sha256(current)
    changes = None
    if signature:
        diff = signing.diff_rows(signature.version.snapshot["rows"], snapshot_rows)
        changes = diff if any(diff.values()) else None
    centre = programme.centre_id
    return {
        "entry_list": entry_list,
        "programme": programme,
        "rows": rows,
        "proposed": proposed,
        "signature": signature,
        "changes": changes,
        "sha256": sha,
        "latest_version": signing.latest_version(entry_list),
        "open_queries": sum(1 for r in rows for q in r.queries.all() if not q.answered_at),
        "can_run": has_perm(user, RUN_REGISTRATIONS, centre),
        "can_sign": has_perm(user, PROPOSE_ENTRIES, centre)
        and programme.leader_id in (None, user.pk),
    }


def _programme_dict(p) -> dict:
    return {
        "centre": p.centre.number,
        "qualification": p.qualification.number,
        "title": p.qualification.title,
        "academic_year": p.academic_year,
    }


def _row_dict(r) -> dict:
    from .models import registration_row

    return registration_row(r)


def learner_registrations(user, learner):
    """Every registration of the learner with its steps (two queries), or None if not theirs."""
    from accounts.permissions import has_perm as _has

    from .models import RegistrationStep
    from .permissions import VIEW_REGISTRATIONS

    if not _has(user, VIEW_REGISTRATIONS, learner.centre_id):
        return None
    return (
        learner.registrations.select_related("programme__qualification")
        .prefetch_related(Prefetch("steps", queryset=RegistrationStep.objects.order_by("at", "pk")))
        .order_by("-programme__academic_year", "pk")
    )
