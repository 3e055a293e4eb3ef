"""The IV sampling pages' part of the URL × role × centre matrix (policy 000-3.2.1).

Each site gets an IV plan on its cohort for 2026/27 and one sampled item: the site's
learner on the decisions area's assignment (filled before this module)."""

from accounts.roles import Role


def fill(world, key, site) -> None:
    from verification.models_sampling import IVPlan, SampleItem

    lead = world.user(key, Role.LEAD_IV)
    plan, _ = IVPlan.objects.get_or_create(
        cohort=site.cohort, academic_year="2026/27", defaults={"created_by": lead}
    )
    site.extra["iv_plan"] = plan
    site.extra["iv_item"] = SampleItem.objects.create(
        plan=plan,
        learner=site.learner,
        assignment=site.extra["dec_assignment"],
        reasons="matrix",
        sampled_by=lead,
    )


def makers(site) -> dict:
    from verification.models_sampling import IVPlan, SampleItem

    def plan(s):
        return {"pk": s.extra["iv_plan"].pk}

    return {
        **{
            name: site(plan, IVPlan)
            for name in (
                "verification:sampling_plan",
                "verification:sampling_build",
                "verification:sampling_item_add",
                "verification:sampling_coverage",
            )
        },
        "verification:sampling_item_remove": site(
            lambda s: {"pk": s.extra["iv_item"].pk}, SampleItem
        ),
    }
