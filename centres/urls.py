from django.urls import path

from . import views

app_name = "centres"
urlpatterns = [
    path("summary/", views.summary, name="summary"),
    path("summary/report.pdf", views.summary_pdf, name="summary_pdf"),
    path("approvals/", views.approvals, name="approvals"),
    path("arrangements/", views.arrangement_list, name="arrangement_list"),
    path("arrangements/new/", views.arrangement_create, name="arrangement_create"),
    path("arrangements/<id:pk>/", views.arrangement_detail, name="arrangement_detail"),
    path("arrangements/<id:pk>/invite/", views.partner_invite, name="partner_invite"),
    path(
        "arrangements/<id:pk>/partners/<id:partner_pk>/answer/",
        views.partner_answer,
        name="partner_answer",
    ),
    path(
        "arrangements/<id:pk>/partners/<id:partner_pk>/withdraw/",
        views.partner_withdraw,
        name="partner_withdraw",
    ),
    path("arrangements/<id:pk>/qualifications/", views.qualification_add, name="qualification_add"),
    path(
        "arrangements/<id:pk>/qualifications/<id:aq_pk>/withdraw/",
        views.qualification_withdraw,
        name="qualification_withdraw",
    ),
    path(
        "arrangements/<id:pk>/pearson-told/<id:todo_pk>/", views.pearson_told, name="pearson_told"
    ),
    path("arrangements/<id:pk>/noted/<id:todo_pk>/", views.change_noted, name="change_noted"),
]
