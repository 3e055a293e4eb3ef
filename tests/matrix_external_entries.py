"""External entries' part of the URL × role × centre matrix (see tests/matrix_claims.py).

The entries page and its file are about a cohort: each site's own cohort."""


def fill(world, key, site) -> None:
    """A live entry for the site's learner on an external unit of the site's cohort: the
    withdraw button's target (a post that is allowed withdraws it, once)."""
    from accounts.roles import Role
    from claims.models import ExternalEntry
    from qualifications.models import Unit

    unit = Unit.objects.create(
        qualification=site.cohort.qualification,
        number=f"X{site.learner.pk}",
        title="Matrix exam",  # the catalogue is shared: no site marker
        glh=60,
        assessment="external",
    )
    site.extra["external_entry"] = ExternalEntry.objects.create(
        learner=site.learner,
        cohort=site.cohort,
        unit=unit,
        academic_year="2026/27",
        series="May/June 2027",
        entered_by=world.user(key, Role.EXAMS_OFFICER),
    )


def makers(site) -> dict:
    from claims.models import ExternalEntry
    from learners.models import Cohort

    return {
        "claims:entries": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "claims:entries_save": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "claims:entries_xlsx": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "claims:entry_withdraw": site(
            lambda s: {"pk": s.extra["external_entry"].pk}, ExternalEntry
        ),
    }
