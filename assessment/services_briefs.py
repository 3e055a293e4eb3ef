"""Assignment briefs (000-3.1.1): write or upload, sniff the file, keep every version, the
internal verifier's checklist and sign-off, and the issue gate."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

import audit
from accounts.permissions import require_object
from accounts.roles import Role
from signatures import services as signing
from tabular.files import read_upload
from tabular.problems import FileRefused
from workflow.steps import Close, Open, step

from . import events_plans as events
from .checklists import BRIEF_CHECKLIST, CHECKLIST_KEYS
from .models import AssessmentPlan
from .models_briefs import AssignmentBrief, BriefVersion
from .permissions import VERIFY_BRIEFS, WRITE_BRIEFS

MB = 1024 * 1024
PDF, DOCX = "pdf", "docx"
MAX_DOCX_EXPANDED = 50 * MB
MAX_DOCX_MEMBERS = 2000
MAX_DOCX_RATIO = 100


def max_brief_bytes() -> int:
    """The upload limit (settings.BTECQA_BRIEF_MAX_BYTES, 10 MB unless set)."""
    return int(getattr(settings, "BTECQA_BRIEF_MAX_BYTES", 10 * MB))


def sniff_brief(data: bytes) -> str:
    """'pdf' or 'docx', from the content whatever the file is called; FileRefused otherwise."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
            raise FileRefused("this is a damaged zip or Word file") from None
        names = {i.filename for i in infos}
        if "word/document.xml" not in names or "[Content_Types].xml" not in names:
            raise FileRefused("this is a zip archive but not a Word document (.docx)")
        expanded = sum(i.file_size for i in infos)
        if (
            len(infos) > MAX_DOCX_MEMBERS
            or expanded > MAX_DOCX_EXPANDED
            or any(
                i.file_size > MB and i.file_size > MAX_DOCX_RATIO * max(i.compress_size, 1)
                for i in infos
            )
        ):
            raise FileRefused(
                "the Word file would expand to far more than its size; it looks like a zip bomb"
            )
        return DOCX
    raise FileRefused("this is not a PDF or Word (.docx) file, whatever its name says")


def _refuse_unless_plan_approved(assignment) -> None:
    if assignment.plan.status != AssessmentPlan.Status.APPROVED:
        raise ValidationError(
            "Briefs are written for an approved plan: this assignment's plan is "
            f"{assignment.plan.get_status_display().lower()}."
        )


