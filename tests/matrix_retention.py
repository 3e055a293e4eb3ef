"""The retention pages' part of the URL × role × centre matrix.

`fill` puts a legal hold (its note carrying the site's marker, so a list page that leaked
it would show it) and a record due for disposal at each matrix site; `makers` names the
hold-lift page's target.
"""

import datetime as dt

from accounts.roles import Role


def fill(world, key, site) -> None:
    from retention.models import LegalHold, RetentionItem

    site.extra["retention_item"] = RetentionItem.objects.create(
        kind="assessment.submission",
        object_id=900000 + site.learner.pk,
        centre=site.centre,
        learner_id=site.learner.pk,
        label=f"Matrix hand-in {site.marker}",
        clock_started_on=dt.date(2026, 1, 1),
        due_on=dt.date(2026, 4, 1),
    )
    site.extra["legal_hold"] = LegalHold.objects.create(
        centre=site.centre,
        learner_id=site.learner.pk,
        reason=LegalHold.Reason.APPEAL,
        note=f"Matrix hold {site.marker}",
        placed_by=world.user(key, Role.QUALITY_NOMINEE),
    )


def makers(site) -> dict:
    from retention.models import LegalHold

    return {
        "retention:hold_lift": site(lambda s: {"pk": s.extra["legal_hold"].pk}, LegalHold),
    }
