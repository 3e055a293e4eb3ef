"""External entries' part of the URL × role × centre matrix (see tests/matrix_claims.py).

The entries page and its file are about a cohort: each site's own cohort."""


def fill(world, key, site) -> None:
    """Nothing to add: the entries page reads the site's cohort as it is."""


def makers(site) -> dict:
    from learners.models import Cohort

    return {
        "claims:entries": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "claims:entries_save": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "claims:entries_xlsx": site(lambda s: {"pk": s.cohort.pk}, Cohort),
    }
