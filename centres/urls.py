from django.urls import path

from . import views

app_name = "centres"
urlpatterns = [
    path("summary/", views.summary, name="summary"),
    path("approvals/", views.approvals, name="approvals"),
    path("arrangements/", views.arrangement_list, name="arrangement_list"),
    path("arrangements/new/", views.arrangement_create, name="arrangement_create"),
    path("arrangements/<int:pk>/", views.arrangement_detail, name="arrangement_detail"),
    path("arrangements/<int:pk>/invite/", views.partner_invite, name="partner_invite"),
    path(
        "arrangements/<int:pk>/partners/<int:partner_pk>/answer/",
        views.partner_answer,
        name="partner_answer",
    ),
    path(
        "arrangements/<int:pk>/partners/<int:partner_pk>/withdraw/",
        views.partner_withdraw,
        name="partner_withdraw",
    ),
    path(
        "arrangements/<int:pk>/qualifications/", views.qualification_add, name="qualification_add"
    ),
    path(
        "arrangements/<int:pk>/qualifications/<int:aq_pk>/withdraw/",
        views.qualification_withdraw,
        name="qualification_withdraw",
    ),
    path(
        "arrangements/<int:pk>/pearson-told/<int:todo_pk>/", views.pearson_told, name="pearson_told"
    ),
    path("arrangements/<int:pk>/noted/<int:todo_pk>/", views.change_noted, name="change_noted"),
]
