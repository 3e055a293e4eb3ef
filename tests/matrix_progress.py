"""The learner's progress record's part of the URL × role × centre matrix (see
tests/matrix_plans.py).

The page is about a learner: each site's own learner (the decisions area's assignment
gives it a programme to show). The "delivered" site is a partner's learner taught at O:
the page's DELIVERING reach lets O see it; no other centre but the home one."""


def fill(world, key, site) -> None:
    """Nothing to add: the page reads the site's learner, cohort and assignment as they are."""


def makers(site) -> dict:
    from learners.models import Learner

    def learner(s):
        return {"pk": s.learner.pk}

    return {
        "assessment:learner_progress": site(learner, Learner),
        "assessment:learner_progress_export": site(learner, Learner),
    }
