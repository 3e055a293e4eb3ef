"""Certification claims (004-cert-3, 004-aim-2, 004-duty-5, 000-3.1.6): prepare, approve
(two different people), lay out the claim file, submit, amend.

- **prepare_claim** takes only learners the claim readiness says are ready (an interim
  claim: SV not Released only warns, and units still without an outcome are simply not
  claimed yet); a learner not ready is refused by name with the blockers. Each line
  copies the learner's details as claimed and carries the estimate (points and grade),
  always labelled "Estimated": never Pearson's grade.
- **approve_claim**: the cohort's programme leader and an exams officer each approve
  through `signatures.sign`; the same person cannot give both approvals. An approval counts
  only for the content it signed: **changing a line after an approval voids the
  approvals** (the claim goes back to being prepared and both must approve again).
- **make_claim_file**: the XLSX or CSV for keying into Edexcel Online; every file is kept
  on record (ClaimFile, with its SHA-256).
- **submit_claim**: only an approved claim; a full (final, fallback) claim waits for the
  SV gate; a late one is allowed and marked late. After that, nothing changes it.
- **amend_claim**: a new version copying the lines; on its submission the old one is
  superseded.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from centres.models import ArrangementPartner
from documents.csvfile import csv_bytes
from documents.xlsx import Column, Sheet, xlsx_bytes
from qualifications.grading import estimated_grade
from qualifications.models import Qualification, Unit
from registrations.models import Registration
from signatures.services import current_sha256, sign, signatures
from todos.services import close_todos, open_todo
from verification.selectors_sv import sv_claims_gate
from workflow.steps import Close, Open, step

from . import events
from .config import claim_deadline
from .models import Claim, ClaimFile, ClaimLine, ClaimUnit
from .permissions import (
    APPROVE_AS_EXAMS_OFFICER,
    APPROVE_AS_LEADER,
    EXPORT_CLAIM_FILE,
    PREPARE_CLAIMS,
    SUBMIT_CLAIMS,
)
from .selectors import UNITS, Blocker, claim_readiness, final_year

UNIT_CODES = ("U", "N", "P", "M", "D")
_LETTERS = ("P", "M", "D", "D*")


def _award_codes() -> tuple[str, ...]:
    """Award grade codes as Edexcel Online takes them: P … D*, PP … D*D*, PPP … D*D*D*."""
    codes = list(_LETTERS)
    for size in (2, 3):
        combos = [[]]
        for _ in range(size):
            combos = [c + [i] for c in combos for i in range(len(_LETTERS)) if not c or i <= c[-1]]
        codes += ["".join(_LETTERS[i] for i in c) for c in combos]
    return tuple(codes)


AWARD_CODES = _award_codes()
ROLE_PERMISSION = {
    Role.PROGRAMME_LEADER: APPROVE_AS_LEADER,
    Role.EXAMS_OFFICER: APPROVE_AS_EXAMS_OFFICER,
}
TWO_PEOPLE = (
    "The exams officer will meet with the programme leader to approve the claim: the two "
    "approvals must be given by two different people. You have already approved it as the {role}."
)
LOCKED = "This claim was submitted to Pearson on {day}: it cannot change. Amend it instead."
SUPERSEDED = "This claim was superseded by an amendment: it cannot change."
NO_PROGRAMME_CODE = (
    "{names}: a partner centre's learner on the lead centre's cohort must be claimed under the "
    "consortium programme code or sub-site, and none is recorded. Add it to the line first."
)


def _refuse_locked(claim: Claim) -> None:
    if claim.status == Claim.Status.SUPERSEDED:
        raise ValidationError(SUPERSEDED)
    if claim.is_locked:
        raise ValidationError(LOCKED.format(day=_day(claim.submitted_on)))


def _day(value) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unrecorded date"


def award_code(grade) -> str:
    """The estimate's grade as an award code, or "" when it is not one."""
    code = str(grade or "").replace(" ", "").upper()
    return code if code in AWARD_CODES else ""


# --- prepare --------------------------------------------------------------------------------


