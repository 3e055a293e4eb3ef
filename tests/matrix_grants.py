"""The Standards Verifier grants' part of the URL × role × centre matrix.

`fill` gives each site a grant at its centre to an SV of its own (named with the site's
marker, so a grant list showing another centre's grant is a leak); `makers` maps the grant
pages to it. The world's own Standards Verifier at each centre (one per role, like everyone)
holds a live grant that names no cohort: nothing exists for them (`_reachable`).
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


def makers(site) -> dict:
    from accounts.models import VerifierGrant

    return {
        name: site(lambda s: {"pk": s.extra["grant"].pk}, VerifierGrant)
        for name in ("accounts:grant_detail", "accounts:grant_revoke")
    }
