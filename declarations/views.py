"""The Annual Quality Declaration pages and the arrangement reviews. Thin: rules in
services.py, reads in selectors.py, the checklist's items in checks.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.forms import add_refusal, show_again
from btecqa.validators import academic_year_for, academic_year_problem
from centres.models import Centre, CollaborativeArrangement
from signatures import services as signing
from signatures.forms import SignForm
from workflow.steps import StaleRecord

from . import selectors, services
from .forms import (
    ActionForm,
    ChecklistForm,
    CloseActionForm,
    CompleteForm,
    ReviewForm,
    StartForm,
    SubmissionForm,
)
from .models import ArrangementReview, QualityDeclaration, ReviewAction
from .permissions import (
    COMPLETE_DECLARATION,
    CONFIRM_DECLARATION,
    RECORD_REVIEWS,
    VIEW_DECLARATION,
    VIEW_REVIEWS,
)
from .window import aqd_window

ALIAS = "Annual Centre Declaration"


def _year(request) -> str:
    year = request.GET.get("year", "")
    if year and not academic_year_problem(year):
        return year
    return academic_year_for(timezone.localdate())


@requires(VIEW_DECLARATION)
def declaration_list(request):
    year = _year(request)
    centres = list(
        scope(request.user, VIEW_DECLARATION, Centre.objects.filter(is_active=True)).order_by(
            "name"
        )
    )
    rows = [
        {
            "centre": centre,
            "declaration": declaration,
            "can_start": declaration is None
            and has_perm(request.user, COMPLETE_DECLARATION, centre.pk),
        }
        for centre, declaration in selectors.declarations_for(
            request.user, VIEW_DECLARATION, centres, year
        )
    ]
    opens, closes = aqd_window(year)
    return render(
        request,
        "declarations/declaration_list.html",
        {"year": year, "rows": rows, "opens": opens, "closes": closes, "alias": ALIAS},
    )


@requires(COMPLETE_DECLARATION)
@require_POST
def declaration_start(request):
    form = StartForm(request.POST)
    centres = scope(request.user, COMPLETE_DECLARATION, Centre.objects.filter(is_active=True))
    valid = form.is_valid()
    centre = centres.filter(pk=form.cleaned_data["centre"]).first() if valid else None
    year = form.cleaned_data["academic_year"] if valid else ""
    if centre is None or academic_year_problem(year):
        messages.error(request, "Choose one of your centres and an academic year.")
        return redirect("declarations:declaration_list")
    declaration = services.start_declaration(centre=centre, academic_year=year, by=request.user)
    messages.success(request, f"{declaration}: started.")
    return redirect(declaration)


def _declaration(request, perm, pk):
    return get_object(
        request.user, perm, QualityDeclaration.objects.select_related("centre"), pk=pk
    )


def _declaration_page(
    request, declaration, *, checklist=None, complete=None, sign=None, submission=None
):
    user = request.user
    rows = selectors.declaration_rows(declaration)
    can_complete = can(user, COMPLETE_DECLARATION, declaration)
    S = QualityDeclaration.Status
    if can_complete and checklist is None:
        checklist = ChecklistForm(rows=rows, initial={"lock": declaration.lock_version})
    elif checklist is not None:
        checklist.rows = _merge_rows(rows, checklist)
    if can_complete and declaration.status == S.DRAFT and complete is None:
        complete = CompleteForm(initial={"lock": declaration.lock_version})
    can_confirm = declaration.status == S.COMPLETED and can(user, CONFIRM_DECLARATION, declaration)
    if can_confirm and sign is None:
        sign = SignForm(
            initial={"seen": signing.current_sha256(declaration)},
            purpose="the declaration as Head of Centre",
        )
    if can_complete and declaration.status == S.CONFIRMED and submission is None:
        submission = SubmissionForm(
            initial={
                "submitted_on": declaration.submitted_to_pearson_on,
                "eol_confirmed_on": declaration.eol_confirmed_on,
            }
        )
    opens, closes = aqd_window(declaration.academic_year)
    return render(
        request,
        "declarations/declaration_detail.html",
        {
            "declaration": declaration,
            "rows": rows,
            "checklist": checklist if can_complete else None,
            "complete_form": complete if can_complete and declaration.status == S.DRAFT else None,
            "sign_form": sign if can_confirm else None,
            "submission_form": submission
            if can_complete and declaration.status == S.CONFIRMED
            else None,
            "versions": selectors.version_rows(declaration),
            "gap_count": sum(len(r["gaps"]) for r in rows),
            "opens": opens,
            "closes": closes,
            "alias": ALIAS,
        },
    )


def _merge_rows(rows, form):
    by_clause = {r["clause"]: r for r in form.rows}
    for row in rows:
        for key in ("in_place_field", "note_field"):
            row[key] = by_clause.get(row["clause"], {}).get(key)
    return rows


@requires(VIEW_DECLARATION)
def declaration_detail(request, pk: int):
    return _declaration_page(request, _declaration(request, VIEW_DECLARATION, pk))


@requires(COMPLETE_DECLARATION)
@require_POST
def declaration_items(request, pk: int):
    declaration = _declaration(request, COMPLETE_DECLARATION, pk)
    form = ChecklistForm(request.POST, rows=selectors.declaration_rows(declaration))
    if form.is_valid():
        try:
            services.save_items(
                declaration,
                values=form.values(),
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_lock=form.cleaned_data["lock"],
            )
        except (ValidationError, StaleRecord) as exc:
            add_refusal(
                form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
            )
        else:
            messages.success(request, "The checklist is saved.")
            return redirect(declaration)
    show_again(request, form, lock=declaration.lock_version)
    return _declaration_page(request, declaration, checklist=form)


@requires(COMPLETE_DECLARATION)
@require_POST
def declaration_complete(request, pk: int):
    declaration = _declaration(request, COMPLETE_DECLARATION, pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.complete_declaration(
                declaration, by=request.user, expected_lock=form.cleaned_data["lock"]
            )
        except (ValidationError, StaleRecord) as exc:
            add_refusal(
                form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
            )
        else:
            messages.success(
                request, "Completed: the Head of Centre is asked to confirm the declaration."
            )
            return redirect(declaration)
    show_again(request, form, lock=declaration.lock_version)
    return _declaration_page(request, declaration, complete=form)


@requires(CONFIRM_DECLARATION)
@require_POST
def declaration_confirm(request, pk: int):
    declaration = _declaration(request, CONFIRM_DECLARATION, pk)
    form = SignForm(request.POST, purpose="the declaration as Head of Centre")
    if form.is_valid():
        try:
            signature = services.confirm_declaration(
                declaration,
                user=request.user,
                password=form.cleaned_data["password"],
                seen_sha256=form.cleaned_data["seen"],
            )
        except (ValidationError, StaleRecord) as exc:
            add_refusal(
                form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
            )
        else:
            messages.success(request, f"Confirmed and signed: version {signature.version.number}.")
            return redirect(declaration)
    show_again(request, form, seen=signing.current_sha256(declaration))
    return _declaration_page(request, declaration, sign=form)


@requires(COMPLETE_DECLARATION)
@require_POST
def declaration_submitted(request, pk: int):
    declaration = _declaration(request, COMPLETE_DECLARATION, pk)
    form = SubmissionForm(request.POST)
    if form.is_valid():
        try:
            services.record_submission(declaration, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Recorded: the declaration was submitted to Pearson.")
            return redirect(declaration)
    show_again(request, form)
    return _declaration_page(request, declaration, submission=form)


@requires(VIEW_DECLARATION)
def declaration_version(request, pk: int, number: int):
    declaration = _declaration(request, VIEW_DECLARATION, pk)
    version = signing.versions(declaration).filter(number=number).first()
    if version is None:
        from django.http import Http404

        raise Http404("No such version.")
    return render(
        request,
        "declarations/declaration_version.html",
        {
            "declaration": declaration,
            "version": version,
            "signatures": list(version.signatures.all()),
            "alias": ALIAS,
        },
    )


# --- arrangement reviews -------------------------------------------------------------------


@requires(VIEW_REVIEWS)
def review_list(request):
    recordable = scope(
        request.user, RECORD_REVIEWS, CollaborativeArrangement.objects.all()
    ).select_related("lead_centre")
    return render(
        request,
        "declarations/review_list.html",
        {
            "reviews": list(selectors.reviews(request.user, VIEW_REVIEWS)),
            "recordable": list(recordable.order_by("name")),
        },
    )


@requires(RECORD_REVIEWS)
def review_add(request, arrangement: int):
    arr = get_object(
        request.user,
        RECORD_REVIEWS,
        CollaborativeArrangement.objects.select_related("lead_centre"),
        pk=arrangement,
    )
    centres = [arr.lead_centre] + [
        p.centre for p in arr.partners.current().select_related("centre").order_by("centre__name")
    ]
    form = ReviewForm(
        request.POST or None,
        centres=centres,
        initial={"academic_year": academic_year_for(timezone.localdate())},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.record_review(
                    arr,
                    academic_year=data["academic_year"],
                    held_on=data["held_on"],
                    minutes=data["minutes"],
                    attendance=form.attendance(),
                    by=request.user,
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, f"Recorded: {review}.")
                return redirect(review)
        show_again(request, form)
    return render(request, "declarations/review_form.html", {"form": form, "arrangement": arr})


def _review_page(request, review, *, action_form=None):
    can_record = can(request.user, RECORD_REVIEWS, review)
    return render(
        request,
        "declarations/review_detail.html",
        {
            "review": review,
            "attendance": list(review.attendance.select_related("centre")),
            "actions": list(review.actions.select_related("closed_by")),
            "can_record": can_record,
            "action_form": (action_form or ActionForm()) if can_record else None,
            "close_form": CloseActionForm() if can_record else None,
        },
    )


def _review(request, perm, pk):
    return get_object(
        request.user,
        perm,
        ArrangementReview.objects.select_related("arrangement__lead_centre", "recorded_by"),
        pk=pk,
    )


@requires(VIEW_REVIEWS)
def review_detail(request, pk: int):
    return _review_page(request, _review(request, VIEW_REVIEWS, pk))


@requires(RECORD_REVIEWS)
@require_POST
def review_action_add(request, pk: int):
    review = _review(request, RECORD_REVIEWS, pk)
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            services.add_review_action(review, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Action added.")
            return redirect(review)
    show_again(request, form)
    return _review_page(request, review, action_form=form)


@requires(RECORD_REVIEWS)
@require_POST
def review_action_close(request, pk: int, action: int):
    review = _review(request, RECORD_REVIEWS, pk)
    item = get_object(
        request.user, RECORD_REVIEWS, ReviewAction.objects.filter(review=review), pk=action
    )
    form = CloseActionForm(request.POST)
    if form.is_valid():
        try:
            services.close_review_action(item, note=form.cleaned_data["note"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Closed: {item.description}.")
    return redirect(review)
