"""The Quality Nominee's retention page: due, approved, held and disposed; approve; hold."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.permissions import get_object, has_perm, requires, scope
from btecqa.forms import add_refusal
from btecqa.params import int_param
from learners.models import Learner

from . import services
from .forms import ApproveForm, HoldForm, LiftForm
from .models import LegalHold, RetentionItem
from .permissions import APPROVE_DISPOSAL, PLACE_HOLD, VIEW_RETENTION
from .registry import all_kinds

PAGE = 200


@requires(VIEW_RETENTION)
def index(request):
    status = request.GET.get("status", RetentionItem.Status.DUE)
    if status not in RetentionItem.Status.values:
        status = RetentionItem.Status.DUE
    kinds = {k.code: k.label for k in all_kinds().values()}
    kind = request.GET.get("kind", "")
    items = scope(request.user, VIEW_RETENTION, RetentionItem.objects.filter(status=status))
    if kind in kinds:
        items = items.filter(kind=kind)
    items = items.select_related("centre", "approved_by", "disposed_by")
    shown = list(items[:PAGE])
    form = None
    if status == RetentionItem.Status.DUE and has_perm(request.user, APPROVE_DISPOSAL):
        form = ApproveForm(queryset=_approvable(request.user))
    holds = scope(
        request.user, VIEW_RETENTION, LegalHold.objects.filter(lifted_at__isnull=True)
    ).select_related("centre", "placed_by")
    return render(
        request,
        "retention/index.html",
        {
            "items": shown,
            "more": len(shown) == PAGE,
            "status": status,
            "statuses": RetentionItem.Status.choices,
            "kind": kind,
            "kinds": sorted(kinds.items()),
            "form": form,
            "holds": list(holds[:PAGE]),
            "can_hold": has_perm(request.user, PLACE_HOLD),
        },
    )


def _approvable(user):
    return scope(
        user, APPROVE_DISPOSAL, RetentionItem.objects.filter(status=RetentionItem.Status.DUE)
    )


@requires(APPROVE_DISPOSAL)
def approve(request):
    form = ApproveForm(request.POST or None, queryset=_approvable(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            n = services.approve(
                form.cleaned_data["items"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Disposal approved for {n} record(s).")
            return redirect("retention:index")
    return render(request, "retention/approve.html", {"form": form})


@requires(PLACE_HOLD)
def hold_add(request):
    params = request.POST if request.method == "POST" else request.GET
    item_id, learner_id = int_param(params, "item"), int_param(params, "learner")
    item = learner = None
    if item_id:
        item = get_object(request.user, PLACE_HOLD, RetentionItem, pk=item_id)
    elif learner_id:
        learner = get_object(request.user, PLACE_HOLD, Learner, pk=learner_id)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (item or learner):
        try:
            services.place_hold(by=request.user, item=item, learner=learner, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "The legal hold is placed: nothing it covers is disposed of.")
            return redirect("retention:index")
    return render(
        request, "retention/hold_form.html", {"form": form, "item": item, "learner": learner}
    )


@requires(PLACE_HOLD)
def hold_lift(request, pk):
    hold = get_object(request.user, PLACE_HOLD, LegalHold.objects.select_related("centre"), pk=pk)
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lift_hold(hold, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "The legal hold is lifted.")
            return redirect("retention:index")
    return render(request, "retention/hold_lift.html", {"form": form, "hold": hold})
