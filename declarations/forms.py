"""The declaration's checklist form, and the review forms."""

from __future__ import annotations

from django import forms

from btecqa.forms import Form


class ChecklistForm(Form):
    """One tick and one note per checklist item; a reason when the declaration is signed."""

    lock = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        max_length=300,
        label="Why the signed declaration is changed",
        help_text="Needed only once it is signed: the signed version is kept as it was.",
    )

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        for row in rows:
            clause, item = row["clause"], row["item"]
            key = clause.replace(".", "_")
            self.fields[f"in_place_{key}"] = forms.BooleanField(
                required=False,
                label=f"{clause} in place",
                initial=bool(item and item.in_place),
            )
            self.fields[f"note_{key}"] = forms.CharField(
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"{clause} note",
                initial=item.note if item else "",
            )
            row["in_place_field"] = f"in_place_{key}"
            row["note_field"] = f"note_{key}"
        self.rows = rows

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            r["clause"]: (data.get(r["in_place_field"]), data.get(r["note_field"], ""))
            for r in self.rows
        }


class CompleteForm(Form):
    lock = forms.IntegerField(widget=forms.HiddenInput)


class SubmissionForm(Form):
    submitted_on = forms.DateField(
        label="Submitted to Pearson on Edexcel Online on",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    eol_confirmed_on = forms.DateField(
        label="Head of Centre's Edexcel Online account confirmation on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class StartForm(Form):
    centre = forms.IntegerField(widget=forms.HiddenInput)
    academic_year = forms.CharField(max_length=7, widget=forms.HiddenInput)


class ReviewForm(Form):
    academic_year = forms.CharField(max_length=7)
    held_on = forms.DateField(
        label="Meeting held on", widget=forms.DateInput(attrs={"type": "date"})
    )
    minutes = forms.CharField(
        label="Minutes and notes", max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.centres = list(centres)
        for centre in self.centres:
            self.fields[f"attended_{centre.pk}"] = forms.BooleanField(
                required=False, label=f"{centre.name} attended"
            )
            self.fields[f"people_{centre.pk}"] = forms.CharField(
                required=False, max_length=300, label=f"Who came from {centre.name}"
            )

    def attendance(self) -> list[tuple]:
        data = self.cleaned_data
        return [
            (c, data.get(f"attended_{c.pk}"), data.get(f"people_{c.pk}", "")) for c in self.centres
        ]

    def attendance_fields(self):
        return [(c, self[f"attended_{c.pk}"], self[f"people_{c.pk}"]) for c in self.centres]


class ActionForm(Form):
    description = forms.CharField(max_length=500, label="Action")
    owner = forms.CharField(max_length=200, help_text="Who will do it (name and centre)")
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))


class CloseActionForm(Form):
    note = forms.CharField(max_length=500, required=False, label="How it was done")
