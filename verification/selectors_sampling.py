"""Reads for the IV sampling pages: the plan's items and the CAMERA coverage matrix
(domain.md 3.8: every assessor, unit, assignment and site, and the full range of grades,
internally verified). A fixed number of queries whatever the cohort's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .models_sampling import SampleItem
from .services_sampling import GRADES, cohort_work


@dataclass
class Cell:
    assignment: object
    assessor: str
    unit: str
    site: str
    method: str
    works: int = 0
    sampled: int = 0
    verified: int = 0
    grades: dict = field(default_factory=dict)  # grade -> (works, verified)

    @property
    def gap(self) -> bool:
        return self.works > 0 and self.verified == 0

    @property
    def grade_cells(self) -> list[dict]:
        out = []
        for g in GRADES:
            works, verified = self.grades.get(g, (0, 0))
            out.append({"grade": g, "works": works, "verified": verified,
                        "gap": works > 0 and verified == 0})  # fmt: skip
        return out


def plan_items(plan) -> list[SampleItem]:
    return list(
        SampleItem.objects.filter(plan=plan)
        .select_related("learner", "assignment__unit", "assignment__assessor", "iv_record")
        .order_by("assignment__unit__sort_key", "assignment__position", "assignment_id",
                  "learner__last_name", "learner__first_name", "stage")
    )  # fmt: skip


def coverage(plan) -> dict:
    """The CAMERA coverage for the plan's cohort over its year: one cell per assessor ×
    unit × assignment × site (each assignment has one of each), with the grade range, and
    which have IV (a sampled item whose IV record exists) and which are gaps; and the
    spread of Candidates, Assessors, Methods, Records and Locations, IV'd or not."""
    cw = cohort_work(plan, with_snapshots=False)
    verified_keys, sampled_keys = set(), set()
    for lid, aid, attempt, has_record in (
        SampleItem.objects.filter(plan=plan)
        .order_by()
        .values_list("learner_id", "assignment_id", "attempt", "iv_record__id")
    ):
        sampled_keys.add((lid, aid, attempt))
        if has_record is not None:
            verified_keys.add((lid, aid, attempt))
    cells: dict[int, Cell] = {}
    for a in sorted(cw.assignments.values(), key=lambda a: (a.unit.sort_key, a.position, a.pk)):
        cells[a.pk] = Cell(
            a,
            a.assessor.get_full_name() or a.assessor.username,
            f"Unit {a.unit.number}: {a.unit.title}",
            cw.site_of(a),
            a.get_method_display(),
        )
    grade_counts: dict[int, Counter] = defaultdict(Counter)
    grade_verified: dict[int, Counter] = defaultdict(Counter)
    dims = {k: defaultdict(lambda: [0, 0]) for k in ("sex", "age", "assessor", "method", "site")}
    learners_seen, learners_verified = set(), set()
    for key, work in cw.works.items():
        if not work.decided:
            continue
        cell = cells[work.assignment_id]
        v = key in verified_keys
        cell.works += 1
        cell.sampled += key in sampled_keys
        cell.verified += v
        grade_counts[work.assignment_id][work.grade] += 1
        grade_verified[work.assignment_id][work.grade] += v
        learners_seen.add(work.learner_id)
        if v:
            learners_verified.add(work.learner_id)
        for dim, value in (("assessor", cell.assessor), ("method", cell.method),
                           ("site", cell.site)):  # fmt: skip
            dims[dim][value][0] += 1
            dims[dim][value][1] += v
    for aid, cell in cells.items():
        cell.grades = {g: (grade_counts[aid][g], grade_verified[aid][g]) for g in GRADES}
    for lid in learners_seen:
        person = cw.learners.get(lid, {})
        for dim, value in (("sex", person.get("sex")), ("age", person.get("age_band"))):
            dims[dim][value][0] += 1
            dims[dim][value][1] += lid in learners_verified
    grade_totals = {
        g: (sum(c[g] for c in grade_counts.values()), sum(c[g] for c in grade_verified.values()))
        for g in GRADES
    }

    def rows(dim):
        return [
            {"value": k, "works": n, "verified": v, "gap": n > 0 and v == 0}
            for k, (n, v) in sorted(dims[dim].items(), key=lambda kv: str(kv[0]))
        ]

    cell_list = list(cells.values())
    return {
        "cells": cell_list,
        "gaps": [c for c in cell_list if c.gap],
        "grade_gaps": [(c, g["grade"]) for c in cell_list for g in c.grade_cells if g["gap"]],
        "grades": [
            {"grade": g, "works": n, "verified": v, "gap": n > 0 and v == 0}
            for g, (n, v) in grade_totals.items()
        ],
        "candidates": {"sex": rows("sex"), "age": rows("age")},
        "assessors": rows("assessor"),
        "methods": rows("method"),
        "locations": rows("site"),
        "records": {
            "works": sum(c.works for c in cell_list),
            "sampled": len(sampled_keys),
            "verified": len(verified_keys),
            "learners": len(learners_seen),
            "learners_verified": len(learners_verified),
        },
        "grade_names": GRADES,
    }
