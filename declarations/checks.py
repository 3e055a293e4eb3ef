"""The Annual Quality Declaration's checklist: a registry of items, one per policy clause.

Each item is `register_check(clause, title, function)`: `function(ctx)` returns a `Finding`,
the evidence the records give for the clause and the gaps they show, named. An item with
no record source in btecqa says so (`by_hand=True`) and the Quality Nominee confirms it by
hand with a tick and a note. Another app adds or replaces an item from its own module
(`register_check(clause, ..., replace=True)`)
without editing this one.

`ctx` is a `CheckContext` for one centre and academic year; what several items read (the
centre's arrangements, the Lead IV rows) is read once and cached on it, so the checklist
runs a fixed number of queries whatever the centre's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ImproperlyConfigured

BY_HAND = "btecqa holds no record for this: confirm by hand, with a note of where it is kept."
MAX_LISTED = 12


@dataclass
class Finding:
    evidence: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    by_hand: bool = False
    hint: str = ""


@dataclass(frozen=True)
class Check:
    clause: str
    title: str
    function: Callable


_CHECKS: dict[str, Check] = {}


def clause_key(clause: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in clause.split("."))


def register_check(clause: str, title: str, function: Callable, *, replace: bool = False) -> str:
    """Add an item to the checklist (or, with replace=True, a better one for its clause)."""
    check = Check(clause, title, function)
    existing = _CHECKS.get(clause)
    if existing and existing != check and not replace:
        raise ImproperlyConfigured(
            f"Declaration item {clause} declared twice: pass replace=True to supersede it."
        )
    _CHECKS[clause] = check
    return clause


def all_checks() -> list[Check]:
    return sorted(_CHECKS.values(), key=lambda c: clause_key(c.clause))


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"… and {len(lines) - MAX_LISTED} more"]


class CheckContext:
    """One centre and year, with the reads several items share (each once)."""

    def __init__(self, centre, academic_year: str):
        self.centre = centre
        self.academic_year = academic_year

    @cached_property
    def year_start(self):
        import datetime as dt

        return dt.date(int(self.academic_year[:4]), 9, 1)

    @cached_property
    def arrangements(self) -> list:
        """The arrangements the centre leads or is a partner of that run this year."""
        from django.db.models import Prefetch, Q

        from centres.models import ArrangementPartner, ArrangementQualification
        from centres.models import CollaborativeArrangement as A

        year = self.academic_year
        qs = (
            A.objects.filter(
                Q(lead_centre=self.centre)
                | Q(
                    partners__centre=self.centre,
                    partners__status=ArrangementPartner.Status.ACCEPTED,
                )
            )
            .filter(first_year__lte=year)
            .filter(Q(last_year="") | Q(last_year__gte=year))
            .distinct()
            .select_related("lead_centre")
            .prefetch_related(
                Prefetch(
                    "partners",
                    queryset=ArrangementPartner.objects.current().select_related("centre"),
                    to_attr="current_partners",
                ),
                Prefetch(
                    "qualifications",
                    queryset=ArrangementQualification.objects.filter(
                        withdrawn_on__isnull=True
                    ).select_related("qualification", "lead_iv"),
                    to_attr="current_qualifications",
                ),
            )
            .order_by("name")
        )
        return list(qs)

    @cached_property
    def lead_iv_rows(self) -> list[dict]:
        from verification.selectors import lead_iv_rows

        return lead_iv_rows(self.centre, self.academic_year)


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else "nobody"


# --- the items -----------------------------------------------------------------------------


def _briefs(ctx: CheckContext) -> Finding:
    from assessment.models import PlannedAssignment
    from assessment.models_briefs import AssignmentBrief

    rows = (
        PlannedAssignment.objects.filter(
            plan__cohort__centre=ctx.centre, plan__academic_year=ctx.academic_year
        )
        .select_related("unit", "plan__cohort__qualification", "brief__verified_by")
        .order_by("plan__cohort__qualification__title", "unit__number", "pk")
    )
    issued, waiting, none = [], [], []
    for row in rows:
        cohort = row.plan.cohort
        where = (
            f"{cohort.qualification.title} ({cohort.start_year} cohort), unit "
            f"{row.unit.number} «{row.title}»"
        )
        brief = getattr(row, "brief", None)
        if brief is None:
            none.append(f"{where}: no assignment brief yet")
        elif brief.status == AssignmentBrief.Status.ISSUED:
            issued.append(
                f"{where}: verified by {person(brief.verified_by)} "
                f"{brief.verified_at:%d/%m/%Y}, issued {brief.issued_at:%d/%m/%Y}"
                if brief.verified_at and brief.issued_at
                else f"{where}: issued"
            )
        elif brief.status == AssignmentBrief.Status.VERIFIED:
            issued.append(f"{where}: internally verified, not yet issued")
        else:
            waiting.append(f"{where}: {brief.get_status_display().lower()}")
    evidence = _capped(issued) or []
    if not rows:
        if not any(row["cohorts"] for row in ctx.lead_iv_rows):
            # A centre that teaches nothing this year has no brief to give: nothing to read,
            # not a gap (the cohorts taught are the Lead IV rows', read once for the list).
            return Finding(
                hint=f"No cohort is taught at the centre in {ctx.academic_year}: no brief is due."
            )
        return Finding(
            gaps=[f"No assessment plan for {ctx.academic_year} lists any assignment yet."]
        )
    return Finding(evidence=evidence, gaps=_capped(waiting + none))


def _approvals(ctx: CheckContext) -> Finding:
    from centres.models import QualificationApproval

    if not ctx.arrangements:
        return Finding(
            evidence=["The centre takes part in no collaborative arrangement this year."]
        )
    approved = {
        a.qualification_id: a for a in QualificationApproval.objects.filter(centre=ctx.centre)
    }
    evidence, gaps = [], []
    for arr in ctx.arrangements:
        for aq in arr.current_qualifications:
            if approval := approved.get(aq.qualification_id):
                evidence.append(
                    f"{aq.qualification.title} ({arr.name}): approved by Pearson "
                    f"{approval.approved_on:%d/%m/%Y}, {approval.reference}"
                )
            else:
                gaps.append(
                    f"{aq.qualification.title} ({arr.name}): no Pearson approval of the "
                    f"centre's own is recorded"
                )
    return Finding(evidence=_capped(evidence), gaps=_capped(gaps))


def _lead_centre(ctx: CheckContext) -> Finding:
    if not ctx.arrangements:
        return Finding(
            evidence=["The centre takes part in no collaborative arrangement this year."]
        )
    evidence, gaps = [], []
    for arr in ctx.arrangements:
        evidence.append(f"{arr.name}: lead centre {arr.lead_centre}")
        if not arr.current_qualifications:
            gaps.append(f"{arr.name}: no qualification is delivered through it")
        for aq in arr.current_qualifications:
            if aq.lead_iv is None:
                gaps.append(
                    f"{arr.name}: no Lead IV named at the lead centre for "
                    f"{aq.qualification.title}, so nobody coordinates its quality assurance"
                )
    return Finding(evidence=evidence, gaps=gaps)


def _lead_ivs(ctx: CheckContext) -> Finding:
    evidence, gaps = [], []
    for row in ctx.lead_iv_rows:
        title, appt = row["qualification"].title, row["appointment"]
        if row["missing"]:
            cohorts = ", ".join(str(c.start_year) for c in row["cohorts"])
            gaps.append(
                f"{title}: no Lead IV identified for {ctx.academic_year} "
                f"(taught this year: cohorts starting {cohorts})"
            )
        elif appt:
            cover = f"; cover {person(appt.cover)}" if appt.cover else ""
            evidence.append(f"{title}: Lead IV {person(appt.lead_iv)}{cover}")
            if not appt.cover:
                gaps.append(f"{title}: no succession cover named for the Lead IV")
    if not ctx.lead_iv_rows:
        gaps.append(f"No cohort is taught at the centre in {ctx.academic_year}.")
    return Finding(evidence=evidence, gaps=gaps)


def _standardisation(ctx: CheckContext) -> Finding:
    evidence, gaps = [], []
    for row in ctx.lead_iv_rows:
        if not row["cohorts"]:
            continue
        title, appt = row["qualification"].title, row["appointment"]
        if row["last_activity"]:
            evidence.append(f"{title}: team standardised {row['last_activity']:%d/%m/%Y}")
        else:
            gaps.append(f"{title}: no standardisation activity recorded in {ctx.academic_year}")
        if appt and row["pearson_training"]:
            evidence.append(
                f"{title}: Lead IV {person(appt.lead_iv)} did Pearson's standardisation "
                f"training {row['pearson_training']:%d/%m/%Y}"
            )
        elif appt:
            gaps.append(
                f"{title}: no Pearson standardisation training recorded for the Lead IV, "
                f"{person(appt.lead_iv)}"
            )
    return Finding(evidence=evidence, gaps=gaps)


def _programme_codes(ctx: CheckContext) -> Finding:
    finding = Finding(
        by_hand=True,
        hint=(
            "Registrations and claims are checked in the entry check; confirm the centre's "
            "registration and certification policies by hand."
        ),
    )
    for arr in ctx.arrangements:
        if arr.programme_code:
            finding.evidence.append(
                f"{arr.name}: consortium programme code or sub-site {arr.programme_code}"
            )
        else:
            finding.gaps.append(
                f"{arr.name}: no consortium programme code or sub-site recorded, so "
                f"registrations under it cannot be checked"
            )
    return finding


def _by_hand(hint: str) -> Callable:
    def check(ctx: CheckContext) -> Finding:
        return Finding(by_hand=True, hint=hint)

    return check


def _reviews(ctx: CheckContext) -> Finding:
    from .models import ArrangementReview

    if not ctx.arrangements:
        return Finding(
            evidence=["The centre takes part in no collaborative arrangement this year."]
        )
    reviews: dict[int, list] = {}
    for review in (
        ArrangementReview.objects.filter(
            arrangement__in=[a.pk for a in ctx.arrangements], academic_year=ctx.academic_year
        )
        .prefetch_related("attendance__centre", "actions")
        .order_by("held_on")
    ):
        reviews.setdefault(review.arrangement_id, []).append(review)
    evidence, gaps = [], []
    for arr in ctx.arrangements:
        held = reviews.get(arr.pk, [])
        if not held:
            gaps.append(f"{arr.name}: no review meeting recorded for {ctx.academic_year}")
            continue
        for review in held:
            came = [a.centre.name for a in review.attendance.all() if a.attended]
            evidence.append(
                f"{arr.name}: reviewed {review.held_on:%d/%m/%Y}; attended: "
                f"{', '.join(came) or 'nobody recorded'}"
            )
            for action in review.actions.all():
                if action.is_open:
                    gaps.append(
                        f"{arr.name}: action «{action.description}» ({action.owner}, due "
                        f"{action.due_on:%d/%m/%Y}) is still open"
                    )
        if not any(
            a.centre_id == ctx.centre.pk and a.attended for r in held for a in r.attendance.all()
        ):
            gaps.append(f"{arr.name}: {ctx.centre.name} is not recorded as attending its review")
    return Finding(evidence=evidence, gaps=gaps)


def _sv_years(ctx: CheckContext) -> tuple[str, str]:
    """Last year and this: a declaration made in the autumn answers for last year's
    standards verification (allocated from January, reported by the summer) and this year's
    as far as it has gone."""
    start = int(ctx.academic_year[:4]) - 1
    return f"{start}/{str(start + 1)[-2:]}", ctx.academic_year


def _sv_visits(ctx: CheckContext) -> list:
    from verification.models_sv import SVVisit

    if not hasattr(ctx, "_sv_visits"):
        ctx._sv_visits = list(
            SVVisit.objects.filter(cohort__centre=ctx.centre, academic_year__in=_sv_years(ctx))
            .select_related("cohort__qualification")
            .prefetch_related("actions__owner")
            .order_by("academic_year", "cohort__qualification__title", "pk")
        )
    return ctx._sv_visits


def _standards_verification(ctx: CheckContext) -> Finding:
    """3.1.11 from the SV records: each cohort's visit, route and report status."""
    last, _this = _sv_years(ctx)
    evidence, gaps = [], []
    visits = _sv_visits(ctx)
    for visit in visits:
        cohort = f"{visit.cohort.qualification.title} ({visit.cohort.start_year} cohort)"
        line = (
            f"{visit.academic_year}, {cohort}: {visit.route_label}, "
            f"verifier {visit.verifier_name or 'not yet allocated'}; report: {visit.status_label}"
        )
        status = visit.config.status(visit.status)
        released = status is not None and status.claims == "clear"
        if visit.academic_year == last and not released:
            gaps.append(f"{line} (last year's report is not released)")
        else:
            evidence.append(line)
    if not any(v.academic_year == last for v in visits):
        gaps.append(f"No Standards Verification is recorded for {last}.")
    return Finding(evidence=_capped(evidence), gaps=_capped(gaps))


