"""The Quality Nominee's entry check: entries against the current class lists.

Before the October half term the Quality Nominee checks the entries of the
centre's round against the class lists (teaching groups). Each discrepancy is
recorded, verified with the programme leader (a question and an answer on the
discrepancy), passed to the exams officer to amend, then resolved by the
Quality Nominee; the check closes only when every discrepancy is resolved.

The states of a discrepancy, and who moves it on:

    OPEN ──ask (QN)──▶ WITH_PL ──answer (PL)──▶ ANSWERED ──pass (QN)──▶ WITH_EO
      │                  ▲                        │  │                     │
      │                  └───────ask again (QN)───┘  │               amend (EO)
      │                                              │                     ▼
      └──resolve with a note (QN)──▶ RESOLVED ◀──────┴────resolve (QN)── AMENDED
                                                   (AMENDED may be passed back)

Every change is an audit event about the learner, a line of the learner's
registration history when a registration is involved, and a to-do for whoever
must act next (closed when they have). Two people acting on one discrepancy at
once: forms carry its lock_version, and the second is refused (StaleRecord).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import can
from accounts.roles import Role
from learners.models import Cohort, Learner, TeachingGroup
from signatures.models import Signature
from todos.models import ToDo
from todos.services import close_todos, open_todo, send_reminder_digest
from workflow import Close, Open, step

from . import calendar, events
from .models import (
    CentreCalendar,
    Discrepancy,
    EntryCheck,
    EntryList,
    Registration,
    RegistrationRound,
    RegistrationStep,
)
from .permissions import ANSWER_DISCREPANCIES, CHECK_ENTRIES, RUN_REGISTRATIONS
from .services import _name, add_step

CHECK_TODO = "registrations.entry_check"  # the Quality Nominee: finish the check
ANSWER_TODO = "registrations.entry_check_answer"  # the programme leader: answer a question
AMEND_TODO = "registrations.entry_check_amend"  # the exams officer: amend an entry
REVIEW_TODO = "registrations.entry_check_review"  # the Quality Nominee: an answer or amendment
LATE_TODO = events.CHECK_LATE  # the exams officer: the check is late (a to-do kind)

# Reminders go this many working days before the deadline, then every day once it is late.
REMINDER_WORKING_DAYS = (3, 1)

S = Discrepancy.Status
K = Discrepancy.Kind
UNRESOLVED = [s for s in S.values if s != S.RESOLVED]

# The learner details on a signed entry list that must match the MIS record.
DETAIL_FIELDS = (
    ("last_name", "last name"),
    ("first_name", "first name"),
    ("date_of_birth", "date of birth"),
    ("sex", "sex"),
    ("uln", "ULN"),
    ("uci", "UCI"),
    ("candidate_number", "candidate number"),
)


def _require(user, perm: str, obj) -> None:
    """The same decision the view made, at the record's own centre (403 otherwise)."""
    if not can(user, perm, obj):
        raise PermissionDenied("Your role at this centre does not allow this.")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- starting and closing the check ----------------------------------------------------


@transaction.atomic
def start_entry_check(rnd: RegistrationRound, *, by) -> EntryCheck:
    """Start the round's check; the deadline comes from the centre's own calendar."""
    _require(by, CHECK_ENTRIES, rnd)
    rnd = RegistrationRound.objects.select_for_update().select_related("centre").get(pk=rnd.pk)
    if EntryCheck.objects.filter(round=rnd).exists():
        raise ValidationError(f"The entry check for {rnd} has already been started.")
    cal = CentreCalendar.objects.filter(
        centre=rnd.centre_id, academic_year=rnd.academic_year
    ).first()
    if cal is None:
        raise ValidationError(
            f"{rnd.centre.name} has not entered its October half term for {rnd.academic_year}, "
            "so the entry check has no deadline. The exams officer enters it under Centre "
            "dates; then start the check."
        )
    deadline = calendar.entry_check_deadline(cal)
    check = EntryCheck.objects.create(round=rnd, deadline=deadline, started_by=by)
    audit.record(
        by,
        events.EC_STARTED,
        check,
        centre=rnd.centre_id,
        after={"deadline": deadline, "academic_year": rnd.academic_year},
    )
    _open_check_todo(check, actor=by)
    return check


