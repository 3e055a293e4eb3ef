"""The external entries page of a cohort and series: learners × external units, tick and
save in one request; each entry with its imported result; the entries file. Thin: the
rules are claims.services_entries'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, requires, scope
from btecqa.validators import academic_year_for, academic_year_problem
from learners.models import Cohort, Learner

from . import config
from . import services_entries as services
from .models import ExternalEntry
from .permissions import MAKE_EXTERNAL_ENTRIES, VIEW_EXTERNAL_ENTRIES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year_and_series(request):
    year = request.GET.get("year", "").strip()
    if not year or academic_year_problem(year):
        year = academic_year_for(timezone.localdate())
    all_series = config.external_series(year)
    name = request.GET.get("series", "").strip()
    series = next((s for s in all_series if s.name == name), None) or all_series[-1]
    return year, all_series, series


@requires(VIEW_EXTERNAL_ENTRIES)
def entries(request, pk):
    cohort = get_object(
        request.user,
        VIEW_EXTERNAL_ENTRIES,
        Cohort.objects.select_related("qualification", "centre"),
        pk=pk,
    )
    year, all_series, series = _year_and_series(request)
    from registrations.models import Registration

    units = list(services.external_units(cohort))
    learners = list(
        Learner.objects.filter(
            registrations__cohort=cohort, registrations__status__in=Registration.ON_LIST
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    qs = scope(
        request.user,
        VIEW_EXTERNAL_ENTRIES,
        ExternalEntry.objects.filter(cohort=cohort).select_related("learner", "unit"),
    )
    rows, unmatched = services.entries_with_results(qs)
    here = {
        (e.learner_id, e.unit_id): (e, result, earlier)
        for e, result, earlier in rows
        if e.series == series.name and e.withdrawn_at is None
    }
    grid = [
        (learner, [(unit, here.get((learner.pk, unit.pk))) for unit in units])
        for learner in learners
    ]
    return render(
        request,
        "claims/entries.html",
        {
            "cohort": cohort,
            "year": year,
            "all_series": all_series,
            "series": series,
            "units": units,
            "grid": grid,
            "rows": rows,
            "unmatched": unmatched,
            "can_enter": can(request.user, MAKE_EXTERNAL_ENTRIES, cohort),
        },
    )


@requires(VIEW_EXTERNAL_ENTRIES)
def entries_xlsx(request, pk):
    cohort = get_object(request.user, VIEW_EXTERNAL_ENTRIES, Cohort.objects.all(), pk=pk)
    year, _, series = _year_and_series(request)
    qs = scope(
        request.user,
        VIEW_EXTERNAL_ENTRIES,
        ExternalEntry.objects.filter(cohort=cohort, series=series.name)
        .select_related("learner__centre", "unit")
        .order_by("learner__last_name", "learner__first_name", "unit__sort_key"),
    )
    response = HttpResponse(services.entries_file(qs), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="entries-{cohort.pk}.xlsx"'
    return response


@requires(MAKE_EXTERNAL_ENTRIES)
@require_POST
def entries_save(request, pk):
    cohort = get_object(request.user, MAKE_EXTERNAL_ENTRIES, Cohort.objects.all(), pk=pk)
    year, _, series = _year_and_series(request)
    pairs = []
    for value in request.POST.getlist("enter"):
        learner, _, unit = value.partition("-")
        if learner.isdigit() and unit.isdigit():
            pairs.append((int(learner), int(unit)))
    try:
        made = services.make_entries(
            cohort,
            year,
            series.name,
            pairs,
            by=request.user,
            confirm_very_late=request.POST.get("confirm_very_late") == "1",
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, f"{len(made)} entries made for {series.name}.")
    page = reverse("claims:entries", kwargs={"pk": cohort.pk})
    return redirect(f"{page}?{urlencode({'year': year, 'series': series.name})}")


@requires(MAKE_EXTERNAL_ENTRIES)
@require_POST
def entry_withdraw(request, pk):
    """Withdraw one live entry (a learner who will not sit); kept with who and when."""
    entry = get_object(
        request.user,
        MAKE_EXTERNAL_ENTRIES,
        ExternalEntry.objects.select_related("learner", "unit", "cohort"),
        pk=pk,
    )
    try:
        services.withdraw_entry(entry, by=request.user)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, f"{entry.learner}'s entry for {entry} is withdrawn.")
    page = reverse("claims:entries", kwargs={"pk": entry.cohort_id})
    return redirect(f"{page}?{urlencode({'year': entry.academic_year, 'series': entry.series})}")
