"""The daily calendar run: reminders from the year's dates, and escalation of overdue actions.

`run_calendar(today)` is what the beat task calls (btecqa/celery.py, before the digests):
for each active centre and the current academic year, each date source within its lead
days opens one to-do for its role (idempotent per centre, code and year through
CalendarReminder), closed when the date has passed, the work is done, or the configured
date moved (then one is opened for the new date). Each run rewrites the open reminder's
title with the days left as of that day ("...: 3 days"), so the dashboard and the digest,
which show the stored title, never read a count from the day it opened. A source whose
work has its own to-do (`covered`) opens none. Sources whose app keeps its own
reminders (policies, the declaration) have their hook called once instead.

`escalate_overdue(today)`: an IV action (a disagree with an action and a due date) or an SV
action still open `BTECQA_ESCALATE_AFTER_DAYS` after its due date goes to the qualification's
Lead IV for the year (LeadIVAppointment; the Quality Nominee when none is identified), and
`BTECQA_ESCALATE_QN_AFTER_DAYS` later to the Quality Nominee: each step once (Escalation),
with a to-do, an e-mail through the outbox and an event on the trail. The to-dos close when
the action is closed.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
import outbox.services as outbox
from accounts.roles import Role
from btecqa.validators import academic_year_for, academic_year_start
from todos.models import ToDo
from todos.services import close_todos, open_todo

from . import events
from .models import CalendarReminder, Escalation
from .registry import all_sources

log = logging.getLogger(__name__)

DEFAULT_ESCALATE_AFTER_DAYS = 7
DEFAULT_ESCALATE_QN_AFTER_DAYS = 7


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def reminder_title(source, day: dt.date, today: dt.date) -> str:
    left = (day - today).days
    when = "today" if left == 0 else f"{left} day{'s' if left != 1 else ''}"
    return f"{source.label} {long_date(day)}: {when}"


# --- calendar reminders -------------------------------------------------------------------


def _open_reminder_todos(centre_ids) -> dict[int, ToDo]:
    """The open calendar to-dos, by their reminder's id (one query)."""
    ct = ContentType.objects.get_for_model(CalendarReminder)
    return {
        int(t.target_id): t
        for t in ToDo.objects.filter(
            target_type=ct, closed_at__isnull=True, centre_id__in=centre_ids
        )
    }


def reminder_years(today: dt.date) -> list[str]:
    """Today's academic year, and the next one: the September dates of the coming year fall
    within their lead days in August."""
    start = academic_year_start(today)
    return [academic_year_for(today), academic_year_for(dt.date(start + 1, 9, 1))]


def remind_centre(centre, today: dt.date, *, sources=None, open_todos=None) -> dict:
    """Keep one centre's calendar to-dos right for today's academic year (and the next's
    dates that are already within their lead days)."""
    sources = [s for s in (sources or all_sources()) if s.remind is None]
    if open_todos is None:
        open_todos = _open_reminder_todos([centre.pk])
    result = {"opened": 0, "closed": 0}
    for year in reminder_years(today):
        _remind_year(centre, year, today, sources, open_todos, result)
    return result


def _remind_year(centre, year, today, sources, open_todos, result) -> None:
    reminders = {
        r.code: r for r in CalendarReminder.objects.filter(centre=centre, academic_year=year)
    }
    for source in sources:
        day = source.fn(centre, year)
        done = bool(source.done and day is not None and source.done(centre, year))
        within = (
            day is not None
            and not done
            and today <= day <= today + dt.timedelta(days=source.lead_for(centre, year))
        )
        # The work has its own to-do (e.g. each SV sample's): the calendar asks for it once.
        covered = bool(within and source.covered and source.covered(centre, year))
        within = within and not covered
        reminder = reminders.get(source.code)
        with transaction.atomic():
            todo = open_todos.get(reminder.pk) if reminder else None
            if todo is not None and (not within or day != reminder.date):
                if done:
                    note = "done"
                elif covered:
                    note = "its own to-do asks for the work"
                elif day is None:
                    note = "no date configured"
                elif day < today:
                    note = f"{long_date(reminder.date)} has passed"
                elif day != reminder.date:
                    note = f"the date moved to {long_date(day)}"
                else:
                    note = "no longer within its reminder days"
                result["closed"] += close_todos(
                    source.kind, target=reminder, centre=centre, note=note
                )
                todo = None
            if not within:
                continue
            if reminder is None:
                reminder, _ = CalendarReminder.objects.get_or_create(
                    centre=centre, code=source.code, academic_year=year, defaults={"date": day}
                )
            if reminder.date != day:
                previous = reminder.date
                reminder.date = day
                reminder.save(update_fields=["date"])
                audit.record(
                    None,
                    events.REMINDER_MOVED,
                    reminder,
                    centre=centre.pk,
                    before={"date": previous},
                    after={"date": day, "previous": previous},
                )
            if todo is not None:
                _refresh_title(todo, reminder_title(source, day, today))
            else:
                open_todo(
                    source.kind,
                    centre=centre,
                    role=source.role,
                    title=reminder_title(source, day, today),
                    due=day,
                    target=reminder,
                )
                result["opened"] += 1


