"""The certification claims' part of the URL × role × centre matrix (see tests/matrix_sv.py).

`fill` adds one draft interim claim to the site's cohort; the cohort's claims list and
prepare form are about the cohort itself."""

from accounts.roles import Role


def fill(world, key, site) -> None:
    from claims.models import Claim

    site.extra["claim"] = Claim.objects.create(
        centre=site.cohort.centre,
        cohort=site.cohort,
        academic_year="2026/27",
        kind=Claim.Kind.INTERIM,
        created_by=world.user(key, Role.EXAMS_OFFICER),
    )


def makers(site) -> dict:
    from claims.models import Claim
    from learners.models import Cohort

    def claim(s):
        return {"pk": s.extra["claim"].pk}

    def cohort(s):
        return {"pk": s.cohort.pk}

    return {
        "claims:cohort_claims": site(cohort, Cohort),
        "claims:claim_prepare": site(cohort, Cohort),
        **{
            name: site(claim, Claim)
            for name in (
                "claims:claim_detail",
                "claims:claim_approve",
                "claims:claim_submit",
                "claims:claim_amend",
                "claims:claim_file",
            )
        },
    }
