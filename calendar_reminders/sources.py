"""The dates of the year that exist on main, registered with the calendar (domain.md 4.9).

Each reads the yearly configuration for the centre and year; none holds a date itself.
Another app's date (e.g. the external-entry series of claims.config.external_series) is
registered the same way, by a call to `register_calendar_date` in this module or its app.
"""

from __future__ import annotations

import datetime as dt

from accounts.roles import Role

from .registry import register_calendar_date

EO, QN = Role.EXAMS_OFFICER, Role.QUALITY_NOMINEE


def _centre_calendar(centre, academic_year):
    from registrations.models import CentreCalendar

    return CentreCalendar.objects.filter(centre=centre, academic_year=academic_year).first()


# --- entries: the September request and Pearson's registration deadline -----------------


def september_request(centre, academic_year) -> dt.date | None:
    """The exams officer asks programme leaders for entries as term starts."""
    calendar = _centre_calendar(centre, academic_year)
    return calendar.term_starts if calendar else None


def entries_requested(centre, academic_year) -> bool:
    from registrations.models import EntryRequest

    return EntryRequest.objects.filter(
        round__centre=centre, round__academic_year=academic_year
    ).exists()


def registration_deadline(centre, academic_year) -> dt.date | None:
    from registrations.models import RegistrationYear

    return (
        RegistrationYear.objects.filter(academic_year=academic_year)
        .values_list("registration_deadline", flat=True)
        .first()
    )


# --- the Quality Nominee's entry check, before October half term --------------------------


def entry_check(centre, academic_year) -> dt.date | None:
    from registrations.calendar import entry_check_deadline

    calendar = _centre_calendar(centre, academic_year)
    return entry_check_deadline(calendar) if calendar else None


def entry_check_started(centre, academic_year) -> bool:
    """Once the check is open its own to-dos (registrations.entry_check) follow it."""
    from registrations.models import EntryCheck

    return EntryCheck.objects.filter(
        round__centre=centre, round__academic_year=academic_year
    ).exists()


# --- the Annual Quality Declaration: declarations keeps its own to-do and e-mails ---------


def aqd_deadline(centre, academic_year) -> dt.date | None:
    from declarations.window import aqd_window

    return aqd_window(academic_year)[1]


def aqd_lead(centre, academic_year) -> int:
    """The declaration's to-do opens with the window."""
    from declarations.window import aqd_window

    opens, closes = aqd_window(academic_year)
    return (closes - opens).days


def aqd_reminders(today):
    from declarations.services import declaration_reminders

    return declaration_reminders(today)


# --- standards verification: the sample's deadline ---------------------------------------


def sv_sample_due(centre, academic_year) -> dt.date | None:
    """The earliest deadline of a sample whose learners' work has not yet been sent."""
    from verification.models_sv import SVSample

    return (
        SVSample.objects.filter(
            visit__cohort__centre=centre,
            visit__academic_year=academic_year,
            work_submitted_on__isnull=True,
            deadline__isnull=False,
        )
        .order_by("deadline")
        .values_list("deadline", flat=True)
        .first()
    )


def sv_samples_have_their_todos(centre, academic_year) -> bool:
    """Every sample still owed has its own open to-do (verification.sv_sample_work, opened
    when the verifier asks, due on the sample's deadline): the Quality Nominee is asked for
    that work there, so the calendar opens no second to-do for it. Two queries."""
    from django.contrib.contenttypes.models import ContentType

    from todos.models import ToDo
    from verification.events import SV_SAMPLE_TODO
    from verification.models_sv import SVSample

    owed = {
        str(pk)
        for pk in SVSample.objects.filter(
            visit__cohort__centre=centre,
            visit__academic_year=academic_year,
            work_submitted_on__isnull=True,
            deadline__isnull=False,
        ).values_list("pk", flat=True)
    }
    if not owed:
        return False
    asked = set(
        ToDo.objects.filter(
            kind=SV_SAMPLE_TODO,
            centre=centre,
            closed_at__isnull=True,
            target_type=ContentType.objects.get_for_model(SVSample),
            target_id__in=owed,
        ).values_list("target_id", flat=True)
    )
    return owed <= asked


# --- claims -------------------------------------------------------------------------------


def claim_deadline(centre, academic_year) -> dt.date | None:
    from claims.config import claim_deadline as deadline

    return deadline(academic_year)


# --- policy reviews: the register keeps one to-do per policy, owed by its coordinator -----


def next_policy_review(centre, academic_year) -> dt.date | None:
    from policies.models import Policy

    return (
        Policy.objects.filter(centre=centre)
        .order_by("next_review")
        .values_list("next_review", flat=True)
        .first()
    )


def policy_lead(centre, academic_year) -> int:
    from policies.models import RegisterSettings
    from policies.services import default_reminder_days

    days = (
        RegisterSettings.objects.filter(centre=centre)
        .values_list("reminder_days", flat=True)
        .first()
    )
    return default_reminder_days() if days is None else days


def external_entry_deadline(position):
    """The entry deadline of the year's n-th external series (claims.config.external_series:
    the year's file, else settings), so the exams officer enters external units in time,
    "alongside the GCSE entries in February" for the summer series."""

    def fn(centre, academic_year):
        from claims.config import external_series

        series = external_series(academic_year)
        return series[position].entry_deadline if len(series) > position else None

    return fn


def claims_audit_due(centre, academic_year):
    from claims.config import claims_audit_due as due

    return due(academic_year)


def claims_audit_reminders(today):
    from claims.services_audit import open_due_audits

    return open_due_audits(today)


def policy_reminders(today):
    from policies.services import send_review_reminders

    return send_review_reminders(today)


register_calendar_date(
    "registrations.september_request",
    "Request entries from programme leaders",
    EO,
    september_request,
    14,
    done=entries_requested,
)
register_calendar_date(
    "registrations.deadline", "Pearson registration deadline", EO, registration_deadline, 30
)
register_calendar_date(
    "registrations.entry_check",
    "Entry check before October half term",
    QN,
    entry_check,
    21,
    done=entry_check_started,
)
register_calendar_date(
    "declarations.aqd",
    "Annual Quality Declaration deadline",
    QN,
    aqd_deadline,
    aqd_lead,
    remind=aqd_reminders,
    todo_kind="declarations.complete_aqd",
)
register_calendar_date(
    "verification.sv_sample",
    "Standards verification sample due",
    QN,
    sv_sample_due,
    14,
    covered=sv_samples_have_their_todos,
)
register_calendar_date("claims.deadline", "Claim deadline", EO, claim_deadline, 30)
register_calendar_date(
    "claims.external_entries_first",
    "External entries deadline, first series of the year",
    EO,
    external_entry_deadline(0),
    21,
)
register_calendar_date(
    "claims.external_entries_second",
    "External entries deadline, second series of the year",
    EO,
    external_entry_deadline(1),
    21,
)
register_calendar_date(
    "claims.audit",
    "Claims audit (sampled and signed by the Quality Nominee)",
    QN,
    claims_audit_due,
    0,
    remind=claims_audit_reminders,
    todo_kind="claims.claims_audit_due",
)
register_calendar_date(
    "policies.review",
    "Next policy review",
    QN,
    next_policy_review,
    policy_lead,
    remind=policy_reminders,
    todo_kind="policies.review_due",
)
