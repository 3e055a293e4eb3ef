"""The yearly claims audit's report: every claim of the year, its lines, each trace's
answer for each line, the sample and its findings, and the counts.

A fixed number of queries whatever the number of claims: the claims (1), their lines with
their units (2), the sample (1) and each registered trace's own fixed number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from .audit_traces import ClaimTrace, Trace, claim_traces
from .models_audit import ClaimsAudit, ClaimsAuditLine
from .models_claims import Claim, ClaimLine, ClaimUnit
from .services_audit import AUDITED


@dataclass
class ReportLine:
    line: ClaimLine
    traces: list[Trace]
    sampled: ClaimsAuditLine | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.traces)

    @property
    def units(self) -> str:
        return ", ".join(f"{u.unit.number} {u.grade}" for u in self.line.units.all())


@dataclass
class ReportClaim:
    claim: Claim
    lines: list[ReportLine] = field(default_factory=list)


@dataclass
class Report:
    audit: ClaimsAudit
    traces: list[ClaimTrace]
    claims: list[ReportClaim]

    @property
    def lines(self) -> list[ReportLine]:
        return [line for c in self.claims for line in c.lines]

    @property
    def sample(self) -> list[ReportLine]:
        return [line for line in self.lines if line.sampled]

    def counts(self) -> dict:
        lines = self.lines
        sample = self.sample
        return {
            "claims": len(self.claims),
            "lines": len(lines),
            "lines_ok": sum(1 for r in lines if r.ok),
            "lines_with_problems": sum(1 for r in lines if not r.ok),
            "sampled": len(sample),
            "traced": sum(1 for r in sample if r.sampled.finding == "traced"),
            "problems_found": sum(1 for r in sample if r.sampled.finding == "problem"),
            "no_finding": sum(1 for r in sample if not r.sampled.finding),
            "per_trace": [
                (t.title, sum(1 for r in lines if not r.traces[i].ok))
                for i, t in enumerate(self.traces)
            ],
        }

    def headings(self) -> list[str]:
        return [
            "Claim",
            "Status",
            "Learner",
            "ULN",
            "Qualification",
            "Units",
            "Award",
            *(t.title for t in self.traces),
            "Sampled",
            "Finding",
            "Note",
            "Action",
        ]

    def table(self) -> list[list[str]]:
        rows = []
        for c in self.claims:
            for r in c.lines:
                s = r.sampled
                rows.append(
                    [
                        claim_label(c.claim),
                        c.claim.get_status_display(),
                        f"{r.line.last_name}, {r.line.first_name}",
                        r.line.uln,
                        r.line.qualification.number,
                        r.units,
                        r.line.award_grade,
                        *(("OK: " if t.ok else "Problem: ") + t.text for t in r.traces),
                        (s.get_how_display() if s else ""),
                        (s.get_finding_display() if s and s.finding else ""),
                        s.note if s else "",
                        s.action if s else "",
                    ]
                )
        return rows


def claim_label(claim: Claim) -> str:
    """Short, for a table's cell: "Final #12 v2"."""
    kind = {"interim": "Interim", "final": "Final", "fallback": "Fallback"}.get(claim.kind, "")
    return f"{kind} #{claim.pk}" + (f" v{claim.version}" if claim.version > 1 else "")


def audit_report(audit: ClaimsAudit) -> Report:
    claims = list(
        Claim.objects.filter(
            centre_id=audit.centre_id, academic_year=audit.academic_year, status__in=AUDITED
        )
        .select_related("cohort__qualification")
        .prefetch_related(
            Prefetch(
                "lines",
                ClaimLine.objects.select_related("qualification").prefetch_related(
                    Prefetch("units", ClaimUnit.objects.select_related("unit"))
                ),
            )
        )
        .order_by("cohort__qualification__title", "kind", "version", "pk")
    )
    sampled = {s.line_id: s for s in audit.sample.select_related("found_by")}
    line_ids = [line.pk for c in claims for line in c.lines.all()]
    traces = claim_traces()
    answers = [t.run(line_ids) for t in traces]
    out = []
    for c in claims:
        rc = ReportClaim(c)
        for line in c.lines.all():
            rc.lines.append(ReportLine(line, [a[line.pk] for a in answers], sampled.get(line.pk)))
        out.append(rc)
    return Report(audit, traces, out)
