"""The demo's assessment plans, told after this year's registration round.

In September the Lead IV plans each cohort's year; the Quality Nominee approves all but one,
which goes back with a row comment. For the approved plans the assessors write the briefs
and the internal verifiers check and sign them off, then the assessors sign them too; all
are issued but one, which is still waiting for its internal verifier. A second load finds
the plans and stops.
"""

import datetime as dt

DEMO_PASSWORD = "btecqa-demo-2026"  # the demo's one password (btecqa.demo.DEMO_PASSWORD)


def tell(clock, *, centres, cohorts, users, year, today) -> int:
    """Make this area's demo records as a centre would have them on `today`; return how many."""
    from assessment import services_briefs as briefs
    from assessment import services_plans as plans
    from assessment.checklists import CHECKLIST_KEYS
    from assessment.models import AssessmentPlan
    from signatures import services as signing
    from verification import services as lead_ivs
    from verification.models import LeadIVAppointment

    from .demo import DEMO_QUALIFICATIONS

    start = int(year[:4])
    planned_on = dt.date(start, 9, 10)
    if today < dt.date(start, 9, 22):
        return 0  # plans are written and approved in September
    mine = [c for c in cohorts.values() if c.covers(year)]
    if not mine or AssessmentPlan.objects.filter(cohort__in=mine, academic_year=year).exists():
        return 0
    liv, grace, qn = users["liv"], users["assessor"], users["qn"]
    created = 0
    with clock.at(dt.date(start, 9, 4), 9):
        for qual in {c.qualification for c in mine if c.centre == centres["lead"]}:
            if not LeadIVAppointment.objects.filter(
                centre=centres["lead"], qualification=qual, academic_year=year
            ).exists():
                lead_ivs.appoint_lead_iv(
                    centre=centres["lead"],
                    qualification=qual,
                    academic_year=year,
                    lead_iv=liv,
                    by=qn,
                    note="Standardised with Pearson's materials in the September INSET",
                )
                created += 1

    made = []
    for n, cohort in enumerate(sorted(mine, key=lambda c: (c.centre_id, c.start_year, c.pk))):
        with clock.at(planned_on, 10 + n % 6):
            plan = plans.start_plan(cohort, academic_year=year, by=liv)
            from assessment import selectors_plans

            for i, unit in enumerate(selectors_plans.internal_units(plan)):
                assessor, iv = (grace, liv) if i % 2 == 0 else (liv, grace)
                plans.save_assignment(
                    plan,
                    by=liv,
                    data={
                        "unit": unit,
                        "title": f"Unit {unit.number} assignment: {unit.title}"[:200],
                        "method": ["written_report", "practical", "presentation"][i % 3],
                        "assessor": assessor,
                        "internal_verifier": iv,
                        "brief_iv_by": dt.date(start, 9, 18),
                        "hand_out": dt.date(start, 9, 22) + dt.timedelta(weeks=4 * i),
                        "hand_in": dt.date(start, 10, 20) + dt.timedelta(weeks=4 * i),
                        "resubmission_by": dt.date(start, 11, 10) + dt.timedelta(weeks=4 * i),
                        "decisions_iv_by": dt.date(start, 11, 3) + dt.timedelta(weeks=4 * i),
                    },
                    criteria=list(unit.criteria.all()),
                )
                created += 1
            plan.refresh_from_db()
            plans.submit_plan(
                plan, by=liv, password=DEMO_PASSWORD, seen_sha256=signing.current_sha256(plan)
            )
        created += 1
        made.append(plan)

    for n, plan in enumerate(made):
        reviewer = qn if plan.cohort.centre == centres["lead"] else users["partner_qn"]
        with clock.at(dt.date(start, 9, 14), 11 + n % 5):
            plan.refresh_from_db()
            if n == len(made) - 1:
                first = plan.assignments.order_by("unit__sort_key", "pk").first()
                plans.return_plan(
                    plan,
                    by=reviewer,
                    comment="Spread the methods: IV sampling needs more than written reports.",
                    row_comments={first.pk: "Use a practical task for this unit."},
                )
            else:
                plans.approve_plan(
                    plan,
                    by=reviewer,
                    password=DEMO_PASSWORD,
                    seen_sha256=signing.current_sha256(plan),
                )
    approved = made[:-1]
    settled = today >= dt.date(start + 1, 1, 15)  # by spring the returned plan is settled
    if settled:
        plan = made[-1]
        reviewer = qn if plan.cohort.centre == centres["lead"] else users["partner_qn"]
        with clock.at(dt.date(start, 9, 21), 10):
            plan.refresh_from_db()
            row = plan.assignments.order_by("unit__sort_key", "pk").first()
            row.method = "practical"
            plans.save_assignment(
                plan,
                by=liv,
                data={f: getattr(row, f) for f in EDITED},
                criteria=list(row.criteria.all()),
                assignment=row,
            )
            plan.refresh_from_db()
            plans.submit_plan(
                plan, by=liv, password=DEMO_PASSWORD, seen_sha256=signing.current_sha256(plan)
            )
        with clock.at(dt.date(start, 9, 22), 10):
            plan.refresh_from_db()
            plans.approve_plan(
                plan, by=reviewer, password=DEMO_PASSWORD, seen_sha256=signing.current_sha256(plan)
            )
        approved = made
    waiting_left = not settled
    for plan in approved:
        plan.refresh_from_db()
        for row in plan.assignments.select_related("unit", "assessor", "internal_verifier"):
            with clock.at(dt.date(start, 9, 15), 14):
                version = briefs.save_brief(
                    row,
                    by=row.assessor,
                    scenario=f"You work for a local employer on {row.unit.title.lower()}.",
                    tasks="Task 1: research and report. Task 2: evaluate your findings.",
                    evidence="A written report with references.",
                    pearson_authorised=row.unit.sort_key % 2 == 0,
                )
            created += 1
            if (
                waiting_left
                and plan.cohort.start_year == year
                and plan.cohort.qualification.number == DEMO_QUALIFICATIONS[1]
            ):
                # one brief of this year's Applied Science intake still waits for its IV
                waiting_left = False
                continue
            brief = version.brief
            with clock.at(dt.date(start, 9, 17), 10):
                brief.refresh_from_db()
                briefs.verify_brief(
                    brief,
                    by=row.internal_verifier,
                    answers={k: True for k in CHECKLIST_KEYS},
                    actions_taken="Dates checked against the plan",
                    password=DEMO_PASSWORD,
                    seen_sha256=signing.current_sha256(brief),
                )
            with clock.at(dt.date(start, 9, 18), 11):
                brief.refresh_from_db()
                briefs.sign_brief_as_assessor(
                    brief,
                    by=row.assessor,
                    password=DEMO_PASSWORD,
                    seen_sha256=signing.current_sha256(brief),
                )
            with clock.at(dt.date(start, 9, 22), 9):
                brief.refresh_from_db()
                briefs.issue_brief(brief, by=row.assessor)
    return created


EDITED = (
    "unit",
    "title",
    "method",
    "assessor",
    "internal_verifier",
    "brief_iv_by",
    "hand_out",
    "hand_in",
    "resubmission_by",
    "decisions_iv_by",
)
