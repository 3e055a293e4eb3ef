"""Forms for standards verification. The choices of route and status come from the
year's configuration (models_sv.sv_config)."""

from django import forms

from accounts.models import User
from btecqa.forms import Form
from btecqa.validators import validate_academic_year
from learners.models import Cohort, Learner

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class AllocationForm(Form):
    """Who Pearson allocated (from mid-January): the verifier's name and how to reach them."""

    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none())
    academic_year = forms.CharField(
        max_length=7, help_text="e.g. 2026/27", validators=[validate_academic_year]
    )
    verifier_name = forms.CharField(label="Standards verifier", max_length=200)
    verifier_email = forms.EmailField(label="Verifier's e-mail", required=False)
    verifier_phone = forms.CharField(label="Verifier's phone", max_length=40, required=False)
    allocated_on = forms.DateField(label="Allocated on", required=False, widget=DATE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, cohorts=None, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if visit is not None:  # correcting one: its cohort and year stay
            del self.fields["cohort"], self.fields["academic_year"]
        else:
            self.fields["cohort"].queryset = cohorts


class RouteForm(Form):
    route = forms.ChoiceField(label="Route (control measure)")

    def __init__(self, *args, config, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = [(r.code, r.label) for r in config.routes]


class StatusForm(Form):
    status = forms.ChoiceField(label="Report status on Edexcel Online")
    report_received_on = forms.DateField(label="Report received on", required=False, widget=DATE)

    def __init__(self, *args, config, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.code, s.label) for s in config.statuses]


class SampleForm(Form):
    number = forms.TypedChoiceField(
        label="Sample", coerce=int, choices=[(1, "First sample"), (2, "Second sample")]
    )
    plans_sent_on = forms.DateField(label="Assessment plans sent on", required=False, widget=DATE)
    deadline = forms.DateField(label="Work due to the verifier by", required=False, widget=DATE)


class LearnersForm(Form):
    learners = forms.ModelMultipleChoiceField(
        queryset=Learner.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The learners the verifier named",
    )
    named_on = forms.DateField(label="Named on", required=False, widget=DATE)

    def __init__(self, *args, learners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learners"].queryset = learners


class WorkSubmittedForm(Form):
    submitted_on = forms.DateField(label="Learners' work sent on", widget=DATE)


class ActionForm(Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(label="Due by", widget=DATE)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["owner"].label_from_instance = _person_label


class CloseActionForm(Form):
    note = forms.CharField(
        label="What changed", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    changed_events = forms.CharField(
        label="Audit event numbers of the records changed",
        required=False,
        max_length=500,
        help_text="From the audit trail, separated by commas (e.g. 1042, 1043)",
    )

    def clean_changed_events(self):
        text = self.cleaned_data["changed_events"]
        out = []
        for part in text.replace(";", ",").split(","):
            part = part.strip().lstrip("#")
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                raise forms.ValidationError(f"“{part}” is not an event number.")
            out.append(int(part))
        return out
