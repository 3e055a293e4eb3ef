"""The cohort's assessment record for moderation: each learner's marks per component in a
series (what Pearson's assessment record form or tracker holds). A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from qualifications.models import SeriesComponent

from .models import ComponentMark
from .selectors_tracking import cohort_learners


@dataclass
class Record:
    series: object
    components: list  # SeriesComponent or None per internal unit
    units: list
    rows: list  # (learner, [ComponentMark or None per unit])

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
    rows = [(lr, [marks.get((lr.pk, u.pk)) for u in units]) for lr in learners]
    return Record(series, [configured.get(u.pk) for u in units], units, rows)
