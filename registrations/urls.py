from django.urls import include, path

from . import views

app_name = "registrations"
urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("open/", views.round_open, name="round_open"),
    path("calendar/", views.calendar_edit, name="calendar_edit"),
    path("<id:pk>/", views.round_detail, name="round_detail"),
    path("<id:pk>/request/", views.request_entries, name="request_entries"),
    path("<id:pk>/close/", views.round_close, name="round_close"),
    path("<id:pk>/start-cohorts/", views.round_start_cohorts, name="round_start_cohorts"),
    path("requests/<id:pk>/", views.proposals, name="proposals"),
    path("requests/<id:pk>/send/", views.proposals_send, name="proposals_send"),
    path("requests/<id:pk>/options/<id:reg>/", views.proposal_options, name="proposal_options"),
    path("lists/<id:pk>/", views.entry_list_detail, name="entry_list"),
    path("lists/<id:pk>/enter/", views.entries_make, name="entries_make"),
    path("lists/<id:pk>/return/", views.entry_list_return, name="entry_list_return"),
    path("lists/<id:pk>/sign/", views.entry_list_sign, name="entry_list_sign"),
    path("lists/<id:pk>/query/<id:reg>/", views.row_query, name="row_query"),
    path("queries/<id:pk>/answer/", views.query_answer, name="query_answer"),
    path("lists/<id:pk>/amend/<id:reg>/", views.row_amend, name="row_amend"),
    path("lists/<id:pk>/remove/<id:reg>/", views.row_remove, name="row_remove"),
    path("lists/<id:pk>/submit/", views.entry_list_submit, name="entry_list_submit"),
    path("lists/<id:pk>/versions/", views.entry_list_versions, name="entry_list_versions"),
    path("", include("registrations.urls_documents")),
    path("numbers/", include("registrations.urls_numbers")),
    path("check/", include("registrations.urls_check")),
    path("changes/", include("registrations.urls_changes")),
]
