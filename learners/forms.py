from django import forms

from btecqa.forms import Form, ModelForm

from .models import Learner
from .services import EDITABLE_FIELDS
from .validators import validate_date_of_birth


class LearnerSearchForm(Form):
    q = forms.CharField(
        label="Search",
        required=False,
        help_text="Name (accents and apostrophes need not match: Zoe finds Zoë), ULN, UCI, "
        "candidate number or admission number",
    )
    centre = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my centres")
    programme = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any programme")
    year = forms.ChoiceField(required=False, label="Academic year")
    on_roll = forms.ChoiceField(
        required=False,
        label="On roll",
        choices=[("", "Everyone"), ("yes", "On roll"), ("no", "Left")],
    )

    def __init__(self, *args, centres, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["programme"].queryset = programmes
        years = sorted(set(programmes.values_list("academic_year", flat=True)), reverse=True)
        self.fields["year"].choices = [("", "Any year")] + [(y, y) for y in years]


class LearnerForm(ModelForm):
    reason = forms.CharField(
        max_length=200, required=False, help_text="Why the record changes (kept on the audit trail)"
    )

    class Meta:
        model = Learner
        fields = EDITABLE_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
            "left_on": forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
        }

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(born)
        return born
