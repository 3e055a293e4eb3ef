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

# IV records on sampled decisions (000-3.2.1), /verification/iv/...
from . import views_iv  # noqa: E402

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
