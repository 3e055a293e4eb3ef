"""URLs for the plans pages (joined into assessment.urls)."""

from django.urls import path

from . import views_briefs as b
from . import views_plans as v

urlpatterns: list = [
    path("plans/", v.plan_list, name="plan_list"),
    path("plans/start/", v.plan_start, name="plan_start"),
    path("plans/<int:pk>/", v.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/units/<int:unit>/add/", v.assignment_add, name="assignment_add"),
    path("plans/<int:pk>/rows/<int:row>/", v.assignment_edit, name="assignment_edit"),
    path("plans/<int:pk>/rows/<int:row>/remove/", v.assignment_remove, name="assignment_remove"),
    path("plans/<int:pk>/submit/", v.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", v.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/return/", v.plan_return, name="plan_return"),
    path("plans/<int:pk>/reopen/", v.plan_reopen, name="plan_reopen"),
    path("plans/<int:pk>/plan.pdf", v.plan_pdf, name="plan_pdf"),
    path("plans/<int:pk>/versions/", v.plan_versions, name="plan_versions"),
    path("briefs/for/<int:row>/", b.brief_edit, name="brief_edit"),
    path("briefs/<int:pk>/", b.brief_detail, name="brief_detail"),
    path("briefs/<int:pk>/verify/", b.brief_verify, name="brief_verify"),
    path("briefs/<int:pk>/issue/", b.brief_issue, name="brief_issue"),
    path("briefs/files/<int:pk>/", b.brief_file, name="brief_file"),
]
