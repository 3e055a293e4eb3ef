"""The Annual Quality Declaration and the arrangement reviews in the SV evidence pack.

Registered with verification's pack registry (`register_pack_part`), so the pack holds the
centre's declaration for the year, as the QN completed it and the head confirmed it, and
the reviews of any arrangement the cohort's centre takes part in, without the pack knowing
this app.
"""

from __future__ import annotations

from reportlab.lib.units import mm

from documents.pdf import H2, DataTable, facts, para
from verification.evidence_pack import (
    PackFile,
    pack_date,
    pack_pdf,
    pack_person,
    register_pack_part,
)


def _lines(values) -> str:
    return "; ".join(str(v) for v in values or []) or "—"


def declaration_part(cohort, academic_year):
    """The centre's Annual Quality Declaration (Annual Centre Declaration) for the year."""
    from .models import QualityDeclaration

    declaration = (
        QualityDeclaration.objects.filter(centre=cohort.centre, academic_year=academic_year)
        .select_related("completed_by", "submission_recorded_by")
        .prefetch_related("items")
        .first()
    )
    if declaration is None:
        return
    rows = [
        [
            item.clause,
            item.title,
            "Yes" if item.in_place else "No",
            _lines(item.evidence),
            _lines(item.gaps),
            item.note or "",
        ]
        for item in sorted(declaration.items.all(), key=lambda i: _key(i.clause))
    ]
    story = [
        facts(
            [
                ("Status", declaration.get_status_display()),
                ("Completed by", pack_person(declaration.completed_by)),
                ("Completed", pack_date(declaration.completed_at)),
                ("Submitted on Edexcel Online", pack_date(declaration.submitted_to_pearson_on)),
            ]
        ),
        para("The checklist", H2),
        DataTable(
            ["Clause", "Item", "In place", "Evidence", "Gaps", "Note"],
            rows,
            [14 * mm, 52 * mm, 16 * mm, 80 * mm, 56 * mm, 50 * mm],
        ),
    ]
    yield PackFile(
        "06-annual-quality-declaration/declaration.pdf",
        f"Annual Quality Declaration {academic_year} ({declaration.get_status_display()})",
        data=pack_pdf(cohort, academic_year, "Annual Quality Declaration", story),
    )


def reviews_part(cohort, academic_year):
    """The year's review of each collaborative arrangement the centre takes part in."""
    from django.db.models import Q

    from .models import ArrangementReview

    reviews = list(
        ArrangementReview.objects.filter(academic_year=academic_year)
        .filter(
            Q(arrangement__lead_centre=cohort.centre)
            | Q(arrangement__partners__centre=cohort.centre)
        )
        .distinct()
        .select_related("arrangement")
        .prefetch_related("attendance__centre", "actions")
        .order_by("held_on", "pk")
    )
    if not reviews:
        return
    rows = []
    for review in reviews:
        came = [a.centre.name for a in review.attendance.all() if a.attended]
        actions = [
            f"{a.description} ({a.owner}, due {pack_date(a.due_on)}"
            + (f", closed {pack_date(a.closed_on)})" if a.closed_on else ", open)")
            for a in review.actions.all()
        ]
        rows.append(
            [review.arrangement.name, pack_date(review.held_on), ", ".join(came), _lines(actions)]
        )
    story = [
        DataTable(
            ["Arrangement", "Held", "Attended", "Actions"],
            rows,
            [60 * mm, 22 * mm, 70 * mm, 116 * mm],
        )
    ]
    yield PackFile(
        "07-arrangement-reviews/reviews.pdf",
        f"{len(reviews)} arrangement reviews",
        data=pack_pdf(cohort, academic_year, "Arrangement reviews", story),
    )


def _key(clause: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))


register_pack_part("Annual Quality Declaration", declaration_part, order=60)
register_pack_part("Arrangement reviews", reviews_part, order=70)
