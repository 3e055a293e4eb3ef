"""The demo's Annual Quality Declaration and the consortium's yearly review.

Early in the window the lead centre's Quality Nominee starts this year's declaration and
answers the items he can vouch for today (the Lead IVs, and the items kept outside
btecqa), leaving the rest as a draft whose checklist names its gaps. Late in September the
consortium's review meeting is held with the partner's Quality Nominee, and one action is
left open. Loaded after the window, the declaration was completed on 10 October and
confirmed by the Head of Centre on the 12th. A second load finds the declaration and stops.
"""

import datetime as dt


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from declarations import services
    from declarations.models import QualityDeclaration

    start = int(year[:4])
    started_on = dt.date(start, 9, 2)
    lead, partner = centres["lead"], centres["partner"]
    if today <= started_on:
        return 0
    if QualityDeclaration.objects.filter(centre=lead, academic_year=year).exists():
        return 0
    qn = users["qn"]
    created = 0
    with clock.at(started_on, 9):
        declaration = services.start_declaration(centre=lead, academic_year=year, by=qn)
        created += 1
    with clock.at(min(today, dt.date(start, 9, 12)), 15):
        services.save_items(
            declaration,
            values={
                "3.1.4": (True, "Lead IVs identified at the September department meeting."),
                "3.1.7": (True, "The consortium's QA folders are shared with both centres."),
                "3.1.8": (True, "Progress and achievement are read from the MIS and btecqa."),
                "3.1.10": (
                    False,
                    "Retention schedule under review by governors: not yet confirmed.",
                ),
            },
            by=qn,
        )
    created += _review(clock, lead, partner, qn, year, today)
    if today > dt.date(start, 10, 12):  # past the window: completed and confirmed in time
        _complete_and_confirm(clock, declaration, users, start)
    return created


def _complete_and_confirm(clock, declaration, users, start) -> None:
    """Before Pearson's deadline the QN answers the rest and completes it; the head signs."""
    from declarations import checks, services
    from signatures import services as signing

    from .demo_plans import DEMO_PASSWORD

    answered = {i.clause for i in declaration.items.exclude(note="")}
    with clock.at(dt.date(start, 10, 10), 11):
        declaration = services.save_items(
            declaration,
            values={
                c.clause: (True, "Checked at the Quality Nominee's October review.")
                for c in checks.all_checks()
                if c.clause not in answered
            },
            by=users["qn"],
        )
        declaration = services.complete_declaration(declaration, by=users["qn"])
    with clock.at(dt.date(start, 10, 12), 9):
        services.confirm_declaration(
            declaration,
            user=users["head"],
            password=DEMO_PASSWORD,
            seen_sha256=signing.current_sha256(declaration),
        )


def _review(clock, lead, partner, qn, year, today) -> int:
    from centres.models import CollaborativeArrangement
    from declarations import services

    start = int(year[:4])
    arrangement = CollaborativeArrangement.objects.filter(lead_centre=lead).order_by("pk").first()
    if arrangement is None:
        return 0
    held_on = min(dt.date(start, 9, 25), today - dt.timedelta(days=1))
    with clock.at(held_on, 16):
        review = services.record_review(
            arrangement,
            academic_year=year,
            held_on=held_on,
            minutes=(
                "Reviewed last year's Business results at both sites and the SV report. "
                "Agreed one IV sample across the two sites for Unit 2, and that the partner's "
                "assessors attend the lead's standardisation in the spring term."
            ),
            attendance=[
                (lead, True, "Tomas Whitacre (QN), Daniel Osterby (Lead IV)"),
                (partner, True, "Owen Pellow (QN)"),
            ],
            by=qn,
        )
        services.add_review_action(
            review,
            description="Send the partner's Unit 2 work for the shared IV sample",
            owner="Owen Pellow, Kestrel Moor School",
            due_on=held_on + dt.timedelta(days=30),
            by=qn,
        )
    return 2
