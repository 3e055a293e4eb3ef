"""Registration numbers from Edexcel Online, under /registrations/numbers/."""

from django.urls import path

from . import views_numbers as views

urlpatterns = [
    path("", views.numbers_upload, name="numbers_upload"),
    path("<id:pk>/", views.numbers_preview, name="numbers_preview"),
    path("<id:pk>/apply/", views.numbers_apply, name="numbers_apply"),
]
