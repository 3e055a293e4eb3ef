"""Keeping the policy register (policy 000-4): policies, reviews as versions, signatures,
the Quality Nominee's yearly monitoring and the reminders before a review is due.

Every change is audited at the policy's centre. Files are read within the upload limit
and sniffed from their content (a PDF or a Word .docx, whatever the name says), with the
same checks and words as assignment briefs.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import RoleAssignment
from accounts.permissions import require, require_object
from accounts.roles import Role
from assessment.services_briefs import max_brief_bytes, sniff_brief
from btecqa.validators import academic_year_for
from signatures import services as signing
from tabular.files import read_upload
from tabular.problems import FileRefused
from todos.services import close_todos, open_todo

from . import events
from .models import (
    ChairSignature,
    MonitoringRecord,
    Policy,
    PolicyVersion,
    RegisterSettings,
    _person,
)
from .permissions import MANAGE_REGISTER, SIGN_AS_HEAD

MAX_REMINDER_DAYS = 365
OVERDUE_WORDS = "overdue for review: it was due on "


def default_reminder_days() -> int:
    """BTECQA_POLICY_REMINDER_DAYS (30 unless set): the centre may choose its own."""
    return int(getattr(settings, "BTECQA_POLICY_REMINDER_DAYS", 30))


def max_policy_bytes() -> int:
    """BTECQA_POLICY_MAX_BYTES, else the assignment brief's limit (10 MB unless set).

    Never above BTECQA_UPLOAD_MAX_BYTES: btecqa/uploads.py keeps one byte past that limit
    and drops the rest, so a larger policy limit would accept a cut-off file as whole.
    """
    wanted = int(getattr(settings, "BTECQA_POLICY_MAX_BYTES", 0) or max_brief_bytes())
    return min(wanted, int(settings.BTECQA_UPLOAD_MAX_BYTES))


def read_policy_file(upload, field: str = "upload") -> tuple[bytes, str]:
    """The bytes and 'pdf' or 'docx'; a refusal names the field and the reason."""
    try:
        data = read_upload(upload, max_policy_bytes())
        return data, sniff_brief(data)
    except FileRefused as exc:
        raise ValidationError({field: f"The policy file was refused: {exc}."}) from None


def _check_coordinator(centre, coordinator) -> None:
    if coordinator is None:
        raise ValidationError({"coordinator": "Choose the policy's coordinator."})
    if not RoleAssignment.objects.filter(centre=centre, user=coordinator).exists():
        raise ValidationError(
            {"coordinator": f"{_person(coordinator)} holds no role at {centre.name}."}
        )


def _check_dates(reviewed_on: dt.date, next_review: dt.date) -> None:
    errors = {}
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = "The review date is in the future: give the day it was reviewed."
    if next_review <= reviewed_on:
        errors["next_review"] = (
            f"The next review must be after the review ({reviewed_on:%d/%m/%Y})."
        )
    if errors:
        raise ValidationError(errors)


def _state(policy: Policy) -> dict:
    return {
        "title": policy.title,
        "coordinator": _person(policy.coordinator),
        "sub_committee": policy.sub_committee,
        "last_reviewed": policy.last_reviewed,
        "next_review": policy.next_review,
    }


def _store(version: PolicyVersion, upload, data: bytes, kind: str) -> None:
    name = getattr(upload, "name", "") or f"policy.{kind}"
    version.file_name = name[:255]
    version.file_type = kind
    version.size = len(data)
    version.sha256 = hashlib.sha256(data).hexdigest()
    version.file.save(
        f"policy-{version.policy_id}-v{version.number}.{kind}", ContentFile(data), save=False
    )


def _new_version(policy, *, reviewed_on, next_review, notes, by, upload=None, file=None):
    """Version n+1 of the policy, frozen for signing; a file given now or the last one's."""
    previous = policy.latest_version()
    version = PolicyVersion(
        policy=policy,
        number=(previous.number + 1) if previous else 1,
        title=policy.title,
        coordinator_name=_person(policy.coordinator),
        sub_committee=policy.sub_committee,
        reviewed_on=reviewed_on,
        next_review=next_review,
        notes=notes.strip(),
        made_by=by,
    )
    if file is not None:
        _store(version, upload, *file)
    elif previous is not None:  # reviewed without changes to the text: the same file
        version.file = previous.file.name
        version.file_name, version.file_type = previous.file_name, previous.file_type
        version.size, version.sha256 = previous.size, previous.sha256
    else:
        raise ValidationError({"upload": "Upload the policy file (PDF or Word .docx)."})
    version.save()
    version.record = signing.freeze_version(policy, by=by, reason=f"review {version.number}")
    PolicyVersion.objects.filter(pk=version.pk).update(record=version.record)
    _open_head_todo(policy, version, by)
    return version