def _sv_actions(ctx: CheckContext) -> Finding:
    """3.1.13 from the SV records: each action agreed with the verifier, and whether closed."""
    evidence, gaps = [], []
    for visit in _sv_visits(ctx):
        cohort = f"{visit.cohort.qualification.title} ({visit.cohort.start_year} cohort)"
        for action in visit.actions.all():
            who = action.owner.get_full_name() or action.owner.username
            if action.closed_at is None:
                gaps.append(
                    f"{cohort}: «{action.description}» ({who}, due {action.due_on:%d/%m/%Y}) "
                    "is still open"
                )
            else:
                evidence.append(
                    f"{cohort}: «{action.description}» closed {action.closed_at:%d/%m/%Y}"
                )
    if not evidence and not gaps:
        evidence.append("No Standards Verification action was needed in the records.")
    return Finding(evidence=_capped(evidence), gaps=_capped(gaps))


def _declaration(ctx: CheckContext) -> Finding:
    from .models import QualityDeclaration

    start = int(ctx.academic_year[:4]) - 1
    last = f"{start}/{str(start + 1)[-2:]}"
    previous = QualityDeclaration.objects.filter(centre=ctx.centre, academic_year=last).first()
    evidence = [f"This declaration, for {ctx.academic_year}."]
    if previous is None:
        return Finding(evidence=evidence, gaps=[f"No declaration for {last} is kept in btecqa."])
    if previous.status == QualityDeclaration.Status.CONFIRMED:
        evidence.append(f"{last}: confirmed by the Head of Centre.")
        return Finding(evidence=evidence)
    return Finding(evidence=evidence, gaps=[f"{last}: the declaration was never confirmed."])


