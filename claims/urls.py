from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("readiness/<id:pk>/", views.readiness, name="readiness"),
]
