"""The app's URLs plus the floor views the benchmarks compare pages with (never deployed)."""

from django.http import HttpResponse
from django.template import Context, Template
from django.urls import include, path

from registrations.models import Registration

ENTRY_ROWS = Template(
    "<!doctype html><title>entries</title><table>"
    "<thead><tr><th>Learner</th><th>DOB</th><th>Sex</th><th>ULN</th><th>Candidate</th>"
    "<th>Pathway</th><th>Code</th><th>Status</th></tr></thead><tbody>"
    "{% for r in rows %}<tr><td>{{ r.1|upper }}, {{ r.2 }}</td><td>{{ r.3|date:'d/m/Y' }}</td>"
    "<td>{{ r.4 }}</td><td>{{ r.5 }}</td><td>{{ r.6 }}</td><td>{{ r.7 }}</td><td>{{ r.8 }}</td>"
    "<td>{{ r.9 }}</td></tr>{% endfor %}</tbody></table>"
)


def bare_entry_list(request, cohort_id: int):
    """The same rows with one query and a plain template: what a page cannot go below."""
    rows = list(
        Registration.objects.filter(cohort_id=cohort_id, status__in=Registration.ON_LIST)
        .order_by("learner__last_name", "learner__first_name", "learner_id")
        .values_list(
            "pk",
            "learner__last_name",
            "learner__first_name",
            "learner__date_of_birth",
            "learner__sex",
            "learner__uln",
            "learner__candidate_number",
            "pathway",
            "programme_code",
            "status",
        )
    )
    return HttpResponse(ENTRY_ROWS.render(Context({"rows": rows})))


urlpatterns = [
    path("bench/entry-list/<int:cohort_id>/", bare_entry_list),
    path("", include("btecqa.urls")),
]