def _tell_pearson(ctx: CheckContext) -> Finding:
    import datetime as dt

    from centres.events import TELL_PEARSON
    from todos.models import ToDo

    evidence, gaps = [], []
    led = [a for a in ctx.arrangements if a.lead_centre_id == ctx.centre.pk]
    for arr in ctx.arrangements:
        if arr.lead_centre_id != ctx.centre.pk:
            evidence.append(f"{arr.name}: the lead centre, {arr.lead_centre}, tells Pearson")
    if led:
        since = dt.datetime.combine(ctx.year_start, dt.time.min)
        from django.db.models import Q
        from django.utils import timezone

        since = timezone.make_aware(since)
        told = len(evidence)
        for todo in ToDo.objects.filter(kind=TELL_PEARSON, centre=ctx.centre).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=since)
        ):
            if todo.closed_at is None:
                due = f" (due {todo.due_date:%d/%m/%Y})" if todo.due_date else ""
                gaps.append(f"Pearson not yet told: {todo.title}{due}")
            else:
                evidence.append(
                    f"Pearson told: {todo.title}, {timezone.localtime(todo.closed_at):%d/%m/%Y}"
                )
        if len(evidence) == told and not gaps:
            names = ", ".join(a.name for a in led)
            evidence.append(
                f"{names}: no change since {ctx.year_start:%d/%m/%Y} has needed telling Pearson"
            )
    if not ctx.arrangements:
        evidence.append("The centre takes part in no collaborative arrangement this year.")
    return Finding(evidence=_capped(evidence), gaps=_capped(gaps))


