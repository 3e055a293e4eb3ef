"""The cohort's assessment record for moderation: each learner's marks per component in a
series (what Pearson's assessment record form or tracker holds), and whether each learner
is entered for each component in that series. A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from qualifications.models import SeriesComponent

from .models import ComponentEntry, ComponentMark
from .selectors_tracking import cohort_learners


@dataclass
class Cell:
    """One learner's component in the chosen series: the mark, and the entry status."""

    component: object  # SeriesComponent or None (not configured for the series)
    mark: object  # ComponentMark or None
    entry: object  # the live ComponentEntry, in this series or another, or None

    @property
    def entered_here(self) -> bool:
        return self.entry is not None and self.entry.component_id == getattr(
            self.component, "pk", None
        )

    @property
    def status(self) -> str:
        if self.entry is None:
            return "Not entered"
        if self.entered_here:
            return "Entered"
        return f"Entered for {self.entry.component.series}"

    @property
    def withdrawable(self) -> bool:
        return self.entered_here and self.mark is None


@dataclass
class Record:
    series: object
    components: list  # SeriesComponent or None per internal unit
    units: list
    rows: list  # (learner, [ComponentMark or None per unit])
    lines: list = None  # (learner, [Cell per unit])

    def not_entered(self) -> list:
        """Per unit, how many learners shown are entered for it in no series."""
        return [
            sum(1 for _lr, cells in self.lines if cells[i].entry is None)
            for i in range(len(self.units))
        ]

    def entered_learners(self) -> list:
        """Per unit, the learners shown who are entered for it in this series."""
        return [
            [lr for lr, cells in self.lines if cells[i].entered_here]
            for i in range(len(self.units))
        ]

    def headings(self) -> list[str]:
        out = ["ULN", "Candidate number", "Learner"]
        for u in self.units:
            out += [f"Component {u.number} raw mark", f"Component {u.number} grade"]
        return out

    def table(self) -> list[list]:
        out = []
        for learner, marks in self.rows:
            row = [
                learner.uln,
                learner.candidate_number,
                f"{learner.last_name}, {learner.first_name}",
            ]
            for m in marks:
                row += [m.raw_mark, m.grade] if m else ["", ""]
            out.append(row)
        return out

    @property
    def unconfirmed(self) -> list[str]:
        return [f"{c}: {c.unconfirmed}" for c in self.components if c and c.unconfirmed]


def assessment_record(cohort, series, *, user=None, perm=None) -> Record:
    from .services_tech_award import internal_components

    units = list(internal_components(series))
    configured = {
        c.unit_id: c
        for c in SeriesComponent.objects.filter(series=series).prefetch_related("boundaries")
    }
    learners = list(cohort_learners(cohort, user=user, perm=perm))
    marks = {
        (m.learner_id, m.component.unit_id): m
        for m in ComponentMark.objects.filter(
            cohort=cohort, component__series=series, learner__in=[lr.pk for lr in learners]
        ).select_related("component")
    }
    entries = {
        (e.learner_id, e.unit_id): e
        for e in ComponentEntry.objects.filter(
            learner__in=[lr.pk for lr in learners],
            unit__in=[u.pk for u in units],
            withdrawn_at__isnull=True,
        ).select_related("component__series")
    }
    components = [configured.get(u.pk) for u in units]
    rows = [(lr, [marks.get((lr.pk, u.pk)) for u in units]) for lr in learners]
    lines = [
        (
            lr,
            [
                Cell(c, m, entries.get((lr.pk, u.pk)))
                for u, c, m in zip(units, components, ms, strict=True)
            ],
        )
        for lr, ms in rows
    ]
    return Record(series, components, units, rows, lines)
