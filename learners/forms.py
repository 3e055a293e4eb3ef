from html import escape

from django import forms
from django.utils.safestring import mark_safe

from btecqa.forms import Form, ModelForm

from .models import Cohort, Learner
from .selectors import COHORT_OPTION_ORDER
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
        .order_by(*COHORT_OPTION_ORDER)
    )


class LearnerSearchForm(Form):
    q = forms.CharField(
        label="Search",
        required=False,
        help_text="Name (accents and apostrophes need not match: Zoe finds Zoë), ULN, UCI, "
        "candidate number or admission number",
    )
    # Chosen from the options shown, which are what the user may see: checked against
    # them, not against a second query (the cleaned value is the id).
    centre = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    cohort = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    year = forms.ChoiceField(required=False, label="Academic year")
    on_roll = forms.ChoiceField(
        required=False,
        label="On roll",
        choices=[("", "Everyone"), ("yes", "On roll"), ("no", "Left")],
    )

    def __init__(self, *args, centre_options, cohort_options, **kwargs):
        """centre_options: (id, label) pairs (learners.selectors.centre_options);
        cohort_options: Cohorts (learners.selectors.cohort_options)."""
        super().__init__(*args, **kwargs)
        years = sorted({y for c in cohort_options for y in c.academic_years}, reverse=True)
        self.fields["centre"].choices = [("", "All my centres")] + [
            (str(pk), label) for pk, label in centre_options
        ]
        self.fields["cohort"].choices = [("", "Any programme")] + [
            (str(c.pk), cohort_choice_label(c)) for c in cohort_options
        ]
        self.fields["year"].choices = [("", "Any year")] + [(y, y) for y in years]
        self._options = {
            name: self.fields[name].choices for name in ("centre", "cohort", "year", "on_roll")
        }

    def fields_to_show(self):
        """(field, its <option>s with the chosen one selected, or None for a text box): the
        search form drawn by a plain template, not a widget template per option (the list
        is the office's busiest page). Each field is a dict of what the template prints,
        read once from its bound field; the options' text is escaped here."""
        shown = []
        for name in ("q", "centre", "cohort", "year", "on_roll"):
            bound = self[name]
            value = bound.value()
            field = {
                "id": bound.id_for_label,
                "name": bound.html_name,
                "label": bound.label,
                "value": "" if value is None else value,
                "errors": bound.errors,
                "help_text": bound.help_text,
            }
            options = self._options.get(name)
            if options is not None:
                chosen = "" if value is None else str(value)
                options = mark_safe(
                    "".join(
                        f'<option value="{escape(str(option))}"'
                        f"{' selected' if str(option) == chosen else ''}>"
                        f"{escape(str(label))}</option>"
                        for option, label in options
                    )
                )
            shown.append((field, options))
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
