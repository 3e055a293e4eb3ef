"""Reads for the entry check's pages and the dashboard: a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count
from django.utils import timezone

from accounts.permissions import assignments, can
from accounts.roles import Role
from audit.actions import get_action
from audit.models import AuditEvent
from learners.models import Cohort, Learner

from . import calendar
from .entry_check import UNRESOLVED
from .models import Discrepancy, EntryCheck, EntryList
from .permissions import ANSWER_DISCREPANCIES, CHECK_ENTRIES, RUN_REGISTRATIONS

S = Discrepancy.Status
DASHBOARD_ROLES = {Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER, Role.PROGRAMME_LEADER}


def _waiting_on(role: str, status: str, leader_id: int | None, user) -> bool:
    """Is a discrepancy in this state waiting on this person, given their role?"""
    if role == Role.QUALITY_NOMINEE:
        return status in (S.OPEN, S.ANSWERED, S.AMENDED)
    if role == Role.EXAMS_OFFICER:
        return status == S.WITH_EXAMS_OFFICER
    if role == Role.PROGRAMME_LEADER:
        return status == S.WITH_PROGRAMME_LEADER and leader_id in (None, user.pk)
    return False


def dashboard_entry_checks(user, today: dt.date | None = None) -> list[dict]:
    """Open checks at the centres where the person is QN, exams officer or programme leader.

    Each: the check, its centre, deadline, working days left (negative once passed),
    is_late, the outstanding discrepancies by status (label, count) and how many wait on
    this person. Two queries, however many checks and discrepancies.
    """
    today = today or timezone.localdate()
    roles_at: dict[int, set[str]] = defaultdict(set)
    for role, centre_id in assignments(user):
        if role in DASHBOARD_ROLES:
            roles_at[centre_id].add(role)
    if not roles_at:
        return []
    checks = list(
        EntryCheck.objects.filter(closed_at__isnull=True, round__centre__in=list(roles_at))
        .select_related("round__centre")
        .order_by("deadline", "round__centre__name")
    )
    if not checks:
        return []
    counts = (
        Discrepancy.objects.filter(entry_check__in=checks, status__in=UNRESOLVED)
        .values_list("entry_check", "status", "cohort__leader")
        .annotate(n=Count("pk"))
        .order_by()
    )
    centre_of = {c.pk: c.round.centre_id for c in checks}
    by_status: dict[int, Counter] = defaultdict(Counter)
    waiting: Counter = Counter()
    for check_id, status, leader_id, n in counts:
        by_status[check_id][status] += n
        if any(_waiting_on(r, status, leader_id, user) for r in roles_at[centre_of[check_id]]):
            waiting[check_id] += n
    out = []
    for check in checks:
        statuses = by_status[check.pk]
        out.append(
            {
                "check": check,
                "centre": check.round.centre,
                "academic_year": check.round.academic_year,
                "deadline": check.deadline,
                "days_left": calendar.working_days_until(today, check.deadline),
                "is_late": check.is_late(today),
                "outstanding": sum(statuses.values()),
                "by_status": [(s.label, statuses[s.value]) for s in S if statuses[s.value]],
                "waiting_on_you": waiting[check.pk],
                "run": check.last_run_at is not None,
            }
        )
    return out


def check_page(check: EntryCheck, user, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    discrepancies = list(
        check.discrepancies.select_related(
            "learner", "cohort__qualification", "cohort__leader"
        ).order_by("learner__last_name", "learner__first_name", "pk")
    )
    outstanding = [d for d in discrepancies if d.status != S.RESOLVED]
    counts = Counter(d.status for d in outstanding)
    return {
        "check": check,
        "round": check.round,
        "outstanding": outstanding,
        "resolved": [d for d in discrepancies if d.status == S.RESOLVED],
        "by_status": [(s.label, counts[s.value]) for s in S if counts[s.value]],
        "days_left": calendar.working_days_until(today, check.deadline),
        "is_late": check.is_late(today),
        "can_check": check.is_open and can(user, CHECK_ENTRIES, check),
        "today": today,
    }


def round_cohorts(check: EntryCheck):
    rnd = check.round
    return (
        Cohort.objects.filter(centre=rnd.centre_id)
        .covering(rnd.academic_year)
        .select_related("qualification")
    )


def round_learners(check: EntryCheck):
    """Learners the Quality Nominee may record a discrepancy for: the centre's own, and
    anyone in a teaching group of the round's programmes (consortium students)."""
    rnd = check.round
    in_groups = Learner.objects.filter(
        teaching_groups__cohort__centre=rnd.centre_id,
        teaching_groups__academic_year=rnd.academic_year,
    ).values("pk")
    return Learner.objects.filter(centre=rnd.centre_id) | Learner.objects.filter(pk__in=in_groups)


def _label(code: str) -> str:
    action = get_action(code)
    return action.label if action else code


def discrepancy_page(d: Discrepancy, user) -> dict:
    is_open = d.entry_check.is_open
    can_check = is_open and can(user, CHECK_ENTRIES, d)
    events = AuditEvent.objects.filter(
        object_type=Discrepancy._meta.label, object_id=str(d.pk)
    ).order_by("seq")
    history = [
        {
            "at": e.occurred_at,
            "who": e.actor_repr,
            "what": _label(e.action),
            "text": next(
                (
                    (e.after_data or {}).get(k)
                    for k in ("question", "answer", "amendment", "note")
                    if (e.after_data or {}).get(k)
                ),
                "",
            ),
        }
        for e in events
    ]
    entry_list = EntryList.objects.filter(cohort=d.cohort_id).first()
    return {
        "d": d,
        "check": d.entry_check,
        "history": history,
        "entry_list": entry_list,
        "can_ask": can_check and d.status in (S.OPEN, S.ANSWERED),
        "can_pass": can_check and d.status in (S.ANSWERED, S.AMENDED),
        "can_resolve": can_check and d.status in (S.OPEN, S.ANSWERED, S.AMENDED),
        "note_needed": d.status != S.AMENDED,
        "can_answer": is_open
        and d.status == S.WITH_PROGRAMME_LEADER
        and can(user, ANSWER_DISCREPANCIES, d),
        "can_amend": is_open
        and d.status == S.WITH_EXAMS_OFFICER
        and can(user, RUN_REGISTRATIONS, d),
    }
