"""Pearson's standards verification, recorded by the Quality Nominee or Lead IV
(policy 000-3.1.11, 000-3.1.13; domain.md 3.10).

Each change is audited at the cohort's centre. The routes and statuses are the year's
configuration (`models_sv.sv_config`): a status whose flags say it needs an action (in
Edexcel Online's words "Certification pending – centre action required") is refused until
an action is agreed, and opens the second sample. The learners the verifier names must be
on the cohort; an action's owner gets a to-do, closed with the action, and closing names
what changed (the note, and the audit events of the records the action changed).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import RoleAssignment
from accounts.permissions import require
from accounts.roles import Role
from audit.models import AuditEvent
from btecqa.validators import academic_year_problem
from todos.services import close_todos, open_todo

from . import events
from .models_sv import SVAction, SVSample, SVVisit, sv_config
from .permissions import MANAGE_SV
from .selectors_sv import cohort_learner_ids


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _day(value) -> str:
    return value.isoformat() if value else ""


def _learner_name(learner) -> str:
    return f"{learner.first_name} {learner.last_name}".strip()


def deadline_in_words(deadline: dt.date | None, today: dt.date | None = None) -> str:
    """A deadline as an exams officer reads it: "due in 5 days (Friday 12 March 2027)"."""
    if deadline is None:
        return "no deadline set"
    today = today or timezone.localdate()
    when = f"{deadline:%A} {deadline.day} {deadline:%B %Y}"
    days = (deadline - today).days
    if days == 0:
        return f"due today ({when})"
    if days == 1:
        return f"due tomorrow ({when})"
    if days > 1:
        weeks = f", {days // 7} week{'s' if days // 7 > 1 else ''}" if days >= 14 else ""
        return f"due in {days} days{weeks} ({when})"
    late = -days
    return f"{late} day{'s' if late > 1 else ''} overdue (was due {when})"


def _require(by, visit: SVVisit) -> None:
    require(by, MANAGE_SV, visit.cohort.centre_id)


def _visit_state(visit: SVVisit) -> dict:
    return {
        "academic_year": visit.academic_year,
        "verifier": visit.verifier_name,
        "verifier_email": visit.verifier_email,
        "verifier_phone": visit.verifier_phone,
        "allocated_on": _day(visit.allocated_on),
        "route": visit.route,
        "status": visit.status,
        "status_label": visit.status_label,
        "sample_number": visit.sample_number,
        "report_received_on": _day(visit.report_received_on),
    }


@transaction.atomic
def record_allocation(
    *,
    cohort,
    academic_year: str,
    verifier_name: str,
    verifier_email: str = "",
    verifier_phone: str = "",
    allocated_on: dt.date | None = None,
    notes: str = "",
    by,
) -> SVVisit:
    """Record (or correct) who Pearson allocated to verify this cohort this year. The first
    record starts the visit on the year's default route for the qualification's family
    and its initial status ("Not yet fully sampled")."""
    require(by, MANAGE_SV, cohort.centre_id)
    errors = {}
    if problem := academic_year_problem(academic_year):
        errors["academic_year"] = problem
    elif not cohort.covers(academic_year):
        errors["academic_year"] = f"{cohort} is not taught in {academic_year}."
    if not verifier_name.strip():
        errors["verifier_name"] = "Name the standards verifier Pearson allocated."
    if allocated_on and allocated_on > timezone.localdate():
        errors["allocated_on"] = "The allocation date is in the future."
    if errors:
        raise ValidationError(errors)
    config = sv_config(academic_year)
    visit = SVVisit.objects.select_for_update().filter(cohort=cohort, academic_year=academic_year)
    visit = visit.first()
    before = _visit_state(visit) if visit else None
    if visit is None:
        family = cohort.qualification.family.code if cohort.qualification.family_id else None
        visit = SVVisit(
            cohort=cohort,
            academic_year=academic_year,
            route=config.route_for_family(family),
            status=config.initial_status,
            created_by=by,
        )
    visit.verifier_name = verifier_name.strip()
    visit.verifier_email = verifier_email.strip()
    visit.verifier_phone = verifier_phone.strip()
    visit.allocated_on = allocated_on
    visit.notes = notes.strip()
    visit.save()
    audit.record(by, events.SV_ALLOCATED, visit, before=before, after=_visit_state(visit))
    return visit


@transaction.atomic
def set_route(visit: SVVisit, *, route: str, by) -> SVVisit:
    """Choose the route (Pearson's control measure): a route kept for some qualification
    families (moderation, for the 2022 Tech Awards) is refused for the others."""
    _require(by, visit)
    choice = visit.config.route(route)
    if choice is None:
        labels = ", ".join(r.label for r in visit.config.routes)
        raise ValidationError({"route": f"Choose one of: {labels}."})
    qualification = visit.cohort.qualification
    family = qualification.family.code if qualification.family_id else ""
    if choice.families and family not in choice.families:
        raise ValidationError({"route": f"{choice.label} is not used for {qualification.title}."})
    before = visit.route
    visit.route = choice.code
    visit.save(update_fields=["route"])
    audit.record(
        by,
        events.SV_ROUTE_SET,
        visit,
        before={"route": before},
        after={"route": choice.code, "label": choice.label},
    )
    return visit


@transaction.atomic
def set_report_status(
    visit: SVVisit, *, status: str, report_received_on: dt.date | None = None, by
) -> SVVisit:
    """Set the report's status as Edexcel Online shows it. A status that needs centre
    action is refused until an action is agreed, and opens the second sample."""
    _require(by, visit)
    visit = SVVisit.objects.select_for_update().select_related("cohort").get(pk=visit.pk)
    choice = visit.config.status(status)
    if choice is None:
        labels = ", ".join(f"“{s.label}”" for s in visit.config.statuses)
        raise ValidationError({"status": f"Choose one of: {labels}."})
    if report_received_on and report_received_on > timezone.localdate():
        raise ValidationError({"report_received_on": "The date is in the future."})
    if choice.needs_action and not visit.actions.exists():
        raise ValidationError(
            {
                "status": f"“{choice.label}” needs the actions agreed with the verifier: "
                "add at least one action first."
            }
        )
    before = _visit_state(visit)
    visit.status = choice.code
    if report_received_on:
        visit.report_received_on = report_received_on
    opened = None
    if choice.opens_second_sample:
        visit.sample_number = 2
        opened, created = SVSample.objects.get_or_create(
            visit=visit, number=2, defaults={"requested_by": by}
        )
        if not created:
            opened = None
    visit.save()
    audit.record(by, events.SV_STATUS_SET, visit, before=before, after=_visit_state(visit))
    if opened is not None:
        audit.record(
            by,
            events.SV_SAMPLE_REQUESTED,
            opened,
            after={"number": 2, "reason": f"Report status “{choice.label}”"},
        )
    return visit


@transaction.atomic
def request_sample(
    visit: SVVisit,
    *,
    number: int | None = None,
    plans_sent_on: dt.date | None = None,
    deadline: dt.date | None = None,
    by,
) -> SVSample:
    """Record what the verifier asked for: the assessment plans sent (and when) and the
    deadline for the learners' work. Sample 2 exists only once the second sample is open."""
    _require(by, visit)
    number = number or visit.sample_number
    errors = {}
    if number not in (1, 2):
        errors["number"] = "A standards verification has a first and a second sample only."
    elif number == 2 and visit.sample_number < 2:
        errors["number"] = (
            "A second sample is asked for only after the report says "
            "certification is pending with centre action required."
        )
    if plans_sent_on and plans_sent_on > timezone.localdate():
        errors["plans_sent_on"] = "The date is in the future: record the plans once sent."
    if errors:
        raise ValidationError(errors)
    sample, created = SVSample.objects.select_for_update().get_or_create(
        visit=visit, number=number, defaults={"requested_by": by}
    )
    before = (
        None
        if created
        else {"plans_sent_on": _day(sample.plans_sent_on), "deadline": _day(sample.deadline)}
    )
    if plans_sent_on is not None:
        sample.plans_sent_on = plans_sent_on
    moved = not created and deadline is not None and deadline != sample.deadline
    if deadline is not None:
        sample.deadline = deadline
    sample.save()
    if sample.work_submitted_on is None:
        # The work is owed from the request until it is sent, due on the sample's deadline
        # (a moved deadline closes the old to-do and opens one due on the new date).
        if moved:
            close_todos(
                events.SV_SAMPLE_TODO,
                target=sample,
                by=by,
                note=f"deadline moved to {sample.deadline:%d/%m/%Y}",
            )
        _open_sample_todo(sample, by)
    audit.record(
        by,
        events.SV_SAMPLE_REQUESTED,
        sample,
        before=before,
        after={
            "number": number,
            "plans_sent_on": _day(sample.plans_sent_on),
            "deadline": _day(sample.deadline),
        },
    )
    return sample


def _open_sample_todo(sample: SVSample, by) -> None:
    visit = sample.visit
    open_todo(
        events.SV_SAMPLE_TODO,
        centre=visit.cohort.centre,
        title=f"Send the verifier the {'first' if sample.number == 1 else 'second'} sample's "
        f"work: {visit.cohort}",
        due=sample.deadline,
        role=Role.QUALITY_NOMINEE,
        target=sample,
        actor=by,
    )


def open_waiting_sample_todos(today) -> None:
    """Backfill (todos.backfill): each sample of this year or a later one, at an active
    centre, whose work is not yet sent is owed by the Quality Nominee (as request_sample
    opens); the calendar's own reminder for it then gives way (calendar_reminders)."""
    from btecqa.validators import academic_year_for

    for sample in SVSample.objects.filter(
        work_submitted_on__isnull=True,
        visit__academic_year__gte=academic_year_for(today),
        visit__cohort__centre__is_active=True,
    ).select_related("visit__cohort__centre", "visit__cohort__qualification"):
        _open_sample_todo(sample, None)


@transaction.atomic
def name_learners(sample: SVSample, *, learners, named_on: dt.date | None = None, by) -> SVSample:
    """Record the learners the verifier named for the sample: each must be on the cohort."""
    visit = sample.visit
    _require(by, visit)
    learners = list(learners)
    if not learners:
        raise ValidationError({"learners": "Choose the learners the verifier named."})
    on_cohort = cohort_learner_ids(visit.cohort, [x.pk for x in learners])
    if strangers := [x for x in learners if x.pk not in on_cohort]:
        names = ", ".join(_learner_name(x) for x in strangers)
        raise ValidationError(
            {"learners": f"{names}: not on {visit.cohort}, so not in this sample."}
        )
    before = sorted(_learner_name(x) for x in sample.learners.all())
    sample.learners.set(learners)
    sample.learners_named_on = named_on or timezone.localdate()
    sample.save(update_fields=["learners_named_on"])
    audit.record(
        by,
        events.SV_LEARNERS_NAMED,
        sample,
        before={"learners": ", ".join(before)} if before else None,
        after={
            "learners": ", ".join(sorted(_learner_name(x) for x in learners)),
            "named_on": _day(sample.learners_named_on),
        },
    )
    return sample


@transaction.atomic
def record_work_submitted(sample: SVSample, *, submitted_on: dt.date, by) -> SVSample:
    """Record when the named learners' work was sent to the verifier."""
    _require(by, sample.visit)
    if not sample.learners.exists():
        raise ValidationError(
            {"submitted_on": "No learners are named for this sample yet: name them first."}
        )
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": "The date is in the future."})
    before = _day(sample.work_submitted_on)
    sample.work_submitted_on, sample.work_submitted_by = submitted_on, by
    sample.save(update_fields=["work_submitted_on", "work_submitted_by"])
    close_todos(events.SV_SAMPLE_TODO, target=sample, by=by, note="the learners' work was sent")
    late = sample.deadline and submitted_on > sample.deadline
    audit.record(
        by,
        events.SV_WORK_SUBMITTED,
        sample,
        before={"submitted_on": before} if before else None,
        after={
            "submitted_on": _day(submitted_on),
            "deadline": _day(sample.deadline),
            **({"late_by_days": (submitted_on - sample.deadline).days} if late else {}),
        },
    )
    return sample


@transaction.atomic
def add_action(visit: SVVisit, *, description: str, owner, due_on: dt.date, by) -> SVAction:
    """Agree an action with the verifier: its owner (someone at the centre) gets a to-do."""
    _require(by, visit)
    errors = {}
    if not description.strip():
        errors["description"] = "Say what must be done."
    centre = visit.cohort.centre
    if owner is None:
        errors["owner"] = "Choose who owns the action."
    elif not RoleAssignment.objects.filter(centre=centre, user=owner).exists():
        errors["owner"] = f"{_person(owner)} holds no role at {centre.name}."
    if errors:
        raise ValidationError(errors)
    action = SVAction.objects.create(
        visit=visit, description=description.strip(), owner=owner, due_on=due_on, created_by=by
    )
    audit.record(
        by,
        events.SV_ACTION_ADDED,
        action,
        after={
            "description": action.description,
            "owner": _person(owner),
            "due_on": _day(due_on),
        },
    )
    _open_action_todo(action, by)
    return action


def _open_action_todo(action: SVAction, by) -> None:
    visit = action.visit
    open_todo(
        events.SV_ACTION_TODO,
        centre=visit.cohort.centre,
        title=f"Standards verification ({visit.cohort}): {action.description[:150]}",
        due=action.due_on,
        assignee=action.owner,
        target=action,
        actor=by,
    )


def open_waiting_action_todos(today) -> None:
    """Backfill (todos.backfill): each open action at an active centre is owed by its owner
    (as add_action opens), whatever its year: an open action is still owed."""
    for action in SVAction.objects.filter(
        closed_at__isnull=True, visit__cohort__centre__is_active=True
    ).select_related("visit__cohort__centre", "visit__cohort__qualification", "owner"):
        _open_action_todo(action, None)


@transaction.atomic
def close_action(action: SVAction, *, note: str, changed_events=(), by) -> SVAction:
    """Close an action, naming what changed: the note, and the audit events (by number)
    of the records the action changed, which must be on the centre's trail."""
    visit = action.visit
    _require(by, visit)
    action = SVAction.objects.select_for_update().get(pk=action.pk)
    if action.closed_at is not None:
        raise ValidationError(f"This action was closed on {action.closed_at:%d/%m/%Y}.")
    errors = {}
    if not note.strip():
        errors["note"] = "Say what changed."
    seqs = sorted({int(s) for s in changed_events})
    found = dict(
        AuditEvent.objects.filter(seq__in=seqs, centre_id=visit.cohort.centre_id).values_list(
            "seq", "object_type"
        )
    )
    if missing := [s for s in seqs if s not in found]:
        errors["changed_events"] = (
            f"No event {', '.join(map(str, missing))} on {visit.cohort.centre.name}'s trail."
        )
    if errors:
        raise ValidationError(errors)
    action.closed_at = timezone.now()
    action.closed_by = by
    action.closing_note = note.strip()
    action.changed_events = seqs
    action.save(update_fields=["closed_at", "closed_by", "closing_note", "changed_events"])
    audit.record(
        by,
        events.SV_ACTION_CLOSED,
        action,
        after={
            "note": action.closing_note,
            "changed": ", ".join(f"event {s} ({found[s]})" for s in seqs) or "no record named",
        },
    )
    close_todos(events.SV_ACTION_TODO, target=action, by=by, note=action.closing_note)
    return action
