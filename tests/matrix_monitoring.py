"""The yearly policy monitoring report's part of the URL × role × centre matrix (see
tests/matrix_plans.py for the shape).

Each centre has its report on 2025/26, drafted from the world's records by its Quality
Nominee, an action written for each exception, and signed (sites at one centre share it):
so governors at the centre read it and its PDF, and every other role meets the signed
report's refusals."""

from accounts.roles import Role


def fill(world, key, site) -> None:
    from policies import services_monitoring as services
    from policies.models import PolicyMonitoringReport
    from signatures import services as signing

    from .factories import PASSWORD

    report = PolicyMonitoringReport.objects.filter(
        centre=site.centre, academic_year="2025/26"
    ).first()
    if report is None:
        qn = world.user(key, Role.QUALITY_NOMINEE)
        report = services.draft_report(site.centre, "2025/26", by=qn)
        services.save_actions(
            report,
            actions={c: f"Matrix action {c}" for c in services.missing_actions(report)},
            by=qn,
        )
        services.sign_report(
            report, by=qn, password=PASSWORD, seen_sha256=signing.current_sha256(report)
        )
        report.refresh_from_db()
    site.extra["monitoring_report"] = report


def makers(site) -> dict:
    from policies.models import PolicyMonitoringReport

    def report(s):
        return {"pk": s.extra["monitoring_report"].pk}

    return {
        name: site(report, PolicyMonitoringReport)
        for name in (
            "policies:monitoring_report",
            "policies:monitoring_actions",
            "policies:monitoring_redraft",
            "policies:monitoring_sign",
            "policies:monitoring_amend",
            "policies:monitoring_pdf",
        )
    }
