"""Changes during the year and the registration register, under /registrations/changes/."""

from django.urls import path

from . import views_changes as views

urlpatterns = [
    path("", views.change_list, name="change_list"),
    path("new/", views.change_new, name="change_new"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.change_detail, name="change_detail"),
    path("<int:pk>/action/", views.change_action, name="change_action"),
    path("<int:pk>/cancel/", views.change_cancel, name="change_cancel"),
    path("<int:pk>/verify/", views.change_verify, name="change_verify"),
]
