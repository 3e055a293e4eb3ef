"""The decisions pages: the class grid of one assignment, and a learner's record on it.

The grid is a table of real selects and checkboxes posted whole in one request (it works
without JavaScript: a redirect, or the page again with its problems, 400); saving runs a
fixed number of queries whatever the class size. With htmx the form posts to the same URL
and gets only a partial for the status region by the Save button: "Saved: …", or the
problems with a 400 (static/js/btecqa.js lets a form marked data-swap-errors show a 400).
Seeing needs VIEW_DECISIONS; saving needs RECORD_DECISIONS on the assignment (its own
assessor, 403 otherwise); verifying the IV's rule; resubmissions and retakes the Lead
IV; an extension the assignment's assessor or the Lead IV (AGREE_EXTENSIONS).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, requires, scope
from btecqa.forms import add_refusal, show_again
from btecqa.params import BadParameter
from learners.models import Learner, TeachingGroup

from . import selectors_decisions as sel
from . import services_decisions as svc
from .forms_decisions import ExtensionForm, ResubmissionForm, RetakeForm, parse_grid
from .models import Attempt, PlannedAssignment, Submission
from .permissions import (
    AGREE_EXTENSIONS,
    AUTHORISE_REATTEMPTS,
    RECORD_DECISIONS,
    VERIFY_DECISIONS,
    VIEW_DECISIONS,
)

ASSIGNMENTS = PlannedAssignment.objects.select_related(
    "plan__cohort__qualification", "unit", "assessor", "internal_verifier"
)


def _assignment(request, pk, perm=VIEW_DECISIONS) -> PlannedAssignment:
    return get_object(request.user, perm, ASSIGNMENTS, pk=pk)


def _learner(request, assignment, learner_pk) -> Learner:
    learner = get_object(request.user, VIEW_DECISIONS, Learner, pk=learner_pk)
    if not TeachingGroup.objects.filter(
        cohort_id=assignment.plan.cohort_id, learners=learner
    ).exists():
        raise Http404("That learner is not in this assignment's cohort.")
    return learner


def _attempt(value) -> str:
    """The attempt a grid request names: missing means the first; anything unknown is a 400."""
    if value is None or value == "":
        return Attempt.FIRST
    if value not in Attempt.values:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise BadParameter(
            f"attempt={shown!r} in this request is not an attempt: it is one of "
            f"{', '.join(Attempt.values[:-1])} or {Attempt.values[-1]}. Go back and choose "
            "from the page again."
        )
    return value


def _problems(request, problems):
    """An htmx request's refusal: only the problems, for the grid's status region (400)."""
    return render(
        request, "assessment/decisions/_problems.html", {"problems": problems}, status=400
    )


@requires(VIEW_DECISIONS)
def grid(request, pk: int):
    assignment = _assignment(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    htmx = bool(request.headers.get("HX-Request"))
    try:
        attempt = _attempt(source.get("attempt"))
    except BadParameter as exc:
        if htmx:
            return _problems(request, [svc.Problem("Attempt", "", str(exc))])
        raise
    group = None
    if source.get("group"):
        group = TeachingGroup.objects.filter(
            cohort_id=assignment.plan.cohort_id, pk=_int(source.get("group"))
        ).first()
    may_record = can(request.user, RECORD_DECISIONS, assignment)
    may_extend = attempt == Attempt.FIRST and can(request.user, AGREE_EXTENSIONS, assignment)
    problems = []
    if request.method == "POST":
        assignment = _assignment(request, pk, RECORD_DECISIONS)  # 403 for another's
        learners = sel.grid_learners(request.user, assignment, attempt=attempt, group=group)
        criteria = sel.assignment_criteria(assignment)
        rows, decided_on, problems = parse_grid(request.POST, learners, criteria)
        if not problems:
            try:
                result = svc.save_grid(
                    assignment,
                    by=request.user,
                    learners=learners,
                    criteria=criteria,
                    rows=rows,
                    decided_on=decided_on,
                    attempt=attempt,
                )
            except svc.GridRefused as refused:
                problems = refused.problems
            else:
                if htmx:  # the status region by the Save button says it; no message left over
                    return render(request, "assessment/decisions/_saved.html", {"result": result})
                messages.success(
                    request,
                    f"Saved: {result.created} new, {result.changed} changed, "
                    f"{result.cleared} cleared, for {result.learners_changed} "
                    f"learner{'' if result.learners_changed == 1 else 's'}.",
                )
                url = reverse("assessment:decisions_grid", kwargs={"pk": assignment.pk})
                query = f"?attempt={attempt}" + (f"&group={group.pk}" if group else "")
                return redirect(url + query)
        if problems and htmx:
            return _problems(request, problems)
    data = sel.class_grid(request.user, assignment, attempt=attempt, group=group)
    if problems and request.method == "POST":
        sel.show_posted(data, rows, today=timezone.localdate())
    status = 400 if problems else 200
    return render(
        request,
        "assessment/decisions/grid.html",
        {
            "grid": data,
            "assignment": assignment,
            "may_record": may_record,
            "may_extend": may_extend,
            "problems": problems,
            "attempts": Attempt.choices,
            "posted": request.POST if problems else None,
        },
        status=status,
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@requires(VIEW_DECISIONS)
def learner_record(request, pk: int, learner: int):
    assignment = _assignment(request, pk)
    learner = _learner(request, assignment, learner)
    return _record_page(request, assignment, learner)


def _record_page(request, assignment, learner, status=200):
    user = request.user
    may_authorise = can(user, AUTHORISE_REATTEMPTS, assignment)
    retake_assignments = scope(
        user,
        AUTHORISE_REATTEMPTS,
        PlannedAssignment.objects.filter(unit=assignment.unit).exclude(pk=assignment.pk),
    )
    return render(
        request,
        "assessment/decisions/learner.html",
        {
            "assignment": assignment,
            "learner": learner,
            "record": sel.learner_record(assignment, learner),
            "grade": sel.best_unit_grade(learner, assignment.unit),
            "may_verify": can(user, VERIFY_DECISIONS, assignment),
            "may_authorise": may_authorise,
            "retake_form": RetakeForm(assignments=retake_assignments) if may_authorise else None,
            "resubmission_form": ResubmissionForm() if may_authorise else None,
        },
        status=status,
    )


def _back(assignment, learner):
    return redirect("assessment:decisions_learner", pk=assignment.pk, learner=learner.pk)


@requires(VERIFY_DECISIONS)
@require_POST
def verify(request, pk: int, learner: int):
    assignment = _assignment(request, pk, VERIFY_DECISIONS)
    learner = _learner(request, assignment, learner)
    try:
        count = svc.mark_verified(assignment, learner, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{count} decisions marked internally verified: now frozen.")
    return _back(assignment, learner)


@requires(AUTHORISE_REATTEMPTS)
@require_POST
def resubmission(request, pk: int, learner: int):
    assignment = _assignment(request, pk, AUTHORISE_REATTEMPTS)
    learner = _learner(request, assignment, learner)
    form = ResubmissionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        svc.authorise_resubmission(assignment, learner, by=request.user, note=note)
    except ValidationError as exc:
        messages.error(request, "Resubmission refused: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Resubmission authorised for {svc.name_of(learner)}.")
    return _back(assignment, learner)


@requires(AUTHORISE_REATTEMPTS)
@require_POST
def retake(request, pk: int, learner: int):
    assignment = _assignment(request, pk, AUTHORISE_REATTEMPTS)
    learner = _learner(request, assignment, learner)
    form = RetakeForm(
        request.POST,
        assignments=scope(
            request.user,
            AUTHORISE_REATTEMPTS,
            PlannedAssignment.objects.filter(unit=assignment.unit).exclude(pk=assignment.pk),
        ),
    )
    if not form.is_valid():
        messages.error(request, "Retake refused: choose the new assignment for the retake.")
        return _back(assignment, learner)
    try:
        svc.authorise_retake(
            assignment.unit,
            learner,
            new_assignment=form.cleaned_data["new_assignment"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, "Retake refused: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Retake authorised for {svc.name_of(learner)}.")
    return _back(assignment, learner)


@requires(AGREE_EXTENSIONS)
def extension(request, pk: int, learner: int):
    """Agree (or change) a learner's extension to the hand-in date (domain.md 3.5)."""
    assignment = _assignment(request, pk, AGREE_EXTENSIONS)
    learner = _learner(request, assignment, learner)
    current = Submission.objects.filter(
        assignment=assignment, learner=learner, attempt=Attempt.FIRST
    ).first()
    initial = {}
    if current is not None and current.extension_to:
        initial = {"to": current.extension_to, "reason": current.extension_reason}
    form = ExtensionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                svc.agree_extension(
                    assignment,
                    learner,
                    by=request.user,
                    to=form.cleaned_data["to"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request,
                    f"Extension for {svc.name_of(learner)} agreed to "
                    f"{form.cleaned_data['to']:%d/%m/%Y}.",
                )
                return redirect("assessment:decisions_grid", pk=assignment.pk)
        show_again(request, form)
    return render(
        request,
        "assessment/decisions/extension.html",
        {"assignment": assignment, "learner": learner, "current": current, "form": form},
    )
