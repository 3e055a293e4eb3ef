from django.urls import path

from . import views

app_name = "calendar_reminders"

urlpatterns = [
    path("", views.year_calendar, name="calendar"),
]
