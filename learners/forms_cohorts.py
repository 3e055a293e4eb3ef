"""Cohort and teaching-group forms: choices limited to what the user manages."""

from django import forms
from django.db.models import Q

from accounts.roles import Role
from accounts.selectors import people_at
from btecqa.forms import Form, ModelForm
from btecqa.validators import validate_academic_year
from centres.models import Centre
from qualifications.models import Unit

from .models import MAX_YEARS, Cohort, Learner
from .services import check_optional_units


class CohortForm(ModelForm):
    optional_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only the qualification's optional units count.",
    )

    class Meta:
        model = Cohort
        fields = ["qualification", "centre", "start_year", "years", "leader"]
        help_texts = {
            "start_year": "The academic year the cohort starts, September to August, e.g. 2026/27",
            "years": "Leave blank for the qualification's usual length (2 for Years 12 and 13)",
        }

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["leader"].queryset = people_at(centres, [Role.PROGRAMME_LEADER])
        self.fields["leader"].label = "Programme leader"
        self.fields["years"].required = False
        if not self.instance.pk:
            self.fields["years"].initial = None
        units = Unit.objects.filter(mandatory=False).select_related("qualification")
        self.fields["optional_units"].queryset = units
        self.fields["optional_units"].label_from_instance = lambda u: (
            f"{u.qualification.number} · Unit {u.number}: {u.title} ({u.glh} GLH)"
        )
        if self.instance.pk:
            self.fields["optional_units"].initial = list(
                self.instance.optional_units.values_list("pk", flat=True)
            )
            # The qualification and centre define the programme; change them by starting anew.
            for name in ("qualification", "centre"):
                self.fields[name].disabled = True

    def clean_start_year(self):
        year = self.cleaned_data["start_year"]
        validate_academic_year(year)
        return year

    def clean_years(self):
        years = self.cleaned_data.get("years")
        if years is None:
            qualification = self.cleaned_data.get("qualification") or getattr(
                self.instance, "qualification", None
            )
            return qualification.typical_years if qualification else 1
        if not 1 <= years <= MAX_YEARS:
            raise forms.ValidationError(f"A cohort runs for 1 to {MAX_YEARS} academic years.")
        return years

    def clean(self):
        data = super().clean()
        leader, centre = data.get("leader"), data.get("centre")
        if (
            leader
            and centre
            and not leader.role_assignments.filter(
                role=Role.PROGRAMME_LEADER, centre=centre
            ).exists()
        ):
            self.add_error("leader", f"{leader} is not a programme leader at {centre.name}.")
        qualification = data.get("qualification")
        if qualification and data.get("optional_units"):
            try:
                check_optional_units(qualification, data["optional_units"])
            except forms.ValidationError as exc:
                self.add_error("optional_units", exc)
        return data


def delivering_centres_for(centre):
    """The home centre and every centre it shares a current arrangement with."""
    from centres.models import CollaborativeArrangement

    arrangements = CollaborativeArrangement.objects.filter(
        Q(lead_centre=centre) | Q(partners__centre=centre, partners__status="accepted")
    ).values("pk")
    return (
        Centre.objects.filter(
            Q(pk=centre.pk)
            | Q(led_arrangements__in=arrangements)
            | Q(
                arrangement_memberships__arrangement__in=arrangements,
                arrangement_memberships__status="accepted",
            )
        )
        .filter(is_active=True)
        .distinct()
        .order_by("name")
    )


class TeachingGroupForm(Form):
    academic_year = forms.ChoiceField(
        label="Year taught", help_text="Groups are per year: a second year has its own groups."
    )
    name = forms.CharField(max_length=50, help_text="As on the timetable, e.g. 12B/Bs1")
    delivering_centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(),
        help_text="Where the group is taught: a partner centre for consortium students.",
    )
    learners = forms.ModelMultipleChoiceField(
        queryset=Learner.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, cohort, current=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].choices = [
            (year, f"{year} (year {n})") for n, year in enumerate(cohort.academic_years, 1)
        ]
        self.fields["delivering_centre"].queryset = delivering_centres_for(cohort.centre)
        self.fields["learners"].queryset = Learner.objects.filter(
            Q(centre=cohort.centre, on_roll=True) | Q(pk__in=list(current))
        ).order_by("last_name", "first_name")
        self.fields["learners"].label_from_instance = lambda learner: (
            f"{learner.last_name}, {learner.first_name}"
            f" ({learner.candidate_number or 'no candidate no.'})"
        )
