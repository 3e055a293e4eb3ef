"""IV record pages (000-3.2.1): the IV's queue, an item with its snapshot beside the
current decisions and the agree/disagree form, the assessor's open actions, the flags.

Thin: the permission layer first, then a selector (reads) or services_iv (writes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.permissions import can, get_object, requires
from btecqa.forms import add_refusal, show_again

from . import selectors_iv as sel
from . import services_iv as svc
from .forms_iv import IVRecordForm, NoteForm
from .models_sampling import DecisionFlag, IVRecord
from .permissions import ANSWER_IV_ACTION, CLEAR_FLAG, RECORD_IV, VIEW_IV_SAMPLING


def _item_url(item) -> str:
    return reverse("verification:iv_item", kwargs={"pk": item.pk})


@requires(RECORD_IV)
def iv_queue(request):
    return render(
        request, "verification/iv_queue.html", {"items": sel.iv_queue(request.user, RECORD_IV)}
    )


def _item_context(request, item, form=None) -> dict:
    record = getattr(item, "iv_record", None)
    context = {
        "item": item,
        "record": record,
        "snapshot": sel.snapshot_rows(item.snapshot),
        "decisions": sel.current_decisions(item),
        "form": None,
        "done_form": None,
        "close_form": None,
    }
    if record is None:
        if can(request.user, RECORD_IV, item):
            context["form"] = form or IVRecordForm()
    elif record.outcome == IVRecord.Outcome.DISAGREE and record.closed_at is None:
        if record.action_done_at is None and can(request.user, ANSWER_IV_ACTION, record):
            context["done_form"] = NoteForm()
        if record.action_done_at is not None and can(request.user, RECORD_IV, record):
            context["close_form"] = NoteForm()
    return context


@requires(VIEW_IV_SAMPLING)
def iv_item(request, pk: int):
    item = get_object(request.user, VIEW_IV_SAMPLING, sel.items_query(), pk=pk)
    return render(request, "verification/iv_item.html", _item_context(request, item))


@requires(RECORD_IV)
def iv_record(request, pk: int):
    item = get_object(request.user, RECORD_IV, sel.items_query(), pk=pk)
    form = IVRecordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = svc.record_iv(
                    item,
                    by=request.user,
                    outcome=data["outcome"],
                    comments=data["comments"],
                    action=data["action"],
                    action_due=data["action_due"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"Recorded: {record.get_outcome_display().lower()}.")
                return redirect(_item_url(item))
        show_again(request, form)
        status = 400
    if getattr(item, "iv_record", None) is not None and request.method != "POST":
        return redirect(_item_url(item))
    context = _item_context(request, item, form)
    context["form"] = form
    return render(request, "verification/iv_item.html", context, status=status)


@requires(ANSWER_IV_ACTION)
def iv_actions(request):
    return render(
        request,
        "verification/iv_actions.html",
        {"records": sel.open_actions(request.user, ANSWER_IV_ACTION)},
    )


def _note_step(request, record, *, service, template_title, done_message):
    form = NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                service(record, by=request.user, note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, done_message)
                return redirect(_item_url(record.item))
        show_again(request, form)
        status = 400
    return render(
        request,
        "verification/iv_note.html",
        {"record": record, "form": form, "title": template_title},
        status=status,
    )


@requires(ANSWER_IV_ACTION)
def iv_action_done(request, pk: int):
    record = get_object(request.user, ANSWER_IV_ACTION, sel.records_query(), pk=pk)
    return _note_step(
        request,
        record,
        service=svc.mark_action_done,
        template_title="Say the action is done",
        done_message="The internal verifier will check it again.",
    )


@requires(RECORD_IV)
def iv_action_close(request, pk: int):
    record = get_object(request.user, RECORD_IV, sel.records_query(), pk=pk)
    return _note_step(
        request,
        record,
        service=svc.close_action,
        template_title="Check the action again and close it",
        done_message="The action is closed and the decisions are verified.",
    )


@requires(CLEAR_FLAG)
def iv_flags(request):
    return render(
        request,
        "verification/iv_flags.html",
        {"flags": sel.flags_with_decisions(request.user, CLEAR_FLAG), "form": NoteForm()},
    )


@requires(CLEAR_FLAG)
def iv_flag_clear(request, pk: int):
    flag = get_object(
        request.user,
        CLEAR_FLAG,
        DecisionFlag.objects.select_related("assignment", "assessor", "cohort"),
        pk=pk,
    )
    form = NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.clear_flag(flag, by=request.user, note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"Cleared: {flag}.")
                return redirect("verification:iv_flags")
        show_again(request, form)
        status = 400
    return render(
        request, "verification/iv_flag_clear.html", {"flag": flag, "form": form}, status=status
    )