def _open_check_todo(check: EntryCheck, *, actor) -> ToDo:
    rnd = check.round
    return open_todo(
        CHECK_TODO,
        centre=rnd.centre,
        role=Role.QUALITY_NOMINEE,
        title=(
            f"Check the {rnd.academic_year} entries against the class lists at "
            f"{rnd.centre.name} by {check.deadline:%d/%m/%Y}"
        ),
        due=check.deadline,
        target=check,
        actor=actor,
    )


def unresolved_count(check: EntryCheck) -> int:
    return check.discrepancies.filter(status__in=UNRESOLVED).count()


@transaction.atomic
def close_entry_check(check: EntryCheck, *, by) -> None:
    """Close the check: refused while any discrepancy is unresolved."""
    _require(by, CHECK_ENTRIES, check)
    check = EntryCheck.objects.select_for_update().select_related("round__centre").get(pk=check.pk)
    if not check.is_open:
        raise ValidationError("This entry check is already closed.")
    if check.last_run_at is None:
        raise ValidationError("Run the check against the class lists before closing it.")
    left = unresolved_count(check)
    if left:
        raise ValidationError(
            f"{_plural(left, 'discrepancy is', 'discrepancies are')} not resolved yet, "
            "so the check stays open."
        )
    today = timezone.localdate()
    check.closed_by, check.closed_at = by, timezone.now()
    check.save(update_fields=["closed_by", "closed_at"])
    close_todos(CHECK_TODO, target=check, by=by, note="entry check closed")
    close_todos(LATE_TODO, target=check, by=by, note="entry check closed")
    audit.record(
        by,
        events.EC_CLOSED,
        check,
        centre=check.round.centre_id,
        after={
            "discrepancies": check.discrepancies.count(),
            "deadline": check.deadline,
            "late": today > check.deadline,
        },
    )


# --- finding discrepancies -------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    learner: Learner
    cohort: Cohort
    registration: Registration | None
    detail: str

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.learner.pk, self.cohort.pk, self.kind)


def _titles(cohorts) -> str:
    return ", ".join(sorted(p.qualification.title for p in cohorts))


def _show(field: str, value) -> str:
    if field == "date_of_birth" and value:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    return value or "blank"


def _signed_rows(cohort_ids) -> dict[int, dict]:
    """Rows of each list's latest signed version, by registration id (two queries)."""
    list_ids = [
        str(pk)
        for pk in EntryList.objects.filter(cohort__in=list(cohort_ids)).values_list("pk", flat=True)
    ]
    if not list_ids:
        return {}
    latest: dict[str, Signature] = {}
    signatures = (
        Signature.objects.filter(
            version__content_type=ContentType.objects.get_for_model(EntryList),
            version__object_id__in=list_ids,
        )
        .select_related("version")
        .order_by("-signed_at", "-pk")
    )
    for sig in signatures:
        latest.setdefault(sig.version.object_id, sig)
    rows = {}
    # Oldest signature first, so a row on a later year's signed list wins over the first's.
    for sig in sorted(latest.values(), key=lambda s: (s.signed_at, s.pk)):
        for row in sig.version.snapshot.get("rows", []):
            rows[int(row["key"])] = row
    return rows


def _details_differ(reg: Registration, signed: dict | None) -> str:
    learner = reg.learner
    parts = []
    if not learner.uln:
        parts.append("no ULN")
    if signed is not None:
        now = {
            "last_name": learner.last_name,
            "first_name": learner.first_name,
            "date_of_birth": learner.date_of_birth.isoformat(),
            "sex": learner.sex,
            "uln": learner.uln or "",
            "uci": learner.uci or "",
            "candidate_number": learner.candidate_number,
        }
        changed = [
            f"{label} {_show(field, signed.get(field))} on the signed list, "
            f"{_show(field, now[field])} in the MIS record"
            for field, label in DETAIL_FIELDS
            if (signed.get(field) or "") != (now[field] or "")
        ]
        parts.extend(changed)
    return "; ".join(parts)


