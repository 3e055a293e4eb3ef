"""The yearly policy monitoring report in print, for Pearson: the clauses with their status,
evidence, exceptions and actions, and the Quality Nominee's signature (documents toolkit)."""

from __future__ import annotations

from django.utils import timezone
from reportlab.lib.units import mm

from documents.pdf import H2, DataTable, Document, facts, para, signed_block, unsigned_block

from .models_monitoring import PolicyMonitoringReport

WIDTHS = [20 * mm, 56 * mm, 22 * mm, 62 * mm, 66 * mm, 44 * mm]


def _lines(values) -> str:
    return "; ".join(str(v) for v in values or []) or "—"


def report_story(report: PolicyMonitoringReport, clauses, signature=None) -> list:
    tally: dict[str, int] = {}
    for c in clauses:
        tally[c.get_status_display()] = tally.get(c.get_status_display(), 0) + 1
    pairs = [
        ("Academic year monitored", report.academic_year),
        ("Version", str(report.version)),
        ("Status", report.get_status_display()),
        ("Clauses", ", ".join(f"{k}: {v}" for k, v in sorted(tally.items())) or "none"),
        ("Drafted from the records", f"{timezone.localtime(report.drafted_at):%d/%m/%Y %H:%M}"),
    ]
    if report.reason:
        pairs.append(("Why this version", report.reason))
    rows = [
        [
            c.clause,
            c.text,
            c.get_status_display(),
            _lines(c.evidence),
            _lines(c.exceptions),
            c.action or "",
        ]
        for c in clauses
    ]
    story = [
        para("Collaborative arrangements policy: yearly monitoring (section 4)", H2),
        facts(pairs),
        para("The clauses", H2),
        DataTable(
            ["Clause", "What it asks", "Status", "Evidence", "Exceptions", "Action"], rows, WIDTHS
        ),
    ]
    if signature is not None:
        story.append(signed_block(signature, heading="Signed by the Quality Nominee"))
    else:
        story.append(
            unsigned_block(
                report.signing_statement, signer="Quality Nominee", heading="Not yet signed"
            )
        )
    return story


def report_pdf(report: PolicyMonitoringReport, clauses, signature=None) -> bytes:
    centre = report.centre
    return Document(
        title=f"Policy monitoring report {report.academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=f"Policy monitoring report {report.academic_year} · version {report.version}",
        landscape=True,
        preview=signature is None,
        preview_note="DRAFT: not yet signed by the Quality Nominee",
        printed=timezone.now(),
    ).build(report_story(report, clauses, signature))


def file_name(report: PolicyMonitoringReport) -> str:
    year = report.academic_year.replace("/", "-")
    return f"policy-monitoring-{report.centre.number}-{year}-v{report.version}.pdf"
