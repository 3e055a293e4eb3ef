"""The qualification catalogue (included at "qualifications/")."""

from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.qualification_list, name="qualification_list"),
    path("import/", views.structure_import, name="structure_import"),
    path("<id:pk>/", views.qualification_detail, name="qualification_detail"),
    path("<id:pk>/structure.xlsx", views.qualification_export, name="qualification_export"),
]
