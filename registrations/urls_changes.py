"""Changes during the year and the registration register, under /registrations/changes/."""

from django.urls import path

from . import views_changes as views

urlpatterns = [
    path("", views.change_list, name="change_list"),
    path("new/", views.change_new, name="change_new"),
    path("register/", views.register, name="register"),
    path("<id:pk>/", views.change_detail, name="change_detail"),
    path("<id:pk>/action/", views.change_action, name="change_action"),
    path("<id:pk>/cancel/", views.change_cancel, name="change_cancel"),
    path("<id:pk>/verify/", views.change_verify, name="change_verify"),
    path("transfers/<id:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<id:pk>/complete/", views.transfer_complete, name="transfer_complete"),
    path("transfers/<id:pk>/decline/", views.transfer_decline, name="transfer_decline"),
    path(
        "registrations/<id:pk>/reinstate/",
        views.registration_reinstate,
        name="registration_reinstate",
    ),
]
