"""The claim readiness page: a cohort's learners, each with its blockers and their links."""

from dataclasses import replace

from django.shortcuts import render
from django.urls import Resolver404, resolve

from accounts.permissions import SIGNED_IN, get_object, has_perm, requires
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
    _drop_dead_links(request.user, result, cohort.centre_id)
    return render(request, "claims/readiness.html", {"cohort": cohort, "r": result})


def _drop_dead_links(user, result, centre_id) -> None:
    """Keep a blocker's "fix" link only where this user may use the page it leads to
    (the page's own permission at the cohort's centre); the blocker's text stays."""
    allowed: dict[str, bool] = {}

    def usable(url: str) -> bool:
        if url not in allowed:
            try:
                perm = getattr(resolve(url).func, "btecqa_permission", "")
            except Resolver404:
                perm = ""
            allowed[url] = not perm or perm == SIGNED_IN or has_perm(user, perm, centre_id)
        return allowed[url]

    for learner in result.learners:
        learner.blockers = [
            b if not b.url or usable(b.url) else replace(b, url="") for b in learner.blockers
        ]
