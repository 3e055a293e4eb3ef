"""The Quality Nominee's entry check, at /registrations/check/ (namespace "registrations")."""

from django.urls import path

from . import views_check as views

urlpatterns = [
    path("round/<id:pk>/start/", views.check_start, name="check_start"),
    path("<id:pk>/", views.check_detail, name="check_detail"),
    path("<id:pk>/run/", views.check_run, name="check_run"),
    path("<id:pk>/close/", views.check_close, name="check_close"),
    path("<id:pk>/add/", views.discrepancy_add, name="discrepancy_add"),
    path("discrepancies/<id:pk>/", views.discrepancy_detail, name="discrepancy_detail"),
    path("discrepancies/<id:pk>/ask/", views.discrepancy_ask, name="discrepancy_ask"),
    path("discrepancies/<id:pk>/answer/", views.discrepancy_answer, name="discrepancy_answer"),
    path("discrepancies/<id:pk>/pass/", views.discrepancy_pass, name="discrepancy_pass"),
    path("discrepancies/<id:pk>/amend/", views.discrepancy_amend, name="discrepancy_amend"),
    path("discrepancies/<id:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
]
