"""Reads the registration pages need: a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import can
from learners.models import Cohort, Learner
from signatures import services as signing

from . import calendar, documents
from .models import (
    CentreCalendar,
    EntryList,
    EntryRequest,
    Registration,
    RegistrationYear,
    RowQuery,
    snapshot_rows,
)
from .permissions import PROPOSE_ENTRIES, RUN_REGISTRATIONS
from .services import changes_since_signed, combination_breaches, consortium_arrangement


def round_overview(rnd, user, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    cohorts = (
        Cohort.objects.filter(centre=rnd.centre_id)
        .covering(rnd.academic_year)
        .select_related("qualification", "leader")
        .annotate(
            learners=Count(
                "teaching_groups__learners",
                filter=Q(teaching_groups__academic_year=rnd.academic_year),
                distinct=True,
            ),
            live=Count(
                "registrations",
                filter=Q(registrations__status__in=Registration.ACTIVE),
                distinct=True,
            ),
        )
        .order_by("start_year", "qualification__title")
    )
    requests = {
        r.cohort_id: r for r in EntryRequest.objects.filter(round=rnd).select_related("proposed_by")
    }
    lists = {e.cohort_id: e for e in EntryList.objects.filter(round=rnd)}
    rows = [
        {
            "cohort": c,
            "year_number": c.year_number(rnd.academic_year),
            "request": requests.get(c.pk),
            "list": lists.get(c.pk),
        }
        for c in cohorts
    ]
    year = RegistrationYear.objects.filter(academic_year=rnd.academic_year).first()
    cal = CentreCalendar.objects.filter(
        centre=rnd.centre_id, academic_year=rnd.academic_year
    ).first()
    deadlines = centre_deadlines(rnd.centre_id, rnd.academic_year, year=year)
    check_deadline = calendar.entry_check_deadline(cal) if cal else None
    return {
        "round": rnd,
        "rows": rows,
        "unrequested": unrequested_cohorts(rnd),
        "year": year,
        "calendar": cal,
        "entry_check_deadline": check_deadline,
        "deadlines": [
            {"deadline": d, "families": names, "band": calendar.fee_band_on(d, today)}
            for d, names in deadlines
        ],
        "fee_warning": " ".join(
            (f"{', '.join(names)}: " if len(deadlines) > 1 and names else "") + warning
            for d, names in deadlines
            if (warning := calendar.fee_warning(d, today))
        ),
        "late_check": late_check_warning(check_deadline, deadlines),
        "can_run": can(user, RUN_REGISTRATIONS, rnd),
        "today": today,
    }


def centre_deadlines(centre_id, academic_year: str, *, year=None) -> list[tuple]:
    """Pearson's deadlines for the families of the centre's cohorts starting this year (the
    ones registered this year), as (Deadline, family names); the year's alone if none."""
    year = year or RegistrationYear.objects.filter(academic_year=academic_year).first()
    if year is None:
        return []
    families = {}
    for cohort in Cohort.objects.filter(centre=centre_id, start_year=academic_year).select_related(
        "qualification__family"
    ):
        family = cohort.qualification.family
        families[family.pk if family else None] = family
    if not families:
        return [(year.deadline_for(None), [])]
    grouped: dict = {}
    for family in sorted(families.values(), key=lambda f: f.name if f else "~"):
        grouped.setdefault(year.deadline_for(family), []).append(
            family.name if family else "qualifications without a family"
        )
    return sorted(grouped.items(), key=lambda item: item[0].registration_deadline)


def calendar_rows(calendars) -> list[tuple]:
    """Each centre's dates with its entry-check deadline and any late-check warning."""
    years = {y.academic_year: y for y in RegistrationYear.objects.all()}
    out = []
    for cal in calendars:
        deadline = calendar.entry_check_deadline(cal)
        year = years.get(cal.academic_year)
        warning = ""
        if year is not None:
            deadlines = centre_deadlines(cal.centre_id, cal.academic_year, year=year)
            warning = late_check_warning(deadline, deadlines)
        out.append((cal, deadline, warning))
    return out


def late_check_warning(check_deadline, deadlines) -> str:
    """The entry check would end after Pearson's deadline for some family: say which."""
    late = calendar.late_entry_check(check_deadline, [d for d, _ in deadlines])
    if not late:
        return ""
    names = dict(deadlines)
    parts = [
        f"{', '.join(names[d]) or 'this year'} ({d.registration_deadline:%d/%m/%Y})" for d in late
    ]
    return (
        f"The entry check deadline, {check_deadline:%d/%m/%Y}, falls after Pearson's "
        f"registration deadline for {'; '.join(parts)}: corrections found by the check "
        "would pay late fees. Set an earlier entry check deadline on the centre dates page."
    )


def unrequested_cohorts(rnd):
    """The cohorts taught in the round's year whose entries have not been requested yet:
    a first year's new entries, or a later year's continuing learners to confirm."""
    return (
        Cohort.objects.filter(centre=rnd.centre_id)
        .covering(rnd.academic_year)
        .exclude(entry_requests__round=rnd)
        .select_related("qualification")
    )


