"""The IV record form and the notes that follow an action to closure."""

from django import forms

from btecqa.forms import Form

from .models_sampling import IVRecord


class IVRecordForm(Form):
    outcome = forms.ChoiceField(
        label="Your judgement",
        choices=IVRecord.Outcome.choices,
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label="Comments", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    action = forms.CharField(
        label="Action for the assessor",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required on a disagree: what the assessor must do",
    )
    action_due = forms.DateField(
        label="Action due by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required on a disagree",
    )


class NoteForm(Form):
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))
