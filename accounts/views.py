"""Log-in, log-out and passwords: Django's own views, marked public where they must be."""

from django.contrib.auth import views as auth_views

from accounts.forms_grants import LoginForm, ResetForm
from accounts.permissions import public, signed_in

# The sign-in form also refuses a Standards Verifier whose access has ended.
login = public(
    auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm)
)
logout = public(auth_views.LogoutView.as_view())
password_reset = public(auth_views.PasswordResetView.as_view(form_class=ResetForm))
password_reset_done = public(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = public(auth_views.PasswordResetConfirmView.as_view())
password_reset_complete = public(auth_views.PasswordResetCompleteView.as_view())
password_change = signed_in(auth_views.PasswordChangeView.as_view())
password_change_done = signed_in(auth_views.PasswordChangeDoneView.as_view())
