"""The claims pages' part of the URL × role × centre matrix (see tests/matrix_plans.py).

The readiness page is about a cohort: each site's own cohort, no records of its own."""


def fill(world, key, site) -> None:
    """Nothing to add: the readiness page reads the site's cohort as it is."""


def makers(site) -> dict:
    from learners.models import Cohort

    return {"claims:readiness": site(lambda s: {"pk": s.cohort.pk}, Cohort)}