def prepare_claim(
    cohort,
    kind: str,
    by,
    *,
    learners=None,
    fallback_qualification: Qualification | None = None,
    academic_year: str | None = None,
    today: dt.date | None = None,
) -> Claim:
    """A new claim for the cohort from its readiness (see the module docstring)."""
    require_object(by, PREPARE_CLAIMS, cohort)
    if kind not in Claim.Kind.values:
        raise ValidationError({"kind": f"Choose interim, final or fallback, not {kind!r}."})
    academic_year = academic_year or final_year(cohort)
    qualification = cohort.qualification
    claimed_as = qualification
    if kind == Claim.Kind.FALLBACK:
        if fallback_qualification is None:
            raise ValidationError(
                {"fallback_qualification": "Choose the smaller qualification to claim instead."}
            )
        if (
            fallback_qualification.pk == qualification.pk
            or not qualification.family_id
            or fallback_qualification.family_id != qualification.family_id
        ):
            raise ValidationError(
                {
                    "fallback_qualification": (
                        f"{fallback_qualification.number} is not a smaller qualification of "
                        f"the same suite as {qualification.number}."
                    )
                }
            )
        claimed_as = fallback_qualification
    readiness = claim_readiness(
        cohort, academic_year, interim=kind == Claim.Kind.INTERIM, today=today
    )
    by_id = {r.learner_id: r for r in readiness.learners}
    wanted = (
        [getattr(x, "pk", x) for x in learners]
        if learners
        else [r.learner_id for r in readiness.learners if claimable(r, kind)]
    )
    if not wanted:
        raise ValidationError("No learner on this cohort is ready to be claimed.")
    refused = []
    for learner_id in wanted:
        r = by_id.get(learner_id)
        if r is None:
            refused.append(f"learner {learner_id} is not registered on this cohort")
        elif not claimable(r, kind):
            refused.append(
                f"{r.name} is not ready: " + "; ".join(b.text for b in _blocking(r, kind))
            )
    if refused:
        raise ValidationError(refused)

    regs = {
        reg.pk: reg
        for reg in Registration.objects.filter(
            pk__in=[by_id[i].registration_id for i in wanted]
        ).select_related("learner", "centre")
    }
    partner_codes = _consortium_codes(cohort, {reg.centre_id for reg in regs.values()})
    units_of = {u.number: u for u in Unit.objects.filter(qualification=claimed_as)}
    with audit.batch():
        claim = Claim.objects.create(
            centre=cohort.centre,
            cohort=cohort,
            academic_year=academic_year,
            kind=kind,
            created_by=by,
        )
        for learner_id in wanted:
            r = by_id[learner_id]
            reg = regs[r.registration_id]
            grades = {n: g for n, g in r.unit_grades.items() if n in units_of}
            estimate = estimated_grade(claimed_as, grades, cohort.start_year)
            code = reg.programme_code or partner_codes.get(reg.centre_id, "")
            line = ClaimLine.objects.create(
                claim=claim,
                learner=reg.learner,
                registration=reg,
                qualification=claimed_as,
                uln=reg.learner.uln or "",
                last_name=reg.learner.last_name,
                first_name=reg.learner.first_name,
                date_of_birth=reg.learner.date_of_birth,
                registration_number=reg.registration_number,
                home_centre_number=reg.centre.number,
                programme_code=code,
                award_grade="" if kind == Claim.Kind.INTERIM else award_code(estimate.grade),
                estimated_points=estimate.points,
                estimated_grade=estimate.grade or "",
            )
            ClaimUnit.objects.bulk_create(
                ClaimUnit(line=line, unit=units_of[n], grade=g) for n, g in grades.items()
            )
            audit.record(
                by,
                events.CLAIM_LINE_ADDED,
                claim,
                learner=reg.learner,
                after={"units": grades, "estimated": estimate.label, "programme_code": code},
            )
        audit.record(by, events.CLAIM_PREPARED, claim, after={"learners": len(wanted)})
        _open_approvals(claim, by)
    return claim


def _blocking(r, kind):
    """The blockers that stop this kind of claim. A full award needs them all cleared; an
    interim claim (the units finished so far) and a fallback claim (the smaller
    qualification's units) are not stopped by units still without an outcome, the rule of
    combination or the eligibility rules; everything else (IV, SV for a fallback,
    registration, the gap, withdrawal) still stops them."""
    if kind == Claim.Kind.FINAL:
        return r.blockers
    left = [b for b in r.blockers if b.about != UNITS]
    if not r.unit_grades:
        left.append(Blocker("no unit has an outcome to claim yet"))
    return left


def claimable(r, kind) -> bool:
    return not _blocking(r, kind)


def _consortium_codes(cohort, centre_ids) -> dict[int, str]:
    """A partner centre's learners go under the lead's arrangement's programme code."""
    rows = ArrangementPartner.objects.current().filter(
        arrangement__lead_centre_id=cohort.centre_id, centre_id__in=centre_ids
    )
    return {c: code for c, code in rows.values_list("centre_id", "arrangement__programme_code")}


def _open_approvals(claim: Claim, by) -> None:
    leader = claim.cohort.leader
    open_todo(
        events.APPROVE_TODO_LEADER,
        centre=claim.centre,
        title=f"Approve {claim}",
        assignee=leader,
        role="" if leader else Role.PROGRAMME_LEADER,
        target=claim,
        actor=by,
    )
    open_todo(
        events.APPROVE_TODO_EO,
        centre=claim.centre,
        title=f"Approve {claim}",
        role=Role.EXAMS_OFFICER,
        target=claim,
        actor=by,
    )


