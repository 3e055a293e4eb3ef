"""The demo's registration round, left part-way through so a newcomer sees every state.

Business (lead centre): proposed, entered, returned and signed by the programme
leader. Applied Science (lead centre): returned, awaiting the signature. The
partner centre's round is open with its entry request outstanding. The Quality
Nominee's entry check is started, with one discrepancy open (a new starter who
joined the Business group after the list was signed). Each step goes through
the same services the pages use, so the demo's history is real history.
"""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from registrations import entry_check, services
from registrations.models import CentreCalendar, EntryList, RegistrationRound


def _last_monday_of_october(year: int) -> dt.date:
    day = dt.date(year, 10, 31)
    return day - dt.timedelta(days=day.weekday())


def _first_weekday_of_september(year: int) -> dt.date:
    day = dt.date(year, 9, 1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def load_demo_round(*, centres, cohorts, users, year: str, today: dt.date, password: str) -> int:
    """Returns how many things it created (0 on a second run)."""
    created = 0
    call_command("load_registration_years", verbosity=0)
    start = int(year[:4])
    for centre in centres.values():
        _, new = CentreCalendar.objects.get_or_create(
            centre=centre,
            academic_year=year,
            defaults={
                "term_starts": _first_weekday_of_september(start),
                "october_half_term_starts": _last_monday_of_october(start),
            },
        )
        created += new
    if RegistrationRound.objects.filter(centre=centres["lead"], academic_year=year).exists():
        return created

    eo, pl = users["eo"], users["pl"]
    lead_round = services.open_round(centre=centres["lead"], academic_year=year, by=eo)
    due = today + dt.timedelta(days=10)
    lists = {}
    for key in sorted(k for k in cohorts if k[0] == "lead"):
        cohort = cohorts[key]
        req = services.request_entries(lead_round, cohort=cohort, due_date=due, by=eo)
        group = cohort.teaching_groups.first()
        for learner in group.learners.order_by("last_name", "first_name"):
            services.propose_entry(req, learner=learner, by=pl)
        services.finish_proposals(req, by=pl)
        entry_list = services.entry_list_for(cohort, lead_round)
        services.make_entries(entry_list, registrations=list(cohort.registrations.all()), by=eo)
        services.return_entry_list(entry_list, by=eo)
        lists[key] = EntryList.objects.get(pk=entry_list.pk)
        created += 1

    business = lists[min(lists)]
    from signatures.services import current_sha256

    services.sign_entry_list(
        business, user=pl, password=password, seen_sha256=current_sha256(business)
    )

    # A learner who joined the Business group after the list was signed: the Quality
    # Nominee's check finds them in a class list with no entry.
    from learners.models import Learner

    from .demo import demo_uci, demo_uln

    group = business.cohort.teaching_groups.first()
    late, _ = Learner.objects.get_or_create(
        centre=centres["lead"],
        candidate_number="0990",
        defaults={
            "first_name": "Nadia",
            "last_name": "Quennell",
            "date_of_birth": dt.date(2009, 6, 11),
            "sex": "F",
            "uln": demo_uln(990),
            "uci": demo_uci(centres["lead"].number, year[2:4], "0990"),
            "admission_number": "L1990",
        },
    )
    group.learners.add(late)
    check = entry_check.start_entry_check(lead_round, by=users["qn"])
    entry_check.run_entry_check(check, by=users["qn"])

    partner_round = services.open_round(
        centre=centres["partner"], academic_year=year, by=users["partner_eo"]
    )
    for key in (k for k in cohorts if k[0] == "partner"):
        services.request_entries(
            partner_round, cohort=cohorts[key], due_date=due, by=users["partner_eo"]
        )
    created += 2
    return created
