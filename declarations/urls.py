from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("", views.declaration_list, name="declaration_list"),
    path("start/", views.declaration_start, name="declaration_start"),
    path("<id:pk>/", views.declaration_detail, name="declaration_detail"),
    path("<id:pk>/checklist/", views.declaration_items, name="declaration_items"),
    path("<id:pk>/complete/", views.declaration_complete, name="declaration_complete"),
    path("<id:pk>/confirm/", views.declaration_confirm, name="declaration_confirm"),
    path("<id:pk>/submitted/", views.declaration_submitted, name="declaration_submitted"),
    path("<id:pk>/versions/<id:number>/", views.declaration_version, name="declaration_version"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/<id:arrangement>/", views.review_add, name="review_add"),
    path("reviews/<id:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<id:pk>/actions/", views.review_action_add, name="review_action_add"),
    path(
        "reviews/<id:pk>/actions/<id:action>/close/",
        views.review_action_close,
        name="review_action_close",
    ),
]
