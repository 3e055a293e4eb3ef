"""Internal verification sampling (policy 000-3.2.1; domain.md 3.8): the centre's strategy,
assessors' risk ratings, the risk-based sample builder and the plan's compliance.

Every read is a fixed number of queries whatever the cohort's size: decisions, submissions
and learners are each read once and grouped in Python.

The builder, for each assessor × assignment batch of the cohort's year, samples at least
the rate for the assessor's risk rating (the new-unit rate when the unit is new to the
centre), rounded up and never below the strategy's minimum per assignment. It picks, in
order: resubmissions, top grades (D), learners one criterion short of the next grade, work
not yet achieved; then fills to the rate spreading across sites, grades, sex and age band.
Each item keeps why it was chosen and a snapshot of the work as it stood.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import require, require_object
from assessment.models import Attempt, CriterionDecision, PlannedAssignment, Submission
from learners.models import Learner
from qualifications.grading import GradingError, criterion_level, unit_grade
from todos.services import close_todos, open_todo

from . import events as ev
from .models_sampling import (
    AssessorRating,
    DecisionFlag,
    IVPlan,
    RiskRating,
    SampleItem,
    SamplingStrategy,
)
from .permissions import PLAN_IV_SAMPLING, SET_SAMPLING_STRATEGY

NOT_YET = "not yet achieved"
GRADES = ("P", "M", "D", NOT_YET)
STRATEGY_FIELDS = (
    "rate_new",
    "rate_experienced",
    "rate_flagged",
    "rate_new_unit",
    "minimum_per_assignment",
)


# ---------------------------------------------------------------- the strategy


def strategy_for(centre) -> SamplingStrategy:
    """The centre's saved strategy, or an unsaved one with the model's defaults."""
    saved = SamplingStrategy.objects.filter(centre=centre).first()
    return saved or SamplingStrategy(centre=centre)


def set_strategy(centre, *, by, **rates) -> SamplingStrategy:
    """The Quality Nominee sets the centre's sampling rates (each 0–100%)."""
    require(by, SET_SAMPLING_STRATEGY, centre.pk)
    problems = {}
    for name in STRATEGY_FIELDS:
        value = rates.get(name)
        if value is None:
            problems[name] = "Give a number."
        elif name != "minimum_per_assignment" and not 0 <= int(value) <= 100:
            problems[name] = "A rate is a percentage from 0 to 100."
        elif name == "minimum_per_assignment" and not 0 <= int(value) <= 50:
            problems[name] = "Between 0 and 50 learners."
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        strategy = SamplingStrategy.objects.select_for_update().filter(centre=centre).first()
        before = {f: getattr(strategy, f) for f in STRATEGY_FIELDS} if strategy else None
        strategy = strategy or SamplingStrategy(centre=centre)
        for name in STRATEGY_FIELDS:
            setattr(strategy, name, int(rates[name]))
        strategy.changed_by = by
        strategy.changed_at = timezone.now()
        strategy.save()
        audit.record(
            by,
            ev.SAMPLING_STRATEGY_SET,
            strategy,
            centre=centre.pk,
            before=before,
            after={f: getattr(strategy, f) for f in STRATEGY_FIELDS},
        )
    return strategy


# ---------------------------------------------------------------- risk ratings