def _open_head_todo(policy, version, by) -> None:
    # One signing to-do a policy, naming the version that now waits.
    close_todos(events.SIGN_POLICY, target=policy, by=by, note=f"version {version.number} made")
    open_todo(
        events.SIGN_POLICY,
        centre=policy.centre,
        role=Role.HEAD_OF_CENTRE,
        title=f"Sign version {version.number} of the {policy.title} as Head of Centre",
        target=policy,
        actor=by,
    )


def add_policy(
    *,
    centre,
    title: str,
    coordinator,
    sub_committee: str,
    reviewed_on: dt.date,
    next_review: dt.date,
    upload,
    notes: str = "",
    by,
) -> Policy:
    """The Quality Nominee adds a policy with its file as last reviewed: version 1."""
    require(by, MANAGE_REGISTER, centre.pk)
    title = title.strip()
    if Policy.objects.filter(centre=centre, title__iexact=title).exists():
        raise ValidationError(
            {"title": f"{centre.name} already has a policy called “{title}”: review that one."}
        )
    _check_coordinator(centre, coordinator)
    _check_dates(reviewed_on, next_review)
    if upload is None:
        raise ValidationError({"upload": "Upload the policy file (PDF or Word .docx)."})
    file = read_policy_file(upload)
    with transaction.atomic():
        policy = Policy.objects.create(
            centre=centre,
            title=title,
            coordinator=coordinator,
            sub_committee=sub_committee.strip(),
            last_reviewed=reviewed_on,
            next_review=next_review,
            created_by=by,
        )
        audit.record(by, events.POLICY_ADDED, policy, after=_state(policy))
        version = _new_version(
            policy,
            reviewed_on=reviewed_on,
            next_review=next_review,
            notes=notes,
            by=by,
            upload=upload,
            file=file,
        )
        audit.record(
            by,
            events.POLICY_REVIEWED,
            policy,
            after={"version": version.number, "file": version.file_name, **_state(policy)},
        )
    return policy


def _locked(policy: Policy, expected_lock) -> Policy:
    locked = (
        Policy.objects.select_for_update().select_related("centre", "coordinator").get(pk=policy.pk)
    )
    if expected_lock is not None and expected_lock != locked.lock_version:
        raise ValidationError(
            "Someone changed this policy after you opened it: reload the page and check."
        )
    return locked


@transaction.atomic
def change_policy(
    policy: Policy, *, title: str, coordinator, sub_committee: str, next_review, by,
    expected_lock=None,
) -> Policy:  # fmt: skip
    """The register's details: signed versions keep what they said when they were made."""
    require_object(by, MANAGE_REGISTER, policy)
    policy = _locked(policy, expected_lock)
    title = title.strip()
    if (
        Policy.objects.filter(centre=policy.centre, title__iexact=title)
        .exclude(pk=policy.pk)
        .exists()
    ):
        raise ValidationError({"title": f"Another policy here is called “{title}”."})
    _check_coordinator(policy.centre, coordinator)
    if policy.last_reviewed and next_review <= policy.last_reviewed:
        raise ValidationError(
            {
                "next_review": "The next review must be after the last one "
                f"({policy.last_reviewed:%d/%m/%Y})."
            }
        )
    before = _state(policy)
    old_coordinator = policy.coordinator
    policy.title, policy.coordinator = title, coordinator
    policy.sub_committee, policy.next_review = sub_committee.strip(), next_review
    policy.lock_version += 1
    policy.save()
    after = _state(policy)
    if before != after:
        audit.record(by, events.POLICY_CHANGED, policy, before=before, after=after)
    if old_coordinator != coordinator or before["next_review"] != next_review:
        # The reminder goes to the new coordinator, for the new date, when it is due.
        close_todos(events.REVIEW_DUE, target=policy, by=by, note="details changed")
    return policy


@transaction.atomic
def record_review(
    policy: Policy, *, reviewed_on, next_review, notes: str = "", upload=None, by,
    expected_lock=None,
) -> PolicyVersion:  # fmt: skip
    """Each review is a new version: the file as reviewed (or the last one, unchanged)."""
    require_object(by, MANAGE_REGISTER, policy)
    file = read_policy_file(upload) if upload is not None else None
    policy = _locked(policy, expected_lock)
    _check_dates(reviewed_on, next_review)
    if policy.last_reviewed and reviewed_on < policy.last_reviewed:
        raise ValidationError(
            {
                "reviewed_on": "This policy was last reviewed on "
                f"{policy.last_reviewed:%d/%m/%Y}: a review cannot be dated before it."
            }
        )
    version = _new_version(
        policy,
        reviewed_on=reviewed_on,
        next_review=next_review,
        notes=notes,
        by=by,
        upload=upload,
        file=file,
    )
    policy.last_reviewed, policy.next_review = reviewed_on, next_review
    policy.lock_version += 1
    policy.save()
    audit.record(
        by,
        events.POLICY_REVIEWED,
        policy,
        after={"version": version.number, "file": version.file_name, **_state(policy)},
    )
    close_todos(events.REVIEW_DUE, target=policy, by=by, note=f"reviewed: version {version.number}")
    close_todos(events.CHANGES_NEEDED, target=policy, by=by, note="reviewed")
    return version


