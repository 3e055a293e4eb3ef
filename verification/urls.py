from django.urls import path

from . import views, views_sampling, views_standardisation

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
