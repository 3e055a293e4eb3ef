"""The yearly claims audit in print: the PDF (summary, the table of every line with each
trace, the sample's findings, and the Quality Nominee's signature) and the XLSX."""

from __future__ import annotations

from django.utils import timezone
from reportlab.lib.units import mm

from documents.pdf import H2, DataTable, Document, facts, para, signed_block, unsigned_block
from documents.xlsx import Column, Sheet, xlsx_bytes

from .selectors_audit import Report, claim_label

FRAME_WIDTH = Document(title="", landscape=True).frame_size()[0]


def _facts(report: Report) -> list[tuple[str, str]]:
    a, n = report.audit, report.counts()
    return [
        ("Academic year", a.academic_year),
        ("Version", str(a.version)),
        ("Status", a.get_status_display()),
        ("Claims", str(n["claims"])),
        ("Claim lines", f"{n['lines']} ({n['lines_with_problems']} with a problem traced)"),
        (
            "Sample",
            f"{n['sampled']} lines ({a.sample_rate}%, at least {a.sample_minimum}; seed {a.seed})",
        ),
        (
            "Findings",
            f"{n['traced']} traced correctly, {n['problems_found']} problems, "
            f"{n['no_finding']} not yet recorded",
        ),
    ]


def _finding(s) -> str:
    if s is None:
        return ""
    if not s.finding:
        return "No finding yet"
    text = s.get_finding_display()
    if s.note:
        text += f": {s.note}"
    return text + (f". Action: {s.action}" if s.action else "")


def _table(report: Report) -> DataTable:
    """The PDF's table, narrower than the sheet: the claim, the learner, each trace, the
    sample and the finding; the trace columns share what is left of the landscape page."""
    fixed = [24 * mm, 32 * mm, 20 * mm, 18 * mm, 10 * mm, 16 * mm, 42 * mm]
    left = FRAME_WIDTH - sum(fixed)
    n = max(1, len(report.traces))
    widths = fixed[:5] + [left / n] * len(report.traces) + fixed[5:]
    rows = []
    for c in report.claims:
        label = claim_label(c.claim)
        if c.claim.status == c.claim.Status.SUPERSEDED:
            label += " (superseded)"
        for r in c.lines:
            rows.append(
                [
                    label,
                    f"{r.line.last_name}, {r.line.first_name}",
                    r.line.uln,
                    r.units,
                    r.line.award_grade,
                    *(("OK: " if t.ok else "Problem: ") + t.text for t in r.traces),
                    r.sampled.get_how_display() if r.sampled else "",
                    _finding(r.sampled),
                ]
            )
    headings = ["Claim", "Learner", "ULN", "Units", "Award"]
    headings += [t.title for t in report.traces] + ["Sampled", "Finding"]
    return DataTable(headings, rows, widths)


def audit_pdf(report: Report, signature=None) -> bytes:
    a = report.audit
    centre = a.centre
    story = [
        para(f"Claims audit {a.academic_year}", H2),
        facts(_facts(report)),
        para("Every claim line, traced", H2),
        _table(report),
    ]
    if signature is not None:
        story.append(signed_block(signature, heading="Signed off by the Quality Nominee"))
    else:
        story.append(
            unsigned_block(a.signing_statement, signer="Quality Nominee", heading="Sign-off")
        )
    return Document(
        title=f"Claims audit {a.academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=f"Claims audit {a.academic_year} · version {a.version}",
        landscape=True,
        printed=timezone.now(),
    ).build(story)


def audit_xlsx(report: Report) -> bytes:
    headings = report.headings()
    columns = [Column(h, 40) if h in {t.title for t in report.traces} else h for h in headings]
    summary = [[k, v] for k, v in _facts(report)]
    return xlsx_bytes(
        [
            Sheet("Claims audit", columns, report.table()),
            Sheet("Summary", ["What", "Figure"], summary),
        ]
    )
