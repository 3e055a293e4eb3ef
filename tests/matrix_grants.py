"""The Standards Verifier grants' part of the URL × role × centre matrix.

`fill` gives each site a grant at its centre to an SV of its own (named with the site's
marker, so a grant list showing another centre's grant is a leak); `makers` maps the grant
pages to it. The world's own Standards Verifier at each centre (one per role, like everyone)
holds a live grant (tests/factories.py); at O it names the own site's cohort, so the SV
reads that cohort's records there and nothing else (`_reachable`); elsewhere it names none.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from accounts.models import VerifierGrant

    from .factories import UserFactory

    sv = UserFactory(
        username=f"mx_sv_{site.key}",
        last_name=site.marker,
        email=f"mx_sv_{site.key}@pearson.example",
    )
    grant = VerifierGrant.objects.create(
        centre=site.centre,
        user=sv,
        expires_on=dt.date(2027, 3, 31),
        granted_by=world.user(key, Role.QUALITY_NOMINEE),
    )
    grant.cohorts.set([site.cohort])
    site.extra["grant"] = grant
    if site.key == "own":  # the world's SV at O samples the own site's cohort
        sampling = VerifierGrant.objects.get(user=world.user(key, Role.STANDARDS_VERIFIER))
        sampling.cohorts.add(site.cohort)


def makers(site) -> dict:
    from accounts.models import VerifierGrant

    return {
        name: site(lambda s: {"pk": s.extra["grant"].pk}, VerifierGrant)
        for name in ("accounts:grant_detail", "accounts:grant_revoke")
    }
