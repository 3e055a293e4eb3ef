"""The Annual Quality Declaration's and the arrangement reviews' part of the URL × role ×
centre matrix (see tests/matrix_plans.py for the shape).

Each centre has one declaration for 2026/27, completed by its Quality Nominee (so a version
exists and the Head of Centre's confirm form shows); the world's arrangement (led by O) has
one review with one open action.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from declarations import checks, services
    from declarations.models import QualityDeclaration

    qn = world.user(key, Role.QUALITY_NOMINEE)
    declaration = QualityDeclaration.objects.filter(
        centre=site.centre, academic_year="2026/27"
    ).first()
    if declaration is None:
        declaration = services.start_declaration(centre=site.centre, academic_year="2026/27", by=qn)
        services.save_items(
            declaration,
            values={c.clause: (True, "Matrix note") for c in checks.all_checks()},
            by=qn,
        )
        declaration = services.complete_declaration(declaration, by=qn)
    site.extra["declaration"] = declaration

    review = getattr(world, "_mx_review", None)
    if review is None:
        lead_qn = world.user("O", Role.QUALITY_NOMINEE)
        review = world._mx_review = services.record_review(
            world.arrangement,
            academic_year="2026/27",
            held_on=dt.date(2026, 9, 15),
            minutes="Matrix review minutes",
            attendance=[(world.O, True, "QN"), (world.P, True, "QN")],
            by=lead_qn,
        )
        world._mx_review_action = services.add_review_action(
            review,
            description="Matrix action",
            owner="Matrix owner",
            due_on=dt.date(2026, 10, 30),
            by=lead_qn,
        )
    site.extra["review"] = review
    site.extra["review_action"] = world._mx_review_action


def makers(site) -> dict:
    from centres.models import CollaborativeArrangement
    from declarations.models import ArrangementReview, QualityDeclaration, ReviewAction

    def declaration(s):
        return {"pk": s.extra["declaration"].pk}

    def at_lead(make, model):
        """The review belongs to the arrangement O leads: the targets whose home is O."""
        return [(t, c) for t, c in site(make, model) if t.home == "O"]

    return {
        **{
            name: site(declaration, QualityDeclaration)
            for name in (
                "declarations:declaration_detail",
                "declarations:declaration_items",
                "declarations:declaration_complete",
                "declarations:declaration_confirm",
                "declarations:declaration_submitted",
            )
        },
        "declarations:declaration_version": site(
            lambda s: {"pk": s.extra["declaration"].pk, "number": 1}, QualityDeclaration
        ),
        "declarations:review_add": at_lead(
            lambda s: {"arrangement": s.extra["review"].arrangement_id}, CollaborativeArrangement
        ),
        **{
            name: at_lead(lambda s: {"pk": s.extra["review"].pk}, ArrangementReview)
            for name in ("declarations:review_detail", "declarations:review_action_add")
        },
        "declarations:review_action_close": at_lead(
            lambda s: {"pk": s.extra["review"].pk, "action": s.extra["review_action"].pk},
            ReviewAction,
        ),
    }
