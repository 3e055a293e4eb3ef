"""Changes during the year and the registration register. Thin: rules live in changes.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Prefetch, Q, Value, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, has_perm, home_centres, requires, scope
from btecqa.forms import Form, add_refusal, show_again
from btecqa.params import int_param
from centres.models import Centre
from learners.forms import cohort_choice_label, cohort_choices
from learners.models import Cohort, Learner

from . import calendar, changes
from .forms import CompleteTransferForm, DeclineTransferForm, ReinstateForm
from .models import ChangeRequest, Registration, RegistrationStep, TransferHandover
from .permissions import (
    CHECK_ENTRIES,
    NOTIFY_NEW_STARTER,
    NOTIFY_WITHDRAWAL,
    REQUEST_CHANGES,
    RUN_REGISTRATIONS,
    VIEW_REGISTRATIONS,
)

Kind = ChangeRequest.Kind
PAGE_SIZE = 50
SEARCH_LIMIT = 25

# --- forms --------------------------------------------------------------------------------


def _details(label: str, help_text: str, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=500,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LearnerSearchForm(Form):
    q = forms.CharField(
        label="Find the learner",
        max_length=100,
        required=False,
        help_text="Last name, first name, candidate number, admission number or ULN",
    )


class NewStarterForm(Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), label="Programme joined")
    details = _details(
        "Details", "When they joined, their teaching group, and their options if chosen"
    )
    other_cohort = forms.BooleanField(
        required=False,
        label="Yes, register them on this programme, not the one the entry check found",
    )

    def __init__(self, *args, cohorts, expected=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.expected = expected  # the cohort the entry check found them not entered for
        if expected is not None:
            self.fields["cohort"].initial = expected.pk
        else:
            del self.fields["other_cohort"]

    def clean(self):
        data = super().clean()
        chosen = data.get("cohort")
        if self.expected and chosen and chosen != self.expected and not data.get("other_cohort"):
            self.add_error(
                "cohort",
                f"The entry check found this learner in a group of {self.expected} and not "
                f"entered for it; you chose {chosen}. Choose {self.expected}, or tick below to "
                "confirm the other programme.",
            )
        return data


class WithdrawalForm(Form):
    reason = forms.ChoiceField(
        label="Why is the learner withdrawing?",
        choices=ChangeRequest.Reason.choices,
        widget=forms.RadioSelect,
    )
    details = _details(
        "Details", "When they left and anything the exams officer needs; required for Other", False
    )


class TransferForm(Form):
    COHORT, CENTRE = "cohort", "centre"
    direction = forms.ChoiceField(
        label="Transferring to",
        choices=[(COHORT, "Another programme"), (CENTRE, "Another centre")],
        widget=forms.RadioSelect,
    )
    to_cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        label="New programme",
        help_text="The same academic year, at this centre or in its consortium",
    )
    to_centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(),
        required=False,
        label="New centre",
        help_text="Consortium centres are marked",
    )
    details = _details("Details", "When, and why")

    def __init__(self, *args, cohorts, centres, consortium: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cohort"].queryset = cohorts
        self.fields["to_centre"].queryset = centres
        self.fields["to_centre"].label_from_instance = lambda c: (
            f"{c} — consortium" if c.pk in consortium else str(c)
        )

    def clean(self):
        data = super().clean()
        direction = data.get("direction")
        if direction == self.COHORT:
            data["to_centre"] = None
            if not data.get("to_cohort"):
                self.add_error("to_cohort", "Choose the programme the learner moves to.")
        elif direction == self.CENTRE:
            data["to_cohort"] = None
            if not data.get("to_centre"):
                self.add_error("to_centre", "Choose the centre the learner moves to.")
        return data


class TransferInForm(Form):
    to_cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), label="Programme joining")
    from_centre = forms.CharField(
        label="Centre transferring from",
        max_length=150,
        help_text="Its name and Pearson centre number",
    )
    details = forms.CharField(
        label="Details",
        max_length=340,
        help_text="When they joined, and their Pearson registration number",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cohort"].queryset = cohorts


class DetailsForm(Form):
    details = _details(
        "What has changed", "Which details, from what to what, e.g. legal last name or ULN"
    )


class ActionForm(Form):
    """Recording the change made at Pearson; which fields show depends on the change."""

    WITHDRAW, DELETE = "withdraw", "delete"
    actioned_on = forms.DateField(label="Done at Pearson on", help_text="dd/mm/yyyy")
    pearson_reference = forms.CharField(
        label="Pearson's reference",
        max_length=50,
        help_text="The Edexcel Online case or confirmation number",
    )
    outcome = forms.ChoiceField(
        label="Done as",
        choices=[
            (WITHDRAW, "Withdrawal (no refund; the registration stays at Pearson)"),
            (DELETE, "Deletion for a refund (inside the refund window only)"),
        ],
        initial=WITHDRAW,
        widget=forms.RadioSelect,
    )
    achievement = forms.ChoiceField(
        label="Achievement to date",
        choices=ChangeRequest.Achievement.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Pearson asks for it on a withdrawal or transfer, even when nothing was achieved",
    )
    achievement_detail = forms.CharField(
        label="Units achieved and results reported",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. Unit 1 Merit, Unit 2 Pass; or why not reported yet",
    )
    no_results_confirmed = forms.BooleanField(
        required=False,
        label="For a deletion: I confirm no unit results have been reported to Pearson for "
        "this registration",
    )
    uci = forms.CharField(
        label="Learner's UCI",
        max_length=13,
        required=False,
        help_text="Handed over: the receiving centre keeps it, never makes a new one",
    )
    registration_number = forms.CharField(
        label="Pearson registration number",
        max_length=20,
        required=False,
        help_text="If the learner keeps a registration number from the other centre",
    )

    def __init__(self, *args, cr: ChangeRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = cr.kind
        self.hand_over = cr.kind == Kind.TRANSFER and bool(cr.to_centre_id)
        if cr.kind != Kind.WITHDRAWAL:
            for name in ("outcome", "no_results_confirmed"):
                del self.fields[name]
        if cr.kind != Kind.WITHDRAWAL and not self.hand_over:
            for name in ("achievement", "achievement_detail"):
                del self.fields[name]
        if not self.hand_over:
            del self.fields["uci"]
        if not (cr.kind == Kind.TRANSFER and (cr.registration_id is None or self.hand_over)):
            del self.fields["registration_number"]
        if self.hand_over:
            reg = cr.registration
            self.fields["achievement"].choices = [
                c for c in ChangeRequest.Achievement.choices if c[0] != "not_reported"
            ]
            self.fields["achievement"].help_text = "Reported before handing over"
            self.fields["uci"].initial = reg.learner.uci
            self.fields["registration_number"].initial = reg.registration_number
            self.fields[
                "registration_number"
            ].help_text = "Handed over: the receiving centre transfers the registration with it"
            self.fields["actioned_on"].label = "Achievement reported and handed over on"

    def clean(self):
        data = super().clean()
        withdrawing = self.kind == Kind.WITHDRAWAL and data.get("outcome") == self.WITHDRAW
        if (withdrawing or self.hand_over) and not data.get("achievement"):
            self.add_error(
                "achievement",
                "Say what was reported to Pearson of the learner's achievement to date.",
            )
        if data.get("outcome") == self.DELETE and not data.get("no_results_confirmed"):
            self.add_error(
                "no_results_confirmed",
                "Confirm that no unit results were reported: only then does Pearson delete "
                "for a refund. Otherwise withdraw.",
            )
        return data


class CancelForm(Form):
    why = forms.CharField(label="Why cancel this request?", max_length=300)


class VerifyForm(Form):
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_verify_%s", **kwargs)


class RegisterFilterForm(Form):
    year = forms.ChoiceField(label="Academic year")
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(), required=False, empty_label="All programmes"
    )
    status = forms.ChoiceField(
        choices=[("", "Every status"), *Registration.Status.choices], required=False
    )

    def __init__(self, *args, years, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in years]
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = cohort_choice_label


# --- helpers ------------------------------------------------------------------------------


def _fail(form, exc: ValidationError) -> None:
    form.add_error(None, exc)


CHANGE_RELATED = (
    "learner",
    "centre",
    "requested_by",
    "closed_by",
    "cohort__qualification",
    "to_cohort__qualification",
    "to_centre",
    "registration__cohort__qualification",
)


def _changes(user):
    return scope(user, VIEW_REGISTRATIONS, ChangeRequest.objects.select_related(*CHANGE_RELATED))


def _change(request, pk: int, perm: str = VIEW_REGISTRATIONS) -> ChangeRequest:
    return get_object(
        request.user, perm, ChangeRequest.objects.select_related(*CHANGE_RELATED), pk=pk
    )


# --- the list -----------------------------------------------------------------------------


@requires(VIEW_REGISTRATIONS)
def change_list(request):
    show = request.GET.get("show", "")
    qs = _changes(request.user)
    if show in ChangeRequest.Status.values:
        qs = qs.filter(status=show)
    qs = qs.annotate(
        open_first=Case(
            When(
                status__in=[ChangeRequest.Status.OPEN, ChangeRequest.Status.DECLINED],
                then=Value(0),
            ),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_first", F("closed_at").desc(nulls_last=True), "requested_at", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "cr": cr,
            "what": changes.describe(cr),
            "age": (now - cr.requested_at).days,
        }
        for cr in page
    ]
    return render(
        request,
        "registrations/changes/change_list.html",
        {
            "page": page,
            "rows": rows,
            "show": show,
            "statuses": ChangeRequest.Status.choices,
            "query": f"show={show}" if show else "",
            "can_request": has_perm(request.user, REQUEST_CHANGES),
            "incoming": scope(
                request.user,
                VIEW_REGISTRATIONS,
                TransferHandover.objects.filter(status=TransferHandover.Status.WAITING),
            ).select_related("from_centre", "qualification"),
        },
    )


# --- making a request ---------------------------------------------------------------------


def _learner_choices(request):
    """The learner search: learners at centres where the user may request changes."""
    form = LearnerSearchForm(request.GET or None)
    found = None
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        terms = Q()
        for word in q.split():
            terms &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(candidate_number=word)
                | Q(admission_number=word)
                | Q(uln=word)
            )
        found = list(
            scope(request.user, REQUEST_CHANGES, Learner.objects.select_related("centre"))
            .filter(terms)
            .order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT]
        )
    return form, found


@requires(REQUEST_CHANGES)
def change_new(request):
    """Notify a change: find the learner, choose the kind, give the reason."""
    user = request.user
    params = request.GET
    registration = learner = None
    if int_param(params, "registration"):
        registration = get_object(
            user,
            REQUEST_CHANGES,
            Registration.objects.select_related(
                "learner__centre", "cohort__qualification", "cohort__centre"
            ),
            pk=int_param(params, "registration"),
        )
        learner = registration.learner
    elif int_param(params, "learner"):
        learner = get_object(
            user,
            REQUEST_CHANGES,
            Learner.objects.select_related("centre"),
            pk=int_param(params, "learner"),
        )
    if learner is None:
        search, found = _learner_choices(request)
        return render(
            request,
            "registrations/changes/change_new.html",
            {"search": search, "found": found},
        )
    kind = params.get("kind", "")
    if kind not in Kind.values:
        return render(
            request,
            "registrations/changes/change_choose.html",
            {
                "learner": learner,
                "kinds": changes.kinds_for(user, learner),
                "live": Registration.objects.filter(
                    learner=learner, status__in=Registration.ACTIVE
                ).select_related("cohort__qualification"),
                "at_pearson": changes.AT_PEARSON,
            },
        )
    if not can(user, changes.KIND_PERMISSION[kind], learner):
        raise PermissionDenied(
            f"Your role does not allow you to notify a {Kind(kind).label.lower()}."
        )
    if kind == Kind.WITHDRAWAL and registration is None:
        messages.error(request, "Choose the registration the learner withdraws from.")
        return redirect(f"{reverse('registrations:change_new')}?learner={learner.pk}")

    form = _request_form(request, kind, learner, registration)
    refused = ""  # a family Pearson will not transfer: withdraw, then register again
    if kind == Kind.TRANSFER and registration is not None:
        refused = changes.transfer_refusal(registration)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            cr = _make_request(kind, form.cleaned_data, learner, registration, user)
        except changes.NotTransferable as exc:
            refused = " ".join(exc.messages)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                f"{cr.get_kind_display()} for {learner} sent to the exams officer"
                + (" and the Quality Nominee." if kind == Kind.NEW_STARTER else "."),
            )
            return redirect("registrations:change_detail", pk=cr.pk)
    return render(
        request,
        "registrations/changes/change_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "learner": learner,
            "registration": registration,
            "transfer_in": kind == Kind.TRANSFER and registration is None,
            "reregister": _reregister(user, learner, registration, refused),
            "show_form": not (
                kind == Kind.TRANSFER
                and registration is not None
                and changes.transfer_refusal(registration)
            ),
        },
    )


def _reregister(user, learner, registration, why: str):
    """Withdraw, then register again: the way round a family Pearson will not transfer."""
    if not why:
        return None
    base = reverse("registrations:change_new")
    withdraw = new_starter = ""
    if registration is not None and can(user, NOTIFY_WITHDRAWAL, learner):
        withdraw = f"{base}?registration={registration.pk}&kind=withdrawal"
    if can(user, NOTIFY_NEW_STARTER, learner):
        new_starter = f"{base}?learner={learner.pk}&kind=new_starter"
    return {"why": why, "withdraw_url": withdraw, "new_starter_url": new_starter}


def _request_form(request, kind, learner, registration):
    data = request.POST if request.method == "POST" else None
    if kind == Kind.NEW_STARTER:
        live = Registration.objects.filter(learner=learner, status__in=Registration.ACTIVE)
        cohorts = changes.cohorts_open_to(learner).exclude(pk__in=live.values("cohort_id"))
        wanted = int_param(request.GET, "cohort")
        return NewStarterForm(
            data, cohorts=cohorts, expected=cohorts.filter(pk=wanted).first() if wanted else None
        )
    if kind == Kind.WITHDRAWAL:
        return WithdrawalForm(data)
    if kind == Kind.DETAILS:
        return DetailsForm(data)
    if registration is None:
        return TransferInForm(data, cohorts=changes.cohorts_open_to(learner))
    return TransferForm(
        data,
        cohorts=changes.cohorts_open_to(learner, registration.cohort.start_year).exclude(
            pk=registration.cohort_id
        ),
        centres=changes.destination_centres(registration.centre_id),
        consortium=changes.consortium_centre_ids(registration.centre_id),
    )


def _make_request(kind, data, learner, registration, user) -> ChangeRequest:
    if kind == Kind.NEW_STARTER:
        return changes.request_new_starter(
            learner, data["cohort"], by=user, details=data["details"]
        )
    if kind == Kind.WITHDRAWAL:
        return changes.request_withdrawal(
            registration, reason=data["reason"], details=data["details"], by=user
        )
    if kind == Kind.DETAILS:
        return changes.request_details_change(learner, details=data["details"], by=user)
    if registration is None:
        return changes.request_transfer(
            learner=learner,
            to_cohort=data["to_cohort"],
            details=f"From {data['from_centre'].strip()}. {data['details']}",
            by=user,
        )
    return changes.request_transfer(
        registration,
        to_cohort=data.get("to_cohort"),
        to_centre=data.get("to_centre"),
        details=data["details"],
        by=user,
    )


# --- one request: detail, action, cancel --------------------------------------------------


def _detail(request, cr: ChangeRequest, *, action_form=None, cancel_form=None, verify_form=None):
    user = request.user
    today = timezone.localdate()
    is_open = cr.status == ChangeRequest.Status.OPEN
    can_action = is_open and can(user, RUN_REGISTRATIONS, cr)
    can_cancel = changes.may_cancel(user, cr)
    if can_action and action_form is None:
        action_form = ActionForm(initial={"actioned_on": today}, cr=cr)
    if can_cancel and cancel_form is None:
        cancel_form = CancelForm()
    refund = None
    if cr.kind == Kind.WITHDRAWAL and is_open and cr.registration_id:
        refund = changes.refund_window(cr.registration, today)
    history = (
        Registration.objects.filter(learner=cr.learner_id)
        .select_related("cohort__qualification")
        .prefetch_related(Prefetch("steps", queryset=RegistrationStep.objects.order_by("at", "pk")))
    )
    register_again = None
    if (
        cr.kind == Kind.WITHDRAWAL
        and cr.status == ChangeRequest.Status.DONE
        and changes.transfer_refusal(cr.registration)
        and can(user, NOTIFY_NEW_STARTER, cr.learner)
    ):
        register_again = (
            f"{reverse('registrations:change_new')}?learner={cr.learner_id}&kind=new_starter"
        )
    return render(
        request,
        "registrations/changes/change_detail.html",
        {
            "cr": cr,
            "what": changes.describe(cr),
            "age": (timezone.now() - cr.requested_at).days,
            "can_action": can_action,
            "can_cancel": can_cancel,
            "can_verify": can(user, CHECK_ENTRIES, cr) and changes.awaiting_verification(cr),
            "awaiting_verification": changes.awaiting_verification(cr),
            "action_form": action_form,
            "cancel_form": cancel_form,
            "verify_form": verify_form or VerifyForm(),
            "refund": refund,
            "history": history,
            "handover": TransferHandover.objects.filter(change=cr)
            .select_related("to_centre", "handed_over_by")
            .first(),
            "register_again": register_again,
            "can_reinstate": can(user, RUN_REGISTRATIONS, cr),
        },
    )


@requires(VIEW_REGISTRATIONS)
def change_detail(request, pk: int):
    return _detail(request, _change(request, pk))


@requires(CHECK_ENTRIES)
@require_POST
def change_verify(request, pk: int):
    """The QN verifies a new starter's entry with the exams officer (seed policy)."""
    cr = _change(request, pk, CHECK_ENTRIES)
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            changes.verify_new_starter(cr, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{cr.learner}'s entry verified.")
            return redirect("registrations:change_detail", pk=pk)
    show_again(request, form)
    return _detail(request, cr, verify_form=form)


@requires(RUN_REGISTRATIONS)
def change_action(request, pk: int):
    cr = _change(request, pk, RUN_REGISTRATIONS)
    if request.method != "POST":
        return redirect("registrations:change_detail", pk=pk)
    if cr.status != ChangeRequest.Status.OPEN:
        messages.error(
            request,
            f"This request is already {changes.lower_first(cr.get_status_display())}: "
            "nothing was done.",
        )
        return redirect("registrations:change_detail", pk=pk)
    form = ActionForm(request.POST, cr=cr)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cr = changes.action_change(
                cr,
                actioned_on=data["actioned_on"],
                pearson_reference=data["pearson_reference"],
                by=request.user,
                delete_for_refund=data.get("outcome") == ActionForm.DELETE,
                registration_number=data.get("registration_number", ""),
                achievement=data.get("achievement", ""),
                achievement_detail=data.get("achievement_detail", ""),
                no_results_confirmed=bool(data.get("no_results_confirmed")),
                uci=data.get("uci", ""),
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            done = "deleted for a refund" if data.get("outcome") == ActionForm.DELETE else "done"
            if cr.status == ChangeRequest.Status.HANDED_OVER:
                done = f"handed over to {cr.to_centre}, who completes it,"
            messages.success(
                request,
                f"{cr.get_kind_display()} for {cr.learner} {done} at Pearson on "
                f"{cr.actioned_on:%d/%m/%Y} (reference {cr.pearson_reference}).",
            )
            return redirect("registrations:change_detail", pk=pk)
    return _detail(request, cr, action_form=form)


@requires(REQUEST_CHANGES)
def change_cancel(request, pk: int):
    cr = _change(request, pk)
    if request.method != "POST":
        return redirect("registrations:change_detail", pk=pk)
    if not changes.may_cancel(request.user, cr):
        if cr.status == ChangeRequest.Status.OPEN:
            raise PermissionDenied("Only the person who made the request or the exams officer.")
        if cr.status in changes.HANDED_OVER_OR_DECLINED:
            raise PermissionDenied("Only the exams officer may cancel a transfer handed over.")
        messages.error(request, "This request is already closed.")
        return redirect("registrations:change_detail", pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            changes.cancel_change(cr, by=request.user, why=form.cleaned_data["why"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "Request cancelled.")
            return redirect("registrations:change_detail", pk=pk)
    return _detail(request, cr, cancel_form=form)


# --- the receiving centre's side of a transfer -----------------------------------------


HANDOVER_RELATED = (
    "from_centre",
    "to_centre",
    "qualification",
    "handed_over_by",
    "declined_by",
    "learner",
)


def _handover(request, pk: int, perm: str = VIEW_REGISTRATIONS) -> TransferHandover:
    """Only the receiving centre's staff: the handover is at its centre, nothing else is."""
    return get_object(
        request.user, perm, TransferHandover.objects.select_related(*HANDOVER_RELATED), pk=pk
    )


def _complete_form(handover, data=None):
    return CompleteTransferForm(
        data,
        initial={"actioned_on": timezone.localdate()},
        cohorts=changes.receiving_cohorts(handover),
        learners=changes.learners_like(handover),
    )


def _handover_page(request, handover, form=None, decline_form=None):
    may_run = handover.status == TransferHandover.Status.WAITING and can(
        request.user, RUN_REGISTRATIONS, handover
    )
    if may_run and form is None:
        form = _complete_form(handover)
    return render(
        request,
        "registrations/changes/transfer_detail.html",
        {
            "h": handover,
            "form": form if may_run else None,
            "can_complete": may_run,
            "can_decline": may_run,
            "decline_form": (decline_form or DeclineTransferForm()) if may_run else None,
        },
    )


@requires(VIEW_REGISTRATIONS)
def transfer_detail(request, pk: int):
    return _handover_page(request, _handover(request, pk))


@requires(RUN_REGISTRATIONS)
def transfer_complete(request, pk: int):
    handover = _handover(request, pk, RUN_REGISTRATIONS)
    if request.method != "POST":
        return redirect("registrations:transfer_detail", pk=pk)
    form = _complete_form(handover, request.POST)
    refusal = changes.handover_refusal(handover)
    if refusal:  # completed, cancelled or declined: final
        add_refusal(form, ValidationError(refusal))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            reg = changes.complete_transfer(
                handover,
                cohort=data["cohort"],
                learner=data["learner"],
                actioned_on=data["actioned_on"],
                pearson_reference=data["pearson_reference"],
                by=request.user,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"{reg.learner} transferred in on {reg.cohort}, registration number "
                f"{reg.registration_number}.",
            )
            return redirect("registrations:transfer_detail", pk=pk)
    show_again(request, form)
    return _handover_page(request, handover, form)


@requires(RUN_REGISTRATIONS)
@require_POST
def transfer_decline(request, pk: int):
    """The receiving exams officer declines the handover, saying why (the sending centre
    is told and decides what next)."""
    handover = _handover(request, pk, RUN_REGISTRATIONS)
    form = DeclineTransferForm(request.POST)
    if form.is_valid():
        try:
            changes.decline_transfer(handover, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Transfer declined: {handover.from_centre} is told why and decides what next.",
            )
            return redirect("registrations:transfer_detail", pk=pk)
    show_again(request, form)
    handover.refresh_from_db()
    return _handover_page(request, handover, decline_form=form)


# --- reinstating a withdrawn registration ------------------------------------------------


@requires(RUN_REGISTRATIONS)
def registration_reinstate(request, pk: int):
    reg = get_object(
        request.user,
        RUN_REGISTRATIONS,
        Registration.objects.select_related("learner", "cohort__qualification"),
        pk=pk,
    )
    form = ReinstateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changes.reinstate_registration(reg, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"{reg} reinstated.")
            return redirect("learners:learner_detail", pk=reg.learner_id)
    return render(
        request,
        "registrations/changes/reinstate.html",
        {"reg": reg, "form": form, "withdrawn": reg.status == Registration.Status.WITHDRAWN},
    )


# --- the registration register ------------------------------------------------------------


@requires(VIEW_REGISTRATIONS)
def register(request):
    """Every registration at the user's centres for a year: status, number, dates, the fee
    band that applied, and the refund countdown; a warning before a fee band changes."""
    user = request.user
    today = timezone.localdate()
    regs = scope(user, VIEW_REGISTRATIONS, Registration.objects.all())
    current = calendar.academic_year_for(today)
    years = sorted(
        set(regs.values_list("cohort__start_year", flat=True).distinct()) | {current},
        reverse=True,
    )
    year = request.GET.get("year") if request.GET.get("year") in years else current
    cohorts = cohort_choices(
        Cohort.objects.filter(pk__in=regs.filter(cohort__start_year=year).values("cohort_id"))
    )
    form = RegisterFilterForm(
        request.GET or None, initial={"year": year}, years=years, cohorts=cohorts
    )
    rows_qs = regs.filter(cohort__start_year=year)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["cohort"]:
            rows_qs = rows_qs.filter(cohort=form.cleaned_data["cohort"])
        if form.cleaned_data["status"]:
            rows_qs = rows_qs.filter(status=form.cleaned_data["status"])
    rows_qs = rows_qs.select_related("learner", "cohort__qualification__family", "centre").order_by(
        "learner__last_name", "learner__first_name", "cohort__qualification__title", "pk"
    )
    page = Paginator(rows_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    year_facts = changes.registration_year(year)
    # One decision for the whole page: the centres where this user may notify a change.
    change_centres = home_centres(user, REQUEST_CHANGES)
    rows = []
    for reg in page:
        band = refund = None
        if year_facts and reg.submitted_on:
            # The band of the learner's own family's deadline (the year's if it has none).
            family = reg.cohort.qualification.family
            band = calendar.fee_band_on(year_facts.deadline_for(family), reg.submitted_on)
        if year_facts and reg.status in changes.AT_PEARSON:
            window = changes.refund_window(reg, today, year=year_facts)
            if window and window.open:
                refund = window
        rows.append(
            {
                "reg": reg,
                "band": band,
                "refund": refund,
                "can_change": reg.status in changes.AT_PEARSON and reg.centre_id in change_centres,
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registrations/changes/register.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "year": year,
            "year_facts": year_facts,
            "today": today,
            "fee_warning": calendar.fee_warning(year_facts, today),
            "fee_today": calendar.fee_band_on(year_facts, today) if year_facts else None,
            "next_fee_change": calendar.next_fee_change(year_facts, today) if year_facts else None,
            "family_deadlines": list(year_facts.family_rows().values()) if year_facts else (),
            "query": query.urlencode(),
        },
    )