def _refuse_if_signed(version: PolicyVersion) -> None:
    if version.is_signed():
        raise ValidationError(
            f"Version {version.number} is signed: it cannot be changed. Record a new review "
            "to make a new version."
        )


@transaction.atomic
def correct_version(
    version: PolicyVersion, *, reviewed_on, next_review, notes: str = "", upload=None, by
) -> PolicyVersion:
    """Put right the latest version before anyone signs it (a wrong file, a mistyped date)."""
    require_object(by, MANAGE_REGISTER, version)
    file = read_policy_file(upload) if upload is not None else None
    policy = _locked(version.policy, None)
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_if_signed(version)
    latest = policy.latest_version()
    if latest.pk != version.pk:
        raise ValidationError(
            f"Version {version.number} is not the latest (version {latest.number} is): "
            "earlier versions stay as they were."
        )
    _check_dates(reviewed_on, next_review)
    before = version.content()
    version.reviewed_on, version.next_review, version.notes = reviewed_on, next_review, notes
    if file is not None:
        _store(version, upload, *file)
    version.save()
    version.record = signing.freeze_version(
        policy, by=by, reason=f"version {version.number} corrected before signing"
    )
    PolicyVersion.objects.filter(pk=version.pk).update(record=version.record)
    policy.last_reviewed, policy.next_review = reviewed_on, next_review
    policy.lock_version += 1
    policy.save()
    audit.record(
        by,
        events.VERSION_CORRECTED,
        version,
        before=before,
        after={**version.content(), "version": version.number},
    )
    return version


def head_signature(version: PolicyVersion):
    from signatures.models import Signature

    if not version.record_id:
        return None
    return Signature.objects.filter(version_id=version.record_id).order_by("signed_at").first()


def sign_as_head(version: PolicyVersion, *, user, password: str, seen_sha256: str):
    """The Head of Centre signs the latest version themself, password re-entered."""
    require_object(user, SIGN_AS_HEAD, version)
    policy = version.policy
    latest = policy.latest_version()
    if latest.pk != version.pk:
        raise ValidationError(
            f"Version {version.number} has been replaced by version {latest.number}: "
            "sign the latest."
        )
    if head_signature(version) is not None:
        raise ValidationError(f"Version {version.number} is already signed by the Head of Centre.")
    with transaction.atomic():
        signature = signing.sign(
            policy, user=user, password=password, role=Role.HEAD_OF_CENTRE, seen_sha256=seen_sha256
        )
        if signature.version_id != version.record_id:  # the signed snapshot is this version's
            PolicyVersion.objects.filter(pk=version.pk).update(record=signature.version_id)
        audit.record(user, events.HEAD_SIGNED, policy, after={"version": version.number})
        close_todos(events.SIGN_POLICY, target=policy, by=user, note=f"signed: v{version.number}")
    return signature


@transaction.atomic
def record_chair_signature(
    version: PolicyVersion, *, chair_name: str, signed_on: dt.date, by
) -> ChairSignature:
    """The QN records that the chair of governors signed (governors cannot sign here)."""
    require_object(by, MANAGE_REGISTER, version)
    version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
    if ChairSignature.objects.filter(version=version).exists():
        raise ValidationError(
            f"The chair's signature on version {version.number} is already recorded."
        )
    errors = {}
    if signed_on > timezone.localdate():
        errors["signed_on"] = "That date is in the future: give the day the chair signed."
    elif signed_on < version.reviewed_on:
        errors["signed_on"] = (
            f"The chair cannot have signed before the review ({version.reviewed_on:%d/%m/%Y})."
        )
    if not chair_name.strip():
        errors["chair_name"] = "Give the chair of governors' name."
    if errors:
        raise ValidationError(errors)
    chair = ChairSignature.objects.create(
        version=version, chair_name=chair_name.strip(), signed_on=signed_on, recorded_by=by
    )
    audit.record(
        by,
        events.CHAIR_SIGNATURE_RECORDED,
        version.policy,
        after={
            "version": version.number,
            "chair": chair.chair_name,
            "signed_on": signed_on,
            "recorded_by": _person(by),
        },
    )
    return chair


