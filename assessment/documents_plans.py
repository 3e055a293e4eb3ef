"""The assessment plan as a PDF for the standards verifier: each unit's assignments,
criteria, methods, people and dates, and the signatures on it."""

from __future__ import annotations

from reportlab.lib.units import mm

from documents.pdf import H2, SMALL, DataTable, Document, facts, para, signed_block
from signatures import services as signing

from . import selectors_plans as selectors


def plan_pdf(plan) -> bytes:
    cohort = plan.cohort
    centre = cohort.centre
    rows = selectors.plan_rows(plan)
    units = selectors.internal_units(plan)
    story = [
        para(f"Assessment plan: {cohort.qualification.title}", H2),
        facts(
            [
                ("Centre", f"{centre.name} ({centre.number})"),
                ("Cohort", str(cohort)),
                ("Academic year", plan.academic_year),
                ("Status", plan.get_status_display()),
            ]
        ),
    ]
    for unit in units:
        story.append(para(f"Unit {unit.number}: {unit.title}", H2))
        mine = [r for r in rows if r.unit_id == unit.pk]
        if not mine:
            story.append(para("No assignment planned.", SMALL))
            continue
        story.append(
            DataTable(
                [
                    "Assignment",
                    "Criteria",
                    "Method",
                    "Assessor",
                    "Internal verifier",
                    "Brief IV'd by",
                    "Hand-out",
                    "Hand-in",
                    "Resubmission ends",
                    "Decisions IV'd by",
                ],
                [
                    [
                        r.title + (f" ({r.delivering_centre.name})" if r.delivering_centre else ""),
                        ", ".join(sorted(c.code for c in r.criteria.all())),
                        r.get_method_display(),
                        r.assessor.get_full_name() or r.assessor.username,
                        r.internal_verifier.get_full_name() or r.internal_verifier.username,
                        *(
                            d.strftime("%d/%m/%Y")
                            for d in (
                                r.brief_iv_by,
                                r.hand_out,
                                r.hand_in,
                                r.resubmission_by,
                                r.decisions_iv_by,
                            )
                        ),
                    ]
                    for r in mine
                ],
                [40 * mm, 30 * mm, 22 * mm, 26 * mm, 26 * mm] + [22 * mm] * 5,
            )
        )
    sigs = list(signing.signatures(plan).order_by("signed_at", "pk"))
    for s in sigs:
        story.append(signed_block(s, heading=f"Signed: {s.role_label}"))
    if not sigs:
        story.append(para("Not signed yet.", SMALL))
    return Document(
        title=f"Assessment plan: {cohort.qualification.title} {plan.academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=f"Assessment plan · {plan.academic_year}",
        landscape=True,
    ).build(story)
