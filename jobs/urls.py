from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("<id:pk>/", views.job_detail, name="job_detail"),
    path("<id:pk>/progress/", views.job_progress, name="job_progress"),
    path("<id:pk>/download/", views.job_download, name="job_download"),
]
