"""The claim readiness page: a cohort's learners, each with its blockers and their links."""

from django.shortcuts import render

from accounts.permissions import get_object, requires
from btecqa.validators import academic_year_problem
from learners.models import Cohort

from .selectors import claim_readiness, final_year

VIEW = "claims.view_readiness"


@requires(VIEW)
def readiness(request, pk):
    cohort = get_object(
        request.user, VIEW, Cohort.objects.select_related("qualification", "centre"), pk=pk
    )
    year = request.GET.get("year", "").strip()
    if not year or academic_year_problem(year):
        year = final_year(cohort)
    interim = request.GET.get("interim") == "1"
    result = claim_readiness(cohort, year, interim=interim)
    return render(request, "claims/readiness.html", {"cohort": cohort, "r": result})