@transaction.atomic
def record_monitoring(
    policy: Policy, *, monitored_on: dt.date, outcome: str, notes: str = "", by
) -> MonitoringRecord:
    """The Quality Nominee's internal monitoring: once per policy per academic year."""
    require_object(by, MANAGE_REGISTER, policy)
    if monitored_on > timezone.localdate():
        raise ValidationError({"monitored_on": "That date is in the future."})
    if outcome not in MonitoringRecord.Outcome.values:
        raise ValidationError({"outcome": "Choose the outcome."})
    if outcome == MonitoringRecord.Outcome.CHANGES_NEEDED and not notes.strip():
        raise ValidationError({"notes": "Say which changes are needed."})
    year = academic_year_for(monitored_on)
    if MonitoringRecord.objects.filter(policy=policy, academic_year=year).exists():
        raise ValidationError(
            {"monitored_on": f"{policy.title} has already been monitored in {year}."}
        )
    record = MonitoringRecord.objects.create(
        policy=policy,
        academic_year=year,
        monitored_on=monitored_on,
        outcome=outcome,
        notes=notes.strip(),
        recorded_by=by,
    )
    audit.record(
        by,
        events.MONITORED,
        policy,
        after={
            "academic_year": year,
            "monitored_on": monitored_on,
            "outcome": record.get_outcome_display(),
            "notes": record.notes,
        },
    )
    if outcome == MonitoringRecord.Outcome.CHANGES_NEEDED:
        open_todo(
            events.CHANGES_NEEDED,
            centre=policy.centre,
            assignee=policy.coordinator,
            title=f"Change the {policy.title} after monitoring: {record.notes[:120]}",
            target=policy,
            actor=by,
        )
    return record


def reminder_days(centre) -> int:
    row = RegisterSettings.objects.filter(centre=centre).first()
    return row.reminder_days if row else default_reminder_days()


@transaction.atomic
def set_reminder_days(centre, *, days: int, by) -> RegisterSettings:
    require(by, MANAGE_REGISTER, centre.pk)
    if not 1 <= days <= MAX_REMINDER_DAYS:
        raise ValidationError({"reminder_days": f"Choose between 1 and {MAX_REMINDER_DAYS} days."})
    row, _ = RegisterSettings.objects.select_for_update().get_or_create(
        centre=centre, defaults={"reminder_days": default_reminder_days()}
    )
    before = row.reminder_days
    row.reminder_days, row.changed_by, row.changed_at = days, by, timezone.now()
    row.save()
    audit.record(
        by, events.REMINDER_DAYS_SET, row, centre=centre.pk, before={"days": before},
        after={"days": days},
    )  # fmt: skip
    return row


def send_review_reminders(today: dt.date | None = None) -> dict:
    """Daily: a to-do and an e-mail for each coordinator whose policy is due within the
    centre's reminder days (or overdue). Run twice, it opens and sends nothing twice."""
    import outbox.services as outbox

    today = today or timezone.localdate()
    days = dict(RegisterSettings.objects.values_list("centre_id", "reminder_days"))
    default = default_reminder_days()
    opened = emailed = 0
    policies = Policy.objects.select_related("centre", "coordinator").filter(
        centre__is_active=True,
        next_review__lte=today + dt.timedelta(days=MAX_REMINDER_DAYS),
    )
    for policy in policies:
        notice = days.get(policy.centre_id, default)
        if today < policy.next_review - dt.timedelta(days=notice):
            continue
        with transaction.atomic():
            overdue = policy.is_overdue(today)
            open_todo(
                events.REVIEW_DUE,
                centre=policy.centre,
                assignee=policy.coordinator,
                title=(
                    f"Review the {policy.title}: "
                    + ("overdue since " if overdue else "due on ")
                    + f"{policy.next_review:%d/%m/%Y}"
                ),
                due=policy.next_review,
                target=policy,
            )
            key = f"policies.review:{policy.pk}:{policy.next_review.isoformat()}"
            if policy.coordinator.email:
                from outbox.models import OutgoingEmail

                if not OutgoingEmail.objects.filter(key=key).exists():
                    outbox.queue_email(
                        kind="policies.review_reminder",
                        to=[policy.coordinator.email],
                        subject=f"Policy review due: {policy.title}",
                        body=(
                            f"Dear {_person(policy.coordinator)},\n\n"
                            f"The {policy.title} at {policy.centre.name} is "
                            + (OVERDUE_WORDS if overdue else "due for review on ")
                            + f"{policy.next_review:%d/%m/%Y}. As its coordinator, please "
                            "review it with the governors' sub-committee"
                            + (f" ({policy.sub_committee})" if policy.sub_committee else "")
                            + " and send the reviewed policy to the Quality Nominee.\n\n"
                            "btecqa\n"
                        ),
                        key=key,
                    )
                    emailed += 1
                    audit.record(
                        None,
                        events.REVIEW_REMINDED,
                        policy,
                        after={"due": policy.next_review, "to": _person(policy.coordinator)},
                    )
            opened += 1
    return {"due": opened, "emailed": emailed}
