"""The governors' annual report as a chart per section and the table of the same numbers,
for the page (an SVG image) and the PDF (documents/). Counts only: no learner appears."""

from documents.charts import bar_chart, svg_data_uri
from documents.pdf import H2, DataTable, Document, para

from .selectors import AnnualReport, ReportSection


def section_chart(section: ReportSection, years, *, width=None):
    kwargs = {"width": width} if width else {}
    return bar_chart(
        list(years),
        {row.label: row.totals for row in section.rows},
        title=f"{section.title}: all centres shown",
        value_label="count",
        **kwargs,
    )


def section_svg(section: ReportSection, years) -> str:
    return svg_data_uri(section_chart(section, years))


def table_rows(report: AnnualReport, section: ReportSection) -> list[list[str]]:
    """Each measure for each centre, then (with several centres) the total."""
    rows = []
    for row in section.rows:
        for centre, values in row.by_centre:
            rows.append([row.label, f"{centre.name} ({centre.number})", *map(str, values)])
        if len(row.by_centre) > 1:
            rows.append([row.label, "All centres shown", *map(str, row.totals)])
    return rows


def annual_report_pdf(report: AnnualReport) -> bytes:
    names = ", ".join(f"{c.name} ({c.number})" for c in report.centres)
    doc = Document(
        title=f"Governors' annual report {report.years[0]} to {report.years[-1]}",
        centre=names if len(report.centres) == 1 else f"{len(report.centres)} centres",
        footer="Governors' annual report: counts only, no learner's details",
    )
    width = doc.frame_size()[0]
    story = [
        para(
            f"Centres: {names or 'none'}. Each measure by academic year, "
            f"{', '.join(report.years)}. Counts only: this report names no learner."
        )
    ]
    for section in report.sections:
        story.append(para(section.title, H2))
        story.append(section_chart(section, report.years, width=width))
        story.append(
            DataTable(
                ["Measure", "Centre", *report.years],
                table_rows(report, section),
                [
                    width * 0.42,
                    width * 0.28,
                    *[width * 0.30 / len(report.years)] * len(report.years),
                ],
            )
        )
    return doc.build(story)
