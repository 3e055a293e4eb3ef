from django.urls import include, path

from . import views

app_name = "registrations"
urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("open/", views.round_open, name="round_open"),
    path("calendar/", views.calendar_edit, name="calendar_edit"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/request/", views.request_entries, name="request_entries"),
    path("requests/<int:pk>/", views.proposals, name="proposals"),
    path("requests/<int:pk>/send/", views.proposals_send, name="proposals_send"),
    path("requests/<int:pk>/options/<int:reg>/", views.proposal_options, name="proposal_options"),
    path("lists/<int:pk>/", views.entry_list_detail, name="entry_list"),
    path("lists/<int:pk>/enter/", views.entries_make, name="entries_make"),
    path("lists/<int:pk>/return/", views.entry_list_return, name="entry_list_return"),
    path("lists/<int:pk>/sign/", views.entry_list_sign, name="entry_list_sign"),
    path("lists/<int:pk>/query/<int:reg>/", views.row_query, name="row_query"),
    path("queries/<int:pk>/answer/", views.query_answer, name="query_answer"),
    path("lists/<int:pk>/amend/<int:reg>/", views.row_amend, name="row_amend"),
    path("lists/<int:pk>/remove/<int:reg>/", views.row_remove, name="row_remove"),
    path("lists/<int:pk>/submit/", views.entry_list_submit, name="entry_list_submit"),
    path("lists/<int:pk>/versions/", views.entry_list_versions, name="entry_list_versions"),
    path("", include("registrations.urls_documents")),
    path("numbers/", include("registrations.urls_numbers")),
    path("check/", include("registrations.urls_check")),
    path("changes/", include("registrations.urls_changes")),
]
