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
    # Only what the label shows (not the leader a programme page needs).
    return (
        cohorts.select_related(None)
        .select_related("qualification", "centre")
        .only("start_year", "years", "qualification__title", "centre__name", "centre__number")
        .order_by("centre__name", "centre__number", "qualification__title", *Cohort._meta.ordering)
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

    def __init__(self, *args, centres, cohorts, centre_options=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Each list fetched once: the drop-downs, the years and a chosen filter's check
        # (the centres' names may come with the role assignments: `centre_options`).
        if centre_options is None:
            centre_options = [(c.pk, str(c)) for c in centres]
        cohort_list = list(cohort_choices(cohorts))
        self.fields["centre"].queryset = centres
        self.fields["cohort"].queryset = cohort_choices(cohorts)
        self.fields["cohort"].label_from_instance = cohort_choice_label
        years = sorted({y for c in cohort_list for y in c.academic_years}, reverse=True)
        self.fields["year"].choices = [("", "Any year")] + [(y, y) for y in years]
        self._options = {
            "centre": [("", "All my centres")] + [(str(pk), label) for pk, label in centre_options],
            "cohort": [("", "Any programme")]
            + [(str(c.pk), cohort_choice_label(c)) for c in cohort_list],
            "year": self.fields["year"].choices,
            "on_roll": self.fields["on_roll"].choices,
        }

    def fields_to_show(self):
        """(bound field, its options with the chosen one marked, or None for a text box):
        the search form drawn by a plain template, not a widget template per option."""
        shown = []
        for name in ("q", "centre", "cohort", "year", "on_roll"):
            bound = self[name]
            options = self._options.get(name)
            if options is not None:
                chosen = "" if bound.value() is None else str(bound.value())
                options = [(value, label, value == chosen) for value, label in options]
            shown.append((bound, options))
        return shown


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