def _refresh_title(todo: ToDo, title: str) -> None:
    """The days left, as of today: a to-do's title is written when it opens, and a reminder
    stays open for its lead days. One UPDATE, only on a day the count changed."""
    if todo.title != title:
        ToDo.objects.filter(pk=todo.pk, closed_at__isnull=True).update(title=title)
        todo.title = title


def run_calendar(today: dt.date | None = None) -> dict:
    """Daily: every active centre's calendar reminders, the hooks of the sources whose app
    keeps its own, then the escalation of overdue actions. Safe to run twice."""
    from centres.models import Centre

    today = today or timezone.localdate()
    centres = list(Centre.objects.filter(is_active=True).order_by("pk"))
    open_todos = _open_reminder_todos([c.pk for c in centres])
    result = {"opened": 0, "closed": 0, "hooks": {}}
    for centre in centres:
        for key, value in remind_centre(centre, today, open_todos=open_todos).items():
            result[key] += value
    for source in all_sources():
        if source.remind is not None:
            result["hooks"][source.code] = source.remind(today)
    result["escalations"] = escalate_overdue(today)
    log.info("calendar reminders: %s", result)
    return result


# --- escalation of overdue IV and SV actions -------------------------------------------------


def escalate_after_days() -> tuple[int, int]:
    """(N, M): days overdue before the Lead IV is told, then days more before the QN."""
    return (
        int(getattr(settings, "BTECQA_ESCALATE_AFTER_DAYS", DEFAULT_ESCALATE_AFTER_DAYS)),
        int(getattr(settings, "BTECQA_ESCALATE_QN_AFTER_DAYS", DEFAULT_ESCALATE_QN_AFTER_DAYS)),
    )


class _Overdue:
    """An open IV or SV action, as escalation needs it."""

    def __init__(self, obj, *, kind, centre, qualification_id, year, due, owner, text, learner):
        self.obj, self.kind, self.centre = obj, kind, centre
        self.qualification_id, self.year, self.due = qualification_id, year, due
        self.owner, self.text, self.learner = owner, text, learner


def _overdue_actions(cutoff: dt.date) -> list[_Overdue]:
    from verification.models_sampling import IVRecord
    from verification.models_sv import SVAction

    found = []
    iv = IVRecord.objects.filter(
        outcome=IVRecord.Outcome.DISAGREE,
        closed_at__isnull=True,
        action_due__isnull=False,
        action_due__lte=cutoff,
        item__plan__cohort__centre__is_active=True,
    ).select_related(
        "item__plan__cohort__centre",
        "item__plan__cohort__qualification",
        "item__learner",
        "item__assignment__assessor",
    )
    for record in iv:
        cohort = record.item.plan.cohort
        found.append(
            _Overdue(
                record,
                kind="IV action",
                centre=cohort.centre,
                qualification_id=cohort.qualification_id,
                year=record.item.plan.academic_year,
                due=record.action_due,
                owner=record.item.assignment.assessor,
                text=record.action,
                learner=record.item.learner,
            )
        )
    sv = SVAction.objects.filter(
        closed_at__isnull=True, due_on__lte=cutoff, visit__cohort__centre__is_active=True
    ).select_related("visit__cohort__centre", "visit__cohort__qualification", "owner")
    for action in sv:
        cohort = action.visit.cohort
        found.append(
            _Overdue(
                action,
                kind="SV action",
                centre=cohort.centre,
                qualification_id=cohort.qualification_id,
                year=action.visit.academic_year,
                due=action.due_on,
                owner=action.owner,
                text=action.description,
                learner=None,
            )
        )
    return found


