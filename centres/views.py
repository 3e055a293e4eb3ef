"""Centre reports, collaborative arrangements and Pearson approvals. Access: the one layer."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.permissions import can, get_object, has_perm, requires, scope
from btecqa.forms import show_again
from btecqa.validators import academic_year_for
from todos.models import ToDo

from . import services
from .documents import annual_report_pdf, section_svg, table_rows
from .forms import (
    AnswerForm,
    ApprovalForm,
    ArrangementForm,
    InviteForm,
    PearsonToldForm,
    QualificationForm,
    ReportYearForm,
    WithdrawForm,
)
from .models import (
    ArrangementPartner,
    ArrangementQualification,
    Centre,
    CollaborativeArrangement,
    QualificationApproval,
)
from .permissions import (
    EXPORT_REPORTS,
    MANAGE_ARRANGEMENTS,
    NOTE_ARRANGEMENT_CHANGES,
    RECORD_APPROVALS,
    RESPOND_TO_ARRANGEMENT,
    VIEW_APPROVALS,
    VIEW_ARRANGEMENTS,
    VIEW_REPORTS,
)
from .selectors import (
    annual_report,
    centre_summaries,
    report_centres,
    report_year_choices,
    sharing,
    visible_arrangements,
)


def _report_year(request, centres) -> tuple[ReportYearForm, str]:
    """The year form from the query string and the year the report goes up to. A year not
    written like one, or one no centre shown has records for, is refused: the form says
    why and the report is the current year's."""
    current = academic_year_for(timezone.localdate())
    years = report_year_choices(centres)
    value = request.GET.get("year", "").strip()
    if not value:
        return ReportYearForm(years=years, initial={"year": current}), current
    form = ReportYearForm({"year": value}, years=years)
    if form.is_valid():
        return form, form.cleaned_data["year"]
    form.data = {"year": current}  # the errors stay; the list shows the year reported
    return form, current


@requires(VIEW_REPORTS)
def summary(request):
    """The centre summary and the governors' annual report: counts only, year on year,
    up to the year chosen (?year=2025/26; default the current one)."""
    centres = report_centres(request.user, VIEW_REPORTS)
    form, year = _report_year(request, centres)
    if form.errors:
        messages.error(request, f"Report year refused: {' '.join(form.errors['year'])}")
    report = annual_report(request.user, VIEW_REPORTS, last_year=year, centres=centres)
    sections = [
        {
            "section": s,
            "chart": section_svg(s, report.years),
            "alt": s.alt_text(report.years),
            "rows": table_rows(report, s),
        }
        for s in report.sections
    ]
    return render(
        request,
        "centres/summary.html",
        {
            "centres": centre_summaries(request.user),
            "report": report,
            "sections": sections,
            "year_form": form,
            "can_export": has_perm(request.user, EXPORT_REPORTS),
        },
    )


@requires(EXPORT_REPORTS)
def summary_pdf(request):
    """The report as a PDF, for the year chosen on the page; a refused year goes back to the
    page, which says why."""
    centres = report_centres(request.user, EXPORT_REPORTS)
    form, year = _report_year(request, centres)
    if form.errors:
        query = urlencode({"year": request.GET["year"][:50]})
        return redirect(f"{reverse('centres:summary')}?{query}")
    report = annual_report(request.user, EXPORT_REPORTS, last_year=year, centres=centres)
    response = HttpResponse(annual_report_pdf(report), content_type="application/pdf")
    name = f"governors-report-{report.years[-1].replace('/', '-')}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _fail(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _lock(form) -> int | None:
    return form.cleaned_data.get("lock")


# --- collaborative arrangements -------------------------------------------------


@requires(VIEW_ARRANGEMENTS)
def arrangement_list(request):
    return render(
        request,
        "centres/arrangement_list.html",
        {
            "arrangements": visible_arrangements(request.user),
            "can_create": has_perm(request.user, MANAGE_ARRANGEMENTS),
            "invitations": scope(
                request.user,
                RESPOND_TO_ARRANGEMENT,
                ArrangementPartner.objects.filter(status=ArrangementPartner.Status.INVITED),
            ).select_related("arrangement__lead_centre", "centre"),
        },
    )


@requires(MANAGE_ARRANGEMENTS)
def arrangement_create(request):
    lead_centres = scope(request.user, MANAGE_ARRANGEMENTS, Centre.objects.filter(is_active=True))
    form = ArrangementForm(request.POST or None, lead_centres=lead_centres)
    if request.method == "POST" and form.is_valid():
        try:
            arrangement = services.create_arrangement(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Arrangement created. Invite its partner centres and add qualifications."
            )
            return redirect("centres:arrangement_detail", pk=arrangement.pk)
    return render(request, "centres/arrangement_form.html", {"form": form})