# --- change a line (voids the approvals) --------------------------------------------------


def change_line(line: ClaimLine, by, *, programme_code=None, award_grade=None) -> ClaimLine:
    """Change the programme code or award grade on a line before submission. An approval
    given before the change no longer counts: the claim is back to being prepared."""
    claim = line.claim
    require_object(by, PREPARE_CLAIMS, claim)
    _refuse_locked(claim)
    before = {"programme_code": line.programme_code, "award_grade": line.award_grade}
    if award_grade is not None:
        award_grade = award_grade.strip().upper()
        if award_grade and award_grade not in AWARD_CODES:
            raise ValidationError(
                {"award_grade": f"{award_grade} is not an award grade code Edexcel Online takes."}
            )
        if claim.kind == Claim.Kind.INTERIM and award_grade:
            raise ValidationError({"award_grade": "An interim claim claims units, not an award."})
        line.award_grade = award_grade
    if programme_code is not None:
        line.programme_code = programme_code.strip()
    approved = bool(_approvals(claim))
    with transaction.atomic():
        line.save(update_fields=["award_grade", "programme_code"])
        audit.record(
            by,
            events.CLAIM_LINE_CHANGED,
            claim,
            learner=line.learner,
            before=before,
            after={"programme_code": line.programme_code, "award_grade": line.award_grade},
        )
        if approved:
            step(
                claim,
                by=by,
                action=events.CLAIM_APPROVALS_VOIDED,
                allowed=[Claim.Status.DRAFT, Claim.Status.APPROVED],
                status=Claim.Status.DRAFT,
                close=[Close(events.SUBMIT_TODO)],
            )
            _open_approvals(claim, by)
    return line


# --- approve ----------------------------------------------------------------------------


def _approvals(claim: Claim) -> dict:
    """{role value: signature} of the approvals that signed the claim as it is now."""
    sha = current_sha256(claim)
    out = {}
    for sig in signatures(claim).order_by("signed_at", "pk"):
        if sig.sha256 == sha and sig.role in (Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER):
            out[sig.role] = sig
    return out


def approve_claim(claim: Claim, by, *, role, password: str, seen_sha256: str) -> Claim:
    """One of the two approvals (see the module docstring)."""
    role = Role(role)
    perm = ROLE_PERMISSION.get(role)
    if perm is None:
        raise ValidationError("A claim is approved by the programme leader or the exams officer.")
    require_object(by, perm, claim)
    _refuse_locked(claim)
    if claim.status != Claim.Status.DRAFT:
        raise ValidationError("This claim is already approved.")
    given = _approvals(claim)
    if role in given:
        raise ValidationError(
            f"{given[role].signer_name} has already approved this claim as the {role.label}."
        )
    for other, sig in given.items():
        if sig.signer_id == by.pk:
            raise ValidationError(TWO_PEOPLE.format(role=Role(other).label.lower()))
    with transaction.atomic():
        signature = sign(claim, user=by, password=password, role=role, seen_sha256=seen_sha256)
        kind = (
            events.APPROVE_TODO_LEADER if role == Role.PROGRAMME_LEADER else events.APPROVE_TODO_EO
        )
        close_todos(kind, target=claim, by=by, note="approved")
        audit.record(by, events.CLAIM_APPROVED_BY, claim, after={"role": signature.role_label})
        given[role] = signature
        if len(given) == 2:
            claim = step(
                claim,
                by=by,
                action=events.CLAIM_APPROVED,
                allowed=[Claim.Status.DRAFT],
                status=Claim.Status.APPROVED,
                open=[Open(events.SUBMIT_TODO, title=f"Submit {claim}", role=Role.EXAMS_OFFICER)],
            )
    return claim


# --- the claim file ---------------------------------------------------------------------

FILE_HEADINGS = (
    "Centre number",
    "Programme code / sub-site",
    "Registration number",
    "ULN",
    "Surname",
    "Forenames",
    "Date of birth",
    "Qualification number",
    "Unit number",
    "Unit grade",
    "Award grade",
)


def _lines(claim: Claim):
    return list(
        claim.lines.select_related("learner", "qualification").prefetch_related("units__unit")
    )


def _refuse_missing_codes(claim: Claim, lines) -> None:
    missing = [
        f"{line.first_name} {line.last_name}"
        for line in lines
        if line.home_centre_number != claim.centre.number and not line.programme_code
    ]
    if missing:
        raise ValidationError(NO_PROGRAMME_CODE.format(names=", ".join(missing)))


def file_rows(claim: Claim, lines=None) -> list[list]:
    """One row per unit claimed; a full claim adds the award row (no unit number)."""
    rows = []
    for line in lines if lines is not None else _lines(claim):
        head = [
            line.home_centre_number,
            line.programme_code,
            line.registration_number,
            line.uln,
            line.last_name,
            line.first_name,
            line.date_of_birth,
            line.qualification.number,
        ]
        for unit in line.units.all():
            rows.append([*head, unit.unit.number, unit.grade, ""])
        if claim.is_full:
            rows.append([*head, "", "", line.award_grade])
    return rows


