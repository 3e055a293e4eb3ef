"""Forms for the IV sampling pages (policy 000-3.2.1). Rules live in services_sampling.py."""

from __future__ import annotations

from django import forms

from btecqa.forms import Form

from .models_sampling import RiskRating, SampleItem


class StrategyForm(Form):
    rate_new = forms.IntegerField(label="New assessor (%)", min_value=0, max_value=100)
    rate_experienced = forms.IntegerField(
        label="Experienced assessor (%)", min_value=0, max_value=100
    )
    rate_flagged = forms.IntegerField(label="Flagged assessor (%)", min_value=0, max_value=100)
    rate_new_unit = forms.IntegerField(
        label="Unit new to the centre (%)", min_value=0, max_value=100
    )
    minimum_per_assignment = forms.IntegerField(
        label="Minimum per assessor and assignment", min_value=0, max_value=50
    )


class RatingForm(Form):
    rating = forms.ChoiceField(choices=RiskRating.choices)
    reason = forms.CharField(max_length=300, required=False)


class BuildForm(Form):
    stage = forms.ChoiceField(choices=SampleItem.Stage.choices, initial=SampleItem.Stage.SUMMATIVE)


class AddItemForm(Form):
    """One learner's work (learner:assignment:attempt, from the plan's unsampled work)."""

    work = forms.RegexField(regex=r"^[0-9]{1,18}:[0-9]{1,18}:(first|resubmission|retake)$")
    stage = forms.ChoiceField(choices=SampleItem.Stage.choices, initial=SampleItem.Stage.SUMMATIVE)
    reason = forms.CharField(max_length=200, required=False)
