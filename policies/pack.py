"""The signed policy monitoring report in the SV evidence pack (verification's registry),
so the Standards Verifier, whose account reaches only the cohorts of their grant, receives
the centre's report as Pearson asks for it in the autumn: the latest signed version on
the pack's year or, made in the autumn, on the year before."""

from __future__ import annotations

from verification.evidence_pack import PackFile, register_pack_part


def monitoring_part(cohort, academic_year):
    from verification.evidence_pack import pack_pdf

    from .documents_monitoring import report_story
    from .models_monitoring import PolicyMonitoringReport
    from .services_monitoring import previous_year, signature_of

    report = (
        PolicyMonitoringReport.objects.filter(
            centre=cohort.centre,
            academic_year__in=(academic_year, previous_year(academic_year)),
            status=PolicyMonitoringReport.Status.SIGNED,
        )
        .select_related("centre")
        .order_by("-academic_year", "-version")
        .first()
    )
    if report is None:
        return
    clauses = list(report.clauses.order_by("position", "pk"))
    story = report_story(report, clauses, signature_of(report))
    yield PackFile(
        "08-policy-monitoring/monitoring-report.pdf",
        f"Policy monitoring report {report.academic_year} (version {report.version}, signed)",
        data=pack_pdf(cohort, academic_year, "Policy monitoring report", story),
    )


register_pack_part("Policy monitoring report", monitoring_part, order=80)
