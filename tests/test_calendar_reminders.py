"""The year's calendar (issue 14 part 1; domain.md 4.9): reminders from the yearly
configuration per centre and year, the escalation of overdue IV and SV actions, and the
daily digest reading both."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from btecqa.celery import app as celery_app
from calendar_reminders.models import CalendarReminder, Escalation
from calendar_reminders.registry import all_sources, get_source
from calendar_reminders.tasks import calendar_reminders
from outbox.models import OutgoingEmail
from registrations.models import CentreCalendar
from todos.models import ToDo
from todos.services import send_reminder_digests
from verification.models import LeadIVAppointment, SVAction, SVSample, SVVisit

from .factories import (
    CohortFactory,
    RoleAssignmentFactory,
    UserFactory,
    decide,
    decisions_assignment,
    decisions_class,
)

pytestmark = pytest.mark.django_db
YEAR = "2026/27"


def on(day: str):
    return time_machine.travel(dt.datetime.fromisoformat(day + "T07:00"), tick=False)


def calendar_todos(code, **filters):
    return ToDo.objects.filter(kind=get_source(code).kind, **filters)


def run(day: str) -> dict:
    with on(day):
        return calendar_reminders(day)


# --- reminders from the calendar ------------------------------------------------------------


def test_a_date_within_its_lead_days_opens_exactly_one_todo_even_run_twice(cast, own_centre):
    run("2027-06-04")  # 31 days before the claim deadline (2026-27.json: 5 July 2027)
    assert not calendar_todos("claims.deadline").exists()
    run("2027-06-05")
    run("2027-06-05")
    run("2027-06-06")
    todos = list(calendar_todos("claims.deadline"))
    assert len(todos) == 1
    todo = todos[0]
    assert todo.title == "Claim deadline 5 July 2027: 29 days"  # as of the last run, 6 June
    assert todo.role == Role.EXAMS_OFFICER and todo.centre == own_centre
    assert todo.due_date == dt.date(2027, 7, 5) and todo.is_open
    assert CalendarReminder.objects.filter(code="claims.deadline", academic_year=YEAR).count() == 1


def test_the_reminder_closes_once_the_date_has_passed_and_does_not_come_back(cast):
    run("2027-06-20")
    run("2027-07-05")
    assert calendar_todos("claims.deadline", closed_at__isnull=True).count() == 1
    run("2027-07-06")
    run("2027-07-07")
    todo = calendar_todos("claims.deadline").get()
    assert not todo.is_open and "has passed" in todo.closed_note


def test_an_inactive_centre_gets_no_reminders(cast, own_centre):
    own_centre.is_active = False
    own_centre.save()
    run("2027-06-20")
    assert not calendar_todos("claims.deadline").exists()


def test_lead_days_are_configuration(cast, settings):
    settings.BTECQA_CALENDAR_LEAD_DAYS = {"claims.deadline": 45}
    run("2027-05-21")  # 45 days before 5 July
    assert calendar_todos("claims.deadline").get().title == "Claim deadline 5 July 2027: 45 days"


def test_changing_the_centres_date_moves_the_reminder(cast, own_centre):
    calendar = CentreCalendar.objects.create(
        centre=own_centre,
        academic_year=YEAR,
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    run("2026-10-01")  # the deadline is the Friday before half term: 23 October, 22 days
    assert not calendar_todos("registrations.entry_check").exists()
    run("2026-10-02")
    first = calendar_todos("registrations.entry_check").get()
    assert first.title == "Entry check before October half term 23 October 2026: 21 days"
    assert first.role == Role.QUALITY_NOMINEE

    calendar.entry_check_deadline = dt.date(2026, 10, 16)
    calendar.save()
    run("2026-10-03")
    run("2026-10-03")
    first.refresh_from_db()
    assert not first.is_open and first.closed_note == "the date moved to 16 October 2026"
    current = calendar_todos("registrations.entry_check", closed_at__isnull=True).get()
    assert current.title == "Entry check before October half term 16 October 2026: 13 days"
    assert current.due_date == dt.date(2026, 10, 16)
    assert CalendarReminder.objects.get(code="registrations.entry_check").date == dt.date(
        2026, 10, 16
    )
    moved = AuditEvent.objects.filter(action="calendar_reminders.reminder.moved").get()
    assert "23/10/2026" in moved.sentence and "16/10/2026" in moved.sentence


def test_a_date_moved_beyond_its_lead_days_closes_the_reminder(cast, own_centre):
    calendar = CentreCalendar.objects.create(
        centre=own_centre,
        academic_year=YEAR,
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    run("2026-08-25")  # term starts in 9 days: ask the programme leaders for entries
    todo = calendar_todos("registrations.september_request").get()
    assert todo.title == "Request entries from programme leaders 3 September 2026: 9 days"
    calendar.term_starts = dt.date(2026, 9, 30)
    calendar.save()
    run("2026-08-26")
    assert not calendar_todos("registrations.september_request", closed_at__isnull=True).exists()


def sv_visit(centre, by, year=YEAR):
    cohort = CohortFactory(centre=centre)
    return SVVisit.objects.create(
        cohort=cohort, academic_year=year, route="standard", status="not_yet_sampled", created_by=by
    )


def test_the_sv_sample_reminder_closes_when_the_work_is_sent(cast, own_centre):
    qn = cast[Role.QUALITY_NOMINEE]
    sample = SVSample.objects.create(
        visit=sv_visit(own_centre, qn), number=1, requested_by=qn, deadline=dt.date(2027, 2, 12)
    )
    run("2027-02-01")
    todo = calendar_todos("verification.sv_sample").get()
    assert todo.title == "Standards verification sample due 12 February 2027: 11 days"
    sample.work_submitted_on = dt.date(2027, 2, 3)
    sample.save()
    run("2027-02-03")
    todo.refresh_from_db()
    assert not todo.is_open and todo.closed_note == "no date configured"


def dashboard_todos_of(client, user, day: str) -> list[ToDo]:
    with on(day):
        client.force_login(user)
        response = client.get("/")
    assert response.status_code == 200
    return [t for a in response.context["areas"] for t in a["overdue"] + a["open"]]


def test_an_sv_sample_asked_for_by_its_own_todo_is_on_the_dashboard_once(client, cast, own_centre):
    from verification import services_sv

    qn = cast[Role.QUALITY_NOMINEE]
    visit = sv_visit(own_centre, qn)
    with on("2027-01-20"):
        services_sv.request_sample(visit, deadline=dt.date(2027, 2, 12), by=qn)
    run("2027-02-01")  # 11 days before the deadline: within the calendar's 14
    shown = dashboard_todos_of(client, qn, "2027-02-01")
    about_the_sample = [
        t
        for t in shown
        if t.kind in ("verification.sv_sample_work", "calendar.verification.sv_sample")
    ]
    assert [t.kind for t in about_the_sample] == ["verification.sv_sample_work"]
    assert not calendar_todos("verification.sv_sample").exists()
    with on("2027-02-01"):
        client.force_login(qn)
        html = client.get(reverse("calendar_reminders:calendar")).content.decode()
    assert "12 February 2027" in html and "Asked for by its own to-do" in html


def test_the_calendar_reminder_gives_way_once_the_sample_has_its_own_todo(cast, own_centre):
    """A sample recorded before its to-do existed is reminded by the calendar; once its own
    to-do is opened (open_waiting_todos), the calendar's closes: one to-do at a time."""
    from django.core.management import call_command

    qn = cast[Role.QUALITY_NOMINEE]
    SVSample.objects.create(
        visit=sv_visit(own_centre, qn), number=1, requested_by=qn, deadline=dt.date(2027, 2, 12)
    )
    run("2027-01-28")  # 15 days: not yet
    assert not calendar_todos("verification.sv_sample").exists()
    run("2027-01-29")  # 14 days: the calendar reminds, no to-do of its own asks yet
    reminder = calendar_todos("verification.sv_sample").get()
    assert reminder.is_open
    with on("2027-01-30"):
        call_command("open_waiting_todos", verbosity=0)
    run("2027-01-30")
    reminder.refresh_from_db()
    assert not reminder.is_open and reminder.closed_note == "its own to-do asks for the work"
    assert (
        ToDo.objects.filter(kind="verification.sv_sample_work", closed_at__isnull=True).count() == 1
    )


