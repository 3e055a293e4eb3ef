"""The forms a person signs with: their password re-entered, and the hash of what they saw.

`signatures.services.sign` checks the password, and `check_unchanged` the hash, so a record
that changed while the page was open is never signed unseen. Every signing page uses one
of these (entry lists, plans, briefs, tracking sheets).
"""

from django import forms

from btecqa.forms import Form


class SignForm(Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign",
    )
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, purpose: str = "", **kwargs):
        """purpose: what the help text adds after "Re-enter your password to sign"."""
        super().__init__(*args, **kwargs)
        if purpose:
            self.fields["password"].help_text = f"Re-enter your password to sign {purpose}"


class SignVersionForm(SignForm):
    """For a record kept in versions: the version the signer saw (its lock version)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
