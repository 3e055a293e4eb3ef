from django import forms

from accounts.models import User
from btecqa.forms import Form, ModelForm
from btecqa.validators import validate_academic_year
from learners.models import Qualification

from .models import Centre, CollaborativeArrangement
from .selectors import arrangement_staff


class ArrangementForm(ModelForm):
    class Meta:
        model = CollaborativeArrangement
        fields = ["lead_centre", "name", "programme_code", "first_year", "last_year"]

    def __init__(self, *args, lead_centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_centre"].queryset = lead_centres
        for name in ("first_year", "last_year"):
            self.fields[name].validators.append(validate_academic_year)


class PartnerForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.filter(is_active=True))
    joined_on = forms.DateField(help_text="dd/mm/yyyy")


class QualificationForm(Form):
    qualification = forms.ModelChoiceField(queryset=Qualification.objects.all())
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


class WithdrawForm(Form):
    on = forms.DateField(label="Withdrawn on", help_text="dd/mm/yyyy")


class PearsonToldForm(Form):
    told_on = forms.DateField(label="Pearson told on", help_text="dd/mm/yyyy")
    reference = forms.CharField(
        max_length=100, help_text="Pearson's case number or the e-mail's date"
    )
