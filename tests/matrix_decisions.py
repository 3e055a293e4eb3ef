"""The assessment decisions pages' part of the URL × role × centre matrix.

`fill` adds this area's records to one matrix site (into `site.extra`); `makers` maps
each of this area's URL names to its targets, through the matrix's `site(make, model)`.
Each site gets an assignment on its cohort assessed by the site centre's Assessor/IV and
verified by its Lead IV, so the record and verify rules are exercised at every centre.
"""

from accounts.roles import Role


def fill(world, key, site) -> None:
    """Add this area's records for centre `key` to `site.extra`."""
    from tests.factories import decisions_assignment

    site.extra["dec_assignment"] = decisions_assignment(
        cohort=site.cohort,
        assessor=world.user(key, Role.ASSESSOR_IV),
        iv=world.user(key, Role.LEAD_IV),
        title=f"Matrix task {site.key}",
    )


def makers(site) -> dict:
    from assessment.models import PlannedAssignment

    def assignment(s):
        return {"pk": s.extra["dec_assignment"].pk}

    def learner(s):
        return {"pk": s.extra["dec_assignment"].pk, "learner": s.learner.pk}

    return {
        "assessment:decisions_grid": site(assignment, PlannedAssignment),
        "assessment:decisions_learner": site(learner, PlannedAssignment),
        "assessment:decisions_verify": site(learner, PlannedAssignment),
        "assessment:decisions_resubmission": site(learner, PlannedAssignment),
        "assessment:decisions_retake": site(learner, PlannedAssignment),
        # GET and POST by AGREE_EXTENSIONS: the assignment's assessor (the site's
        # Assessor/IV) or a Lead IV at the cohort's centre; any other role 403.
        "assessment:decisions_extension": site(learner, PlannedAssignment),
    }