def make_claim_file(claim: Claim, by, fmt: str) -> tuple[bytes, ClaimFile]:
    """The claim file's bytes and its record (who, when, SHA-256)."""
    require_object(by, EXPORT_CLAIM_FILE, claim)
    if fmt not in ClaimFile.Format.values:
        raise ValidationError({"format": "Choose XLSX or CSV."})
    lines = _lines(claim)
    _refuse_missing_codes(claim, lines)
    rows = file_rows(claim, lines)
    if fmt == ClaimFile.Format.XLSX:
        data = xlsx_bytes([Sheet("Claim", [Column(h) for h in FILE_HEADINGS], rows)])
    else:
        data = csv_bytes(FILE_HEADINGS, rows)
    with transaction.atomic():
        record = ClaimFile.objects.create(
            claim=claim, format=fmt, sha256=hashlib.sha256(data).hexdigest(), made_by=by
        )
        audit.record(
            by, events.CLAIM_FILE_MADE, record, centre=claim.centre, after={"sha256": record.sha256}
        )
    return data, record


def file_name(claim: Claim, fmt: str) -> str:
    number = claim.cohort.qualification.number
    return f"claim-{claim.centre.number}-{number}-{claim.kind}-v{claim.version}.{fmt}"


# --- submit -------------------------------------------------------------------------------


def submit_claim(claim: Claim, by, *, submitted_on: dt.date, pearson_reference: str) -> Claim:
    """Record the submission (see the module docstring)."""
    require_object(by, SUBMIT_CLAIMS, claim)
    _refuse_locked(claim)
    if claim.status != Claim.Status.APPROVED:
        raise ValidationError(
            "This claim cannot be submitted yet: the programme leader and the exams officer "
            "must both approve it first."
        )
    reference = (pearson_reference or "").strip()
    if not reference:
        raise ValidationError({"pearson_reference": "Enter Pearson's reference for the claim."})
    if submitted_on is None:
        raise ValidationError({"submitted_on": "Enter the date the claim was submitted."})
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": "The date of submission cannot be in the future."})
    if claim.is_full:
        gate = sv_claims_gate(claim.cohort, claim.academic_year)
        if not gate.clear:
            raise ValidationError(f"This full-award claim waits: {gate.warning}")
    lines = _lines(claim)
    _refuse_missing_codes(claim, lines)
    late = submitted_on > claim_deadline(claim.academic_year)

    def change(c):
        c.submitted_on = submitted_on
        c.submitted_by = by
        c.pearson_reference = reference[:60]
        c.late = late
        return {"late": late}

    with audit.batch():
        claim = step(
            claim,
            by=by,
            action=events.CLAIM_SUBMITTED,
            allowed=[Claim.Status.APPROVED],
            status=Claim.Status.SUBMITTED,
            change=change,
            close=[Close(events.SUBMIT_TODO)],
        )
        for line in lines:
            audit.record(
                by,
                events.CLAIM_LINE_SUBMITTED,
                claim,
                learner=line.learner,
                after={"pearson_reference": reference, "submitted_on": submitted_on},
            )
        if claim.amends_id:
            step(
                claim.amends,
                by=by,
                action=events.CLAIM_SUPERSEDED,
                allowed=[Claim.Status.SUBMITTED],
                status=Claim.Status.SUPERSEDED,
            )
    return claim


# --- amend --------------------------------------------------------------------------------


def amend_claim(claim: Claim, by, *, reason: str) -> Claim:
    """A new version of a submitted claim, copying its lines, to approve and submit again."""
    require_object(by, PREPARE_CLAIMS, claim)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the claim is being amended."})
    if claim.status != Claim.Status.SUBMITTED:
        raise ValidationError("Only a submitted claim is amended; change this one directly.")
    if Claim.objects.filter(amends=claim).exists():
        raise ValidationError("This claim already has an amendment: amend that one instead.")
    with audit.batch():
        new = Claim.objects.create(
            centre=claim.centre,
            cohort=claim.cohort,
            academic_year=claim.academic_year,
            kind=claim.kind,
            version=claim.version + 1,
            amends=claim,
            amendment_reason=reason[:500],
            created_by=by,
        )
        for line in _lines(claim):
            units = list(line.units.all())
            line.pk = None
            line.claim = new
            line.save()
            ClaimUnit.objects.bulk_create(
                ClaimUnit(line=line, unit=u.unit, grade=u.grade) for u in units
            )
        audit.record(by, events.CLAIM_AMENDED, new, after={"amends": claim.pk, "reason": reason})
        _open_approvals(new, by)
    return new
