from django import forms

from btecqa.forms import Form

from .models import LegalHold


class ApproveForm(Form):
    items = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Records to dispose of"
    )
    reason = forms.CharField(max_length=300, label="Reason for the disposal")

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = queryset


class HoldForm(Form):
    reason = forms.ChoiceField(choices=LegalHold.Reason.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class LiftForm(Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Why the hold is lifted"
    )
