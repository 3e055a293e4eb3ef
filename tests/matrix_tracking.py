"""The assessment tracking pages' part of the URL × role × centre matrix.

`fill` adds this area's records to one matrix site (into `site.extra`); `makers` maps
each of this area's URL names to its targets, through the matrix's `site(make, model)`.
"""


def fill(world, key, site) -> None:
    """Add this area's records for centre `key` to `site.extra`: an import to confirm, and
    a series for the cohort's qualification (so its moderation record has one to show),
    with a component the site's learner is entered for."""
    import datetime as dt

    from accounts.roles import Role
    from assessment.models import ComponentEntry, TrackingImport
    from qualifications.models import AssessmentSeries, SeriesComponent, Unit

    series, _ = AssessmentSeries.objects.get_or_create(
        qualification=site.cohort.qualification,
        academic_year="2026/27",
        window=AssessmentSeries.Window.DEC_JAN,
        defaults={"marks_due": dt.date(2026, 12, 15)},
    )
    # A configured component with the site's learner entered, so the record page shows
    # its entry buttons (enter the class, withdraw) to the roles that may use them.
    unit = Unit.objects.filter(
        qualification=site.cohort.qualification, assessment=Unit.Assessment.INTERNAL
    ).first()
    if unit is not None:
        component, _ = SeriesComponent.objects.get_or_create(
            series=series, unit=unit, defaults={"max_mark": 60, "source": "matrix"}
        )
        ComponentEntry.objects.create(
            learner=site.learner,
            cohort=site.cohort,
            component=component,
            entered_by=world.user(key, Role.EXAMS_OFFICER),
        )

    site.extra["tracking_import"] = TrackingImport.objects.create(
        cohort=site.cohort,
        file_name="mx-tracking.csv",
        file_sha256="",
        status=TrackingImport.Status.PREVIEWED,
    )


def makers(site) -> dict:
    from assessment.models import TrackingImport
    from learners.models import Cohort

    def cohort(s):
        return {"pk": s.cohort.pk}

    return {
        **{
            name: site(cohort, Cohort)
            for name in (
                "assessment:tracking_sheet",
                "assessment:tracking_export",
                "assessment:tracking_sign_teacher",
                "assessment:tracking_sign_leader",
                "assessment:tracking_import",
                "assessment:moderation_record",
                "assessment:moderation_record_export",
                "assessment:moderation_record_mark",
                "assessment:moderation_record_enter",
                "assessment:moderation_record_withdraw",
            )
        },
        "assessment:tracking_import_confirm": site(
            lambda s: {"pk": s.extra["tracking_import"].pk}, TrackingImport
        ),
    }
