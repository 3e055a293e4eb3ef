"""Forms for the Standards Verifier's access: the grant, the sign-in, the second factor."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from btecqa.forms import CleanInput, Form
from centres.models import Centre
from learners.models import Cohort


class LoginForm(CleanInput, AuthenticationForm):
    """Django's sign-in, which also refuses a Standards Verifier whose access has ended."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from .services_grants import record_refused_sign_in, verifier_refusal

        if reason := verifier_refusal(user):
            record_refused_sign_in(user, reason)
            raise forms.ValidationError(reason, code="verifier_access_ended")


class ResetForm(CleanInput, PasswordResetForm):
    """Django's password reset, which also reaches a Standards Verifier invited with no
    password yet: their invitation sends them here rather than carry a one-time link,
    which the outbox would keep in a table. Only while a grant of theirs is live."""

    def get_users(self, email):
        from .models_grants import VerifierGrant

        yield from super().get_users(email)
        for grant in (
            VerifierGrant.objects.live()
            .filter(user__email__iexact=email, user__is_active=True)
            .select_related("user")
        ):
            user = grant.user
            if not user.has_usable_password():
                yield user
                return


class CohortChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} — {obj.centre.name}"


class GrantForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    email = forms.EmailField(
        label="The Standards Verifier's e-mail address",
        max_length=254,
        help_text="Their own Pearson address: the account is personal, never shared.",
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    cohorts = CohortChoice(
        queryset=Cohort.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Only the cohorts being sampled.",
    )
    expires_on = forms.DateField(
        label="Last day of access",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The account cannot sign in after this day.",
    )

    def __init__(self, *args, centres, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["cohorts"].queryset = cohorts
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk


class TokenForm(Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