def find_discrepancies(rnd: RegistrationRound) -> list[Finding]:
    """Compare the round's entries with the current class lists, in a fixed number of queries.

    (a) in a teaching group of a programme but no live entry on it: not entered;
    (b) a live entry but in no teaching group of the programme: no group, or
    (c) in a group of another qualification's programme instead: wrong qualification;
    (d) two live registrations for one qualification (any programme, year or centre);
    (e) the learner's details differ from the latest signed entry list, or there is no ULN.
    """
    cohorts = {
        c.pk: c
        for c in Cohort.objects.filter(centre=rnd.centre_id)
        .covering(rnd.academic_year)
        .select_related("qualification")
    }
    if not cohorts:
        return []
    # This year's groups only: a cohort's second year is checked against its second-year
    # classes, and its learners registered in the first year are continuing, not missing.
    groups = TeachingGroup.objects.filter(
        cohort__in=list(cohorts), academic_year=rnd.academic_year
    ).prefetch_related("learners")
    # learner id -> programme id -> names of the learner's groups in that programme
    grouped: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    group_learners: dict[int, Learner] = {}
    for group in groups:
        for learner in group.learners.all():
            grouped[learner.pk][group.cohort_id].append(group.name)
            group_learners[learner.pk] = learner
    live = list(
        Registration.objects.filter(cohort__in=list(cohorts), status__in=Registration.ACTIVE)
        .select_related("learner")
        .order_by("pk")
    )
    live_keys = {(r.learner_id, r.cohort_id) for r in live}
    findings: list[Finding] = []

    # (a) in a group, not entered
    for learner_id, by_cohort in grouped.items():
        learner = group_learners[learner_id]
        if not learner.on_roll:
            continue  # has left: not entering them is right
        for cohort_id, names in by_cohort.items():
            if (learner_id, cohort_id) in live_keys:
                continue
            cohort = cohorts[cohort_id]
            findings.append(
                Finding(
                    K.NOT_ENTERED,
                    learner,
                    cohort,
                    None,
                    f"In teaching group {', '.join(sorted(names))} for "
                    f"{cohort.qualification.title} but not entered for it.",
                )
            )

    # (b) and (c): entered, but not in a group of the programme
    for reg in live:
        cohort = cohorts[reg.cohort_id]
        theirs = grouped.get(reg.learner_id, {})
        if reg.cohort_id in theirs:
            continue
        others = [
            cohorts[pid]
            for pid in theirs
            if cohorts[pid].qualification_id != cohort.qualification_id
        ]
        if others:
            findings.append(
                Finding(
                    K.WRONG_QUALIFICATION,
                    reg.learner,
                    cohort,
                    reg,
                    f"Entered for {cohort.qualification.title} but taught in a group for "
                    f"{_titles(others)}.",
                )
            )
        else:
            findings.append(
                Finding(
                    K.NO_GROUP,
                    reg.learner,
                    cohort,
                    reg,
                    f"Entered for {cohort.qualification.title} but in no teaching group for it.",
                )
            )

    # (d) two live registrations for one qualification
    same_qualification: dict[tuple[int, int], list[Registration]] = defaultdict(list)
    round_learners = Registration.objects.filter(
        cohort__in=list(cohorts), status__in=Registration.ACTIVE
    ).values("learner")
    for other in (
        Registration.objects.filter(
            learner__in=round_learners,
            status__in=Registration.ACTIVE,
            cohort__qualification__in={p.qualification_id for p in cohorts.values()},
        )
        .select_related("cohort__qualification", "cohort__centre")
        .order_by("pk")
    ):
        same_qualification[(other.learner_id, other.cohort.qualification_id)].append(other)
    for reg in live:
        qualification_id = cohorts[reg.cohort_id].qualification_id
        twins = [
            r for r in same_qualification[(reg.learner_id, qualification_id)] if r.pk != reg.pk
        ]
        if twins:
            findings.append(
                Finding(
                    K.DUPLICATE,
                    reg.learner,
                    cohorts[reg.cohort_id],
                    reg,
                    "Also registered for the same qualification: "
                    + "; ".join(
                        f"{t.cohort.span} at {t.cohort.centre.name} "
                        f"({t.get_status_display().lower()}"
                        + (
                            f", registration number {t.registration_number}"
                            if t.registration_number
                            else ""
                        )
                        + ")"
                        for t in twins
                    )
                    + ".",
                )
            )

    # (e) details differ from the signed list, or no ULN
    signed = _signed_rows(cohorts)
    for reg in live:
        detail = _details_differ(reg, signed.get(reg.pk))
        if detail:
            findings.append(
                Finding(
                    K.DETAILS_DIFFER,
                    reg.learner,
                    cohorts[reg.cohort_id],
                    reg,
                    f"Details differ: {detail}.",
                )
            )
    return findings


