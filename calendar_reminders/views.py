from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import requires, scope
from btecqa.params import int_param
from btecqa.validators import academic_year_for, academic_year_problem
from centres.models import Centre

from . import selectors
from .permissions import VIEW_CALENDAR


@requires(VIEW_CALENDAR)
def year_calendar(request):
    """The year's calendar of one of the user's centres (?centre=, ?year=)."""
    year = request.GET.get("year", "")
    if not year or academic_year_problem(year):
        year = academic_year_for(timezone.localdate())
    centres = list(
        scope(request.user, VIEW_CALENDAR, Centre.objects.filter(is_active=True)).order_by("name")
    )
    wanted = int_param(request.GET, "centre")
    centre = next((c for c in centres if c.pk == wanted), centres[0] if centres else None)
    rows = selectors.year_calendar(centre, year) if centre else []
    return render(
        request,
        "calendar_reminders/calendar.html",
        {
            "year": year,
            "centre": centre,
            "centres": centres,
            "rows": rows,
            "today": timezone.localdate(),
        },
    )
