"""Reading the class grid's one POST, and the small forms of the learner's record.

The grid's inputs are named per cell: `c-<learner id>-<criterion id>` (achieved, not yet,
blank), and per row: `ld-<id>` / `ad-<id>` (the learner's / the assessor's authenticity
declaration), `sub-<id>` (hand-in date), `fb-<id>` (feedback) and `why-<id>` (the reason
for changing a verified decision). Only the rows posted (`row` values) are read.
The extension page has its own small form (a date and the reason).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from btecqa.forms import Form

from .services_decisions import CELL_VALUES, Problem, RowInput, name_of


def _date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_grid(post, learners, criteria) -> tuple[dict[int, RowInput], dt.date, list[Problem]]:
    """The posted rows for the learners shown, the decision date, and input problems."""
    problems: list[Problem] = []
    by_id = {str(learner.pk): learner for learner in learners}
    try:
        decided_on = _date(post.get("decided_on", "")) or timezone.localdate()
    except ValueError:
        problems.append(Problem("Decision date", "", "enter a date as dd/mm/yyyy."))
        decided_on = timezone.localdate()
    rows: dict[int, RowInput] = {}
    for key in post.getlist("row"):
        learner = by_id.get(key)
        if learner is None:
            problems.append(Problem(f"Row {key}", "", "is not a learner on this class grid."))
            continue
        who = name_of(learner)
        row = RowInput(
            learner_declared=bool(post.get(f"ld-{key}")),
            assessor_declared=bool(post.get(f"ad-{key}")),
            feedback=(post.get(f"fb-{key}") or "").strip()[:5000],
            reason=(post.get(f"why-{key}") or "").strip(),
        )
        try:
            row.submitted_on = _date(post.get(f"sub-{key}", ""))
        except ValueError:
            problems.append(Problem(who, "Handed in", "enter a date as dd/mm/yyyy."))
        for criterion in criteria:
            value = post.get(f"c-{key}-{criterion.pk}")
            if value is None:
                continue  # not posted: unchanged (a posted "" clears)
            if value not in CELL_VALUES:
                problems.append(Problem(who, criterion.code, "choose achieved, not yet or blank."))
                continue
            row.cells[criterion.pk] = value
        rows[learner.pk] = row
    return rows, decided_on, problems


class RetakeForm(Form):
    new_assignment = forms.ModelChoiceField(
        queryset=None, label="New assignment", help_text="The assignment the unit is retaken with"
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, assignments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_assignment"].queryset = assignments


class ResubmissionForm(Form):
    note = forms.CharField(max_length=300, required=False)


class ExtensionForm(Form):
    to = forms.DateField(
        label="Extension to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text="The new hand-in date for this learner (dd/mm/yyyy).",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        required=False,  # the service names it when missing, beside the date's own checks
        help_text="Required: why it was agreed under centre policy (for example, illness).",
    )
