"""Standardisation records (000-3.1.5): the list and the form. Rules in services.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import has_perm, requires
from btecqa.forms import show_again
from btecqa.params import int_param

from . import selectors, services
from .forms import StandardisationForm
from .permissions import RECORD_STANDARDISATION, SET_STANDARDISATION_RULE, VIEW_STANDARDISATION
from .views import _centres, _people, _year


@requires(VIEW_STANDARDISATION)
def standardisation_list(request):
    year = _year(request)
    records = list(
        selectors.standardisation_records(request.user, VIEW_STANDARDISATION, academic_year=year)
    )
    return render(
        request,
        "verification/standardisation_list.html",
        {
            "year": year,
            "records": records,
            "can_record": has_perm(request.user, RECORD_STANDARDISATION),
            "rules": selectors.standardisation_rules(
                _centres(request.user, SET_STANDARDISATION_RULE)
            ),
        },
    )


@requires(RECORD_STANDARDISATION)
def standardisation_add(request):
    centres = _centres(request.user, RECORD_STANDARDISATION)
    form = StandardisationForm(
        request.POST or None,
        centres=centres,
        people=_people(centres),
        initial={"academic_year": _year(request)},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = services.record_standardisation(by=request.user, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Recorded: {record}.")
                url = reverse("verification:standardisation_list")
                return redirect(f"{url}?year={record.academic_year}")
        show_again(request, form)
    return render(request, "verification/standardisation_form.html", {"form": form})


@requires(SET_STANDARDISATION_RULE)
@require_POST
def standardisation_rule(request):
    """The QN's warn-or-block choice, posted from the list page (one per centre)."""
    centres = _centres(request.user, SET_STANDARDISATION_RULE)
    centre = centres.filter(pk=int_param(request.POST, "centre") or 0).first()
    if centre is None:
        messages.error(request, "Choose one of your centres.")
    else:
        block = request.POST.get("block") == "1"
        services.set_standardisation_rule(centre=centre, block=block, by=request.user)
        messages.success(
            request,
            f"{centre.name}: anyone not standardised on a unit this year is now "
            f"{'blocked from recording decisions or IV' if block else 'warned on the plan'}.",
        )
    return redirect("verification:standardisation_list")
