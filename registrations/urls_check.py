"""The Quality Nominee's entry check, at /registrations/check/ (namespace "registrations")."""

from django.urls import path

from . import views_check as views

urlpatterns = [
    path("round/<int:pk>/start/", views.check_start, name="check_start"),
    path("<int:pk>/", views.check_detail, name="check_detail"),
    path("<int:pk>/run/", views.check_run, name="check_run"),
    path("<int:pk>/close/", views.check_close, name="check_close"),
    path("<int:pk>/add/", views.discrepancy_add, name="discrepancy_add"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="discrepancy_detail"),
    path("discrepancies/<int:pk>/ask/", views.discrepancy_ask, name="discrepancy_ask"),
    path("discrepancies/<int:pk>/answer/", views.discrepancy_answer, name="discrepancy_answer"),
    path("discrepancies/<int:pk>/pass/", views.discrepancy_pass, name="discrepancy_pass"),
    path("discrepancies/<int:pk>/amend/", views.discrepancy_amend, name="discrepancy_amend"),
    path("discrepancies/<int:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
]
