from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import centre_ids_for, has_perm, require, requires
from todos.models import ToDo

from . import services
from .forms import ArrangementForm, PartnerForm, PearsonToldForm, QualificationForm, WithdrawForm
from .models import (
    ArrangementPartner,
    ArrangementQualification,
    Centre,
    CollaborativeArrangement,
)
from .permissions import MANAGE_ARRANGEMENTS, VIEW_ARRANGEMENTS, VIEW_REPORTS
from .selectors import centre_summaries


@requires(VIEW_REPORTS)
def summary(request):
    return render(request, "centres/summary.html", {"centres": centre_summaries(request.user)})


# --- collaborative arrangements -------------------------------------------------


def _visible_arrangements(user):
    qs = CollaborativeArrangement.objects.select_related("lead_centre")
    if user.is_superuser:
        return qs
    own = centre_ids_for(user, VIEW_ARRANGEMENTS)
    return qs.filter(
        Q(lead_centre_id__in=own)
        | Q(partners__centre_id__in=own, partners__withdrawn_on__isnull=True)
    ).distinct()


def _managed(request, pk):
    arrangement = get_object_or_404(_visible_arrangements(request.user), pk=pk)
    require(request.user, MANAGE_ARRANGEMENTS, arrangement.lead_centre_id)
    return arrangement


@requires(VIEW_ARRANGEMENTS)
def arrangement_list(request):
    return render(
        request,
        "centres/arrangement_list.html",
        {
            "arrangements": _visible_arrangements(request.user).order_by("name"),
            "can_create": has_perm(request.user, MANAGE_ARRANGEMENTS),
        },
    )


@requires(MANAGE_ARRANGEMENTS)
def arrangement_create(request):
    lead_centres = (
        Centre.objects.filter(pk__in=centre_ids_for(request.user, MANAGE_ARRANGEMENTS))
        if not request.user.is_superuser
        else Centre.objects.all()
    )
    form = ArrangementForm(request.POST or None, lead_centres=lead_centres)
    if request.method == "POST" and form.is_valid():
        try:
            arrangement = services.create_arrangement(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Arrangement created. Add its partner centres and qualifications."
            )
            return redirect("centres:arrangement_detail", pk=arrangement.pk)
    return render(request, "centres/arrangement_form.html", {"form": form})


@requires(VIEW_ARRANGEMENTS)
def arrangement_detail(request, pk: int):
    arrangement = get_object_or_404(_visible_arrangements(request.user), pk=pk)
    partners = list(arrangement.partners.select_related("centre"))
    quals = list(arrangement.qualifications.select_related("qualification", "lead_iv"))
    types = ContentType.objects.get_for_models(ArrangementPartner, ArrangementQualification)
    todos = ToDo.objects.filter(
        Q(target_type=types[ArrangementPartner], target_id__in=[str(p.pk) for p in partners])
        | Q(target_type=types[ArrangementQualification], target_id__in=[str(q.pk) for q in quals]),
        kind=services.TELL_PEARSON,
        closed_at__isnull=True,
    )
    return render(
        request,
        "centres/arrangement_detail.html",
        {
            "arrangement": arrangement,
            "partners": partners,
            "quals": quals,
            "todos": todos,
            "can_manage": has_perm(request.user, MANAGE_ARRANGEMENTS, arrangement.lead_centre_id),
            "partner_form": PartnerForm(),
            "qualification_form": QualificationForm(arrangement=arrangement),
            "withdraw_form": WithdrawForm(),
            "told_form": PearsonToldForm(),
        },
    )


def _apply(request, arrangement, form, action):
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, "Saved. A 'tell Pearson' action is open for the Quality Nominee."
            )
    else:
        messages.error(request, "; ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items()))
    return redirect("centres:arrangement_detail", pk=arrangement.pk)


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def partner_add(request, pk: int):
    a = _managed(request, pk)
    return _apply(
        request,
        a,
        PartnerForm(request.POST),
        lambda d: services.add_partner(
            a, centre=d["centre"], joined_on=d["joined_on"], by=request.user
        ),
    )


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def partner_withdraw(request, pk: int, partner_pk: int):
    a = _managed(request, pk)
    partner = get_object_or_404(ArrangementPartner, pk=partner_pk, arrangement=a)
    return _apply(
        request,
        a,
        WithdrawForm(request.POST),
        lambda d: services.withdraw_partner(partner, on=d["on"], by=request.user),
    )


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def qualification_add(request, pk: int):
    a = _managed(request, pk)
    return _apply(
        request,
        a,
        QualificationForm(request.POST, arrangement=a),
        lambda d: services.add_qualification(
            a,
            qualification=d["qualification"],
            lead_iv=d["lead_iv"],
            added_on=d["added_on"],
            by=request.user,
        ),
    )


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def qualification_withdraw(request, pk: int, aq_pk: int):
    a = _managed(request, pk)
    aq = get_object_or_404(ArrangementQualification, pk=aq_pk, arrangement=a)
    return _apply(
        request,
        a,
        WithdrawForm(request.POST),
        lambda d: services.withdraw_qualification(aq, on=d["on"], by=request.user),
    )


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def pearson_told(request, pk: int, todo_pk: int):
    a = _managed(request, pk)
    todo = get_object_or_404(ToDo, pk=todo_pk, kind=services.TELL_PEARSON, centre=a.lead_centre)
    return _apply(
        request,
        a,
        PearsonToldForm(request.POST),
        lambda d: services.record_pearson_told(
            todo, told_on=d["told_on"], reference=d["reference"], by=request.user
        ),
    )
