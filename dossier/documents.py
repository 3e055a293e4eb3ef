"""The dossier as PDF: the same sections and rows as the page, the chain check on top."""

from __future__ import annotations

from reportlab.lib.units import mm

from documents.pdf import H2, DataTable, Document, facts, para

WIDTHS = [30 * mm, 105 * mm, 40 * mm]


def dossier_pdf(dossier) -> bytes:
    learner = dossier.learner
    story = [
        facts(
            [
                ("Learner", f"{learner.last_name.upper()}, {learner.first_name}"),
                ("ULN", learner.uln or "—"),
                ("Audit trail", dossier.check.summary),
            ]
        )
    ]
    story += [para(problem) for problem in dossier.check.problems]
    for part in dossier.sections:
        story.append(para(part.title, H2))
        if part.rows:
            story.append(
                DataTable(
                    ["When", "What happened", "Who"],
                    [(r.when_text, r.what, r.who) for r in part.rows],
                    WIDTHS,
                )
            )
        else:
            story.append(para(part.empty_text))
    centre = learner.centre
    return Document(
        title="Learner dossier",
        centre=f"{centre.name} ({centre.number})",
        footer=f"Learner dossier: {learner.last_name.upper()}, {learner.first_name}",
    ).build(story)
