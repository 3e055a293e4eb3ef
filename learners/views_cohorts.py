"""Setting up programmes and teaching groups (the exams office's, the QN's and admins')."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.permissions import get_object, requires, scope
from centres.models import Centre

from . import services
from .forms_cohorts import CohortForm, TeachingGroupForm
from .models import Cohort, TeachingGroup
from .permissions import MANAGE_COHORTS


def _managed_centres(user):
    return scope(user, MANAGE_COHORTS, Centre.objects.filter(is_active=True))


def _managed_cohort(request, pk):
    """404 when the programme is out of sight; 403 when seen but not the user's to change."""
    return get_object(
        request.user,
        MANAGE_COHORTS,
        Cohort.objects.select_related("qualification", "centre", "leader"),
        pk=pk,
    )


def _save_cohort(request, form, cohort=None):
    cohort = form.save(commit=False)
    try:
        services.save_cohort(
            cohort, optional_units=list(form.cleaned_data["optional_units"]), by=request.user
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    return cohort


@requires(MANAGE_COHORTS)
def cohort_create(request):
    form = CohortForm(request.POST or None, centres=_managed_centres(request.user))
    if request.method == "POST" and form.is_valid():
        cohort = _save_cohort(request, form)
        if cohort:
            messages.success(request, f"Programme {cohort} set up. Add its teaching groups.")
            return redirect("learners:cohort_detail", pk=cohort.pk)
    return render(request, "learners/cohort_form.html", {"form": form, "cohort": None})


@requires(MANAGE_COHORTS)
def cohort_edit(request, pk: int):
    cohort = _managed_cohort(request, pk)
    form = CohortForm(request.POST or None, instance=cohort, centres=_managed_centres(request.user))
    if request.method == "POST" and form.is_valid():
        if _save_cohort(request, form):
            messages.success(request, "Programme saved.")
            return redirect("learners:cohort_detail", pk=cohort.pk)
    return render(request, "learners/cohort_form.html", {"form": form, "cohort": cohort})


@requires(MANAGE_COHORTS)
def group_edit(request, pk: int, group_pk: int | None = None):
    cohort = _managed_cohort(request, pk)
    group = (
        get_object(request.user, MANAGE_COHORTS, cohort.teaching_groups.all(), pk=group_pk)
        if group_pk
        else TeachingGroup(cohort=cohort)
    )
    current = list(group.learners.values_list("pk", flat=True)) if group.pk else []
    initial = (
        {
            "academic_year": group.academic_year,
            "name": group.name,
            "delivering_centre": group.delivering_centre,
            "learners": current,
        }
        if group.pk
        else {"delivering_centre": cohort.centre, "academic_year": cohort.year_taught()}
    )
    form = TeachingGroupForm(request.POST or None, initial=initial, cohort=cohort, current=current)
    if request.method == "POST" and form.is_valid():
        group.name = form.cleaned_data["name"]
        group.academic_year = form.cleaned_data["academic_year"]
        group.delivering_centre = form.cleaned_data["delivering_centre"]
        try:
            services.save_teaching_group(
                group, learners=list(form.cleaned_data["learners"]), by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Teaching group {group.name} saved.")
            return redirect("learners:cohort_detail", pk=cohort.pk)
    return render(
        request,
        "learners/teaching_group_form.html",
        {"form": form, "cohort": cohort, "group": group},
    )
