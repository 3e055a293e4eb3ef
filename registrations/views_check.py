"""The Quality Nominee's entry check pages. Thin: rules in entry_check.py, reads in
selectors_check.py. The role decides 403; a check at another centre is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import get_object, requires
from btecqa.forms import Form, show_again

from . import calendar
from . import entry_check as service
from . import selectors_check as selectors
from .access import round_for
from .models import CentreCalendar, Discrepancy, EntryCheck, RegistrationRound
from .permissions import (
    ANSWER_DISCREPANCIES,
    CHECK_ENTRIES,
    RUN_REGISTRATIONS,
    VIEW_REGISTRATIONS,
)

# --- forms ---------------------------------------------------------------------------


class LockForm(Form):
    lock = forms.IntegerField(widget=forms.HiddenInput)


class QuestionForm(LockForm):
    question = forms.CharField(
        max_length=500,
        label="Question for the programme leader",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(LockForm):
    answer = forms.CharField(
        max_length=500, label="Your answer", widget=forms.Textarea(attrs={"rows": 3})
    )


class AmendmentForm(LockForm):
    amendment = forms.CharField(
        max_length=500,
        label="What you changed",
        help_text="e.g. the pathway on the entry list, or the learner's details at Pearson",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(LockForm):
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note",
        help_text="Needed when nothing was amended: say why it is not an error",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DiscrepancyForm(Form):
    cohort = forms.ModelChoiceField(queryset=None)
    learner = forms.ModelChoiceField(queryset=None)
    kind = forms.ChoiceField(choices=Discrepancy.Kind.choices, initial=Discrepancy.Kind.OTHER)
    detail = forms.CharField(
        max_length=500, label="What is wrong", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = selectors.round_cohorts(check)
        self.fields["cohort"].label_from_instance = lambda p: p.qualification.title
        self.fields["learner"].queryset = selectors.round_learners(check).order_by(
            "last_name", "first_name"
        )


# --- helpers -------------------------------------------------------------------------


def _check(request, pk: int, perm: str = VIEW_REGISTRATIONS) -> EntryCheck:
    """The check for `perm`: 404 when out of sight, 403 when the role is too weak."""
    return get_object(
        request.user,
        perm,
        EntryCheck.objects.select_related("round__centre", "started_by", "closed_by"),
        pk=pk,
    )


def _discrepancy(request, pk: int, perm: str = VIEW_REGISTRATIONS) -> Discrepancy:
    return get_object(
        request.user,
        perm,
        Discrepancy.objects.select_related(
            "entry_check__round__centre",
            "learner",
            "cohort__qualification",
            "cohort__leader",
            "registration",
            "found_by",
            "answered_by",
            "amended_by",
            "resolved_by",
        ),
        pk=pk,
    )


def _fail(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def check_url(check: EntryCheck) -> str:
    return reverse("registrations:check_detail", args=[check.pk])


def discrepancy_url(d: Discrepancy) -> str:
    return reverse("registrations:discrepancy_detail", args=[d.pk])


# --- the check ---------------------------------------------------------------------


@requires(CHECK_ENTRIES)
def check_start(request, pk: int):
    """Start the round's entry check (GET shows the deadline it will have)."""
    rnd: RegistrationRound = round_for(request.user, pk, CHECK_ENTRIES)
    existing = EntryCheck.objects.filter(round=rnd).first()
    if existing:
        return redirect(check_url(existing))
    if request.method == "POST":
        try:
            check = service.start_entry_check(rnd, by=request.user)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(
                request,
                f"Entry check started: it closes on {check.deadline:%d/%m/%Y}. "
                "Now run it against the class lists.",
            )
            return redirect(check_url(check))
    cal = CentreCalendar.objects.filter(
        centre=rnd.centre_id, academic_year=rnd.academic_year
    ).first()
    return render(
        request,
        "registrations/check/start.html",
        {
            "round": rnd,
            "calendar": cal,
            "deadline": calendar.entry_check_deadline(cal) if cal else None,
        },
    )


@requires(VIEW_REGISTRATIONS)
def check_detail(request, pk: int):
    check = _check(request, pk)
    context = selectors.check_page(check, request.user, timezone.localdate())
    return render(request, "registrations/check/detail.html", context)