def test_the_days_left_in_an_open_reminders_title_count_down(client, cast, own_centre):
    eo = cast[Role.EXAMS_OFFICER]
    run("2027-06-25")  # 10 days before the claim deadline, 5 July 2027
    todo = calendar_todos("claims.deadline").get()
    assert todo.title == "Claim deadline 5 July 2027: 10 days"
    for day in ("2027-06-26", "2027-06-30", "2027-07-02"):
        run(day)
    todo.refresh_from_db()
    assert todo.is_open and todo.title == "Claim deadline 5 July 2027: 3 days"
    shown = dashboard_todos_of(client, eo, "2027-07-02")
    assert [t.title for t in shown if t.kind == "calendar.claims.deadline"] == [
        "Claim deadline 5 July 2027: 3 days"
    ]
    assert calendar_todos("claims.deadline").count() == 1  # the same to-do, not a new one
    run("2027-07-05")
    todo.refresh_from_db()
    assert todo.title == "Claim deadline 5 July 2027: today"


def test_policy_reviews_run_from_the_calendar_task_alone(cast, own_centre):
    """One mechanism: the beat runs the calendar, which calls the register's reminders."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from policies import services as policies

    with on("2026-09-10"):
        policies.add_policy(
            centre=own_centre,
            title="Assessment policy",
            coordinator=cast[Role.EXAMS_OFFICER],
            sub_committee="Curriculum",
            reviewed_on=dt.date(2025, 11, 1),
            next_review=dt.date(2026, 11, 1),
            upload=SimpleUploadedFile("p.pdf", b"%PDF-1.4 policy"),
            by=cast[Role.QUALITY_NOMINEE],
        )
    tasks = {e["task"] for e in celery_app.conf.beat_schedule.values()}
    assert "calendar_reminders.tasks.calendar_reminders" in tasks
    assert "policies.tasks.policy_review_reminders" not in tasks
    assert "declarations.tasks.declaration_reminders" not in tasks
    run("2026-10-01")  # 31 days before: nothing yet
    assert not ToDo.objects.filter(kind="policies.review_due").exists()
    run("2026-10-02")
    run("2026-10-02")
    todo = ToDo.objects.get(kind="policies.review_due")
    assert todo.assignee == cast[Role.EXAMS_OFFICER]
    # The declaration's window is open: its own to-do, opened through the calendar's hook.
    assert ToDo.objects.filter(kind="declarations.complete_aqd", centre=own_centre).count() == 1


# --- escalation -----------------------------------------------------------------------------


def test_an_overdue_sv_action_goes_to_the_lead_iv_then_the_quality_nominee_once(cast, own_centre):
    qn, assessor = cast[Role.QUALITY_NOMINEE], cast[Role.ASSESSOR_IV]
    lead = cast[Role.LEAD_IV]
    visit = sv_visit(own_centre, qn)
    LeadIVAppointment.objects.create(
        centre=own_centre,
        qualification=visit.cohort.qualification,
        academic_year=YEAR,
        lead_iv=lead,
        appointed_by=qn,
    )
    action = SVAction.objects.create(
        visit=visit,
        description="Re-mark unit 2 against B.M3",
        owner=assessor,
        due_on=dt.date(2026, 11, 2),
        created_by=qn,
    )
    run("2026-11-08")  # 6 days overdue
    assert not Escalation.objects.exists()
    run("2026-11-09")  # 7 days: the Lead IV
    run("2026-11-09")
    step1 = Escalation.objects.get()
    assert step1.step == 1 and step1.to_user == lead and step1.escalated_on == dt.date(2026, 11, 9)
    todo = ToDo.objects.get(kind="calendar.escalation_lead_iv")
    assert todo.assignee == lead
    assert "Re-mark unit 2" in todo.title and "7 days overdue" in todo.title
    mail = OutgoingEmail.objects.filter(kind="calendar_reminders.escalation").get()
    assert mail.to == [lead.email] and "to the Lead IV" in mail.subject

    run("2026-11-15")  # 13 days: not yet the QN
    assert Escalation.objects.count() == 1
    run("2026-11-16")  # 7 more days: the Quality Nominee
    run("2026-11-17")
    assert list(Escalation.objects.values_list("step", flat=True)) == [1, 2]
    qn_todo = ToDo.objects.get(kind="calendar.escalation_qn")
    assert qn_todo.role == Role.QUALITY_NOMINEE and qn_todo.centre == own_centre
    mails = OutgoingEmail.objects.filter(kind="calendar_reminders.escalation").order_by("pk")
    assert [m.to for m in mails] == [[lead.email], [qn.email]]
    events = AuditEvent.objects.filter(action="calendar_reminders.action.escalated")
    assert events.count() == 2
    assert "to the Quality Nominee" in events.order_by("seq").last().sentence

    action.closed_at = dt.datetime(2026, 11, 18, 9, tzinfo=dt.UTC)
    action.closed_by = qn
    action.save()
    run("2026-11-18")
    assert not ToDo.objects.filter(kind__startswith="calendar.escalation", closed_at=None).exists()
    run("2026-11-30")
    assert Escalation.objects.count() == 2


def test_an_overdue_iv_action_without_a_lead_iv_goes_to_the_quality_nominee(settings):
    settings.BTECQA_ESCALATE_AFTER_DAYS = 3
    from verification import services_iv
    from verification.models_sampling import IVPlan, SampleItem

    with on("2026-11-20"):
        a = decisions_assignment()
        centre = a.plan.cohort.centre
        qn = UserFactory()
        RoleAssignmentFactory(user=qn, centre=centre, role=Role.QUALITY_NOMINEE)
        (learner,) = decisions_class(a, 1)
        codes = list(a.criteria.values_list("code", flat=True))
        decide(learner, a, codes)
        plan = IVPlan.objects.create(
            cohort=a.plan.cohort, academic_year=a.plan.academic_year, created_by=qn
        )
        item = SampleItem.objects.create(
            plan=plan, learner=learner, assignment=a, sampled_by=qn, snapshot={}
        )
        record = services_iv.record_iv(
            item,
            by=a.internal_verifier,
            outcome="disagree",
            comments="P2 not evidenced",
            action="Reassess A.P2 against the evidence",
            action_due=dt.date(2026, 12, 1),
        )
    run("2026-12-03")
    assert not Escalation.objects.exists()
    run("2026-12-04")
    escalation = Escalation.objects.get()
    assert escalation.action == record and escalation.to_user is None
    todo = ToDo.objects.get(kind="calendar.escalation_qn")
    assert todo.role == Role.QUALITY_NOMINEE and "Reassess A.P2" in todo.title
    assert OutgoingEmail.objects.get(kind="calendar_reminders.escalation").to == [qn.email]


# --- the digest -----------------------------------------------------------------------------


def test_the_digest_lists_calendar_reminders_and_escalations(cast, own_centre):
    qn, lead, eo = cast[Role.QUALITY_NOMINEE], cast[Role.LEAD_IV], cast[Role.EXAMS_OFFICER]
    visit = sv_visit(own_centre, qn)
    LeadIVAppointment.objects.create(
        centre=own_centre,
        qualification=visit.cohort.qualification,
        academic_year=YEAR,
        lead_iv=lead,
        appointed_by=qn,
    )
    SVAction.objects.create(
        visit=visit,
        description="Send the second sample",
        owner=cast[Role.ASSESSOR_IV],
        due_on=dt.date(2027, 5, 20),
        created_by=qn,
    )
    run("2027-06-01")  # the claim deadline is 34 days away: not yet
    run("2027-06-05")  # 30 days: open, due in a month, beyond the digest's 7-day lookahead
    with on("2027-06-05"):
        send_reminder_digests(dt.date(2027, 6, 5))
    digests = {m.to[0]: m for m in OutgoingEmail.objects.filter(kind="todos.digest")}
    assert "Claim deadline 5 July 2027: 30 days" in digests[eo.email].body
    assert "Overdue SV action" in digests[lead.email].body
    assert "Send the second sample" in digests[qn.email].body  # 16 days: the QN's step too


# --- the page -------------------------------------------------------------------------------


def test_the_calendar_page_lists_every_date_in_order_with_its_todo(client, cast, own_centre):
    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year=YEAR,
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    run("2026-10-05")
    client.force_login(cast[Role.EXAMS_OFFICER])
    with on("2026-10-05"):
        response = client.get(reverse("calendar_reminders:calendar"))
    assert response.status_code == 200
    html = response.content.decode()
    labels = [s.label for s in all_sources()]
    for label in labels:
        assert label in html
    dates = ("3 September 2026", "14 October 2026", "23 October 2026", "5 July 2027")
    order = [html.index(x) for x in dates]
    assert order == sorted(order)
    assert "Entry check before October half term 23 October 2026: 18 days" in html
    assert html.index("Next policy review") > html.index("5 July 2027")  # no policy: last


@pytest.mark.parametrize("role", [Role.GOVERNOR, Role.ASSESSOR_IV, Role.PROGRAMME_LEADER])
def test_the_calendar_page_is_for_the_office(client, cast, role):
    client.force_login(cast[role])
    assert client.get(reverse("calendar_reminders:calendar")).status_code == 403


def test_the_calendar_page_runs_a_fixed_number_of_queries(client, cast, own_centre):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    qn = cast[Role.QUALITY_NOMINEE]
    url = reverse("calendar_reminders:calendar")

    def count():
        with on("2027-02-01"):
            client.force_login(qn)
            client.get(url)  # the session's first request
        with on("2027-02-01"), CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    visit = sv_visit(own_centre, qn)
    SVSample.objects.create(visit=visit, number=1, requested_by=qn, deadline=dt.date(2027, 2, 12))
    run("2027-02-01")
    small = count()
    for n in range(5):
        other = sv_visit(own_centre, qn)
        SVSample.objects.create(
            visit=other, number=1, requested_by=qn, deadline=dt.date(2027, 2, 13 + n)
        )
    run("2027-02-01")
    assert count() == small


def test_the_entry_check_reminder_closes_once_the_check_is_started(cast, own_centre):
    from registrations.models import EntryCheck, RegistrationRound

    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year=YEAR,
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    run("2026-10-05")
    todo = calendar_todos("registrations.entry_check").get()
    qn = cast[Role.QUALITY_NOMINEE]
    rnd = RegistrationRound.objects.create(
        centre=own_centre, academic_year=YEAR, opened_by=cast[Role.EXAMS_OFFICER]
    )
    EntryCheck.objects.create(round=rnd, deadline=dt.date(2026, 10, 23), started_by=qn)
    run("2026-10-06")
    run("2026-10-07")
    todo.refresh_from_db()
    assert not todo.is_open and todo.closed_note == "done"
    assert calendar_todos("registrations.entry_check").count() == 1


def test_the_external_entry_deadlines_come_from_the_years_series(cast, own_centre, settings):
    """The exams officer is reminded of each external series' entry deadline, read from the
    year's file (claims.config.external_series): January 2027's is 20 October 2026."""
    code = "claims.external_entries_first"
    run("2026-09-28")  # 22 days before: not yet
    assert not calendar_todos(code).exists()
    run("2026-09-29")
    todo = calendar_todos(code).get()
    assert todo.title.startswith("External entries deadline, first series")
    assert "20 October 2026" in todo.title
    assert todo.role == Role.EXAMS_OFFICER
    run("2026-10-21")  # the date has passed
    todo.refresh_from_db()
    assert not todo.is_open


def test_each_centre_has_its_own_reminder(cast, own_centre, other_centre):
    run("2027-06-10")
    run("2027-06-10")
    assert sorted(calendar_todos("claims.deadline").values_list("centre__number", flat=True)) == [
        "40001",
        "40003",
    ]
