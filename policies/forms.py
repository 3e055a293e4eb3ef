from django import forms

from accounts.models import User
from btecqa.forms import Form
from centres.models import Centre

from .models import MonitoringRecord

DATE_HELP = "dd/mm/yyyy"


def _person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def _upload(required: bool) -> forms.FileField:
    return forms.FileField(
        label="Policy file (PDF or Word .docx)",
        required=required,
        help_text=(
            "The type is read from the file itself"
            + ("" if required else "; leave empty when the text did not change (kept as it was)")
        ),
    )


class PolicyDetailsForm(Form):
    """Title, coordinator, sub-committee and the date the next review is due."""

    title = forms.CharField(max_length=200)
    coordinator = forms.ModelChoiceField(
        queryset=User.objects.none(), help_text="Reminded before the review is due"
    )
    sub_committee = forms.CharField(
        label="Governors' sub-committee", max_length=200, required=False
    )
    next_review = forms.DateField(label="Next review due", help_text=DATE_HELP)
    lock = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = people
        self.fields["coordinator"].label_from_instance = _person_label


class AddPolicyForm(PolicyDetailsForm):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    reviewed_on = forms.DateField(label="Last reviewed on", help_text=DATE_HELP)
    upload = _upload(required=True)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "centre", "title", "coordinator", "sub_committee", "reviewed_on", "next_review",
        "upload", "notes",
    ]  # fmt: skip

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        if len(centres) == 1:
            self.fields["centre"].initial = centres.first()
        del self.fields["lock"]


class ReviewForm(Form):
    """A review: a new version of the policy."""

    reviewed_on = forms.DateField(label="Reviewed on", help_text=DATE_HELP)
    next_review = forms.DateField(label="Next review due", help_text=DATE_HELP)
    upload = _upload(required=False)
    notes = forms.CharField(
        label="What changed",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lock = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CorrectVersionForm(ReviewForm):
    """Put right the latest version before it is signed."""


class ChairSignatureForm(Form):
    chair_name = forms.CharField(label="Chair of governors", max_length=200)
    signed_on = forms.DateField(
        label="Signed by the chair on", help_text=f"{DATE_HELP}: the date on the signed copy"
    )


class MonitoringForm(Form):
    monitored_on = forms.DateField(label="Monitored on", help_text=DATE_HELP)
    outcome = forms.ChoiceField(choices=MonitoringRecord.Outcome.choices)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReminderDaysForm(Form):
    reminder_days = forms.IntegerField(
        label="Remind the coordinator this many days before a review is due",
        min_value=1,
        max_value=365,
    )
