"""The certificates' forms: a batch, one certificate keyed in, an issue, a report, a destruction."""

from __future__ import annotations

import re

from django import forms

from btecqa.forms import Form
from learners import validators as learner_validators

from .models import CertificateIssue

DATE = forms.DateInput(attrs={"type": "date"})


class BatchForm(Form):
    centre = forms.ModelChoiceField(queryset=None, empty_label=None)
    received_on = forms.DateField(label="Received from Pearson on", widget=DATE)

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres


class ImportForm(BatchForm):
    file = forms.FileField(label="Certificates file (CSV or XLSX)")


class CertificateForm(Form):
    """One certificate as printed: each refusal names its field."""

    certificate_number = forms.CharField(max_length=30)
    uln = forms.CharField(label="ULN", max_length=10, required=False)
    registration_number = forms.CharField(max_length=20, required=False)
    surname = forms.CharField(max_length=100)
    forenames = forms.CharField(max_length=100, required=False)
    date_of_birth = forms.DateField(widget=DATE, required=False)
    qualification_number = forms.CharField(max_length=12, help_text="e.g. 601/7159/5")
    award_grade = forms.CharField(max_length=10, required=False, help_text="e.g. D*D, DM, P")
    units = forms.CharField(
        required=False, max_length=1000, help_text="Each unit with its grade: 1 D; 2 M; 3 P"
    )

    def clean_certificate_number(self):
        value = self.cleaned_data["certificate_number"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9/-]{1,30}", value):
            raise forms.ValidationError("A certificate number is letters and digits, up to 30.")
        return value

    def clean_uln(self):
        value = self.cleaned_data["uln"].strip()
        if value and (problem := learner_validators.uln_problem(value)):
            raise forms.ValidationError(problem)
        return value

    def clean_registration_number(self):
        return self.cleaned_data["registration_number"].strip().upper()

    def clean_qualification_number(self):
        text = self.cleaned_data["qualification_number"]
        digits = re.sub(r"[^0-9A-Za-z]", "", text).upper()
        if len(digits) != 8:
            raise forms.ValidationError(f"{text} is not a qualification number (e.g. 601/7159/5).")
        return f"{digits[:3]}/{digits[3:7]}/{digits[7]}"

    def clean_award_grade(self):
        from .services_import import _award_grade

        text = self.cleaned_data["award_grade"]
        if not text.strip():
            return ""
        value, problem = _award_grade(text, None)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return value

    def clean_units(self):
        from .services_import import _units

        value, problem = _units(self.cleaned_data["units"], None)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return value

    def clean(self):
        data = super().clean()
        if not data.get("uln") and not data.get("registration_number") and not self.errors:
            self.add_error("uln", "Give the ULN or the registration number on the certificate.")
        return data


class IssueForm(Form):
    how = forms.ChoiceField(choices=CertificateIssue.How.choices, widget=forms.RadioSelect)
    issued_on = forms.DateField(label="Collected or posted on", widget=DATE)
    signed_name = forms.CharField(
        label="Learner's name, typed by the learner", max_length=200, required=False
    )
    witnessed_by = forms.ModelChoiceField(queryset=None, required=False)
    address_line = forms.CharField(label="Posted to (address line)", max_length=300, required=False)
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witnessed_by"].queryset = staff


class ReportForm(Form):
    reported_on = forms.DateField(label="Reported to Pearson on", widget=DATE)
    pearson_reference = forms.CharField(label="Pearson's case reference", max_length=60)
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class DestroyForm(Form):
    certificates = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple
    )
    destroyed_on = forms.DateField(widget=DATE)
    how = forms.CharField(label="How", max_length=200, help_text="e.g. cross-cut shredded")

    def __init__(self, *args, due, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificates"].queryset = due