register_check(
    "3.1.1",
    "Assignments are fit for purpose: each brief internally verified before it is issued",
    _briefs,
)
register_check("3.1.2", "Qualification approval held before collaborative approval", _approvals)
register_check(
    "3.1.3",
    "A lead centre coordinates quality assurance for each qualification of each arrangement",
    _lead_centre,
)
register_check("3.1.4", "A Lead IV identified for each qualification delivered", _lead_ivs)
register_check(
    "3.1.5",
    "The Lead IV completes annual standardisation and training with all assessors and IVs",
    _standardisation,
)
register_check(
    "3.1.6",
    "Registrations and claims under the consortium programme code or sub-site; "
    "registration and certification policies in place",
    _programme_codes,
)
register_check(
    "3.1.7",
    "Access to all quality assurance documentation for the centre's registered learners",
    _by_hand(BY_HAND),
)
register_check(
    "3.1.8",
    "Access to the centre's learner progress and achievement records",
    _by_hand(BY_HAND),
)
register_check(
    "3.1.9",
    "Taking part in the regular review of the arrangement's qualifications",
    _reviews,
)
register_check(
    "3.1.10",
    "Assessment evidence and QA documentation retained as Pearson requires",
    _by_hand(BY_HAND),
)
register_check(
    "3.1.11",
    "Taking part in Pearson's quality assurance monitoring (SV, LSV)",
    _standards_verification,
)
register_check(
    "3.1.12",
    "The Annual Quality Declaration completed and submitted",
    _declaration,
)
register_check(
    "3.1.13",
    "The outcomes of Standards Verification applied and essential actions supported",
    _sv_actions,
)
register_check(
    "3.1.14",
    "Changes to the arrangement (centres, qualifications) communicated to Pearson",
    _tell_pearson,
)
