"""The Quality Nominee's list of Lead IVs. Thin: rules in services.py, reads in selectors.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.permissions import (
    can,
    get_object,
    granted_cohorts,
    has_perm,
    limited_centres,
    requires,
    scope,
)
from accounts.selectors import people_at
from btecqa.forms import show_again
from btecqa.params import int_param
from btecqa.validators import academic_year_for, academic_year_problem
from centres.models import Centre

from . import selectors, services
from .forms import LeadIVForm
from .models import LeadIVAppointment
from .permissions import MANAGE_LEAD_IVS, VIEW_LEAD_IVS


def _centres(user, perm):
    return scope(user, perm, Centre.objects.filter(is_active=True)).order_by("name")


def _people(centres):
    return people_at(centres)


def _year(request) -> str:
    year = request.GET.get("year", "")
    if year and not academic_year_problem(year):
        return year
    return academic_year_for(timezone.localdate())


@requires(VIEW_LEAD_IVS)
def lead_iv_list(request):
    user = request.user
    # A Standards Verifier sees the Lead IVs of the qualifications their grant names (000-3.1.4).
    limited = limited_centres(user, VIEW_LEAD_IVS)
    centres = Centre.objects.filter(
        Q(pk__in=_centres(user, VIEW_LEAD_IVS).values("pk")) | Q(pk__in=sorted(limited)),
        is_active=True,
    ).order_by("name")
    wanted = int_param(request.GET, "centre")
    centre = centres.filter(pk=wanted).first() if wanted else centres.first()
    year = _year(request)
    rows = selectors.lead_iv_rows(centre, year) if centre else []
    if centre is not None and centre.pk in limited:
        granted = {q for c, _cohort, q in granted_cohorts(user) if c == centre.pk}
        rows = [r for r in rows if r["qualification"].pk in granted]
    return render(
        request,
        "verification/lead_iv_list.html",
        {
            "centres": centres,
            "centre": centre,
            "year": year,
            "rows": rows,
            "can_manage": centre is not None and has_perm(request.user, MANAGE_LEAD_IVS, centre.pk),
        },
    )


@requires(MANAGE_LEAD_IVS)
def lead_iv_add(request):
    centres = _centres(request.user, MANAGE_LEAD_IVS)
    initial = {"academic_year": _year(request)}
    if (pk := int_param(request.GET, "centre")) and centres.filter(pk=pk).exists():
        initial["centre"] = pk
    if qualification := int_param(request.GET, "qualification"):
        initial["qualification"] = qualification
    form = LeadIVForm(
        request.POST or None, centres=centres, people=_people(centres), initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                appt = services.appoint_lead_iv(
                    centre=data["centre"],
                    qualification=data["qualification"],
                    academic_year=data["academic_year"],
                    lead_iv=data["lead_iv"],
                    cover=data["cover"],
                    note=data["standardisation_note"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"{appt}: {appt.lead_iv} identified.")
                return _back_to_list(appt)
        show_again(request, form)
    return render(request, "verification/lead_iv_form.html", {"form": form, "appointment": None})


@requires(MANAGE_LEAD_IVS)
def lead_iv_edit(request, pk: int):
    appt = get_object(
        request.user,
        MANAGE_LEAD_IVS,
        LeadIVAppointment.objects.select_related("centre", "qualification"),
        pk=pk,
    )
    initial = {
        "lead_iv": appt.lead_iv_id,
        "cover": appt.cover_id,
        "standardisation_note": appt.standardisation_note,
        "lock": appt.lock_version,
    }
    centres = Centre.objects.filter(pk=appt.centre_id)
    form = LeadIVForm(
        request.POST or None,
        centres=centres,
        people=_people(centres),
        appointment=appt,
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.change_lead_iv(
                    appt,
                    lead_iv=data["lead_iv"],
                    cover=data["cover"],
                    note=data["standardisation_note"],
                    by=request.user,
                    expected_lock=data["lock"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"{appt} saved.")
                return _back_to_list(appt)
        show_again(request, form, lock=appt.lock_version)
    return render(
        request,
        "verification/lead_iv_form.html",
        {"form": form, "appointment": appt, "can_manage": can(request.user, MANAGE_LEAD_IVS, appt)},
    )


def _back_to_list(appt):
    from urllib.parse import urlencode

    from django.urls import reverse

    query = urlencode({"centre": appt.centre_id, "year": appt.academic_year})
    return redirect(f"{reverse('verification:lead_iv_list')}?{query}")
