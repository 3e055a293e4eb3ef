"""Setting up programmes and teaching groups (the exams office's, the QN's and admins')."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.permissions import get_object, requires, scope
from centres.models import Centre

from . import services
from .forms_programmes import ProgrammeForm, TeachingGroupForm
from .models import Programme, TeachingGroup
from .permissions import MANAGE_PROGRAMMES


def _managed_centres(user):
    return scope(user, MANAGE_PROGRAMMES, Centre.objects.filter(is_active=True))


def _managed_programme(request, pk):
    """404 when the programme is out of sight; 403 when seen but not the user's to change."""
    return get_object(
        request.user,
        MANAGE_PROGRAMMES,
        Programme.objects.select_related("qualification", "centre", "leader"),
        pk=pk,
    )


def _save_programme(request, form, programme=None):
    programme = form.save(commit=False)
    try:
        services.save_programme(
            programme, optional_units=list(form.cleaned_data["optional_units"]), by=request.user
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    return programme


@requires(MANAGE_PROGRAMMES)
def programme_create(request):
    form = ProgrammeForm(request.POST or None, centres=_managed_centres(request.user))
    if request.method == "POST" and form.is_valid():
        programme = _save_programme(request, form)
        if programme:
            messages.success(request, f"Programme {programme} set up. Add its teaching groups.")
            return redirect("learners:programme_detail", pk=programme.pk)
    return render(request, "learners/programme_form.html", {"form": form, "programme": None})


@requires(MANAGE_PROGRAMMES)
def programme_edit(request, pk: int):
    programme = _managed_programme(request, pk)
    form = ProgrammeForm(
        request.POST or None, instance=programme, centres=_managed_centres(request.user)
    )
    if request.method == "POST" and form.is_valid():
        if _save_programme(request, form):
            messages.success(request, "Programme saved.")
            return redirect("learners:programme_detail", pk=programme.pk)
    return render(request, "learners/programme_form.html", {"form": form, "programme": programme})


@requires(MANAGE_PROGRAMMES)
def group_edit(request, pk: int, group_pk: int | None = None):
    programme = _managed_programme(request, pk)
    group = (
        get_object(request.user, MANAGE_PROGRAMMES, programme.teaching_groups.all(), pk=group_pk)
        if group_pk
        else TeachingGroup(programme=programme)
    )
    current = list(group.learners.values_list("pk", flat=True)) if group.pk else []
    initial = (
        {"name": group.name, "delivering_centre": group.delivering_centre, "learners": current}
        if group.pk
        else {"delivering_centre": programme.centre}
    )
    form = TeachingGroupForm(
        request.POST or None, initial=initial, programme=programme, current=current
    )
    if request.method == "POST" and form.is_valid():
        group.name = form.cleaned_data["name"]
        group.delivering_centre = form.cleaned_data["delivering_centre"]
        try:
            services.save_teaching_group(
                group, learners=list(form.cleaned_data["learners"]), by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Teaching group {group.name} saved.")
            return redirect("learners:programme_detail", pk=programme.pk)
    return render(
        request,
        "learners/teaching_group_form.html",
        {"form": form, "programme": programme, "group": group},
    )
