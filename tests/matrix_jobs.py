"""The background jobs' part of the URL × role × centre matrix (see tests/matrix_plans.py).

`fill` asks for each site's cohort audit-trail report and runs it, so the job page, its
progress fragment and its download all have a finished job; the cohort's "build the
report" and "print the registration letters" buttons are about the site's cohort."""


def fill(world, key, site) -> None:
    from accounts.roles import Role
    from jobs import services
    from learners.jobs_kinds import COHORT_AUDIT_REPORT

    job, _ = services.request_job(
        COHORT_AUDIT_REPORT,
        by=world.user(key, Role.EXAMS_OFFICER),
        centre=site.centre,
        cohort=site.cohort,
        params={"cohort": site.cohort.pk, "format": "xlsx"},
    )
    services.run_job(job.pk)
    site.extra["job"] = job


def makers(site) -> dict:
    from jobs.models import Job
    from learners.models import Cohort
    from verification.models import SVVisit

    return {
        **{
            name: site(lambda s: {"pk": s.extra["job"].pk}, Job)
            for name in ("jobs:job_detail", "jobs:job_progress", "jobs:job_download")
        },
        "learners:cohort_audit_report": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "registrations:cohort_letters": site(lambda s: {"pk": s.cohort.pk}, Cohort),
        "verification:sv_pack_job": site(lambda s: {"pk": s.extra["sv_visit"].pk}, SVVisit),
    }
