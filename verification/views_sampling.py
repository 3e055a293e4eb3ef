"""IV sampling pages (policy 000-3.2.1): the strategy and ratings, the plans, the sample,
its compliance and the CAMERA coverage matrix. Thin: rules in services_sampling.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import can, get_object, has_perm, requires, scope
from assessment.models import PlannedAssignment
from btecqa.params import int_param
from btecqa.validators import academic_year_problem
from learners.models import Cohort, Learner

from . import selectors_sampling as sel
from . import services_sampling as svc
from .forms_sampling import AddItemForm, BuildForm, RatingForm, StrategyForm
from .models_sampling import AssessorRating, IVPlan, RiskRating, SampleItem
from .permissions import PLAN_IV_SAMPLING, SET_SAMPLING_STRATEGY, VIEW_IV_SAMPLING
from .views import _centres, _year


def _refused(request, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, f"{name.replace('_', ' ').capitalize()}: {error}")
    else:
        for error in exc.messages:
            messages.error(request, error)


@requires(VIEW_IV_SAMPLING)
def sampling_home(request):
    year = _year(request)
    plans = list(
        scope(request.user, VIEW_IV_SAMPLING, IVPlan.objects.filter(academic_year=year))
        .select_related("cohort__qualification", "cohort__centre")
        .order_by("cohort__centre__name", "cohort__qualification__title")
    )
    cohorts = []
    if has_perm(request.user, PLAN_IV_SAMPLING):
        planned = {p.cohort_id for p in plans}
        cohorts = [
            c
            for c in scope(request.user, PLAN_IV_SAMPLING, Cohort.objects.covering(year))
            .select_related("qualification", "centre")
            .order_by("centre__name", "qualification__title")
            if c.pk not in planned
        ]
    return render(
        request,
        "verification/sampling_home.html",
        {"year": year, "plans": plans, "cohorts": cohorts},
    )


@requires(PLAN_IV_SAMPLING)
@require_POST
def sampling_plan_start(request):
    year = request.POST.get("year", "")
    pk = int_param(request.POST, "cohort")
    if not pk or academic_year_problem(year):
        messages.error(request, "Choose a cohort and an academic year such as 2026/27.")
        return redirect("verification:sampling_home")
    cohort = get_object(request.user, PLAN_IV_SAMPLING, Cohort, pk=pk)
    plan = svc.start_plan(cohort, year, by=request.user)
    return redirect("verification:sampling_plan", pk=plan.pk)


# ---------------------------------------------------------------- strategy and ratings


@requires(VIEW_IV_SAMPLING)
def sampling_strategy(request):
    centres = _centres(request.user, VIEW_IV_SAMPLING)
    wanted = int_param(request.GET, "centre")
    centre = centres.filter(pk=wanted).first() if wanted else centres.first()
    year = _year(request)
    rows, strategy = [], None
    if centre is not None:
        strategy = svc.strategy_for(centre)
        ids = set(
            PlannedAssignment.objects.filter(
                plan__cohort__centre=centre, plan__academic_year=year
            ).values_list("assessor_id", flat=True)
        ) | set(
            AssessorRating.objects.filter(centre=centre, academic_year=year).values_list(
                "assessor_id", flat=True
            )
        )
        ratings = svc.resolve_ratings(centre.pk, year, ids)
        people = User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username")
        rows = [
            {"person": p, "rating": ratings[p.pk], "rate": strategy.rate_for(ratings[p.pk].rating)}
            for p in people
        ]
    can_set = centre is not None and has_perm(request.user, SET_SAMPLING_STRATEGY, centre.pk)
    can_rate = centre is not None and has_perm(request.user, PLAN_IV_SAMPLING, centre.pk)
    form = None
    if strategy is not None:
        form = StrategyForm(initial={f: getattr(strategy, f) for f in svc.STRATEGY_FIELDS})
    return render(
        request,
        "verification/sampling_strategy.html",
        {
            "centres": centres,
            "centre": centre,
            "year": year,
            "strategy": strategy,
            "saved": strategy is not None and strategy.pk is not None,
            "form": form,
            "rows": rows,
            "can_set": can_set,
            "can_rate": can_rate,
            "rating_choices": RiskRating.choices,
        },
    )


def _strategy_url(centre_pk, year) -> str:
    return f"{reverse('verification:sampling_strategy')}?centre={centre_pk}&year={year}"


@requires(SET_SAMPLING_STRATEGY)
@require_POST
def sampling_strategy_set(request):
    centres = _centres(request.user, SET_SAMPLING_STRATEGY)
    centre = centres.filter(pk=int_param(request.POST, "centre") or 0).first()
    if centre is None:
        messages.error(request, "Choose one of your centres.")
        return redirect("verification:sampling_strategy")
    form = StrategyForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}")
        return redirect(_strategy_url(centre.pk, _year(request)))
    try:
        svc.set_strategy(centre, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Sampling strategy saved for {centre.name}.")
    return redirect(_strategy_url(centre.pk, request.POST.get("year", "")))


@requires(PLAN_IV_SAMPLING)
@require_POST
def sampling_rating_set(request):
    centres = _centres(request.user, PLAN_IV_SAMPLING)
    centre = centres.filter(pk=int_param(request.POST, "centre") or 0).first()
    year = request.POST.get("year", "")
    person = User.objects.filter(pk=int_param(request.POST, "assessor") or 0).first()
    if centre is None or person is None or academic_year_problem(year):
        messages.error(request, "Choose one of your centres, an assessor and a year.")
        return redirect("verification:sampling_strategy")
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rating: choose new, experienced or flagged.")
        return redirect(_strategy_url(centre.pk, year))
    try:
        row = svc.set_rating(centre, person, year, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Rated: {row}.")
    return redirect(_strategy_url(centre.pk, year))


# ---------------------------------------------------------------- the plan


def _plan(request, perm, pk):
    return get_object(
        request.user,
        perm,
        IVPlan.objects.select_related("cohort__qualification", "cohort__centre"),
        pk=pk,
    )


@requires(VIEW_IV_SAMPLING)
def sampling_plan(request, pk):
    plan = _plan(request, VIEW_IV_SAMPLING, pk)
    can_plan = can(request.user, PLAN_IV_SAMPLING, plan)
    return render(
        request,
        "verification/sampling_plan.html",
        {
            "plan": plan,
            "items": sel.plan_items(plan),
            "compliance": svc.compliance(plan),
            "can_plan": can_plan,
            "build_form": BuildForm(),
            "add_form": AddItemForm(),
        },
    )


@requires(PLAN_IV_SAMPLING)
@require_POST
def sampling_build(request, pk):
    plan = _plan(request, PLAN_IV_SAMPLING, pk)
    form = BuildForm(request.POST)
    stage = form.cleaned_data["stage"] if form.is_valid() else SampleItem.Stage.SUMMATIVE
    new = svc.build_sample(plan, by=request.user, stage=stage)
    label = SampleItem.Stage(stage).label.split(" (")[0].lower()
    if new:
        messages.success(request, f"Built the {label} sample: {len(new)} added.")
    else:
        messages.info(request, f"The {label} sample already meets the strategy: nothing added.")
    return redirect("verification:sampling_plan", pk=plan.pk)


@requires(PLAN_IV_SAMPLING)
@require_POST
def sampling_item_add(request, pk):
    plan = _plan(request, PLAN_IV_SAMPLING, pk)
    form = AddItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the learner's work and the stage.")
        return redirect("verification:sampling_plan", pk=plan.pk)
    data = form.cleaned_data
    learner_pk, assignment_pk, attempt = data["work"].split(":")
    learner = Learner.objects.filter(pk=int(learner_pk)).first()
    assignment = (
        PlannedAssignment.objects.filter(pk=int(assignment_pk)).select_related("plan").first()
    )
    if learner is None or assignment is None:
        messages.error(request, "No such learner or assignment on this cohort.")
        return redirect("verification:sampling_plan", pk=plan.pk)
    try:
        item = svc.add_item(
            plan,
            learner,
            assignment,
            by=request.user,
            attempt=attempt,
            stage=data["stage"],
            reason=data["reason"],
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Added to the sample: {item.snapshot['learner']}.")
    return redirect("verification:sampling_plan", pk=plan.pk)


@requires(PLAN_IV_SAMPLING)
@require_POST
def sampling_item_remove(request, pk):
    item = get_object(
        request.user,
        PLAN_IV_SAMPLING,
        SampleItem.objects.select_related("plan__cohort", "learner", "assignment"),
        pk=pk,
    )
    plan_pk = item.plan_id
    try:
        svc.remove_item(item, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, "Removed from the sample.")
    return redirect("verification:sampling_plan", pk=plan_pk)


@requires(VIEW_IV_SAMPLING)
def sampling_coverage(request, pk):
    plan = _plan(request, VIEW_IV_SAMPLING, pk)
    return render(
        request,
        "verification/coverage.html",
        {"plan": plan, "cov": sel.coverage(plan)},
    )
