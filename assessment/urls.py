"""Assessment URLs: each area keeps its own module, joined here under one namespace."""

from . import urls_decisions, urls_plans, urls_progress, urls_tracking

app_name = "assessment"

urlpatterns = [
    *urls_plans.urlpatterns,
    *urls_decisions.urlpatterns,
    *urls_tracking.urlpatterns,
    *urls_progress.urlpatterns,
]
