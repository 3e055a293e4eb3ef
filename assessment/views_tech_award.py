"""The Tech Award's assessment record for moderation: each learner's Pearson Set Assignment
marks per component in a series, on a page, as XLSX, and entered one mark at a time; the
exams officer enters the class for a component in the series and withdraws an entry.
Thin: rules in services_tech_award, reads in selectors_tech_award."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.permissions import can, get_object, requires
from btecqa.forms import Form
from btecqa.params import int_param
from documents.xlsx import xlsx_bytes
from learners.models import Cohort, Learner
from qualifications.models import AssessmentSeries, SeriesComponent

from . import services_tech_award as services
from .models import ComponentEntry
from .permissions import ENTER_SERIES, EXPORT_TRACKING, RECORD_COMPONENT_MARKS, VIEW_TRACKING
from .selectors_tech_award import assessment_record


class MarkForm(Form):
    learner = forms.IntegerField(widget=forms.HiddenInput)
    component = forms.IntegerField(widget=forms.HiddenInput)
    raw_mark = forms.IntegerField(label="Raw mark", min_value=0)


class EnterForm(Form):
    component = forms.IntegerField(widget=forms.HiddenInput)


class WithdrawForm(Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)


def _cohort_and_series(request, pk: int, perm):
    cohort = get_object(
        request.user, perm, Cohort.objects.select_related("qualification", "centre"), pk=pk
    )
    series_list = list(AssessmentSeries.objects.filter(qualification=cohort.qualification_id))
    if not series_list:
        raise Http404("This cohort's qualification has no assessment series (not a Tech Award).")
    chosen = int_param(request.GET, "series") or int_param(request.POST, "series")
    series = next((s for s in series_list if s.pk == chosen), None)
    if chosen is not None and series is None:
        raise Http404("No such series for this qualification.")
    if series is None:  # the cohort's first series still to come, else its last
        in_cohort = [s for s in series_list if cohort.covers(s.academic_year)] or series_list
        series = in_cohort[0]
    return cohort, series, series_list


@requires(VIEW_TRACKING)
def moderation_record(request, pk: int):
    cohort, series, series_list = _cohort_and_series(request, pk, VIEW_TRACKING)
    record = assessment_record(cohort, series, user=request.user, perm=VIEW_TRACKING)
    return render(
        request,
        "assessment/tech_award/record.html",
        {
            "cohort": cohort,
            "series": series,
            "series_list": series_list,
            "record": record,
            "missing": [u for u, c in zip(record.units, record.components, strict=True) if not c],
            "components": list(
                zip(
                    record.components,
                    record.not_entered(),
                    record.entered_learners(),
                    strict=True,
                )
            ),
            "can_enter": can(request.user, ENTER_SERIES, cohort),
            "can_export": can(request.user, EXPORT_TRACKING, cohort),
            "can_record": can(request.user, RECORD_COMPONENT_MARKS, cohort),
        },
    )


@requires(EXPORT_TRACKING)
def moderation_record_export(request, pk: int):
    cohort, series, _ = _cohort_and_series(request, pk, EXPORT_TRACKING)
    record = assessment_record(cohort, series, user=request.user, perm=EXPORT_TRACKING)
    data = xlsx_bytes([("Assessment record", record.headings(), record.table())])
    name = f"moderation-{cohort.centre.number}-{series.academic_year.replace('/', '')}"
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{series.window}.xlsx"'
    return response


@requires(RECORD_COMPONENT_MARKS)
def record_mark(request, pk: int):
    cohort, series, _ = _cohort_and_series(request, pk, RECORD_COMPONENT_MARKS)
    back = f"{reverse('assessment:moderation_record', args=[cohort.pk])}?series={series.pk}"
    if request.method != "POST":
        return redirect(back)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a raw mark of 0 or more.")
        return redirect(back)
    learner = get_object(
        request.user, RECORD_COMPONENT_MARKS, Learner.objects.all(), pk=form.cleaned_data["learner"]
    )
    component = SeriesComponent.objects.filter(
        series=series, pk=form.cleaned_data["component"]
    ).first()
    if component is None:
        raise Http404("No such component in this series.")
    try:
        services.record_component_mark(
            learner, cohort, component, form.cleaned_data["raw_mark"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, f"{learner}: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Mark recorded for {learner}.")
    return redirect(back)


def _back(cohort, series) -> str:
    return f"{reverse('assessment:moderation_record', args=[cohort.pk])}?series={series.pk}"


@requires(ENTER_SERIES)
def enter_series(request, pk: int):
    """The exams officer enters the class (those registered and not yet entered for the
    component in any series) for one component in the chosen series."""
    cohort, series, _ = _cohort_and_series(request, pk, ENTER_SERIES)
    back = _back(cohort, series)
    if request.method != "POST":
        return redirect(back)
    form = EnterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the component to enter the class for.")
        return redirect(back)
    component = (
        SeriesComponent.objects.filter(series=series, pk=form.cleaned_data["component"])
        .select_related("series", "unit")
        .first()
    )
    if component is None:
        raise Http404("No such component in this series.")
    try:
        entries = services.enter_for_series(cohort, component, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if entries:
            messages.success(
                request,
                f"{len(entries)} learner{'s' if len(entries) != 1 else ''} entered for "
                f"{component}.",
            )
        else:
            messages.info(request, f"Every registered learner is already entered for {component}.")
    return redirect(back)


@requires(ENTER_SERIES)
def withdraw_entry(request, pk: int):
    """The exams officer withdraws one learner's entry for a component in the series."""
    cohort, series, _ = _cohort_and_series(request, pk, ENTER_SERIES)
    back = _back(cohort, series)
    if request.method != "POST":
        return redirect(back)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the entry to withdraw.")
        return redirect(back)
    entry = get_object(
        request.user,
        ENTER_SERIES,
        ComponentEntry.objects.filter(cohort=cohort).select_related(
            "learner", "component__series", "component__unit"
        ),
        pk=form.cleaned_data["entry"],
    )
    try:
        services.withdraw_entry(entry, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{entry.learner}'s entry for {entry.component} withdrawn.")
    return redirect(back)
