"""The claims pages' forms: prepare, approve (password re-entered), submit, amend, file."""

from django import forms

from accounts.roles import Role
from btecqa.forms import Form
from qualifications.models import Qualification
from signatures.forms import SignForm

from .models import Claim, ClaimFile


class PrepareClaimForm(Form):
    kind = forms.ChoiceField(choices=Claim.Kind.choices)
    fallback_qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.none(),
        required=False,
        help_text="For a fallback claim: the smaller qualification of the same suite",
    )

    def __init__(self, *args, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cohort is not None and cohort.qualification.family_id:
            self.fields["fallback_qualification"].queryset = Qualification.objects.filter(
                family_id=cohort.qualification.family_id
            ).exclude(pk=cohort.qualification_id)


class ApproveClaimForm(SignForm):
    role = forms.ChoiceField(
        choices=[
            (Role.PROGRAMME_LEADER.value, Role.PROGRAMME_LEADER.label),
            (Role.EXAMS_OFFICER.value, Role.EXAMS_OFFICER.label),
        ],
        label="Approve as",
    )


class SubmitClaimForm(Form):
    submitted_on = forms.DateField(label="Submitted to Pearson on")
    pearson_reference = forms.CharField(max_length=60, label="Pearson's reference")


class AmendClaimForm(Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ClaimFileForm(Form):
    format = forms.ChoiceField(choices=ClaimFile.Format.choices)
