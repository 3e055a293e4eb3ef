"""The policy register's part of the URL × role × centre matrix (policy 000-4).

Each site gets a policy whose title carries the site's marker (so the register and the
export are searched for other centres' policies), with version 1 and its file.
"""

from accounts.roles import Role


def fill(world, key, site) -> None:
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from policies import services

    site.extra["policy"] = policy = services.add_policy(
        centre=site.centre,
        title=f"{site.marker} appeals policy",
        coordinator=world.user(key, Role.EXAMS_OFFICER),
        sub_committee="Curriculum",
        reviewed_on=dt.date(2026, 3, 2),
        next_review=dt.date(2027, 3, 1),
        upload=SimpleUploadedFile("mx.pdf", b"%PDF-1.4 matrix policy"),
        by=world.user(key, Role.QUALITY_NOMINEE),
    )
    site.extra["policy_version"] = policy.latest_version()


def makers(site) -> dict:
    from policies.models import Policy, PolicyVersion

    def policy(s):
        return {"pk": s.extra["policy"].pk}

    def version(s):
        return {"pk": s.extra["policy_version"].pk}

    return {
        **{
            name: site(policy, Policy)
            for name in (
                "policies:policy_detail",
                "policies:policy_edit",
                "policies:policy_review",
                "policies:policy_monitor",
            )
        },
        **{
            name: site(version, PolicyVersion)
            for name in (
                "policies:version_edit",
                "policies:version_sign",
                "policies:version_chair",
                "policies:version_file",
            )
        },
    }