def proposal_rows(req: EntryRequest) -> dict:
    """This year's groups of the cohort, each learner with their live registration: proposed
    in this round, or continuing from an earlier one (registered already, to confirm)."""
    cohort = req.cohort
    live = {
        r.learner_id: r
        for r in cohort.registrations.filter(status__in=Registration.ACTIVE).prefetch_related(
            "optional_units"
        )
    }
    for reg in live.values():
        reg.continuing = bool(reg.round_id and reg.round_id != req.round_id)
    groups = (
        cohort.teaching_groups.filter(academic_year=req.round.academic_year)
        .select_related("delivering_centre")
        .prefetch_related(
            Prefetch("learners", queryset=Learner.objects.order_by("last_name", "first_name"))
        )
    )
    return {
        "groups": [
            (g, [(learner, live.get(learner.pk)) for learner in g.learners.all()]) for g in groups
        ],
        "proposed_count": sum(
            1
            for r in live.values()
            if r.status == Registration.Status.PROPOSED and r.round_id == req.round_id
        ),
        "continuing_count": sum(1 for r in live.values() if r.continuing),
        "year_number": cohort.year_number(req.round.academic_year),
    }


def entry_list_page(entry_list: EntryList, user) -> dict:
    """Everything the entry list page shows, in a fixed number of queries (300 rows: ~10)."""
    cohort = entry_list.cohort
    rows = snapshot_rows(
        cohort.pk,
        extra=("status", "registration_number", "centre__number"),
        round_id=entry_list.round_id,
    )
    queries: dict[int, list[RowQuery]] = {}
    for q in RowQuery.objects.filter(entry_list=entry_list).select_related(
        "raised_by", "answered_by"
    ):
        queries.setdefault(q.registration_id, []).append(q)
    statuses = dict(Registration.Status.choices)
    own_centre = cohort.centre.number
    page_rows = []
    for row in rows:
        extra = row.pop("_extra")
        page_rows.append(
            {
                "r": row,
                "dob": _uk_date(row["date_of_birth"]),
                "status": statuses[extra["status"]],
                "number": extra["registration_number"],
                "home": extra["centre__number"],
                "partner": extra["centre__number"] != own_centre,
                "queries": queries.get(int(row["key"]), []),
            }
        )
    proposed = list(
        cohort.registrations.filter(
            status=Registration.Status.PROPOSED, round=entry_list.round_id
        ).select_related("learner")
    )
    signature = signing.latest_signature(entry_list)
    sha = signing.content_sha256(entry_list.snapshot(rows))
    changes = changes_since_signed(entry_list, rows, signature)
    units = documents.qualification_units(cohort.qualification)  # always: fixed queries
    changes = documents.describe_changes(changes, units)  # labels, unit titles, dd/mm/yyyy
    base = reverse("registrations:entry_list", args=[entry_list.pk])
    return {
        "entry_list": entry_list,
        "cohort": cohort,
        "year_number": cohort.year_number(entry_list.round.academic_year)
        if cohort.covers(entry_list.round.academic_year)
        else 1,
        "rows": page_rows,
        "proposed": proposed,
        "signature": signature,
        "changes": changes,
        # A consortium list: a partner's learner on it, or a consortium programme code.
        "consortium": any(r["partner"] or r["r"]["programme_code"] for r in page_rows),
        "arrangement": (aq := consortium_arrangement(cohort)) and aq.arrangement,
        # Rows whose optional units break the rule of combination: signing is refused.
        "breaches": combination_breaches(entry_list),
        "sha256": sha,
        "latest_version": signing.latest_version(entry_list),
        "open_queries": sum(1 for qs in queries.values() for q in qs if not q.answered_at),
        "can_run": can(user, RUN_REGISTRATIONS, entry_list),
        "can_sign": (can_sign := can(user, PROPOSE_ENTRIES, entry_list)),
        "can_query": can_sign and entry_list.status not in ("draft", "submitted"),
        "frozen": entry_list.status == "submitted",
        # Row links are built from these prefixes: 300 {% url %} tags cost more than the rows.
        "learner_url": reverse("learners:learner_detail", args=[0])[:-2],
        "amend_url": f"{base}amend/",
        "remove_url": f"{base}remove/",
        "query_url": f"{base}query/",
    }


def learner_registrations(user, learner):
    """The learner's registrations with every step (two queries), for staff of the home
    centre, through which registrations are made; None for anyone else (a delivering
    centre sees none of them)."""
    from accounts.permissions import can

    from .models import RegistrationStep
    from .permissions import VIEW_REGISTRATIONS

    if not can(user, VIEW_REGISTRATIONS, learner):
        return None
    return (
        learner.registrations.select_related("cohort__qualification")
        .prefetch_related(Prefetch("steps", queryset=RegistrationStep.objects.order_by("at", "pk")))
        .order_by("-cohort__start_year", "pk")
    )


def _uk_date(iso: str) -> str:
    """2009-05-17 -> 17/05/2009 without a date object per row."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def may_reinstate(user, learner) -> bool:
    """The exams officer of the learner's home centre, through which they are registered."""
    from accounts.permissions import can

    from .permissions import RUN_REGISTRATIONS

    return can(user, RUN_REGISTRATIONS, learner)
