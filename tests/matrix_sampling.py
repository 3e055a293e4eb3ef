"""The IV sampling pages' part of the URL × role × centre matrix (policy 000-3.2.1).

Each site gets an IV plan on its cohort for 2027/28 and one sampled item: the site's
learner on an assignment of that year's assessment plan (its own plan, so the plans
area's 2026/27 rows stay removable)."""

from accounts.roles import Role


def fill(world, key, site) -> None:
    from assessment.models import AssessmentPlan
    from verification.models_sampling import IVPlan, SampleItem

    from .factories import planned_row

    lead = world.user(key, Role.LEAD_IV)
    year = "2027/28"
    plan, _ = IVPlan.objects.get_or_create(
        cohort=site.cohort, academic_year=year, defaults={"created_by": lead}
    )
    later, _ = AssessmentPlan.objects.get_or_create(cohort=site.cohort, academic_year=year)
    row = planned_row(
        later,
        site.extra["dec_assignment"].unit,
        assessor=world.user(key, Role.ASSESSOR_IV),
        iv=lead,
        title="Matrix IV sampled task",
    )
    site.extra["iv_plan"] = plan
    site.extra["iv_item"] = SampleItem.objects.create(
        plan=plan,
        learner=site.learner,
        assignment=row,
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