@transaction.atomic
def run_entry_check(check: EntryCheck, *, by) -> list[Discrepancy]:
    """Record what the class lists show now; returns only the discrepancies that are new.

    Re-running never duplicates an unresolved discrepancy (same learner, programme
    and kind), nor raises again one the Quality Nominee resolved with the same detail.
    """
    _require(by, CHECK_ENTRIES, check)
    check = EntryCheck.objects.select_for_update().select_related("round__centre").get(pk=check.pk)
    if not check.is_open:
        raise ValidationError("This entry check is closed.")
    findings = find_discrepancies(check.round)
    existing = list(
        check.discrepancies.values_list("learner", "cohort", "kind", "status", "detail")
    )
    unresolved = {(lr, p, k) for lr, p, k, s, _ in existing if s != S.RESOLVED}
    resolved = {(lr, p, k, d) for lr, p, k, s, d in existing if s == S.RESOLVED}
    now = timezone.now()
    new = []
    for f in findings:
        if f.key in unresolved or (*f.key, f.detail[:500]) in resolved:
            continue
        unresolved.add(f.key)
        new.append(
            Discrepancy(
                entry_check=check,
                kind=f.kind,
                learner=f.learner,
                cohort=f.cohort,
                registration=f.registration,
                detail=f.detail[:500],
                found_by=by,
                found_at=now,
            )
        )
    centre_id = check.round.centre_id
    with audit.batch():
        Discrepancy.objects.bulk_create(new)
        RegistrationStep.objects.bulk_create(
            RegistrationStep(
                registration=d.registration,
                at=now,
                by=by,
                by_repr=_name(by),
                what="Entry check: discrepancy found",
                detail=f"{d.get_kind_display()}. {d.detail}"[:500],
            )
            for d in new
            if d.registration is not None
        )
        for d in new:
            audit.record(
                by,
                events.D_FOUND,
                d,
                learner=d.learner,
                centre=centre_id,
                after=_state(d),
            )
        check.last_run_at, check.last_run_by = now, by
        check.save(update_fields=["last_run_at", "last_run_by"])
        audit.record(
            by,
            events.EC_RUN,
            check,
            centre=centre_id,
            after={"found": len(findings), "new": len(new)},
        )
    return new


@transaction.atomic
def record_discrepancy(
    check: EntryCheck, *, learner, cohort, kind: str, detail: str, by
) -> Discrepancy:
    """One the Quality Nominee spots by hand (kind "other" allowed)."""
    _require(by, CHECK_ENTRIES, check)
    if not check.is_open:
        raise ValidationError("This entry check is closed.")
    rnd = check.round
    if cohort.centre_id != rnd.centre_id or not cohort.covers(rnd.academic_year):
        raise ValidationError(f"{cohort} is not a programme of this round.")
    if kind not in K.values:
        raise ValidationError("Choose what kind of discrepancy it is.")
    detail = (detail or "").strip()
    if not detail:
        raise ValidationError("Say what is wrong.")
    if (
        kind != K.OTHER
        and check.discrepancies.filter(
            learner=learner, cohort=cohort, kind=kind, status__in=UNRESOLVED
        ).exists()
    ):
        raise ValidationError(
            f"That discrepancy is already recorded for {learner} on {cohort} "
            "and is not resolved yet."
        )
    registration = cohort.registrations.filter(
        learner=learner, status__in=Registration.ACTIVE
    ).first()
    d = Discrepancy.objects.create(
        entry_check=check,
        kind=kind,
        learner=learner,
        cohort=cohort,
        registration=registration,
        detail=detail[:500],
        found_by=by,
    )
    _audit(d, by, events.D_RECORDED, after=_state(d))
    if registration:
        add_step(
            registration,
            by=by,
            what="Entry check: discrepancy found",
            detail=f"{d.get_kind_display()}. {d.detail}",
            action=events.R_CHECKED,
        )
    return d


