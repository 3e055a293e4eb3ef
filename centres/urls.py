from django.urls import path

from . import views

app_name = "centres"
urlpatterns = [path("summary/", views.summary, name="summary")]