def save_brief(
    assignment,
    *,
    by,
    scenario: str,
    tasks: str,
    evidence: str,
    pearson_authorised: bool,
    paab_amended: bool = False,
    upload=None,
) -> BriefVersion:
    """A new version of the brief (the first makes the brief); it waits for the IV again."""
    require_object(by, WRITE_BRIEFS, assignment.plan)
    _refuse_unless_plan_approved(assignment)
    data = kind = None
    if upload is not None:
        try:
            data = read_upload(upload, max_brief_bytes())
            kind = sniff_brief(data)
        except FileRefused as exc:
            raise ValidationError({"upload": f"The file was refused: {exc}."}) from None
    with transaction.atomic():
        brief, created = AssignmentBrief.objects.select_for_update().get_or_create(
            assignment=assignment,
            defaults={
                "vocational_scenario": scenario,
                "tasks": tasks,
                "evidence": evidence,
                "pearson_authorised": pearson_authorised,
                "paab_amended": paab_amended,
            },
        )
        if brief.status == AssignmentBrief.Status.ISSUED:
            raise ValidationError("This brief has been issued to learners: it cannot change now.")
        brief.vocational_scenario, brief.tasks, brief.evidence = scenario, tasks, evidence
        brief.pearson_authorised, brief.paab_amended = pearson_authorised, paab_amended
        brief.status = AssignmentBrief.Status.AWAITING_IV  # every new version is checked again
        brief.verified_by, brief.verified_at = None, None
        brief.checklist = {}
        brief.lock_version += 1
        brief.save()
        number = (
            brief.versions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        version = BriefVersion(
            brief=brief,
            number=number,
            vocational_scenario=scenario,
            tasks=tasks,
            evidence=evidence,
            made_by=by,
        )
        if data is not None:
            name = getattr(upload, "name", "") or f"brief.{kind}"
            version.file_name = name[:255]
            version.file_type = kind
            version.size = len(data)
            version.sha256 = hashlib.sha256(data).hexdigest()
            version.file.save(f"brief-{brief.pk}-v{number}.{kind}", ContentFile(data), save=False)
        version.save()
        audit.record(
            by,
            events.BRIEF_SAVED,
            brief,
            after={"version": number, "file": version.file_name, "type": version.file_type},
        )
        from todos.services import close_todos

        close_todos(events.VERIFY_BRIEF, target=brief, by=by, note="a new version")
        close_todos(events.SIGN_BRIEF, target=brief, by=by, note="a new version")
        from workflow.steps import open_from

        open_from(
            Open(
                events.VERIFY_BRIEF,
                title=f"Internally verify the brief for {assignment.title}",
                assignee=assignment.internal_verifier,
            ),
            brief,
            by,
        )
    return version


def _refuse_unless_iv(brief: AssignmentBrief, user) -> None:
    require_object(user, VERIFY_BRIEFS, brief)
    if user.pk != brief.assignment.internal_verifier_id:
        raise PermissionDenied(
            "Only the assignment's internal verifier, "
            f"{brief.assignment.internal_verifier.get_full_name()}, checks this brief."
        )


def verify_brief(
    brief: AssignmentBrief,
    *,
    by,
    answers: dict[str, bool],
    actions_required: str = "",
    actions_taken: str = "",
    password: str = "",
    seen_sha256: str = "",
    version=None,
):
    """The IV records the checklist. Every item met: they sign it off (password re-entered).
    Any item not met: the brief needs action, named, and is not verified."""
    _refuse_unless_iv(brief, by)
    missing = [text for key, text in BRIEF_CHECKLIST if key not in answers]
    if missing:
        raise ValidationError("Answer every checklist item: " + "; ".join(missing) + ".")
    unmet = [text for key, text in BRIEF_CHECKLIST if not answers[key]]
    clean = {k: bool(answers[k]) for k in CHECKLIST_KEYS}
    if unmet:
        if not actions_required.strip():
            raise ValidationError(
                {"actions_required": "Say what must be done about: " + "; ".join(unmet) + "."}
            )

        def change(locked):
            locked.checklist = clean
            locked.actions_required = actions_required.strip()
            locked.actions_taken = actions_taken.strip()
            return {"unmet": "; ".join(unmet)}

        step(
            brief,
            by=by,
            action=events.BRIEF_CHECKED,
            allowed=[AssignmentBrief.Status.AWAITING_IV, AssignmentBrief.Status.ACTION_REQUIRED],
            refusal="Only a brief waiting for verification is checked",
            expected_version=version,
            status=AssignmentBrief.Status.ACTION_REQUIRED,
            change=change,
        )
        return None
    signed = {}

    def sign_off(locked):
        # What the IV saw must be what is there now; their answers then join what they sign.
        signing.check_unchanged(locked, seen_sha256)
        locked.checklist = clean
        locked.actions_required = actions_required.strip()
        locked.actions_taken = actions_taken.strip()
        locked.save(update_fields=["checklist", "actions_required", "actions_taken"])
        signed["signature"] = signing.sign(
            locked,
            user=by,
            password=password,
            role=Role.ASSESSOR_IV,
            seen_sha256=signing.current_sha256(locked),
        )
        locked.verified_by = by
        locked.verified_at = timezone.now()
        return {"version": signed["signature"].version.number}

    step(
        brief,
        by=by,
        action=events.BRIEF_VERIFIED,
        allowed=[AssignmentBrief.Status.AWAITING_IV, AssignmentBrief.Status.ACTION_REQUIRED],
        refusal="Only a brief waiting for verification is verified",
        expected_version=version,
        status=AssignmentBrief.Status.VERIFIED,
        change=sign_off,
        close=[Close(events.VERIFY_BRIEF, note="verified")],
        open=[
            Open(
                events.SIGN_BRIEF,
                title=f"Sign the verified brief for {brief.assignment.title} as its assessor",
                assignee=brief.assignment.assessor,
            )
        ],
    )
    return signed["signature"]


# --- both signatures (domain.md 3.3: an IV checks the brief and both sign) -------------


class BriefSignedAs(TextChoices):
    """The assessor's capacity on a brief's signature. A code-level list, as the tracking
    sheet's: `Signature.role` is free text (no choices), so no migration. The internal
    verifier signs as the role they hold, `Role.ASSESSOR_IV`, as before."""

    ASSESSOR = "assessor", "Assessor"


@dataclass(frozen=True)
class BriefSignatures:
    """The signatures on the brief as it is now (a new version voids both)."""

    iv: object = None  # the internal verifier's sign-off, or None
    assessor: object = None  # the assessor's signature, or None

    @property
    def complete(self) -> bool:
        return self.iv is not None and self.assessor is not None


def current_signatures(brief: AssignmentBrief) -> BriefSignatures:
    """The assignment's own IV's and assessor's latest signatures on the present content."""
    sha = signing.current_sha256(brief)
    iv = assessor = None
    a = brief.assignment
    for s in signing.signatures(brief).filter(sha256=sha).order_by("signed_at", "pk"):
        if s.role == Role.ASSESSOR_IV and s.signer_id == a.internal_verifier_id:
            iv = s
        elif s.role == BriefSignedAs.ASSESSOR and s.signer_id == a.assessor_id:
            assessor = s
    return BriefSignatures(iv=iv, assessor=assessor)


_CHANGED_SINCE_SIGN_OFF = (
    "The assignment changed after the internal verifier signed the brief off: save a new "
    "version of the brief for them to check again."
)


def _refuse_unless_assessor(brief: AssignmentBrief, user) -> None:
    require_object(user, WRITE_BRIEFS, brief)
    if user.pk != brief.assignment.assessor_id:
        raise PermissionDenied(
            "Only the assignment's assessor, "
            f"{brief.assignment.assessor.get_full_name()}, signs this brief as its assessor."
        )


def sign_brief_as_assessor(
    brief: AssignmentBrief, *, by, password: str, seen_sha256: str, version=None
):
    """The assignment's assessor signs the version its internal verifier signed off
    (password re-entered, content unchanged since they opened it)."""
    _refuse_unless_assessor(brief, by)
    if brief.status in (AssignmentBrief.Status.AWAITING_IV, AssignmentBrief.Status.ACTION_REQUIRED):
        raise ValidationError(
            "The assessor signs the brief after its internal verifier has signed it off "
            f"(it is now: {brief.get_status_display().lower()})."
        )
    signed = {}

    def change(locked):
        both = current_signatures(locked)
        if both.iv is None:
            raise ValidationError(_CHANGED_SINCE_SIGN_OFF)
        if both.assessor is not None:
            raise ValidationError("You have already signed this version of the brief.")
        signed["signature"] = signing.sign(
            locked,
            user=by,
            password=password,
            role=BriefSignedAs.ASSESSOR,
            seen_sha256=seen_sha256,
            statement=AssignmentBrief.assessor_signing_statement,
        )
        return {"version": signed["signature"].version.number}

    step(
        brief,
        by=by,
        action=events.BRIEF_ASSESSOR_SIGNED,
        allowed=[AssignmentBrief.Status.VERIFIED],
        refusal="Only a verified brief, not yet issued, is signed by its assessor",
        expected_version=version,
        change=change,
        related=["assignment"],
        close=[Close(events.SIGN_BRIEF, note="signed")],
    )
    return signed["signature"]


def issue_brief(brief: AssignmentBrief, *, by, version=None):
    """Issue to learners: only a verified brief (a Pearson Authorised one too), signed on
    its present version by both its internal verifier and its assessor."""

    def change(locked):
        both = current_signatures(locked)
        a = locked.assignment
        if both.iv is None:
            raise ValidationError(
                "The brief cannot be issued to learners until its internal verifier, "
                f"{a.internal_verifier.get_full_name()}, has signed off this version. "
                + _CHANGED_SINCE_SIGN_OFF
            )
        if both.assessor is None:
            raise ValidationError(
                "The brief cannot be issued to learners until its assessor, "
                f"{a.assessor.get_full_name()}, has signed this version too "
                "(the internal verifier has signed it off)."
            )
        locked.issued_by = by
        locked.issued_at = timezone.now()

    if brief.status in (AssignmentBrief.Status.AWAITING_IV, AssignmentBrief.Status.ACTION_REQUIRED):
        require_object(by, WRITE_BRIEFS, brief)
        now = brief.get_status_display().lower()
        paab = (
            " Pearson Authorised Assignment Briefs need the check too."
            if brief.pearson_authorised
            else ""
        )
        raise ValidationError(
            "The brief cannot be issued to learners until its internal verifier has checked it "
            f"against the checklist and signed it off (it is now: {now}).{paab}"
        )
    return step(
        brief,
        by=by,
        action=events.BRIEF_ISSUED,
        permission=WRITE_BRIEFS,
        allowed=[AssignmentBrief.Status.VERIFIED],
        refusal="The brief has already been issued",
        expected_version=version,
        status=AssignmentBrief.Status.ISSUED,
        change=change,
        related=["assignment__internal_verifier", "assignment__assessor"],
    )
