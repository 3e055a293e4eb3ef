"""The Annual Quality Declaration's steps and the arrangement reviews: checked, audited.

start_declaration -> save_items (the QN's ticks and notes) -> complete_declaration (the
evidence and gaps frozen, version kept) -> confirm_declaration (the Head of Centre signs
that version). A change after signing (save_items with a reason) returns it to draft: the
signed version and its signature stay as they were, the next signature is on a new one.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from btecqa.validators import academic_year_for, academic_year_problem
from outbox.services import queue_email
from signatures import services as signing
from todos.services import close_todos, open_todo
from workflow.steps import StaleRecord

from . import events
from .checks import CheckContext, all_checks
from .models import (
    ArrangementReview,
    DeclarationItem,
    QualityDeclaration,
    ReviewAction,
    ReviewAttendance,
)
from .permissions import (
    COMPLETE_DECLARATION,
    CONFIRM_DECLARATION,
    RECORD_REVIEWS,
)
from .window import aqd_window, reminder_days

S = QualityDeclaration.Status


def start_declaration(*, centre, academic_year: str, by=None) -> QualityDeclaration:
    """The centre's declaration for the year (made once), with an item per checklist clause,
    and the Quality Nominee's to-do to complete it by the window's deadline."""
    if problem := academic_year_problem(academic_year):
        raise ValidationError({"academic_year": problem})
    if by is not None:
        from accounts.permissions import require

        require(by, COMPLETE_DECLARATION, centre.pk)
    with transaction.atomic():
        declaration, made = QualityDeclaration.objects.get_or_create(
            centre=centre, academic_year=academic_year
        )
        if made:
            _ensure_items(declaration)
            audit.record(by, events.DECLARATION_STARTED, declaration, after={"year": academic_year})
        if declaration.status == S.DRAFT:
            open_todo(
                events.COMPLETE_AQD,
                centre=centre,
                role=Role.QUALITY_NOMINEE,
                title=f"Complete the Annual Quality Declaration for {academic_year}",
                due=aqd_window(academic_year)[1],
                target=declaration,
                actor=by,
            )
    return declaration


def _ensure_items(declaration) -> dict[str, DeclarationItem]:
    have = {i.clause: i for i in declaration.items.all()}
    missing = [
        DeclarationItem(declaration=declaration, clause=c.clause, title=c.title)
        for c in all_checks()
        if c.clause not in have
    ]
    for item in DeclarationItem.objects.bulk_create(missing):
        have[item.clause] = item
    return have


def _check_lock(declaration, expected_lock) -> None:
    if expected_lock is not None and expected_lock != declaration.lock_version:
        raise StaleRecord(
            "Someone else saved this declaration after you opened it. Nothing was saved: "
            "reload the page, check it again, then try once more."
        )


def save_items(
    declaration, *, values: dict, by, reason: str = "", expected_lock=None
) -> QualityDeclaration:
    """The QN's tick ("in place") and note for each clause: values = {clause: (bool, note)}.

    A completed declaration goes back to draft; a signed one only with a reason, and its
    signed version stays as signed."""
    require_object(by, COMPLETE_DECLARATION, declaration)
    with transaction.atomic():
        declaration = QualityDeclaration.objects.select_for_update().get(pk=declaration.pk)
        _check_lock(declaration, expected_lock)
        items = _ensure_items(declaration)
        changed = {}
        for clause, (in_place, note) in values.items():
            item = items.get(clause)
            if item is None:
                continue
            note = (note or "").strip()
            if item.in_place != bool(in_place) or item.note != note:
                changed[clause] = {
                    "before": {"in_place": item.in_place, "note": item.note},
                    "after": {"in_place": bool(in_place), "note": note},
                }
                item.in_place, item.note = bool(in_place), note
                item.changed_by, item.changed_at = by, timezone.now()
                item.save(update_fields=["in_place", "note", "changed_by", "changed_at"])
        if not changed:
            return declaration
        if declaration.status == S.CONFIRMED:
            if not reason.strip():
                raise ValidationError(
                    {
                        "reason": "This declaration is signed: say why it is changed. "
                        "The signed version is kept as signed; the change makes a new version "
                        "for the Head of Centre to confirm again."
                    }
                )
            audit.record(
                by, events.DECLARATION_REOPENED, declaration, after={"reason": reason.strip()}
            )
        if declaration.status != S.DRAFT:
            declaration.status = S.DRAFT
            close_todos(events.CONFIRM_AQD, target=declaration, by=by, note="changed again")
            open_todo(
                events.COMPLETE_AQD,
                centre=declaration.centre,
                role=Role.QUALITY_NOMINEE,
                title=f"Complete the Annual Quality Declaration for {declaration.academic_year}",
                due=aqd_window(declaration.academic_year)[1],
                target=declaration,
                actor=by,
            )
        declaration.lock_version += 1
        declaration.save(update_fields=["status", "lock_version"])
        audit.record(
            by,
            events.DECLARATION_ITEMS_SAVED,
            declaration,
            before={c: v["before"] for c, v in changed.items()},
            after={c: v["after"] for c, v in changed.items()},
        )
    return declaration


def checklist_findings(declaration) -> dict:
    """{clause: Finding} from the records today (the live checklist)."""
    ctx = CheckContext(declaration.centre, declaration.academic_year)
    return {c.clause: c.function(ctx) for c in all_checks()}


def complete_declaration(declaration, *, by, expected_lock=None) -> QualityDeclaration:
    """The QN hands it to the Head of Centre: the evidence and gaps are frozen into the items
    and the content kept as a version. Every item is ticked as in place or says why not, and
    an item ticked despite named gaps says how they are covered."""
    require_object(by, COMPLETE_DECLARATION, declaration)
    with transaction.atomic():
        declaration = (
            QualityDeclaration.objects.select_for_update()
            .select_related("centre")
            .get(pk=declaration.pk)
        )
        _check_lock(declaration, expected_lock)
        if declaration.status != S.DRAFT:
            raise ValidationError(f"{declaration} is already {declaration.get_status_display()}.")
        items = _ensure_items(declaration)
        findings = checklist_findings(declaration)
        problems = []
        for check in all_checks():
            item, finding = items[check.clause], findings[check.clause]
            if not item.in_place and not item.note:
                problems.append(
                    f"{check.clause} {check.title}: tick it as in place or say in a note why not."
                )
            elif item.in_place and finding.gaps and not item.note:
                problems.append(
                    f"{check.clause} {check.title}: the records show "
                    f"{len(finding.gaps)} gap{'s' if len(finding.gaps) != 1 else ''}; "
                    "say in a note how they are covered, or untick it."
                )
        if problems:
            raise ValidationError(problems)
        for check in all_checks():
            item, finding = items[check.clause], findings[check.clause]
            item.title = check.title
            item.evidence = finding.evidence + ([finding.hint] if finding.hint else [])
            item.gaps = finding.gaps
            item.save(update_fields=["title", "evidence", "gaps"])
        declaration.status = S.COMPLETED
        declaration.completed_by, declaration.completed_at = by, timezone.now()
        declaration.lock_version += 1
        declaration.save(update_fields=["status", "completed_by", "completed_at", "lock_version"])
        version = signing.freeze_version(
            declaration, by=by, reason="completed by the Quality Nominee"
        )
        audit.record(
            by, events.DECLARATION_COMPLETED, declaration, after={"version": version.number}
        )
        close_todos(events.COMPLETE_AQD, target=declaration, by=by, note="completed")
        open_todo(
            events.CONFIRM_AQD,
            centre=declaration.centre,
            role=Role.HEAD_OF_CENTRE,
            title=f"Confirm the Annual Quality Declaration for {declaration.academic_year}",
            due=aqd_window(declaration.academic_year)[1],
            target=declaration,
            actor=by,
        )
    return declaration


def confirm_declaration(declaration, *, user, password: str, seen_sha256: str):
    """The Head of Centre signs the completed declaration (password, unchanged since seen)."""
    require_object(user, CONFIRM_DECLARATION, declaration)
    if declaration.status != S.COMPLETED:
        raise ValidationError(
            "Only a declaration the Quality Nominee has completed can be confirmed; this one "
            f"is {declaration.get_status_display().lower()}."
        )
    with transaction.atomic():
        signature = signing.sign(
            declaration,
            user=user,
            password=password,
            role=Role.HEAD_OF_CENTRE,
            seen_sha256=seen_sha256,
        )
        declaration.status = S.CONFIRMED
        declaration.lock_version += 1
        declaration.save(update_fields=["status", "lock_version"])
        audit.record(
            user,
            events.DECLARATION_CONFIRMED,
            declaration,
            after={"version": signature.version.number, "sha256": signature.sha256},
        )
        close_todos(events.CONFIRM_AQD, target=declaration, by=user, note="confirmed")
    return signature


def record_submission(declaration, *, submitted_on: dt.date, eol_confirmed_on, by):
    """The QN records the day the confirmed declaration went to Pearson on Edexcel Online,
    and the day the Head of Centre completed the Edexcel Online account confirmation (both
    due by the window's deadline). Not part of what was signed: the signed hash stays."""
    require_object(by, COMPLETE_DECLARATION, declaration)
    if declaration.status != S.CONFIRMED:
        raise ValidationError(
            "Submit the declaration to Pearson once the Head of Centre has confirmed it."
        )
    today = timezone.localdate()
    errors = {}
    for name, day in (("submitted_on", submitted_on), ("eol_confirmed_on", eol_confirmed_on)):
        if day and day > today:
            errors[name] = "This date is to come: record it once it is done."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = {
            "submitted": declaration.submitted_to_pearson_on,
            "eol_confirmed": declaration.eol_confirmed_on,
        }
        declaration.submitted_to_pearson_on = submitted_on
        declaration.eol_confirmed_on = eol_confirmed_on
        declaration.submission_recorded_by = by
        declaration.lock_version += 1
        declaration.save(
            update_fields=[
                "submitted_to_pearson_on",
                "eol_confirmed_on",
                "submission_recorded_by",
                "lock_version",
            ]
        )
        closes = aqd_window(declaration.academic_year)[1]
        audit.record(
            by,
            events.DECLARATION_SUBMITTED,
            declaration,
            before=before,
            after={
                "submitted": submitted_on,
                "eol_confirmed": eol_confirmed_on,
                "late": submitted_on > closes,
            },
        )
    return declaration


# --- the window's reminders (the beat task calls this) ----------------------------------


def _addresses(centre, role) -> list[str]:
    from accounts.models import RoleAssignment

    return sorted(
        set(
            RoleAssignment.objects.filter(centre=centre, role=role, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def declaration_reminders(today: dt.date | None = None) -> dict:
    """While the window is open: each active centre's declaration exists and its Quality
    Nominee has the to-do; on the configured days before the deadline, whoever it waits for
    (the QN, or the Head once completed) is e-mailed. Outside the window nothing happens."""
    from centres.models import Centre

    today = today or timezone.localdate()
    year = academic_year_for(today)
    opens, closes = aqd_window(year)
    result = {"year": year, "opened": 0, "emails": 0}
    if not opens <= today <= closes:
        return result
    days_left = (closes - today).days
    for centre in Centre.objects.filter(is_active=True).order_by("pk"):
        existed = QualityDeclaration.objects.filter(centre=centre, academic_year=year).exists()
        declaration = start_declaration(centre=centre, academic_year=year)
        result["opened"] += not existed
        if declaration.submitted_to_pearson_on or days_left not in reminder_days():
            continue
        waiting_for = (
            Role.HEAD_OF_CENTRE if declaration.status == S.COMPLETED else Role.QUALITY_NOMINEE
        )
        to = _addresses(centre, waiting_for)
        if not to:
            continue
        step = {
            S.DRAFT: "complete it",
            S.COMPLETED: "confirm it",
            S.CONFIRMED: "submit it on Edexcel Online",
        }[declaration.status]
        with transaction.atomic():
            queue_email(
                kind="declarations.reminder",
                to=to,
                subject=(
                    f"Annual Quality Declaration {year}: {days_left} day"
                    f"{'s' if days_left != 1 else ''} left to {step}"
                ),
                body=(
                    f"{centre.name}'s Annual Quality Declaration for {year} is "
                    f"{declaration.get_status_display().lower()}. Pearson's deadline is "
                    f"{closes:%d/%m/%Y}. Please {step}; the declaration in btecqa: "
                    f"{declaration.get_absolute_url()}"
                ),
                key=f"declarations.reminder:{declaration.pk}:{today.isoformat()}",
            )
        result["emails"] += 1
    return result


# --- arrangement reviews (000-3.1.9) -------------------------------------------------------


def record_review(
    arrangement, *, academic_year: str, held_on: dt.date, minutes: str, attendance, by
) -> ArrangementReview:
    """The lead centre's QN records a review meeting: attendance is [(centre, attended,
    people)] for the lead and each current partner."""
    require_object(by, RECORD_REVIEWS, arrangement)
    errors = {}
    if problem := academic_year_problem(academic_year):
        errors["academic_year"] = problem
    if held_on > timezone.localdate():
        errors["held_on"] = "A review is recorded once it has been held: this date is to come."
    if not minutes.strip():
        errors["minutes"] = "Say what the review covered."
    members = {arrangement.lead_centre_id} | set(
        arrangement.partners.current().values_list("centre_id", flat=True)
    )
    for centre, _attended, _people in attendance:
        if centre.pk not in members:
            errors.setdefault("__all__", []).append(
                f"{centre.name} is not a partner of {arrangement.name}."
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = ArrangementReview.objects.create(
            arrangement=arrangement,
            academic_year=academic_year,
            held_on=held_on,
            minutes=minutes.strip(),
            recorded_by=by,
        )
        ReviewAttendance.objects.bulk_create(
            ReviewAttendance(review=review, centre=c, attended=bool(a), people=(p or "").strip())
            for c, a, p in attendance
        )
        after = {
            "year": academic_year,
            "held_on": held_on,
            "attended": [c.number for c, a, _ in attendance if a],
        }
        for centre_id in sorted(members):  # on the trail at every centre of the arrangement
            audit.record(by, events.REVIEW_RECORDED, review, centre=centre_id, after=after)
    return review


def add_review_action(review, *, description: str, owner: str, due_on: dt.date, by):
    require_object(by, RECORD_REVIEWS, review)
    errors = {}
    if not description.strip():
        errors["description"] = "Say what is to be done."
    if not owner.strip():
        errors["owner"] = "Say who will do it."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = ReviewAction.objects.create(
            review=review, description=description.strip(), owner=owner.strip(), due_on=due_on
        )
        audit.record(
            by,
            events.REVIEW_ACTION_ADDED,
            review,
            after={"action": action.description, "owner": action.owner, "due": due_on},
        )
    return action


def close_review_action(action, *, note: str, by):
    require_object(by, RECORD_REVIEWS, action)
    if not action.is_open:
        raise ValidationError(
            f"«{action.description}» was already closed on {action.closed_on:%d/%m/%Y}."
        )
    with transaction.atomic():
        action.closed_on, action.closed_by = timezone.localdate(), by
        action.closing_note = note.strip()
        action.save(update_fields=["closed_on", "closed_by", "closing_note"])
        audit.record(
            by,
            events.REVIEW_ACTION_CLOSED,
            action.review,
            after={"action": action.description, "note": action.closing_note},
        )
    return action
