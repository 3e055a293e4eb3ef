from django import forms

from btecqa.forms import Form, ModelForm

from .models import Cohort, Learner
from .services import EDITABLE_FIELDS
from .validators import validate_date_of_birth


def cohort_choice_label(cohort: Cohort) -> str:
    """Two centres can each run "Business 2026/27": name the centre and its number too."""
    return f"{cohort} · {cohort.centre.name} ({cohort.centre.number})"


def cohort_choices(cohorts):
    """Cohorts for a drop-down: by centre, then qualification, then the newest year first."""
    return cohorts.select_related("qualification", "centre").order_by(
        "centre__name", "centre__number", "qualification__title", *Cohort._meta.ordering
    )


class LearnerSearchForm(Form):
    q = forms.CharField(
        label="Search",
        required=False,
        help_text="Name (accents and apostrophes need not match: Zoe finds Zoë), ULN, UCI, "
        "candidate number or admission number",
    )
    centre = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my centres")
    cohort = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any programme")
    year = forms.ChoiceField(required=False, label="Academic year")
    on_roll = forms.ChoiceField(
        required=False,
        label="On roll",
        choices=[("", "Everyone"), ("yes", "On roll"), ("no", "Left")],
    )

    def __init__(self, *args, centres, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["cohort"].queryset = cohort_choices(cohorts)
        self.fields["cohort"].label_from_instance = cohort_choice_label
        years = sorted({y for c in cohorts for y in c.academic_years}, reverse=True)
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