# --- one discrepancy, step by step ----------------------------------------------------


def _state(d: Discrepancy) -> dict:
    return {
        "kind": d.kind,
        "status": d.status,
        "cohort": str(d.cohort),
        "registration": d.registration_id,
        "detail": d.detail,
    }


def _audit(d: Discrepancy, by, action: str, *, before=None, after=None) -> None:
    audit.record(
        by,
        action,
        d,
        learner=d.learner,
        centre=d.entry_check.round.centre_id,
        before=before,
        after=after,
    )


RELATED = (
    "entry_check__round__centre",
    "learner",
    "cohort__qualification",
    "cohort__leader",
    "registration",
)


def _check_open(d: Discrepancy) -> None:
    if not d.entry_check.is_open:
        raise ValidationError("This entry check is closed.")


def _history(by, what: str, detail: str):
    """The line on the learner's registration history, when a registration is involved."""

    def write(d: Discrepancy) -> None:
        if d.registration_id:
            add_step(
                d.registration,
                by=by,
                what=what,
                action=events.R_CHECKED,
                detail=detail,
                audited=False,
            )

    return write


def _due(d: Discrepancy) -> dt.date:
    return d.entry_check.deadline


def _discrepancy_step(d: Discrepancy, *, by, expected_lock, **kwargs) -> Discrepancy:
    return step(
        d,
        by=by,
        expected_version=expected_lock,
        learner=d.learner,
        centre=d.entry_check.round.centre_id,
        related=RELATED,
        **kwargs,
    )


def ask_programme_leader(
    d: Discrepancy, *, question: str, by, expected_lock: int | None = None
) -> Discrepancy:
    """The Quality Nominee verifies the discrepancy with the programme leader."""
    question = (question or "").strip()
    if not question:
        raise ValidationError("Write the question for the programme leader.")

    def change(d):
        _check_open(d)
        d.question, d.answer, d.answered_by, d.answered_at = question[:500], "", None, None

    leader = d.cohort.leader
    return _discrepancy_step(
        d,
        by=by,
        expected_lock=expected_lock,
        action=events.D_ASKED,
        permission=CHECK_ENTRIES,
        allowed=(S.OPEN, S.ANSWERED),
        refusal="A question can be asked only of an open or answered discrepancy",
        status=S.WITH_PROGRAMME_LEADER,
        change=change,
        audit_extra={"question": question[:500]},
        close=[Close(REVIEW_TODO, note="asked the programme leader")],
        open=[
            Open(
                ANSWER_TODO,
                title=f"Answer the Quality Nominee's question on {d.learner} ({d.cohort})",
                assignee=leader,
                role="" if leader else Role.PROGRAMME_LEADER,
                due=_due(d),
            )
        ],
        history=_history(by, "Entry check: asked the programme leader", question),
    )


