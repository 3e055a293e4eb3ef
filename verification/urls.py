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
