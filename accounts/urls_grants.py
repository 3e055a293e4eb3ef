from django.urls import path

from . import views_grants as views

app_name = "accounts"

urlpatterns = [
    path("verifiers/", views.grant_list, name="grant_list"),
    path("verifiers/new/", views.grant_new, name="grant_new"),
    path("verifiers/<id:pk>/", views.grant_detail, name="grant_detail"),
    path("verifiers/<id:pk>/end/", views.grant_revoke, name="grant_revoke"),
    path("two-factor/setup/", views.otp_setup, name="otp_setup"),
    path("two-factor/verify/", views.otp_verify, name="otp_verify"),
]