def _todos_for(arrangement, partners, quals, user):
    """Open arrangement actions on its partners and qualifications that this user owes or
    may act on: one query."""
    types = ContentType.objects.get_for_models(ArrangementPartner, ArrangementQualification)
    return list(
        ToDo.objects.filter(
            Q(target_type=types[ArrangementPartner], target_id__in=[str(p.pk) for p in partners])
            | Q(
                target_type=types[ArrangementQualification],
                target_id__in=[str(q.pk) for q in quals],
            ),
            closed_at__isnull=True,
            centre_id__in=scope(user, VIEW_ARRANGEMENTS, Centre).values("pk"),
        ).select_related("centre")
    )


@requires(VIEW_ARRANGEMENTS)
def arrangement_detail(request, pk: int):
    arrangement = get_object(
        request.user,
        VIEW_ARRANGEMENTS,
        CollaborativeArrangement.objects.select_related("lead_centre"),
        pk=pk,
    )
    return _arrangement_page(request, arrangement)


def _arrangement_page(
    request, arrangement, *, invite_form=None, qualification_form=None, told_form=None
):
    """The arrangement page; a refused form goes back on it bound, with its errors."""
    partners = list(arrangement.partners.select_related("centre", "invited_by", "responded_by"))
    quals = list(arrangement.qualifications.select_related("qualification", "lead_iv"))
    todos = _todos_for(arrangement, partners, quals, request.user)
    can_manage = can(request.user, MANAGE_ARRANGEMENTS, arrangement)
    answerable = {
        p.pk for p in scope(request.user, RESPOND_TO_ARRANGEMENT, arrangement.partners.all())
    }
    for p in partners:
        p.can_answer = p.pk in answerable and p.status == ArrangementPartner.Status.INVITED
        p.can_withdraw = p.status == ArrangementPartner.Status.ACCEPTED and (
            can_manage or p.pk in answerable
        )
    for t in todos:
        t.can_record_told = can_manage and t.kind == services.TELL_PEARSON
        t.can_note = t.kind == services.NOTE_CHANGE and has_perm(
            request.user, NOTE_ARRANGEMENT_CHANGES, t.centre_id
        )
        if t.can_record_told:
            refused = told_form is not None and told_form.todo_pk == t.pk
            t.told_form = told_form if refused else _told_form(t.pk)
    return render(
        request,
        "centres/arrangement_detail.html",
        {
            "arrangement": arrangement,
            "partners": partners,
            "quals": quals,
            "sharing": sharing(arrangement, partners, quals),
            "todos": todos,
            "can_manage": can_manage,
            "invite_form": invite_form or InviteForm(arrangement=arrangement),
            "qualification_form": qualification_form or QualificationForm(arrangement=arrangement),
        },
    )


def _told_form(todo_pk: int, data=None) -> PearsonToldForm:
    """One 'Pearson told' form per action on the page: its own ids, and which action it is."""
    form = PearsonToldForm(data, auto_id=f"told-{todo_pk}-%s")
    form.todo_pk = todo_pk
    return form


def _refused(request, arrangement, form, exc: ValidationError | None = None, **forms):
    """Back to the arrangement page with the form and its errors, beside their fields."""
    if exc is not None:
        form.add_error(None, exc)
    show_again(request, form)
    return _arrangement_page(request, arrangement, **forms)


def _managed(request, pk):
    return get_object(
        request.user,
        MANAGE_ARRANGEMENTS,
        CollaborativeArrangement.objects.select_related("lead_centre"),
        pk=pk,
    )


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def partner_invite(request, pk: int):
    arrangement = _managed(request, pk)
    form = InviteForm(request.POST, arrangement=arrangement)
    if not form.is_valid():
        return _refused(request, arrangement, form, invite_form=form)
    try:
        services.invite_partner(arrangement, centre=form.cleaned_data["centre"], by=request.user)
    except ValidationError as exc:
        return _refused(request, arrangement, form, exc, invite_form=form)
    messages.success(
        request,
        f"{form.cleaned_data['centre'].name} is invited. Nothing is shared until its "
        "Quality Nominee or Head of Centre accepts.",
    )
    return redirect("centres:arrangement_detail", pk=arrangement.pk)


