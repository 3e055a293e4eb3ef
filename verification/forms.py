from django import forms

from accounts.models import User
from btecqa.forms import Form
from btecqa.validators import validate_academic_year
from centres.models import Centre
from qualifications.models import Qualification


def _person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class LeadIVForm(Form):
    """Who leads IV for a qualification this year, and who covers (succession)."""

    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    academic_year = forms.CharField(
        max_length=7, help_text="e.g. 2026/27", validators=[validate_academic_year]
    )
    qualification = forms.ModelChoiceField(queryset=Qualification.objects.order_by("title"))
    lead_iv = forms.ModelChoiceField(
        label="Lead Internal Verifier",
        queryset=User.objects.none(),
        help_text="Someone with a role at the centre",
    )
    cover = forms.ModelChoiceField(
        required=False,
        queryset=User.objects.none(),
        help_text="Another person who takes over if the Lead IV leaves or is away",
    )
    standardisation_note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "When the assessment team was standardised with Pearson's materials; a "
            "replacement Lead IV must complete them"
        ),
    )
    lock = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, centres, people, appointment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        if centres.count() == 1:
            self.fields["centre"].initial = centres.first()
        for name in ("lead_iv", "cover"):
            self.fields[name].queryset = people
            self.fields[name].label_from_instance = _person_label
        if appointment is not None:  # changing one: its centre, year and qualification stay
            for name in ("centre", "academic_year", "qualification"):
                del self.fields[name]


class StandardisationForm(Form):
    """A standardisation activity, or the Lead IV's Pearson training (000-3.1.5)."""

    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    academic_year = forms.CharField(
        max_length=7, help_text="e.g. 2026/27", validators=[validate_academic_year]
    )
    qualification = forms.ModelChoiceField(queryset=Qualification.objects.order_by("title"))
    unit = forms.ModelChoiceField(
        required=False,
        queryset=None,
        help_text="Leave empty when the activity covered the whole qualification",
    )
    held_on = forms.DateField(label="Date held", help_text="dd/mm/yyyy")
    kind = forms.ChoiceField(choices=())
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), help_text="Everyone who assesses or verifies and took part"
    )
    materials = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, centres, people, **kwargs):
        from qualifications.models import Unit

        from .models_standardisation import StandardisationRecord

        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        if centres.count() == 1:
            self.fields["centre"].initial = centres.first()
        # Only what the centres deliver: the qualifications of their cohorts, and their units.
        taught = Qualification.objects.filter(cohorts__centre__in=centres).distinct()
        self.fields["qualification"].queryset = taught.order_by("title")
        self.fields["unit"].queryset = (
            Unit.objects.filter(qualification__in=taught.values("pk"))
            .select_related("qualification")
            .order_by("qualification__title", "sort_key")
        )
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.qualification.title}: unit {u.number} {u.title}"
        )
        self.fields["kind"].choices = StandardisationRecord.Kind.choices
        self.fields["attendees"].queryset = people
        self.fields["attendees"].label_from_instance = _person_label
