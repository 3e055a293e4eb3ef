"""The standards verification pages' part of the URL × role × centre matrix.

`fill` adds a visit with a sample and an action to one matrix site (into `site.extra`);
`makers` maps each SV URL name to its targets, through the matrix's `site(make, model)`.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from verification.models import SVAction, SVSample, SVVisit

    lead = world.user(key, Role.LEAD_IV)
    visit = SVVisit.objects.create(
        cohort=site.cohort,
        academic_year="2026/27",
        verifier_name=f"Verifier {site.marker}",
        route="standard",
        status="not_yet_sampled",
        created_by=lead,
    )
    site.extra["sv_visit"] = visit
    site.extra["sv_sample"] = SVSample.objects.create(visit=visit, number=1, requested_by=lead)
    site.extra["sv_action"] = SVAction.objects.create(
        visit=visit,
        description=f"Matrix action {site.marker}",
        owner=world.user(key, Role.ASSESSOR_IV),
        due_on=dt.date(2026, 10, 30),
        created_by=lead,
    )


def makers(site) -> dict:
    from verification.models import SVAction, SVSample, SVVisit

    def visit(s):
        return {"pk": s.extra["sv_visit"].pk}

    return {
        **{
            name: site(visit, SVVisit)
            for name in (
                "verification:sv_detail",
                "verification:sv_allocation",
                "verification:sv_route",
                "verification:sv_status",
                "verification:sv_sample",
                "verification:sv_action_add",
                "verification:sv_pack",
            )
        },
        **{
            name: site(lambda s: {"pk": s.extra["sv_sample"].pk}, SVSample)
            for name in ("verification:sv_learners", "verification:sv_submitted")
        },
        "verification:sv_action_close": site(lambda s: {"pk": s.extra["sv_action"].pk}, SVAction),
    }
