"""The demo's registration rounds, told through the same services the pages use.

Each step of a round has its day in the academic year, counted in working days from
the start of term, and happens on that day: the loader travels there (time-machine) and
calls the service, so every date, audit event, to-do and line of a learner's history is
as it would have been. Last year's round is told to its end; this year's only as far as
the days before `today`. So a newcomer sees what a centre usually has at that time of
year:

* early September: the round just opened, entries requested and due in a fortnight;
* mid to late September: lists proposed, entered, signed and submitted one by one; the
  Quality Nominee's check has found a learner who joined the Business group late;
* from October: every list submitted to Pearson, the check closed before half term;
  registration numbers back for most learners (the rest follow in January);
* from late January to August: everyone registered and the round closed.

Last year's intake is in its second year: its learners are continuing, confirmed by the
programme leader against this year's groups, never entered again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

import audit
from registrations import changes, entry_check, number_import, services
from registrations.models import (
    CentreCalendar,
    EntryList,
    EntryRequest,
    Registration,
)
from signatures.services import current_sha256

LATE_JOINER = ("0990", "Nadia", "Quennell")


class DemoClock:
    """Travels to the moment a demo step happened, so services date it then."""

    def __init__(self, today: dt.date):
        self.today = today

    @contextlib.contextmanager
    def at(self, day: dt.date, hour: int, minute: int = 0):
        try:
            import time_machine  # a development dependency, as the demo is
        except ImportError as exc:  # pragma: no cover - only without `make install`
            raise RuntimeError(
                "The demo needs the development dependencies (make install)."
            ) from exc
        moment = dt.datetime.combine(
            day, dt.time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE)
        )
        with time_machine.travel(moment, tick=True):
            yield


def first_weekday_of_september(year: int) -> dt.date:
    day = dt.date(year, 9, 1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def last_monday_of_october(year: int) -> dt.date:
    day = dt.date(year, 10, 31)
    return day - dt.timedelta(days=day.weekday())


def working_days_after(day: dt.date, n: int) -> dt.date:
    """n weekdays on (the round's September and October have no bank holiday)."""
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5
    return day


def second_monday_of_january(year: int) -> dt.date:
    day = dt.date(year, 1, 8)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


class _Script:
    """A round's steps, each on its day and hour, run in order up to a cut-off."""

    def __init__(self):
        self.steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []

    def on(self, day: dt.date, hour: int, action: Callable[[], None], minute: int = 0) -> None:
        when = dt.datetime.combine(day, dt.time(hour, minute))
        self.steps.append((when, len(self.steps), action))

    def run(self, clock: DemoClock, upto: dt.date | None) -> int:
        done = 0
        for when, _, action in sorted(self.steps, key=lambda s: s[:2]):
            if upto is not None and when.date() >= upto:
                break  # not happened yet: neither has anything after it
            with clock.at(when.date(), when.hour, when.minute):
                action()
            done += 1
        return done


def tell_year(clock, *, centres, cohorts, users, year: str, upto: dt.date | None) -> int:
    """Both centres' rounds for `year`, up to the day before `upto` (None: last year's,
    told to its end). Returns how many steps happened."""
    call_command("load_registration_years", verbosity=0)
    script = _Script()
    start = int(year[:4])
    term = first_weekday_of_september(start)
    for key, lag in (("lead", 0), ("partner", 1)):
        people = (
            {"eo": users["eo"], "pl": users["pl"], "qn": users["qn"], "admin": users["admin"]}
            if key == "lead"
            else {r: users[f"partner_{r}"] for r in ("eo", "pl", "qn")}
        )
        _round(
            script,
            centre=centres[key],
            cohorts=[c for k, c in sorted(cohorts.items()) if k[0] == key],
            people=people,
            year=year,
            day=lambda n, lag=lag: working_days_after(term, n + lag),
            late_joiner=key == "lead" and upto is not None,
        )
    return script.run(clock, upto)


def _round(script: _Script, *, centre, cohorts, people, year, day, late_joiner) -> None:
    """One centre's round, step by step (see the module's calendar)."""
    eo, pl, qn = people["eo"], people["pl"], people["qn"]
    start = int(year[:4])
    state: dict = {}
    new = [c for c in cohorts if c.start_year == year]
    continuing = [c for c in cohorts if c.start_year != year]

    def open_round():
        cal = CentreCalendar.objects.create(
            centre=centre,
            academic_year=year,
            term_starts=first_weekday_of_september(start),
            october_half_term_starts=last_monday_of_october(start),
        )
        audit.record(
            eo,
            "registrations.calendar.saved",
            cal,
            centre=centre.pk,
            after={
                "academic_year": year,
                "term_starts": cal.term_starts,
                "october_half_term_starts": cal.october_half_term_starts,
            },
        )
        rnd = services.open_round(centre=centre, academic_year=year, by=eo)
        state["round"] = rnd
        for cohort in cohorts:
            services.request_entries(rnd, cohort=cohort, due_date=day(19), by=eo)

    def request(cohort) -> EntryRequest:
        return EntryRequest.objects.get(round=state["round"], cohort=cohort)

    def entry_list(cohort) -> EntryList:
        return EntryList.objects.get(round=state["round"], cohort=cohort)

    def confirm_continuing():
        for cohort in continuing:
            services.finish_proposals(request(cohort), by=pl)

    def propose(cohort):
        req = request(cohort)
        group = cohort.teaching_groups.get(academic_year=year)
        for learner in group.learners.order_by("last_name", "first_name"):
            services.propose_entry(req, learner=learner, by=pl)
        services.finish_proposals(req, by=pl)

    def enter_and_return(cohort):
        el = entry_list(cohort)
        services.make_entries(
            el, registrations=list(cohort.registrations.filter(round=state["round"])), by=eo
        )
        services.return_entry_list(entry_list(cohort), by=eo)

    def sign(cohort):
        from .demo import DEMO_PASSWORD

        el = entry_list(cohort)
        services.sign_entry_list(
            el, user=pl, password=DEMO_PASSWORD, seen_sha256=current_sha256(el)
        )

    def submit(cohort):
        services.submit_entry_list(entry_list(cohort), by=eo, submitted_on=timezone.localdate())

    def numbers(hold_back: int):
        """Pearson's registration numbers for everyone submitted, bar the last `hold_back`."""
        waiting = list(
            Registration.objects.filter(
                centre=centre, cohort__in=cohorts, status=Registration.Status.SUBMITTED
            )
            .select_related("learner")
            .order_by("-new_starter", "cohort__qualification__title", "learner__last_name")
        )
        back = waiting[hold_back:] if hold_back else waiting
        if not back:
            return
        imp = number_import.preview_registration_numbers(
            _export(back, centre, year),
            centre,
            eo,
            file_name=f"edexcel-online-registrations-{centre.number}.csv",
        )
        number_import.apply_registration_numbers(imp, eo)

    def close_round():
        services.close_round(state["round"], by=eo)

    script.on(day(1), 9, open_round)
    if continuing:
        script.on(day(5), 14, confirm_continuing)
        script.on(day(6), 10, lambda: [enter_and_return(c) for c in continuing])
        script.on(day(8), 11, lambda: [sign(c) for c in continuing])
        script.on(day(9), 10, lambda: [submit(c) for c in continuing])
    # New cohorts: Business a week ahead of Applied Science, so late September shows both.
    for n, cohort in enumerate(new):
        script.on(day(7 + 2 * n), 15, lambda c=cohort: propose(c))
        script.on(day(10 + 2 * n), 10, lambda c=cohort: enter_and_return(c))
        script.on(day(13 + n), 13, lambda c=cohort: sign(c))
        script.on(day(14 + n), 10, lambda c=cohort: submit(c))
    if late_joiner:
        _late_joiner(script, state, centre=centre, cohort=new[0], people=people, year=year, day=day)
    else:
        script.on(day(15), 10, lambda: _check(state, qn))
    script.on(day(19), 15, lambda: entry_check.close_entry_check(state["check"], by=qn))
    # Most numbers a week after submitting (a few held back), the rest in January.
    script.on(day(24), 10, lambda: numbers(hold_back=3 if late_joiner else 0))
    january = second_monday_of_january(start + 1)
    if late_joiner:
        script.on(january, 10, lambda: numbers(hold_back=0))
    script.on(january + dt.timedelta(days=7), 9, close_round)


def _check(state, qn):
    check = entry_check.start_entry_check(state["round"], by=qn)
    entry_check.run_entry_check(check, by=qn)
    state["check"] = check


def _late_joiner(script, state, *, centre, cohort, people, year, day) -> None:
    """A learner joins the Business group after the list was signed: the Quality Nominee's
    check finds them, the programme leader confirms they stay, and they are registered as a
    new starter at Pearson before the check closes."""
    from learners.services import save_teaching_group

    from .demo import _demo_learner

    eo, pl, qn = people["eo"], people["pl"], people["qn"]

    def joins():
        candidate, first, last = LATE_JOINER
        learner = _demo_learner(centre, candidate, 990, int(year[:4]), first=first, last=last)
        group = cohort.teaching_groups.get(academic_year=year)
        save_teaching_group(group, learners=[*group.learners.all(), learner], by=people["admin"])

    def found():
        _check(state, qn)
        d = state["check"].discrepancies.get()
        entry_check.ask_programme_leader(
            d, question=f"{d.learner} is on the {d.cohort} register: should they be entered?", by=qn
        )
        state["discrepancy"] = d

    def answered():
        d = _fresh(state["discrepancy"])
        entry_check.answer_discrepancy(
            d, answer="Yes: joined us from another school on 21 September, staying on.", by=pl
        )
        state["new_starter"] = changes.request_new_starter(
            d.learner, cohort, by=pl, details="Joined the Business group in late September."
        )
        entry_check.pass_to_exams_officer(_fresh(d), by=qn)

    def registered():
        changes.action_change(
            state["new_starter"],
            actioned_on=day(18),
            pearson_reference=f"DEMO-NS-{centre.number}-{year[2:4]}",
            by=eo,
        )
        entry_check.record_amendment(
            _fresh(state["discrepancy"]),
            amendment="Registered at Pearson as a new starter on the Business programme.",
            by=eo,
        )

    def resolved():
        changes.verify_new_starter(_fresh(state["new_starter"]), by=qn)
        entry_check.resolve_discrepancy(_fresh(state["discrepancy"]), by=qn)

    script.on(day(11), 9, joins)
    script.on(day(12), 10, found)
    script.on(day(17), 9, answered, minute=30)
    script.on(day(18), 11, registered)
    script.on(day(19), 10, resolved)


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _export(registrations, centre, year: str) -> bytes:
    """An invented Edexcel Online export: one registration number per submitted learner."""
    out = io.StringIO()
    out.write("Registration Number,ULN,Candidate Number,Surname,Forename\r\n")
    for reg in registrations:
        learner = reg.learner
        number = f"{year[2:4]}{centre.number}{learner.candidate_number}"
        out.write(
            f"{number},{learner.uln},{learner.candidate_number},"
            f"{learner.last_name},{learner.first_name}\r\n"
        )
    return out.getvalue().encode()
