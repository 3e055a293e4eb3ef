from django import forms

from btecqa.forms import Form
from btecqa.validators import validate_academic_year
from centres.models import Centre

from .calendar import academic_year_for, is_working_day


class RoundOpenForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    academic_year = forms.CharField(
        max_length=7, help_text="e.g. 2026/27", validators=[validate_academic_year]
    )

    def __init__(self, *args, centres, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["academic_year"].initial = academic_year_for(today)
        if centres.count() == 1:
            self.fields["centre"].initial = centres.first()


class CalendarForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    academic_year = forms.CharField(
        max_length=7, help_text="e.g. 2026/27", validators=[validate_academic_year]
    )
    term_starts = forms.DateField(help_text="dd/mm/yyyy")
    october_half_term_starts = forms.DateField(
        label="October half term starts", help_text="The first weekday of the holiday, dd/mm/yyyy"
    )
    entry_check_deadline = forms.DateField(
        required=False,
        help_text="Leave blank for the last working day before the October half term",
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres

    def clean(self):
        data = super().clean()
        year = data.get("academic_year")
        start, half = data.get("term_starts"), data.get("october_half_term_starts")
        if year:  # only a good year survives validate_academic_year
            first = int(year[:4])
            for name, day in (("term_starts", start), ("october_half_term_starts", half)):
                # A sanity check for a mistyped year, not a rule about term dates.
                if day and day.year not in (first, first + 1):
                    self.add_error(name, f"{day:%d/%m/%Y} is not in {year}.")
        if start and half and half <= start:
            self.add_error("october_half_term_starts", "Half term comes after the start of term.")
        deadline = data.get("entry_check_deadline")
        if deadline and half and deadline >= half:
            self.add_error("entry_check_deadline", "The entry check ends before half term.")
        elif deadline and not is_working_day(deadline):
            self.add_error(
                "entry_check_deadline",
                f"{deadline:%d/%m/%Y} is a weekend or a bank holiday: choose a working day.",
            )
        return data


class RequestEntriesForm(Form):
    cohort = forms.ModelChoiceField(queryset=None)
    due_date = forms.DateField(help_text="dd/mm/yyyy")

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts


class ReasonForm(Form):
    reason = forms.CharField(max_length=300, help_text="Kept with the new version of the list")
    lock = forms.IntegerField(widget=forms.HiddenInput)


class AmendForm(ReasonForm):
    pathway = forms.CharField(max_length=100, required=False)
    programme_code = forms.CharField(max_length=30, required=False)
    optional_units = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["optional_units"].queryset = cohort.qualification.units.filter(mandatory=False)
        self.fields["optional_units"].label_from_instance = lambda u: f"Unit {u.number}: {u.title}"
        self.order_fields(["pathway", "optional_units", "programme_code", "reason"])


class SubmitForm(Form):
    submitted_on = forms.DateField(label="Submitted to Pearson on", help_text="dd/mm/yyyy")
    order_number = forms.RegexField(
        regex=r"^[A-Za-z0-9]{0,12}$",
        required=False,
        help_text="Optional: up to 12 letters and digits",
        error_messages={"invalid": "Up to 12 letters and digits only."},
    )
    lock = forms.IntegerField(widget=forms.HiddenInput)


class QueryForm(Form):
    reason = forms.CharField(max_length=500, label="What is wrong with this row?")


class AnswerForm(Form):
    answer = forms.CharField(max_length=500)


class OptionsForm(Form):
    pathway = forms.CharField(max_length=100, required=False)
    optional_units = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["optional_units"].queryset = cohort.qualification.units.filter(mandatory=False)
        self.fields["optional_units"].label_from_instance = lambda u: f"Unit {u.number}: {u.title}"


class CompleteTransferForm(Form):
    """The receiving exams officer: done at Pearson, onto which programme, which learner."""

    actioned_on = forms.DateField(label="Transferred at Pearson on", help_text="dd/mm/yyyy")
    pearson_reference = forms.CharField(
        label="Pearson's reference",
        max_length=50,
        help_text="The Edexcel Online confirmation of \u201cTransfer from another centre\u201d",
    )
    cohort = forms.ModelChoiceField(queryset=None, label="Programme joining at this centre")
    learner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="The learner at this centre",
        empty_label="Add them as a new learner here (keeping their UCI and ULN)",
        widget=forms.RadioSelect,
        blank=True,
    )

    def __init__(self, *args, cohorts, learners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.fields["learner"].queryset = learners
        self.fields["learner"].label_from_instance = lambda lr: (
            f"{lr} · born {lr.date_of_birth:%d/%m/%Y}"
            + (f" · UCI {lr.uci}" if lr.uci else "")
            + (f" · candidate {lr.candidate_number}" if lr.candidate_number else "")
        )


class DeclineTransferForm(Form):
    """The receiving exams officer will not complete the transfer: the sending centre is
    told why."""

    reason = forms.CharField(
        label="Why is the transfer declined?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The sending centre's exams officer reads this, e.g. the learner never "
        "arrived; sent to the wrong centre",
        error_messages={
            "required": "Say why the transfer is declined: the sending centre is told."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_decline_%s", **kwargs)


class ReinstateForm(Form):
    reason = forms.CharField(
        label="Why is the registration reinstated?",
        max_length=300,
        help_text="e.g. the learner came back; Pearson reactivated it on Edexcel Online",
    )