def _people_with(centre, role) -> list:
    return list(
        get_user_model()
        .objects.filter(
            is_active=True, role_assignments__centre=centre, role_assignments__role=role
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _escalate(item: _Overdue, step: int, today: dt.date, lead_ivs: dict) -> bool:
    """One step for one action, once: the Escalation row, the to-do, the e-mail, the event."""
    ct = ContentType.objects.get_for_model(item.obj)
    lead = lead_ivs.get((item.centre.pk, item.qualification_id, item.year))
    to_user = lead if step == Escalation.Step.LEAD_IV and lead is not None else None
    to_role = "" if to_user else Role.QUALITY_NOMINEE
    label = Escalation.Step(step).label
    summary = item.text if len(item.text) <= 80 else item.text[:77] + "…"
    title = (
        f"Overdue {item.kind} (due {long_date(item.due)}, {(today - item.due).days} days "
        f"overdue), owed by {item.owner.get_full_name() or item.owner}: {summary}"
    )
    try:
        with transaction.atomic():
            Escalation.objects.create(
                centre=item.centre,
                action_type=ct,
                action_id=item.obj.pk,
                step=step,
                due_on=item.due,
                escalated_on=today,
                to_user=to_user,
                to_role=to_role,
            )
            open_todo(
                events.ESCALATE_LEAD_IV if to_user else events.ESCALATE_QN,
                centre=item.centre,
                assignee=to_user,
                role=to_role,
                title=title,
                due=today,
                target=item.obj,
            )
            recipients = [to_user] if to_user else _people_with(item.centre, Role.QUALITY_NOMINEE)
            addresses = [p.email for p in recipients if p and p.email]
            to_label = (
                (to_user.get_full_name() or str(to_user)) if to_user else "the Quality Nominee"
            )
            if addresses:
                url = item.obj.get_absolute_url() if hasattr(item.obj, "get_absolute_url") else ""
                outbox.queue_email(
                    kind="calendar_reminders.escalation",
                    key=f"calendar_reminders.escalation:{ct.pk}:{item.obj.pk}:{step}",
                    to=addresses,
                    subject=f"btecqa: overdue {item.kind} escalated {label}",
                    body=(
                        f"An {item.kind} at {item.centre.name} was due on "
                        f"{item.due:%d/%m/%Y} and is still open "
                        f"({(today - item.due).days} days overdue).\n\n"
                        f"Owed by: {item.owner.get_full_name() or item.owner}\n"
                        f"Action: {item.text}\n\n"
                        f"It is escalated {label}: please follow it up"
                        + (f": {settings.BTECQA_SITE_URL}{url}" if url else ".")
                        + "\n\nbtecqa\n"
                    ),
                )
            audit.record(
                None,
                events.ESCALATED,
                item.obj,
                learner=item.learner,
                centre=item.centre.pk,
                after={
                    "step": step,
                    "step_label": label,
                    "due": item.due,
                    "to": to_label,
                    "emailed": len(addresses),
                },
                object_repr=f"{item.kind}: {summary}",
            )
    except IntegrityError:
        return False  # this step happened already (a second run or worker)
    return True


def _close_done_escalations() -> int:
    """The escalation to-dos of actions now closed: the work is done."""
    from verification.models_sampling import IVRecord
    from verification.models_sv import SVAction

    closed = 0
    for model in (IVRecord, SVAction):
        ct = ContentType.objects.get_for_model(model)
        open_ids = set(
            ToDo.objects.filter(
                kind__in=[events.ESCALATE_LEAD_IV, events.ESCALATE_QN],
                target_type=ct,
                closed_at__isnull=True,
            ).values_list("target_id", flat=True)
        )
        if not open_ids:
            continue
        for obj in model.objects.filter(pk__in=open_ids, closed_at__isnull=False):
            for kind in (events.ESCALATE_LEAD_IV, events.ESCALATE_QN):
                closed += close_todos(kind, target=obj, note="the action is closed")
    return closed


def escalate_overdue(today: dt.date | None = None) -> dict:
    from verification.models import LeadIVAppointment

    today = today or timezone.localdate()
    first, more = escalate_after_days()
    overdue = _overdue_actions(today - dt.timedelta(days=first))
    done = {
        (ct, int(pk), step)
        for ct, pk, step in Escalation.objects.filter(
            action_id__in=[o.obj.pk for o in overdue]
        ).values_list("action_type_id", "action_id", "step")
    }
    lead_ivs = {}
    if overdue:
        for a in LeadIVAppointment.objects.filter(
            centre__in={o.centre.pk for o in overdue},
            academic_year__in={o.year for o in overdue},
        ).select_related("lead_iv"):
            lead_ivs[(a.centre_id, a.qualification_id, a.academic_year)] = a.lead_iv
    result = {"lead_iv": 0, "quality_nominee": 0, "closed": _close_done_escalations()}
    for item in overdue:
        ct = ContentType.objects.get_for_model(item.obj).pk
        days = (today - item.due).days
        steps = [(Escalation.Step.LEAD_IV, first, "lead_iv")]
        steps.append((Escalation.Step.QUALITY_NOMINEE, first + more, "quality_nominee"))
        for step, after, key in steps:
            if days >= after and (ct, item.obj.pk, step) not in done:
                result[key] += _escalate(item, step, today, lead_ivs)
    return result
