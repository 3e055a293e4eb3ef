"""The shipped grading tables: the "grading" part of each catalogue_data/*.json file.

Checked completely before anything is written (a bad figure stops the load, naming the
file, table and value), then applied by the catalogue loader in its transaction:

- a table that is not in the database yet is created, with its audit event;
- a shipped table the file now says differently is brought in line, audited;
- a table someone changed in the admin (`edited`) is left as it is and reported, since
  UNCONFIRMED figures are meant to be corrected from the specification there.

Tables in the database but not in the file are never deleted.
"""

from __future__ import annotations

from collections import Counter

import audit
from btecqa.validators import academic_year_problem

from .models import (
    UNIT_GRADE_RANK,
    EligibilityRule,
    GradeThreshold,
    GradingTable,
    Qualification,
    UnitGrade,
    UnitPoints,
    grading_rows,
)

KINDS = [k.value for k in GradingTable.Kind]
RULE_KINDS = [k.value for k in EligibilityRule.Kind]
NEEDS_MINIMUM = (EligibilityRule.Kind.GLH_AT_LEAST, EligibilityRule.Kind.COUNT_AT_LEAST)


def _rows(kind: str, spec: dict) -> list[dict]:
    """The file's table as grading_rows() gives the database's."""
    if kind == GradingTable.Kind.UNIT_POINTS:
        rows = [
            {"glh": size["glh"], "grade": grade, "points": size[grade]}
            for size in spec.get("points", [])
            for grade in UnitGrade.values
            if grade in size
        ]
        return sorted(rows, key=lambda r: (r["glh"], r["points"], r["grade"]))
    if kind == GradingTable.Kind.THRESHOLDS:
        return sorted(spec.get("grades", []), key=lambda r: r["min_points"])
    return [
        {
            "kind": r["kind"],
            "units": r.get("units", ""),
            "minimum_grade": r.get("minimum_grade", ""),
            "minimum": r.get("minimum"),
            "note": r.get("note", ""),
        }
        for r in spec.get("rules", [])
    ]


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def grading_problems(grading: dict, unit_numbers: set[str]) -> list[str]:
    """Every problem with a file's "grading" part, each naming its table and value."""
    problems = []
    for kind, specs in grading.items():
        if kind.startswith("_"):
            continue  # provenance notes for people
        if kind not in KINDS:
            problems.append(f"grading: unknown table kind '{kind}' (use {', '.join(KINDS)})")
            continue
        seen = set()
        for spec in specs:
            cohort = spec.get("from_cohort", "")
            where = f"grading {kind} from {cohort or '?'}"
            if problem := academic_year_problem(cohort):
                problems.append(f"{where}: from_cohort {problem}")
            if cohort in seen:
                problems.append(f"{where}: listed twice")
            seen.add(cohort)
            if not str(spec.get("source", "")).strip():
                problems.append(f"{where}: no source (say where the figures came from)")
            problems += [f"{where}: {p}" for p in _row_problems(kind, spec, unit_numbers)]
    return problems


def _row_problems(kind, spec, unit_numbers) -> list[str]:
    problems = []
    if kind == GradingTable.Kind.UNIT_POINTS:
        for size in spec.get("points", []):
            if not _whole(size.get("glh")) or not size.get("glh"):
                problems.append(f"unit size {size.get('glh')!r} is not a number of GLH")
            for key, value in size.items():
                if key != "glh" and key not in UNIT_GRADE_RANK:
                    problems.append(f"'{key}' is not a unit grade (U, N, P, M or D)")
                elif key != "glh" and not _whole(value):
                    problems.append(f"{size.get('glh')} GLH {key}: {value!r} is not points")
        return problems
    if kind == GradingTable.Kind.THRESHOLDS:
        grades = spec.get("grades", [])
        for row in grades:
            if not str(row.get("grade", "")).strip() or not _whole(row.get("min_points")):
                problems.append(f"threshold {row!r} needs a grade and whole minimum points")
        for name in ("grade", "min_points"):
            values = Counter(row.get(name) for row in grades)
            problems += [f"{name} {v!r} is listed twice" for v, n in values.items() if n > 1]
        return problems
    for rule in spec.get("rules", []):
        what = rule.get("kind")
        if what not in RULE_KINDS:
            problems.append(f"unknown rule kind {what!r} (use {', '.join(RULE_KINDS)})")
            continue
        grade = rule.get("minimum_grade", "")
        if what != EligibilityRule.Kind.COMPLETE and grade not in UNIT_GRADE_RANK:
            problems.append(f"rule {what}: minimum_grade {grade!r} is not U, N, P, M or D")
        if what in NEEDS_MINIMUM and not (_whole(rule.get("minimum")) and rule.get("minimum")):
            problems.append(f"rule {what}: needs a minimum (GLH or number of units)")
        numbers = [n.strip() for n in str(rule.get("units", "")).split(",") if n.strip()]
        if unknown := [n for n in numbers if n not in unit_numbers]:
            problems.append(f"rule {what}: not units of this qualification: {', '.join(unknown)}")
    return problems


def _create_rows(table: GradingTable, rows: list[dict]) -> None:
    if table.kind == GradingTable.Kind.UNIT_POINTS:
        UnitPoints.objects.bulk_create(UnitPoints(table=table, **r) for r in rows)
    elif table.kind == GradingTable.Kind.THRESHOLDS:
        GradeThreshold.objects.bulk_create(GradeThreshold(table=table, **r) for r in rows)
    else:
        EligibilityRule.objects.bulk_create(
            EligibilityRule(table=table, position=i, **r) for i, r in enumerate(rows)
        )


def _comparable(kind, rows):
    if kind == GradingTable.Kind.ELIGIBILITY:
        return rows
    return sorted(tuple(sorted(r.items())) for r in rows)


def apply_grading(qualification: Qualification, grading: dict, actor) -> tuple[Counter, list]:
    """Create or update the file's tables (call inside audit.batch()); see the docstring."""
    counts: Counter = Counter()
    kept: list[str] = []
    existing = {(t.kind, t.from_cohort): t for t in qualification.grading_tables.all()}
    for kind, specs in grading.items():
        if kind.startswith("_"):
            continue
        for spec in specs:
            header = {"source": spec["source"], "unconfirmed": spec.get("unconfirmed", "")}
            rows = _rows(kind, spec)
            table = existing.get((kind, spec["from_cohort"]))
            if table is None:
                table = GradingTable.objects.create(
                    qualification=qualification,
                    kind=kind,
                    from_cohort=spec["from_cohort"],
                    **header,
                )
                _create_rows(table, rows)
                audit.record(
                    actor,
                    "qualifications.grading_table.created",
                    table,
                    after={"from_cohort": table.from_cohort, **header, "rows": rows},
                )
                counts["grading_created"] += 1
                continue
            before_rows = grading_rows(table)
            before = {k: getattr(table, k) for k in header}
            same_rows = _comparable(kind, before_rows) == _comparable(kind, rows)
            if before == header and same_rows:
                continue
            if table.edited:
                kept.append(str(table))
                continue
            GradingTable.objects.filter(pk=table.pk).update(**header)
            if not same_rows:
                for related in (table.unit_points, table.thresholds, table.rules):
                    related.all().delete()
                _create_rows(table, rows)
            audit.record(
                actor,
                "qualifications.grading_table.updated",
                table,
                before={**before, "rows": before_rows},
                after={**header, "rows": rows},
            )
            counts["grading_updated"] += 1
    return counts, kept