def previous_year(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class ResolvedRating:
    rating: str
    source: str  # why: "set by …", or how it was worked out
    saved: AssessorRating | None = None

    @property
    def label(self) -> str:
        return RiskRating(self.rating).label


def resolve_ratings(centre_id: int, academic_year: str, assessor_ids) -> dict[int, ResolvedRating]:
    """{assessor id: their rating this year and its source} (three queries).

    A rating set for the year wins. Otherwise: "flagged" when a DecisionFlag was raised on
    their decisions last year, "new" when they have no decisions at the centre in earlier
    years, else "experienced"."""
    ids = set(assessor_ids)
    saved = {
        r.assessor_id: r
        for r in AssessorRating.objects.filter(
            centre_id=centre_id, academic_year=academic_year, assessor_id__in=ids
        ).select_related("set_by")
    }
    last = previous_year(academic_year)
    flagged = set(
        DecisionFlag.objects.filter(
            cohort__centre_id=centre_id,
            assignment__plan__academic_year=last,
            assessor_id__in=ids,
        ).values_list("assessor_id", flat=True)
    )
    earlier = set(
        PlannedAssignment.objects.filter(
            plan__cohort__centre_id=centre_id,
            plan__academic_year__lt=academic_year,
            assessor_id__in=ids,
            decisions__isnull=False,
        ).values_list("assessor_id", flat=True)
    )
    out = {}
    for pk in ids:
        if pk in saved:
            r = saved[pk]
            who = r.set_by.get_full_name() or r.set_by.username
            reason = f": {r.reason}" if r.reason else ""
            out[pk] = ResolvedRating(
                r.rating, f"set by {who} on {r.set_at:%d/%m/%Y}{reason}", saved=r
            )
        elif pk in flagged:
            out[pk] = ResolvedRating(RiskRating.FLAGGED, f"flagged by IV in {last}")
        elif pk not in earlier:
            out[pk] = ResolvedRating(RiskRating.NEW, "no decisions at the centre in earlier years")
        else:
            out[pk] = ResolvedRating(RiskRating.EXPERIENCED, "assessed here in earlier years")
    return out


def set_rating(centre, assessor, academic_year: str, rating: str, *, by, reason: str = ""):
    """The Lead IV or QN rates an assessor for the year; a flagged rating needs a reason."""
    require(by, PLAN_IV_SAMPLING, centre.pk)
    if rating not in RiskRating.values:
        raise ValidationError({"rating": "Choose new, experienced or flagged."})
    reason = (reason or "").strip()
    if rating == RiskRating.FLAGGED and not reason:
        raise ValidationError({"reason": "Say why the assessor is flagged."})
    if not assessor.role_assignments.filter(centre=centre).exists():
        raise ValidationError({"assessor": f"{assessor} holds no role at {centre.name}."})
    with transaction.atomic():
        row = AssessorRating.objects.filter(
            centre=centre, assessor=assessor, academic_year=academic_year
        ).first()
        before = {"rating": row.rating, "reason": row.reason} if row else None
        row = row or AssessorRating(centre=centre, assessor=assessor, academic_year=academic_year)
        row.rating, row.reason, row.set_by, row.set_at = rating, reason, by, timezone.now()
        row.save()
        audit.record(
            by,
            ev.ASSESSOR_RATING_SET,
            row,
            centre=centre.pk,
            before=before,
            after={"rating": rating, "reason": reason, "year": academic_year},
        )
    return row


# ---------------------------------------------------------------- the cohort's work


def age_band(date_of_birth, academic_year: str) -> str:
    """Age on 31 August before the year starts, in the bands IV samples spread across."""
    start = dt.date(int(academic_year[:4]), 8, 31)
    age = (
        start.year
        - date_of_birth.year
        - ((start.month, start.day) < (date_of_birth.month, date_of_birth.day))
    )
    if age < 16:
        return "under 16"
    if age <= 18:
        return "16–18"
    return "19 and over"


def work_grade(achieved: set, codes: list[str]) -> tuple[str, str]:
    """(grade, borderline note) of one piece of work from its criteria, by the unit grade
    logic applied to the assignment's criteria. Not yet achieved when a Pass criterion is
    not achieved; the note says when the next grade is one criterion away."""
    try:
        grade = unit_grade(achieved, codes)
    except GradingError:
        return NOT_YET, ""
    if grade not in ("P", "M", "D"):
        grade = NOT_YET
    note = ""
    order = ("P", "M", "D")
    nxt = "P" if grade == NOT_YET else (order[order.index(grade) + 1] if grade != "D" else "")
    if nxt:
        need = [c for c in codes if order.index(_level(c)) <= order.index(nxt)]
        missing = [c for c in need if c not in achieved]
        if need and len(missing) == 1 and any(_level(c) == nxt for c in codes):
            note = f"just missed {nxt} ({missing[0]})"
    return grade, note


def _level(code: str) -> str:
    try:
        return criterion_level(code)
    except GradingError:
        return "P"


@dataclass(slots=True)
class Work:
    """One learner's work on one assignment and attempt."""

    learner_id: int
    assignment_id: int
    attempt: str
    decisions: list = field(default_factory=list)  # dicts, for the snapshot
    achieved: set = field(default_factory=set)  # criterion codes
    decided: set = field(default_factory=set)
    submission: dict | None = None
    grade: str = NOT_YET
    borderline: str = ""
    complete: bool = False

    @property
    def key(self) -> tuple:
        return (self.learner_id, self.assignment_id, self.attempt)


@dataclass
class CohortWork:
    plan: IVPlan
    assignments: dict  # id -> PlannedAssignment (unit, assessor, delivering_centre)
    criteria: dict  # assignment id -> [codes]
    works: dict  # (learner, assignment, attempt) -> Work
    learners: dict  # id -> {"name", "sex", "age_band", "centre_id"}

    def site_of(self, assignment) -> str:
        centre = assignment.delivering_centre or self.plan.cohort.centre
        return centre.name


def cohort_work(plan: IVPlan, *, with_snapshots: bool = True) -> CohortWork:
    """Every assignment of the cohort's assessment plans for the plan's year, with each
    learner's current decisions and submissions grouped into works (five queries)."""
    cohort = plan.cohort
    assignments = {
        a.pk: a
        for a in PlannedAssignment.objects.filter(
            plan__cohort_id=cohort.pk, plan__academic_year=plan.academic_year
        ).select_related("unit", "assessor", "delivering_centre")
    }
    criteria: dict[int, list[str]] = defaultdict(list)
    criterion_codes = []
    for aid, cid, code in PlannedAssignment.criteria.through.objects.filter(
        plannedassignment_id__in=assignments
    ).values_list("plannedassignment_id", "assessmentcriterion_id", "assessmentcriterion__code"):
        criteria[aid].append(code)
        criterion_codes.append((cid, code))
    works: dict[tuple, Work] = {}
    code_of = {cid: code for cid, code in criterion_codes}
    if with_snapshots:
        rows = (
            CriterionDecision.objects.filter(assignment_id__in=assignments, current=True)
            .order_by()
            .values_list(
                "learner_id",
                "assignment_id",
                "attempt",
                "criterion_id",
                "achieved",
                "feedback",
                "version",
                "decided_on",
                "assessor__first_name",
                "assessor__last_name",
                "assessor__username",
            )
        )
        for lid, aid, attempt, cid, ok, feedback, version, on, first, last, username in rows:
            key = (lid, aid, attempt)
            work = works.get(key) or works.setdefault(key, Work(*key))
            code = code_of.get(cid, "")
            work.decided.add(code)
            if ok:
                work.achieved.add(code)
            work.decisions.append(
                {
                    "criterion": code,
                    "achieved": ok,
                    "feedback": feedback,
                    "assessor": f"{first} {last}".strip() or username,
                    "version": version,
                    "decided_on": on.isoformat(),
                }
            )
    else:
        for lid, aid, attempt, cid, ok in (
            CriterionDecision.objects.filter(assignment_id__in=assignments, current=True)
            .order_by()
            .values_list("learner_id", "assignment_id", "attempt", "criterion_id", "achieved")
        ):
            key = (lid, aid, attempt)
            work = works.get(key)
            if work is None:
                work = works[key] = Work(*key)
            code = code_of.get(cid, "")
            work.decided.add(code)
            if ok:
                work.achieved.add(code)
    for sub in (
        Submission.objects.filter(assignment_id__in=assignments)
        .order_by()
        .values(
            "learner_id",
            "assignment_id",
            "attempt",
            "submitted_on",
            "extension_to",
            "learner_declared_on",
            "assessor_declared_on",
        )
    ):
        key = (sub["learner_id"], sub["assignment_id"], sub["attempt"])
        work = works.get(key) or works.setdefault(key, Work(*key))
        work.submission = {
            k: (v.isoformat() if v else None)
            for k, v in sub.items()
            if k not in ("learner_id", "assignment_id", "attempt")
        }
    graded: dict[tuple, tuple] = {}  # the same criteria achieved grade alike: once each
    for work in works.values():
        codes = criteria.get(work.assignment_id, [])
        memo = (work.assignment_id, frozenset(work.achieved))
        if memo not in graded:
            graded[memo] = work_grade(work.achieved, codes)
        work.grade, work.borderline = graded[memo]
        work.complete = (
            bool(codes) and len(work.decided) >= len(codes) and set(codes) <= work.decided
        )
        if with_snapshots:
            work.decisions.sort(key=lambda d: d["criterion"])
    ids = {k[0] for k in works}
    people = Learner.objects.filter(pk__in=ids).order_by()
    if with_snapshots:
        learners = {
            row.pk: {
                "name": f"{row.first_name} {row.last_name}",
                "sex": row.get_sex_display() if row.sex else "not recorded",
                "age_band": age_band(row.date_of_birth, plan.academic_year),
                "centre_id": row.centre_id,
                "obj": row,
            }
            for row in people
        }
    else:
        sexes = dict(Learner.Sex.choices)
        learners = {
            pk: {
                "name": f"{first} {last}",
                "sex": sexes.get(sex, sex) if sex else "not recorded",
                "age_band": age_band(born, plan.academic_year),
                "centre_id": centre_id,
            }
            for pk, first, last, sex, born, centre_id in people.values_list(
                "pk", "first_name", "last_name", "sex", "date_of_birth", "centre_id"
            )
        }
    return CohortWork(plan, assignments, dict(criteria), works, learners)


def units_new_to_centre(centre_id: int, academic_year: str, unit_ids) -> set[int]:
    """The units with no decisions at the centre in earlier years (one query)."""
    seen = set(
        PlannedAssignment.objects.filter(
            plan__cohort__centre_id=centre_id,
            plan__academic_year__lt=academic_year,
            unit_id__in=set(unit_ids),
            decisions__isnull=False,
        ).values_list("unit_id", flat=True)
    )
    return set(unit_ids) - seen


@dataclass
class Batch:
    assignment: PlannedAssignment
    rating: ResolvedRating
    new_unit: bool
    rate: int
    pool: list  # [Work] with decisions
    target: int
    risk: list  # words: "new assessor" …


def batches(cw: CohortWork, strategy: SamplingStrategy, *, stage: str | None = None) -> list[Batch]:
    """Each assessor × assignment batch with its rate and target (three queries).

    stage interim: any work in progress (a submission or a decision); summative: work with a
    decision on every criterion of the assignment; None: any work with decisions."""
    centre_id = cw.plan.cohort.centre_id
    ratings = resolve_ratings(
        centre_id, cw.plan.academic_year, {a.assessor_id for a in cw.assignments.values()}
    )
    new_units = units_new_to_centre(
        centre_id, cw.plan.academic_year, {a.unit_id for a in cw.assignments.values()}
    )
    pools: dict[int, list] = defaultdict(list)
    for work in cw.works.values():
        if stage == SampleItem.Stage.INTERIM:
            keep = True
        elif stage == SampleItem.Stage.SUMMATIVE:
            keep = work.complete
        else:
            keep = bool(work.decided)
        if keep:
            pools[work.assignment_id].append(work)
    out = []
    for a in sorted(cw.assignments.values(), key=lambda a: (a.unit.sort_key, a.position, a.pk)):
        rating = ratings[a.assessor_id]
        new_unit = a.unit_id in new_units
        rate = strategy.rate_for(rating.rating)
        if new_unit:
            rate = max(rate, strategy.rate_new_unit)
        pool = sorted(pools.get(a.pk, []), key=lambda w: (w.learner_id, w.attempt))
        target = 0
        if pool:
            target = max(math.ceil(len(pool) * rate / 100), strategy.minimum_per_assignment)
            target = min(target, len(pool))
        risk = []
        if rating.rating == RiskRating.NEW:
            risk.append("new assessor")
        elif rating.rating == RiskRating.FLAGGED:
            risk.append("flagged assessor" if rating.saved else "assessor flagged last year")
        if new_unit:
            risk.append("unit new to the centre")
        out.append(Batch(a, rating, new_unit, rate, pool, target, risk))
    return out


def _priority(work: Work) -> list[str]:
    reasons = []
    if work.attempt == Attempt.RESUBMISSION:
        reasons.append("resubmission")
    elif work.attempt == Attempt.RETAKE:
        reasons.append("retake")
    if work.grade == "D":
        reasons.append("top grade (D)")
    if work.borderline:
        reasons.append(work.borderline)
    if work.grade == NOT_YET:
        reasons.append(NOT_YET)
    return reasons


def choose(batch: Batch, cw: CohortWork, already: set) -> list[tuple[Work, list[str]]]:
    """The works to add to reach the batch's target, each with the words why."""
    need = batch.target - sum(1 for w in batch.pool if w.key in already)
    if need <= 0:
        return []
    left = [w for w in batch.pool if w.key not in already]
    chosen: list[tuple[Work, list[str]]] = []
    site = cw.site_of(batch.assignment)
    # first the risky work (each kind once before a second of any), then spread
    flagged = [(w, _priority(w)) for w in left if _priority(w)]
    seen_kinds: dict[str, int] = defaultdict(int)
    while flagged and len(chosen) < need:
        flagged.sort(key=lambda p: (min(seen_kinds[r] for r in p[1]), p[0].learner_id))
        work, why = flagged.pop(0)
        for r in why:
            seen_kinds[r] += 1
        chosen.append((work, batch.risk + why))
    taken = {w.key for w, _ in chosen}
    rest = [w for w in left if w.key not in taken]
    covered: dict[str, set] = defaultdict(set)
    for w in [w for w in batch.pool if w.key in already] + [w for w, _ in chosen]:
        person = cw.learners.get(w.learner_id, {})
        covered["grade"].add(w.grade)
        covered["sex"].add(person.get("sex"))
        covered["age"].add(person.get("age_band"))
    while rest and len(chosen) < need:

        def novelty(w):
            person = cw.learners.get(w.learner_id, {})
            new = [
                w.grade not in covered["grade"],
                person.get("sex") not in covered["sex"],
                person.get("age_band") not in covered["age"],
            ]
            return (-sum(new), w.learner_id)

        rest.sort(key=novelty)
        work = rest.pop(0)
        person = cw.learners.get(work.learner_id, {})
        why = []
        if work.grade not in covered["grade"]:
            why.append(f"grade range ({work.grade})")
        if person.get("sex") not in covered["sex"] or person.get("age_band") not in covered["age"]:
            why.append("spread of learners")
        covered["grade"].add(work.grade)
        covered["sex"].add(person.get("sex"))
        covered["age"].add(person.get("age_band"))
        chosen.append((work, batch.risk + (why or [f"rate {batch.rate}% ({site})"])))
    return chosen


def snapshot(work: Work, cw: CohortWork) -> dict:
    """The learner's work as it stood when sampled: later changes do not alter it."""
    a = cw.assignments[work.assignment_id]
    person = cw.learners.get(work.learner_id, {})
    return {
        "learner": person.get("name", ""),
        "unit": f"Unit {a.unit.number}: {a.unit.title}",
        "assignment": a.title,
        "attempt": work.attempt,
        "assessor": a.assessor.get_full_name() or a.assessor.username,
        "site": cw.site_of(a),
        "grade": work.grade,
        "decisions": [dict(d) for d in work.decisions],
        "submission": work.submission,
    }


def build_sample(plan: IVPlan, *, by, stage: str = SampleItem.Stage.SUMMATIVE) -> list[SampleItem]:
    """Add to the plan what its strategy asks for and it does not have yet (never a
    duplicate); returns the new items. One transaction, audited: one event for the build
    and one per item (on the learner's trail)."""
    require_object(by, PLAN_IV_SAMPLING, plan)
    if stage not in SampleItem.Stage.values:
        raise ValidationError({"stage": "Choose interim or summative."})
    plan = IVPlan.objects.select_related("cohort__centre", "cohort__qualification").get(pk=plan.pk)
    cw = cohort_work(plan)
    strategy = strategy_for(plan.cohort.centre)
    already = set(
        SampleItem.objects.filter(plan=plan, stage=stage).values_list(
            "learner_id", "assignment_id", "attempt"
        )
    )
    new = []
    for batch in batches(cw, strategy, stage=stage):
        for work, why in choose(batch, cw, already):
            new.append(
                SampleItem(
                    plan=plan,
                    learner_id=work.learner_id,
                    assignment_id=work.assignment_id,
                    attempt=work.attempt,
                    stage=stage,
                    reasons=", ".join(dict.fromkeys(why))[:300],
                    snapshot=snapshot(work, cw),
                    sampled_by=by,
                )
            )
    centre_id = plan.cohort.centre_id
    with transaction.atomic(), audit.batch():
        SampleItem.objects.bulk_create(new)
        audit.record(
            by,
            ev.IV_SAMPLE_BUILT,
            plan,
            centre=centre_id,
            after={"stage": stage, "added": len(new)},
        )
        for item in new:
            audit.record(
                by,
                ev.IV_SAMPLE_ITEM_ADDED,
                plan,
                learner=cw.learners[item.learner_id]["obj"],
                centre=centre_id,
                object_repr=f"{item.snapshot['learner']} on {item.snapshot['assignment']}",
                after={"stage": stage, "attempt": item.attempt, "reasons": item.reasons},
            )
        open_iv_todos(plan, {item.assignment_id for item in new}, by=by)
    return new


# ------------------------------------------------------------- the verifiers' to-dos


def _iv_todo_title(plan: IVPlan) -> str:
    return f"Internally verify the sampled work: {plan.cohort} ({plan.academic_year})"


def open_iv_todos(plan: IVPlan, assignment_ids, *, by) -> None:
    """Each internal verifier of these assignments has sampled work to verify on the plan:
    one to-do per verifier and plan (idempotent), whatever the number of items."""
    verifiers = {
        a.internal_verifier
        for a in PlannedAssignment.objects.filter(pk__in=list(assignment_ids)).select_related(
            "internal_verifier"
        )
    }
    for verifier in sorted(verifiers, key=lambda u: u.pk):
        open_todo(
            ev.IV_SAMPLE_TODO,
            centre=plan.cohort.centre,
            title=_iv_todo_title(plan),
            assignee=verifier,
            target=plan,
            actor=by,
        )


def open_waiting_iv_todos(today) -> None:
    """Backfill (todos.backfill): each plan of this year or a later one, at an active centre,
    with sampled work still waiting for an IV record opens its verifiers' to-dos (as
    build_sample / add_item do)."""
    from btecqa.validators import academic_year_for

    waiting = defaultdict(set)
    for plan_id, assignment_id in SampleItem.objects.filter(
        iv_record__isnull=True,
        plan__academic_year__gte=academic_year_for(today),
        plan__cohort__centre__is_active=True,
    ).values_list("plan_id", "assignment_id"):
        waiting[plan_id].add(assignment_id)
    plans = IVPlan.objects.filter(pk__in=waiting).select_related(
        "cohort__centre", "cohort__qualification"
    )
    for plan in plans.order_by("pk"):
        open_iv_todos(plan, waiting[plan.pk], by=None)


def close_iv_todo_if_done(plan: IVPlan, verifier, *, by, note: str) -> int:
    """Close the verifier's to-do on the plan once none of their sampled work is waiting
    for an IV record (an item verified, or taken out of the sample)."""
    waiting = SampleItem.objects.filter(
        plan=plan, assignment__internal_verifier=verifier, iv_record__isnull=True
    )
    if waiting.exists():
        return 0
    return close_todos(ev.IV_SAMPLE_TODO, target=plan, assignee=verifier, by=by, note=note)


def start_plan(cohort, academic_year: str, *, by) -> IVPlan:
    """The cohort's IV plan for the year (made once; the same plan when it exists)."""
    require(by, PLAN_IV_SAMPLING, cohort.centre_id)
    with transaction.atomic():
        plan, made = IVPlan.objects.get_or_create(
            cohort=cohort, academic_year=academic_year, defaults={"created_by": by}
        )
        if made:
            audit.record(by, ev.IV_PLAN_CREATED, plan, centre=cohort.centre_id)
    return plan


def add_item(
    plan: IVPlan,
    learner,
    assignment,
    *,
    by,
    attempt=Attempt.FIRST,
    stage=SampleItem.Stage.SUMMATIVE,
    reason="",
) -> SampleItem:
    """The Lead IV adds one learner's work by hand; refused when it is already sampled or
    the assignment is not this cohort's in the plan's year."""
    require_object(by, PLAN_IV_SAMPLING, plan)
    if (
        assignment.plan.cohort_id != plan.cohort_id
        or assignment.plan.academic_year != plan.academic_year
    ):
        raise ValidationError(
            {"assignment": "That assignment is not on this cohort's plan for the year."}
        )
    cw = cohort_work(plan)
    work = cw.works.get((learner.pk, assignment.pk, attempt))
    if work is None:
        raise ValidationError(
            {"learner": f"{learner} has no work on {assignment.title} ({attempt})."}
        )
    if SampleItem.objects.filter(
        plan=plan, learner=learner, assignment=assignment, attempt=attempt, stage=stage
    ).exists():
        raise ValidationError({"learner": f"{learner} on {assignment.title} is already sampled."})
    words = ["added by the Lead IV"] + ([reason.strip()] if reason.strip() else [])
    with transaction.atomic():
        item = SampleItem.objects.create(
            plan=plan,
            learner=learner,
            assignment=assignment,
            attempt=attempt,
            stage=stage,
            reasons=", ".join(words)[:300],
            snapshot=snapshot(work, cw),
            sampled_by=by,
        )
        audit.record(
            by,
            ev.IV_SAMPLE_ITEM_ADDED,
            item,
            learner=learner,
            centre=plan.cohort.centre_id,
            after={"stage": stage, "attempt": attempt, "reasons": item.reasons},
        )
        open_iv_todos(plan, [assignment.pk], by=by)
    return item


def remove_item(item: SampleItem, *, by, reason: str = "") -> None:
    """The Lead IV takes an item out of the sample; refused once it has an IV record."""
    require_object(by, PLAN_IV_SAMPLING, item)
    if SampleItem.objects.filter(pk=item.pk, iv_record__isnull=False).exists():
        raise ValidationError("It has been internally verified: its IV record stays.")
    centre_id = item.plan.cohort.centre_id
    with transaction.atomic():
        audit.record(
            by,
            ev.IV_SAMPLE_ITEM_REMOVED,
            item,
            learner=item.learner,
            centre=centre_id,
            before={"stage": item.stage, "attempt": item.attempt, "reasons": item.reasons},
            after={"reason": reason.strip()},
        )
        plan, verifier = item.plan, item.assignment.internal_verifier
        item.delete()
        close_iv_todo_if_done(plan, verifier, by=by, note="taken out of the sample")


# ---------------------------------------------------------------- compliance


@dataclass
class Compliance:
    shortfalls: list[str]
    batches: list  # [(Batch, planned count)]
    unsampled: list = field(default_factory=list)  # [(value "learner:assignment:attempt", label)]

    @property
    def compliant(self) -> bool:
        return not self.shortfalls


def _name(user) -> str:
    return user.get_full_name() or user.username


def compliance(plan: IVPlan) -> Compliance:
    """Do the planned samples meet the strategy? Per assessor × assignment against the
    rate, and per dimension (assessor, unit, assignment, site, grade): each with work must
    have something sampled. Each shortfall names what is short (a fixed number of queries)."""
    cw = cohort_work(plan, with_snapshots=False)
    strategy = strategy_for(plan.cohort.centre)
    planned: dict[int, set] = defaultdict(set)
    for lid, aid, attempt in SampleItem.objects.filter(plan=plan).values_list(
        "learner_id", "assignment_id", "attempt"
    ):
        planned[aid].add((lid, aid, attempt))
    out, rows = [], []
    dims: dict[str, dict[str, bool]] = defaultdict(dict)
    for batch in batches(cw, strategy):
        a = batch.assignment
        count = len(planned.get(a.pk, set()))
        rows.append((batch, count))
        if not batch.pool:
            continue
        where = f"Unit {a.unit.number} {a.title}"
        if count < batch.target:
            out.append(
                f"Assessor {_name(a.assessor)}: {count} of {batch.target} planned on {where}"
            )
        sampled = bool(count)
        for dim, value in (
            ("Assessor", _name(a.assessor)),
            ("Unit", f"Unit {a.unit.number}"),
            ("Assignment", where),
            ("Site", cw.site_of(a)),
        ):
            dims[dim][value] = dims[dim].get(value, False) or sampled
        grades_sampled = {cw.works[k].grade for k in planned.get(a.pk, set()) if k in cw.works}
        for w in batch.pool:
            dims["Grade"][w.grade] = dims["Grade"].get(w.grade, False) or w.grade in grades_sampled
    for dim in ("Assessor", "Unit", "Assignment", "Site", "Grade"):
        for value, ok in dims.get(dim, {}).items():
            if not ok:
                out.append(f"{dim} {value}: has decisions but nothing planned")
    unsampled = []
    for batch, _count in rows:
        a = batch.assignment
        taken = planned.get(a.pk, set())
        for w in batch.pool:
            if w.key not in taken:
                name = cw.learners.get(w.learner_id, {}).get("name", "")
                unsampled.append(
                    (
                        f"{w.learner_id}:{a.pk}:{w.attempt}",
                        f"{name}, Unit {a.unit.number} {a.title} ({w.attempt}, {w.grade})",
                    )
                )
    return Compliance(out, rows, unsampled)
