"""The learner dossier's part of the URL × role × centre matrix (see tests/matrix_plans.py).

The page is about a learner: each site's own learner. The "delivered" site is a partner's
learner taught at O: the dossier's DELIVERING reach lets O open it (each section then
shows only what its own permission reaches); no other centre but the home one."""


def fill(world, key, site) -> None:
    """Nothing to add: the page reads the site's learner and whatever records it has."""


def makers(site) -> dict:
    from learners.models import Learner

    def learner(s):
        return {"pk": s.learner.pk}

    return {
        "dossier:dossier": site(learner, Learner),
        "dossier:dossier_pdf": site(learner, Learner),
    }