@requires(RESPOND_TO_ARRANGEMENT)
def partner_answer(request, pk: int, partner_pk: int):
    """The invited centre answers: its own QN or head; the lead centre sees a 403."""
    partner = get_object(
        request.user,
        RESPOND_TO_ARRANGEMENT,
        ArrangementPartner.objects.select_related("arrangement__lead_centre", "centre"),
        pk=partner_pk,
        arrangement_id=pk,
    )
    form = AnswerForm(request.POST or None, initial={"lock": partner.lock_version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d["decision"] == AnswerForm.ACCEPT:
                services.accept_invitation(
                    partner, by=request.user, note=d["note"], expected_lock=_lock(form)
                )
                messages.success(request, f"{partner.centre.name} is now a partner.")
            else:
                services.refuse_invitation(
                    partner, by=request.user, reason=d["note"], expected_lock=_lock(form)
                )
                messages.success(request, "The invitation is refused; the lead centre is told.")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("centres:arrangement_detail", pk=pk)
    quals = partner.arrangement.qualifications.filter(withdrawn_on__isnull=True).select_related(
        "qualification", "lead_iv"
    )
    return render(
        request,
        "centres/partner_answer.html",
        {"partner": partner, "form": form, "quals": quals},
    )


@requires(VIEW_ARRANGEMENTS)
def partner_withdraw(request, pk: int, partner_pk: int):
    """Either side withdraws a partner, after a confirmation page."""
    partner = get_object(
        request.user,
        VIEW_ARRANGEMENTS,
        ArrangementPartner.objects.select_related("arrangement__lead_centre", "centre"),
        pk=partner_pk,
        arrangement_id=pk,
    )
    if not services.may_withdraw(request.user, partner):
        raise PermissionDenied(
            "The lead centre's Quality Nominee or administrator, or the partner's own Quality "
            "Nominee or Head of Centre, withdraws a partner."
        )
    form = WithdrawForm(request.POST or None, initial={"lock": partner.lock_version})
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_partner(
                partner,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                expected_lock=_lock(form),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"{partner.centre.name} withdrawn. A 'tell Pearson' action is open."
            )
            return redirect("centres:arrangement_detail", pk=pk)
    return render(request, "centres/partner_withdraw.html", {"partner": partner, "form": form})


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def qualification_add(request, pk: int):
    arrangement = _managed(request, pk)
    form = QualificationForm(request.POST, arrangement=arrangement)
    if not form.is_valid():
        return _refused(request, arrangement, form, qualification_form=form)
    d = form.cleaned_data
    try:
        services.add_qualification(
            arrangement,
            qualification=d["qualification"],
            lead_iv=d["lead_iv"],
            added_on=d["added_on"],
            by=request.user,
        )
    except ValidationError as exc:
        return _refused(request, arrangement, form, exc, qualification_form=form)
    messages.success(request, "Qualification added. A 'tell Pearson' action is open for the QN.")
    return redirect("centres:arrangement_detail", pk=arrangement.pk)


@requires(MANAGE_ARRANGEMENTS)
def qualification_withdraw(request, pk: int, aq_pk: int):
    arrangement = _managed(request, pk)
    aq = get_object(
        request.user,
        MANAGE_ARRANGEMENTS,
        ArrangementQualification.objects.select_related("qualification", "arrangement"),
        pk=aq_pk,
        arrangement=arrangement,
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_qualification(aq, on=form.cleaned_data["on"], by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{aq.qualification.title} withdrawn from the arrangement.")
            return redirect("centres:arrangement_detail", pk=pk)
    return render(request, "centres/qualification_withdraw.html", {"aq": aq, "form": form})


@requires(MANAGE_ARRANGEMENTS)
@require_POST
def pearson_told(request, pk: int, todo_pk: int):
    arrangement = _managed(request, pk)
    todo = get_object(
        request.user,
        MANAGE_ARRANGEMENTS,
        ToDo.objects.all(),
        pk=todo_pk,
        kind=services.TELL_PEARSON,
        centre=arrangement.lead_centre,
    )
    form = _told_form(todo.pk, request.POST)
    if not form.is_valid():
        return _refused(request, arrangement, form, told_form=form)
    try:
        services.record_pearson_told(todo, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, arrangement, form, exc, told_form=form)
    messages.success(request, "Recorded: Pearson was told.")
    return redirect("centres:arrangement_detail", pk=arrangement.pk)


@requires(NOTE_ARRANGEMENT_CHANGES)
@require_POST
def change_noted(request, pk: int, todo_pk: int):
    arrangement = get_object(request.user, VIEW_ARRANGEMENTS, CollaborativeArrangement, pk=pk)
    todo = get_object(
        request.user,
        NOTE_ARRANGEMENT_CHANGES,
        ToDo.objects.all(),
        pk=todo_pk,
        kind=services.NOTE_CHANGE,
    )
    try:
        services.note_change(todo, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Noted.")
    return redirect("centres:arrangement_detail", pk=arrangement.pk)


# --- each centre's Pearson approvals ----------------------------------------------


@requires(VIEW_APPROVALS)
def approvals(request):
    centres = scope(request.user, RECORD_APPROVALS, Centre.objects.filter(is_active=True))
    can_record = has_perm(request.user, RECORD_APPROVALS)
    form = ApprovalForm(request.POST or None, centres=centres) if can_record else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Your role does not record Pearson approvals.")
        if form.is_valid():
            try:
                services.record_approval(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Approval recorded.")
                return redirect("centres:approvals")
    rows = scope(
        request.user,
        VIEW_APPROVALS,
        QualificationApproval.objects.select_related("centre", "qualification", "recorded_by"),
    )
    return render(request, "centres/approvals.html", {"approvals": rows, "form": form})