@requires(CHECK_ENTRIES)
@require_POST
def check_run(request, pk: int):
    check = _check(request, pk, CHECK_ENTRIES)
    try:
        new = service.run_entry_check(check, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        if new:
            count = len(new)
            messages.warning(
                request,
                f"{count} new discrepanc{'y' if count == 1 else 'ies'} found against the "
                "class lists.",
            )
        else:
            messages.success(request, "The check ran: nothing new against the class lists.")
    return redirect(check_url(check))


@requires(CHECK_ENTRIES)
@require_POST
def check_close(request, pk: int):
    check = _check(request, pk, CHECK_ENTRIES)
    try:
        service.close_entry_check(check, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Entry check closed: every discrepancy is resolved.")
    return redirect(check_url(check))


@requires(CHECK_ENTRIES)
def discrepancy_add(request, pk: int):
    check = _check(request, pk, CHECK_ENTRIES)
    form = DiscrepancyForm(request.POST or None, check=check)
    if request.method == "POST" and form.is_valid():
        try:
            d = service.record_discrepancy(check, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Discrepancy recorded for {d.learner}.")
            return redirect(discrepancy_url(d))
    return render(
        request, "registrations/check/discrepancy_add.html", {"form": form, "check": check}
    )


# --- one discrepancy -------------------------------------------------------------------


# One page, several forms: each its context name and its own ids (the field names stay as
# the views read them).
PAGE_FORMS = {
    QuestionForm: ("question_form", "ask_%s"),
    AnswerForm: ("answer_form", "answer_%s"),
    AmendmentForm: ("amendment_form", "amend_%s"),
    ResolveForm: ("resolve_form", "resolve_%s"),
    LockForm: ("lock_form", "pass_%s"),
}


@requires(VIEW_REGISTRATIONS)
def discrepancy_detail(request, pk: int):
    return _discrepancy_page(request, _discrepancy(request, pk))


def _discrepancy_page(request, d: Discrepancy, refused=None):
    """The discrepancy; a refused form goes back on it with its errors and today's version."""
    context = selectors.discrepancy_page(d, request.user)
    initial = {"lock": d.lock_version}
    for form_class, (name, ids) in PAGE_FORMS.items():
        context[name] = form_class(initial=initial, auto_id=ids)
    if refused is not None:
        show_again(request, refused, lock=d.lock_version)
        context[PAGE_FORMS[type(refused)][0]] = refused
    return render(request, "registrations/check/discrepancy_detail.html", context)


def _act(request, d: Discrepancy, form_class, action, success: str):
    form = form_class(request.POST, auto_id=PAGE_FORMS[form_class][1])
    if form.is_valid():
        data = dict(form.cleaned_data)
        lock = data.pop("lock")
        try:
            action(d, by=request.user, expected_lock=lock, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, success)
            return redirect(discrepancy_url(d))
    return _discrepancy_page(request, _discrepancy(request, d.pk), refused=form)


@requires(CHECK_ENTRIES)
@require_POST
def discrepancy_ask(request, pk: int):
    d = _discrepancy(request, pk, CHECK_ENTRIES)
    return _act(
        request,
        d,
        QuestionForm,
        service.ask_programme_leader,
        "Question sent to the programme leader.",
    )


@requires(ANSWER_DISCREPANCIES)
@require_POST
def discrepancy_answer(request, pk: int):
    d = _discrepancy(request, pk, ANSWER_DISCREPANCIES)
    return _act(
        request, d, AnswerForm, service.answer_discrepancy, "Answer sent to the Quality Nominee."
    )


@requires(CHECK_ENTRIES)
@require_POST
def discrepancy_pass(request, pk: int):
    d = _discrepancy(request, pk, CHECK_ENTRIES)
    return _act(
        request, d, LockForm, service.pass_to_exams_officer, "Passed to the exams officer to amend."
    )


@requires(RUN_REGISTRATIONS)
@require_POST
def discrepancy_amend(request, pk: int):
    d = _discrepancy(request, pk, RUN_REGISTRATIONS)
    return _act(
        request,
        d,
        AmendmentForm,
        service.record_amendment,
        "Amendment recorded: the Quality Nominee has been asked to confirm it.",
    )


@requires(CHECK_ENTRIES)
@require_POST
def discrepancy_resolve(request, pk: int):
    d = _discrepancy(request, pk, CHECK_ENTRIES)
    return _act(request, d, ResolveForm, service.resolve_discrepancy, "Discrepancy resolved.")
