from django.urls import path

from . import views, views_standardisation

app_name = "verification"

urlpatterns = [
    path("lead-ivs/", views.lead_iv_list, name="lead_iv_list"),
    path("lead-ivs/new/", views.lead_iv_add, name="lead_iv_add"),
    path("lead-ivs/<id:pk>/", views.lead_iv_edit, name="lead_iv_edit"),
    path(
        "standardisation/",
        views_standardisation.standardisation_list,
        name="standardisation_list",
    ),
    path(
        "standardisation/rule/",
        views_standardisation.standardisation_rule,
        name="standardisation_rule",
    ),
    path(
        "standardisation/new/",
        views_standardisation.standardisation_add,
        name="standardisation_add",
    ),
]

# Standards verification (000-3.1.11, 000-3.1.13).
from . import views_sv  # noqa: E402

urlpatterns += [
    path("sv/", views_sv.sv_list, name="sv_list"),
    path("sv/new/", views_sv.sv_add, name="sv_add"),
    path("sv/<id:pk>/", views_sv.sv_detail, name="sv_detail"),
    path("sv/<id:pk>/allocation/", views_sv.sv_allocation, name="sv_allocation"),
    path("sv/<id:pk>/route/", views_sv.sv_route, name="sv_route"),
    path("sv/<id:pk>/status/", views_sv.sv_status, name="sv_status"),
    path("sv/<id:pk>/sample/", views_sv.sv_sample, name="sv_sample"),
    path("sv/<id:pk>/actions/new/", views_sv.sv_action_add, name="sv_action_add"),
    path("sv/<id:pk>/evidence-pack.zip", views_sv.sv_pack, name="sv_pack"),
    path("sv/samples/<id:pk>/learners/", views_sv.sv_learners, name="sv_learners"),
    path("sv/samples/<id:pk>/submitted/", views_sv.sv_submitted, name="sv_submitted"),
    path("sv/actions/<id:pk>/close/", views_sv.sv_action_close, name="sv_action_close"),
]