def answer_discrepancy(
    d: Discrepancy, *, answer: str, by, expected_lock: int | None = None
) -> Discrepancy:
    """The programme's own leader answers the Quality Nominee's question."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("Write your answer.")

    def change(d):
        _check_open(d)
        d.answer, d.answered_by, d.answered_at = answer[:500], by, timezone.now()

    return _discrepancy_step(
        d,
        by=by,
        expected_lock=expected_lock,
        action=events.D_ANSWERED,
        permission=ANSWER_DISCREPANCIES,  # the layer's rule: the programme's own leader
        allowed=(S.WITH_PROGRAMME_LEADER,),
        refusal="There is no question waiting for an answer",
        status=S.ANSWERED,
        change=change,
        close=[Close(ANSWER_TODO, note="answered")],
        open=[
            Open(
                REVIEW_TODO,
                title=f"Read the programme leader's answer on {d.learner} ({d.cohort})",
                due=_due(d),
            )
        ],
        history=_history(by, "Entry check: programme leader answered", answer),
    )


def pass_to_exams_officer(d: Discrepancy, *, by, expected_lock: int | None = None) -> Discrepancy:
    """The Quality Nominee passes a verified error to the exams officer to amend."""

    def change(d):
        _check_open(d)
        if d.status == S.OPEN:
            raise ValidationError(
                "Verify it with the programme leader first: ask them a question on this "
                "discrepancy."
            )

    return _discrepancy_step(
        d,
        by=by,
        expected_lock=expected_lock,
        action=events.D_PASSED,
        permission=CHECK_ENTRIES,
        allowed=(S.OPEN, S.ANSWERED, S.AMENDED),
        refusal="Only an answered or amended discrepancy is passed to the exams officer",
        status=S.WITH_EXAMS_OFFICER,
        change=change,
        close=[Close(REVIEW_TODO, note="passed to the exams officer")],
        open=[
            Open(
                AMEND_TODO,
                title=f"Amend the entry for {d.learner} ({d.cohort}): entry check",
                due=_due(d),
            )
        ],
        history=_history(by, "Entry check: passed to the exams officer", d.get_kind_display()),
    )


def record_amendment(
    d: Discrepancy, *, amendment: str, by, expected_lock: int | None = None
) -> Discrepancy:
    """The exams officer says what they changed (e.g. on the entry list's amend screen)."""
    amendment = (amendment or "").strip()
    if not amendment:
        raise ValidationError("Say what you changed.")

    def change(d):
        _check_open(d)
        d.amendment, d.amended_by, d.amended_at = amendment[:500], by, timezone.now()

    return _discrepancy_step(
        d,
        by=by,
        expected_lock=expected_lock,
        action=events.D_AMENDED,
        permission=RUN_REGISTRATIONS,
        allowed=(S.WITH_EXAMS_OFFICER,),
        refusal="This discrepancy is not waiting for an amendment",
        status=S.AMENDED,
        change=change,
        close=[Close(AMEND_TODO, note="amended")],
        open=[
            Open(
                REVIEW_TODO,
                title=f"Confirm the exams officer's amendment for {d.learner} ({d.cohort})",
                due=_due(d),
            )
        ],
        history=_history(by, "Entry check: amended by the exams officer", amendment),
    )


def _refuse_while_still_not_entered(d: Discrepancy) -> None:
    """A learner in this year's group and not entered is not resolved by a note: they are
    entered (a registration, or a new starter at Pearson), or leave the group or the roll."""
    learner, cohort = d.learner, d.cohort
    year = d.entry_check.round.academic_year
    if not Learner.objects.filter(pk=learner.pk, on_roll=True).exists():
        return  # has left: not entering them is right
    if Registration.objects.filter(
        learner=learner, cohort=cohort, status__in=Registration.ACTIVE
    ).exists():
        return
    groups = list(
        TeachingGroup.objects.filter(
            cohort=cohort, academic_year=year, learners=learner
        ).values_list("name", flat=True)
    )
    if not groups:
        return  # taken out of the class: the list was right
    from .models import ChangeRequest

    if (
        ChangeRequest.objects.filter(
            learner=learner, cohort=cohort, kind=ChangeRequest.Kind.NEW_STARTER
        )
        .exclude(status=ChangeRequest.Status.CANCELLED)
        .exists()
    ):
        return  # notified as a new starter: the change request carries it to Pearson
    raise ValidationError(
        f"{learner} is still in {', '.join(sorted(groups))} and not entered for {cohort}: "
        "enter them (record a new starter if the list has gone to Pearson) or take them out "
        "of the group. A note alone does not resolve it."
    )


def resolve_discrepancy(
    d: Discrepancy, *, by, note: str = "", expected_lock: int | None = None
) -> Discrepancy:
    """The Quality Nominee resolves it: after the amendment, or with a note if it was no error."""
    note = (note or "").strip()

    def change(d):
        _check_open(d)
        if d.status != S.AMENDED and not note:
            raise ValidationError(
                "Nothing has been amended: add a note saying why it is not an error."
            )
        if d.kind == K.NOT_ENTERED:
            _refuse_while_still_not_entered(d)
        d.resolved_by, d.resolved_at = by, timezone.now()
        return {"note": note}

    return _discrepancy_step(
        d,
        by=by,
        expected_lock=expected_lock,
        action=events.D_RESOLVED,
        permission=CHECK_ENTRIES,
        allowed=(S.OPEN, S.ANSWERED, S.AMENDED),
        refusal="It is waiting for the programme leader or the exams officer",
        status=S.RESOLVED,
        change=change,
        close=[Close(REVIEW_TODO, note="resolved")],
        history=_history(
            by, "Entry check: resolved", note or (d.amendment and f"amended: {d.amendment}")
        ),
    )


# --- reminders (Celery beat, each morning) ----------------------------------------------


def _reminder_due(check: EntryCheck, today: dt.date) -> bool:
    if check.is_late(today):
        return True
    return calendar.is_working_day(today) and (
        calendar.working_days_until(today, check.deadline) in REMINDER_WORKING_DAYS
    )


def entry_check_reminders(today: dt.date | None = None) -> dict:
    """Keep each open check's to-dos right, mark late checks, and send the reminders.

    The e-mail is the person's daily to-do digest (todos.services.send_reminder_digest):
    at most one a person a day, whoever asks for it, so a re-run sends nothing twice.
    The Quality Nominee's to-do for the check is due on the deadline; the exams officer
    has one per discrepancy passed to them and, once the check is late, one for the check.
    Digests go to both N working days before the deadline and every day once it is late.
    """
    today = today or timezone.localdate()
    checks = list(EntryCheck.objects.filter(closed_at__isnull=True).select_related("round__centre"))
    late_already = set(
        ToDo.objects.filter(
            kind=LATE_TODO,
            target_type=ContentType.objects.get_for_model(EntryCheck),
            target_id__in=[str(c.pk) for c in checks],
        ).values_list("target_id", flat=True)
    )
    marked_late, remind_centres = 0, set()
    for check in checks:
        rnd = check.round
        with transaction.atomic():
            _open_check_todo(check, actor=None)
            if check.is_late(today) and str(check.pk) not in late_already:
                left = unresolved_count(check)
                open_todo(
                    LATE_TODO,
                    centre=rnd.centre,
                    role=Role.EXAMS_OFFICER,
                    title=(
                        f"The entry check at {rnd.centre.name} is late (deadline "
                        f"{check.deadline:%d/%m/%Y}): "
                        f"{_plural(left, 'discrepancy', 'discrepancies')} outstanding"
                    ),
                    due=check.deadline,
                    target=check,
                )
                audit.record(
                    None,
                    events.EC_LATE,
                    check,
                    centre=rnd.centre_id,
                    after={"deadline": check.deadline, "outstanding": left},
                )
                marked_late += 1
        if _reminder_due(check, today):
            remind_centres.add(rnd.centre_id)
    sent = 0
    if remind_centres:
        people = (
            get_user_model()
            .objects.filter(
                is_active=True,
                role_assignments__centre__in=remind_centres,
                role_assignments__centre__is_active=True,
                role_assignments__role__in=[Role.QUALITY_NOMINEE, Role.EXAMS_OFFICER],
            )
            .exclude(email="")
            .distinct()
        )
        for person in people:
            if send_reminder_digest(person, today):
                sent += 1
    return {"open": len(checks), "marked_late": marked_late, "sent": sent}
