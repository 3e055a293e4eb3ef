"""URLs for the plans pages (joined into assessment.urls)."""

from django.urls import path

from . import views_briefs as b
from . import views_plans as v

urlpatterns: list = [
    path("plans/", v.plan_list, name="plan_list"),
    path("plans/start/", v.plan_start, name="plan_start"),
    path("plans/<id:pk>/", v.plan_detail, name="plan_detail"),
    path("plans/<id:pk>/units/<id:unit>/add/", v.assignment_add, name="assignment_add"),
    path("plans/<id:pk>/rows/<id:row>/", v.assignment_edit, name="assignment_edit"),
    path("plans/<id:pk>/rows/<id:row>/remove/", v.assignment_remove, name="assignment_remove"),
    path("plans/<id:pk>/submit/", v.plan_submit, name="plan_submit"),
    path("plans/<id:pk>/approve/", v.plan_approve, name="plan_approve"),
    path("plans/<id:pk>/return/", v.plan_return, name="plan_return"),
    path("plans/<id:pk>/reopen/", v.plan_reopen, name="plan_reopen"),
    path("plans/<id:pk>/plan.pdf", v.plan_pdf, name="plan_pdf"),
    path("plans/<id:pk>/versions/", v.plan_versions, name="plan_versions"),
    path("briefs/for/<id:row>/", b.brief_edit, name="brief_edit"),
    path("briefs/<id:pk>/", b.brief_detail, name="brief_detail"),
    path("briefs/<id:pk>/verify/", b.brief_verify, name="brief_verify"),
    path("briefs/<id:pk>/sign/", b.brief_sign, name="brief_sign"),
    path("briefs/<id:pk>/issue/", b.brief_issue, name="brief_issue"),
    path("briefs/files/<id:pk>/", b.brief_file, name="brief_file"),
]
