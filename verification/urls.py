from django.urls import path

from . import views, views_iv, views_sampling, views_standardisation, views_sv

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
    path("sampling/", views_sampling.sampling_home, name="sampling_home"),
    path("sampling/plans/new/", views_sampling.sampling_plan_start, name="sampling_plan_start"),
    path("sampling/strategy/", views_sampling.sampling_strategy, name="sampling_strategy"),
    path(
        "sampling/strategy/set/",
        views_sampling.sampling_strategy_set,
        name="sampling_strategy_set",
    ),
    path("sampling/ratings/set/", views_sampling.sampling_rating_set, name="sampling_rating_set"),
    path("sampling/plan/<id:pk>/", views_sampling.sampling_plan, name="sampling_plan"),
    path("sampling/plan/<id:pk>/build/", views_sampling.sampling_build, name="sampling_build"),
    path("sampling/plan/<id:pk>/add/", views_sampling.sampling_item_add, name="sampling_item_add"),
    path(
        "sampling/plan/<id:pk>/coverage/",
        views_sampling.sampling_coverage,
        name="sampling_coverage",
    ),
    path(
        "sampling/item/<id:pk>/remove/",
        views_sampling.sampling_item_remove,
        name="sampling_item_remove",
    ),
]

# Standards verification (000-3.1.11, 000-3.1.13).
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
    path("sv/<id:pk>/evidence-pack/build/", views_sv.sv_pack_job, name="sv_pack_job"),
    path("sv/samples/<id:pk>/learners/", views_sv.sv_learners, name="sv_learners"),
    path("sv/samples/<id:pk>/submitted/", views_sv.sv_submitted, name="sv_submitted"),
    path("sv/actions/<id:pk>/close/", views_sv.sv_action_close, name="sv_action_close"),
]

# IV records on sampled decisions (000-3.2.1), /verification/iv/...
urlpatterns += [
    path("iv/", views_iv.iv_queue, name="iv_queue"),
    path("iv/items/<id:pk>/", views_iv.iv_item, name="iv_item"),
    path("iv/items/<id:pk>/record/", views_iv.iv_record, name="iv_record"),
    path("iv/actions/", views_iv.iv_actions, name="iv_actions"),
    path("iv/records/<id:pk>/done/", views_iv.iv_action_done, name="iv_action_done"),
    path("iv/records/<id:pk>/close/", views_iv.iv_action_close, name="iv_action_close"),
    path("iv/flags/", views_iv.iv_flags, name="iv_flags"),
    path("iv/flags/<id:pk>/clear/", views_iv.iv_flag_clear, name="iv_flag_clear"),
]
