from django.contrib import admin
from django.urls import include, path

from . import views

handler400 = "btecqa.params.bad_request"

admin.site.site_header = "btecqa administration"
admin.site.site_title = "btecqa admin"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("centres/", include("centres.urls")),
    path("learners/imports/", include("learners.urls_import")),
    path("learners/", include("learners.urls")),
    path("learners/", include("dossier.urls")),
    path("qualifications/", include("qualifications.urls")),
    path("registrations/", include("registrations.urls")),
    path("assessment/", include("assessment.urls")),
    path("verification/", include("verification.urls")),
    path("policies/", include("policies.urls")),
    path("declarations/", include("declarations.urls")),
    path("claims/", include("claims.urls")),
    path("calendar/", include("calendar_reminders.urls")),
    path("jobs/", include("jobs.urls")),
    path("certificates/", include("certification.urls")),
    path("retention/", include("retention.urls")),
    path("admin/", admin.site.urls),
]
