"""Forms for the assessment plan pages (they all work without JavaScript)."""

from django import forms

from accounts.roles import Role
from accounts.selectors import people_at
from btecqa.forms import Form, ModelForm
from signatures.forms import SignVersionForm

from .models import PlannedAssignment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StartPlanForm(Form):
    cohort = forms.ModelChoiceField(queryset=None)
    academic_year = forms.CharField(max_length=7, help_text="e.g. 2026/27")

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts


class AssignmentForm(ModelForm):
    """One row of the plan, for one unit: its criteria are the unit's only."""

    class Meta:
        model = PlannedAssignment
        fields = [
            "title",
            "criteria",
            "method",
            "assessor",
            "internal_verifier",
            "delivering_centre",
            "brief_iv_by",
            "hand_out",
            "hand_in",
            "resubmission_by",
            "decisions_iv_by",
            "for_retakes",
        ]
        widgets = {
            "criteria": forms.CheckboxSelectMultiple,
            "brief_iv_by": DATE,
            "hand_out": DATE,
            "hand_in": DATE,
            "resubmission_by": DATE,
            "decisions_iv_by": DATE,
        }

    def __init__(self, *args, unit, people, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["criteria"].queryset = unit.criteria.order_by("code")
        self.fields["assessor"].queryset = people
        self.fields["internal_verifier"].queryset = people
        self.fields["delivering_centre"].queryset = sites
        self.fields["delivering_centre"].required = False

    def clean(self):
        data = super().clean()
        if data.get("assessor") and data.get("assessor") == data.get("internal_verifier"):
            self.add_error(
                "internal_verifier",
                "The internal verifier must be someone other than the assessor.",
            )
        return data


def assessors_at(centre_ids):
    """People who may assess or verify at these centres (assessor/IVs and Lead IVs)."""
    return people_at(centre_ids, [Role.ASSESSOR_IV, Role.LEAD_IV])


class PlanSignForm(SignVersionForm):
    """Submitting or approving a plan: signed, with an optional comment."""

    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReturnForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Overall comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, rows=(), **kwargs):
        # Shown beside the approve form (its own comment and version): ids of its own, so
        # each label names its own field.
        kwargs.setdefault("auto_id", "return_%s")
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[f"row_{row.pk}"] = forms.CharField(
                label=f"Comment on “{row.title}” (Unit {row.unit.number})",
                required=False,
                max_length=1000,
                initial=row.review_comment,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def row_comments(self) -> dict[int, str]:
        return {row.pk: self.cleaned_data.get(f"row_{row.pk}", "") for row in self.rows}


class ReopenForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the approved plan must change")


class BriefForm(Form):
    vocational_scenario = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    tasks = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    evidence = forms.CharField(label="Evidence to submit", widget=forms.Textarea(attrs={"rows": 3}))
    pearson_authorised = forms.BooleanField(
        label="This is a Pearson Authorised Assignment Brief", required=False
    )
    paab_amended = forms.BooleanField(label="Amended from the authorised brief", required=False)
    upload = forms.FileField(
        label="The brief as a PDF or Word (.docx) file",
        required=False,
        help_text="Optional; the type is read from the file itself",
    )


class BriefCheckForm(Form):
    """The internal verifier's check: one yes/no per checklist item (the items are data)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.CharField(widget=forms.HiddenInput)
    actions_required = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    actions_taken = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        help_text="Re-enter your password to sign off (needed when every item is met)",
    )

    def __init__(self, *args, **kwargs):
        from .checklists import BRIEF_CHECKLIST

        super().__init__(*args, **kwargs)
        for key, text in BRIEF_CHECKLIST:
            self.fields[f"item_{key}"] = forms.TypedChoiceField(
                label=text,
                choices=[("yes", "Met"), ("no", "Not met")],
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, bool]:
        from .checklists import CHECKLIST_KEYS

        return {k: self.cleaned_data[f"item_{k}"] for k in CHECKLIST_KEYS}


class IssueForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
