from django.urls import path

from . import views

app_name = "retention"

urlpatterns = [
    path("", views.index, name="index"),
    path("approve/", views.approve, name="approve"),
    path("holds/new/", views.hold_add, name="hold_add"),
    path("holds/<id:pk>/lift/", views.hold_lift, name="hold_lift"),
]
