from django import forms

from accounts.models import User
from btecqa.forms import Form, ModelForm
from btecqa.validators import academic_year_problem, validate_academic_year
from qualifications.models import Qualification

from .models import ArrangementPartner, Centre, CollaborativeArrangement
from .selectors import arrangement_staff


class ArrangementForm(ModelForm):
    class Meta:
        model = CollaborativeArrangement
        fields = ["lead_centre", "name", "programme_code", "first_year", "last_year"]

    def __init__(self, *args, lead_centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_centre"].queryset = lead_centres
        if len(lead_centres) == 1:  # the usual case: the user's own centre leads
            self.fields["lead_centre"].empty_label = None
        for name in ("first_year", "last_year"):
            self.fields[name].validators.append(validate_academic_year)


class InviteForm(Form):
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(),
        label="Invite centre",
        help_text=(
            "It becomes a partner only when its own Quality Nominee or Head of Centre accepts."
        ),
    )

    def __init__(self, *args, arrangement, **kwargs):
        super().__init__(*args, **kwargs)
        taken = arrangement.partners.filter(
            status__in=[ArrangementPartner.Status.INVITED, ArrangementPartner.Status.ACCEPTED]
        ).values("centre_id")
        self.fields["centre"].queryset = (
            Centre.objects.filter(is_active=True)
            .exclude(pk=arrangement.lead_centre_id)
            .exclude(pk__in=taken)
        )


class AnswerForm(Form):
    ACCEPT, REFUSE = "accept", "refuse"
    decision = forms.ChoiceField(
        choices=[
            (ACCEPT, "Accept: our centre joins this arrangement"),
            (REFUSE, "Refuse the invitation"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note or reason",
        help_text="Required when refusing: the lead centre sees it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lock = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the centre refuses, so the lead centre knows.")
        return data


class QualificationForm(Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(),
        help_text="Only qualifications the lead centre has recorded its own Pearson approval for.",
    )
    lead_iv = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Lead Internal Verifier",
        help_text="Staff at the arrangement's centres",
    )
    added_on = forms.DateField(help_text="dd/mm/yyyy")

    def __init__(self, *args, arrangement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_iv"].queryset = arrangement_staff(arrangement)
        self.fields["qualification"].queryset = Qualification.objects.filter(
            pk__in=arrangement.lead_centre.approvals.values("qualification_id")
        ).order_by("title")


class WithdrawForm(Form):
    on = forms.DateField(label="Withdrawn on", help_text="dd/mm/yyyy")
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lock = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PearsonToldForm(Form):
    told_on = forms.DateField(label="Pearson told on", help_text="dd/mm/yyyy")
    reference = forms.CharField(
        max_length=100, help_text="Pearson's case number or the e-mail's date"
    )


class ApprovalForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), empty_label=None)
    qualification = forms.ModelChoiceField(queryset=Qualification.objects.order_by("title"))
    approved_on = forms.DateField(label="Approved by Pearson on", help_text="dd/mm/yyyy")
    reference = forms.CharField(
        max_length=100,
        label="Pearson's reference",
        help_text="The approval letter or Edexcel Online case number",
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres


class ReportYearForm(Form):
    """The governors' report's year (a GET form): the report shows it and the two before."""

    year = forms.CharField(
        label="Report up to the academic year",
        help_text="The report shows this year and the two before it, side by side.",
        widget=forms.Select,
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(years)
        self.fields["year"].widget.choices = [(y, y) for y in self.years]

    def clean_year(self):
        value = self.cleaned_data["year"].strip()
        shown = value if len(value) <= 20 else f"{value[:20]}…"
        problem = academic_year_problem(shown)
        if problem:
            raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
        if value not in self.years:
            raise forms.ValidationError(
                f"There are no records for {value} at the centres shown: choose one of "
                f"{', '.join(self.years)}."
            )
        return value
