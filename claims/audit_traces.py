"""The traces of the yearly claims audit: one registry, each trace a column of the report.

A trace answers, for every claim line of the year at once, one question the audit asks of
it: `register_claim_trace(code, title, fn, order=…)` where `fn(line_ids) -> dict[line_id,
Trace]` runs a fixed number of queries whatever the number of lines. A line the function
leaves out of its answer reads as a problem: "No record found" (a certificate not yet
matched, a claim file never produced). Three traces are registered here:

- **iv** (internal verification): every current decision of the learner on each internal
  unit claimed counts as internally verified (`verification.selectors_iv`), naming the
  criteria that do not, unit by unit (two queries for the whole year);
- **approvers**: the claim's signatures, who, role and when, and whether they are two
  different people who hold the programme leader and exams officer roles at the claim's
  centre, each approving the claim's last version (four queries);
- **submission**: the date and Pearson's reference, and whether it was on or before the
  claim deadline (`claims.config.claim_deadline`) (one query).

The claim file (`ClaimFile`) and the certificate (`certification`) are registered by
their own apps in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


@dataclass(frozen=True)
class Trace:
    """One line's answer to one trace: what was found, in words, and whether it holds."""

    text: str
    ok: bool
    url: str = ""


MISSING = Trace("No record found", False)


@dataclass(frozen=True)
class ClaimTrace:
    code: str
    title: str
    fn: Callable[[list[int]], dict[int, Trace]]
    order: int = 100

    def run(self, line_ids: list[int]) -> dict[int, Trace]:
        found = self.fn(list(line_ids)) if line_ids else {}
        return {pk: found.get(pk, MISSING) for pk in line_ids}


_TRACES: dict[str, ClaimTrace] = {}


def register_claim_trace(
    code: str, title: str, fn: Callable[[list[int]], dict[int, Trace]], *, order: int = 100
) -> str:
    """Declare a trace (idempotent for the same function; a second one under a code fails)."""
    trace = ClaimTrace(code, title, fn, order)
    if code in _TRACES and _TRACES[code].fn is not fn:
        raise ImproperlyConfigured(f"Claims audit trace {code!r} registered twice differently.")
    _TRACES[code] = trace
    return code


def unregister_claim_trace(code: str) -> None:
    """For tests that register a trace of their own."""
    _TRACES.pop(code, None)


def claim_traces() -> list[ClaimTrace]:
    return sorted(_TRACES.values(), key=lambda t: (t.order, t.code))


# --- the traces that exist today ------------------------------------------------------------


def _day(value) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _names(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def trace_internal_verification(line_ids: list[int]) -> dict[int, Trace]:
    """Every current decision on each internal unit claimed is internally verified."""
    from django.urls import reverse

    from assessment.models import CriterionDecision
    from qualifications.models import Unit
    from verification.selectors_iv import internally_verified_ids

    from .models_claims import ClaimLine, ClaimUnit

    units: dict[int, list[tuple[int, str]]] = {pk: [] for pk in line_ids}
    learner_of = dict(ClaimLine.objects.filter(pk__in=line_ids).values_list("pk", "learner_id"))
    unit_ids: set[int] = set()
    for line_id, unit_id, number in (
        ClaimUnit.objects.filter(line_id__in=line_ids, unit__assessment=Unit.Assessment.INTERNAL)
        .order_by("unit__sort_key", "unit_id")
        .values_list("line_id", "unit_id", "unit__number")
    ):
        units[line_id].append((unit_id, number))
        unit_ids.add(unit_id)
    decisions = CriterionDecision.objects.filter(
        current=True,
        learner_id__in=set(learner_of.values()),
        assignment__unit_id__in=unit_ids,
    )
    verified = internally_verified_ids(decisions) if unit_ids else set()
    held: dict[tuple[int, int], list[tuple[str, bool]]] = {}
    if unit_ids:
        for pk, learner_id, unit_id, code in decisions.values_list(
            "pk", "learner_id", "assignment__unit_id", "criterion__code"
        ):
            held.setdefault((learner_id, unit_id), []).append((code, pk in verified))
    queue = reverse("verification:iv_queue")
    out = {}
    for line_id in line_ids:
        claimed = units.get(line_id, [])
        if not claimed:
            out[line_id] = Trace("No internal units claimed", True)
            continue
        problems, counted = [], 0
        for unit_id, number in claimed:
            rows = held.get((learner_of.get(line_id), unit_id), [])
            if not rows:
                problems.append(f"Unit {number}: no decisions recorded")
                continue
            not_verified = [code for code, ok in rows if not ok]
            counted += len(rows) - len(not_verified)
            if not_verified:
                problems.append(f"Unit {number}: {_names(not_verified)} not internally verified")
        if problems:
            out[line_id] = Trace("; ".join(problems), False, queue)
        else:
            units_text = ("Units " if len(claimed) > 1 else "Unit ") + ", ".join(
                n for _, n in claimed
            )
            out[line_id] = Trace(f"{units_text}: all {counted} decisions internally verified", True)
    return out


def trace_approvers(line_ids: list[int]) -> dict[int, Trace]:
    """Two different people, the programme leader and the exams officer, signed the claim."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from accounts.models import RoleAssignment
    from accounts.roles import Role
    from signatures.models import RecordVersion, Signature

    from .models_claims import Claim, ClaimLine

    claim_of = dict(ClaimLine.objects.filter(pk__in=line_ids).values_list("pk", "claim_id"))
    centre_of = dict(
        Claim.objects.filter(pk__in=set(claim_of.values())).values_list("pk", "centre_id")
    )
    ct = ContentType.objects.get_for_model(Claim)
    signed: dict[int, list] = {}
    for s in (
        Signature.objects.filter(
            version__content_type=ct, version__object_id__in=[str(pk) for pk in centre_of]
        )
        .select_related("version")
        .order_by("signed_at", "pk")
    ):
        signed.setdefault(int(s.version.object_id), []).append(s)
    latest_sha = {
        int(object_id): sha
        for object_id, sha in RecordVersion.objects.filter(
            content_type=ct, object_id__in=[str(pk) for pk in centre_of]
        )
        .order_by("object_id", "number")
        .values_list("object_id", "sha256")
    }  # the last of each claim's versions wins
    wanted = {Role.PROGRAMME_LEADER.value, Role.EXAMS_OFFICER.value}
    holds = set(
        RoleAssignment.objects.filter(
            user_id__in={s.signer_id for sigs in signed.values() for s in sigs},
            centre_id__in=set(centre_of.values()),
            role__in=wanted,
        ).values_list("user_id", "centre_id", "role")
    )
    by_claim: dict[int, Trace] = {}
    for claim_id, centre_id in centre_of.items():
        sigs = signed.get(claim_id, [])
        if not sigs:
            by_claim[claim_id] = Trace("No approvals signed", False)
            continue
        words = "; ".join(
            f"{s.role_label}: {s.signer_name}, {timezone.localtime(s.signed_at):%d/%m/%Y %H:%M}"
            for s in sigs
        )
        latest = {s.role: s for s in sigs}
        problems = []
        for role in (Role.PROGRAMME_LEADER, Role.EXAMS_OFFICER):
            s = latest.get(role.value)
            if s is None:
                problems.append(f"no {role.label.lower()} approval")
            elif (s.signer_id, centre_id, role.value) not in holds:
                problems.append(f"{s.signer_name} does not hold the {role.label.lower()} role")
            elif s.sha256 != latest_sha.get(claim_id, s.sha256):
                problems.append(
                    f"{s.signer_name} approved version {s.version.number}; the claim changed after"
                )
        if len(latest) == 2 and set(latest) == wanted:
            if len({s.signer_id for s in latest.values()}) < 2:
                problems.append("the same person approved twice")
        if problems:
            by_claim[claim_id] = Trace(f"{words} ({'; '.join(problems)})", False)
        else:
            by_claim[claim_id] = Trace(f"{words} (two different people)", True)
    return {pk: by_claim[claim_of[pk]] for pk in line_ids if pk in claim_of}


def trace_submission(line_ids: list[int]) -> dict[int, Trace]:
    """Submitted, with Pearson's reference, on or before the claim deadline."""
    from .config import claim_deadline
    from .models_claims import ClaimLine

    out = {}
    for pk, submitted_on, reference, year in ClaimLine.objects.filter(pk__in=line_ids).values_list(
        "pk", "claim__submitted_on", "claim__pearson_reference", "claim__academic_year"
    ):
        deadline = claim_deadline(year)
        if not submitted_on:
            out[pk] = Trace("No submission date recorded", False)
            continue
        text = f"Submitted {_day(submitted_on)}"
        text += f", Pearson reference {reference}" if reference else ", no Pearson reference"
        problems = [] if reference else ["no Pearson reference recorded"]
        if submitted_on > deadline:
            problems.append(f"after the claim deadline {_day(deadline)}")
        else:
            text += f", by the deadline {_day(deadline)}"
        out[pk] = Trace(f"{text} ({'; '.join(problems)})" if problems else text, not problems)
    return out


def trace_claim_file(line_ids: list[int]) -> dict[int, Trace]:
    """The claim file keyed into Edexcel Online: the last one made before submission (two
    queries for the whole year)."""
    from .models_claims import ClaimFile, ClaimLine

    claim_of = dict(ClaimLine.objects.filter(pk__in=line_ids).values_list("pk", "claim_id"))
    latest: dict[int, ClaimFile] = {}
    for f in (
        ClaimFile.objects.filter(claim_id__in=set(claim_of.values()))
        .select_related("made_by", "claim")
        .order_by("made_at", "pk")
    ):
        submitted = f.claim.submitted_on
        if submitted is None or timezone.localdate(f.made_at) <= submitted:
            latest[f.claim_id] = f
    out = {}
    for pk, claim_id in claim_of.items():
        f = latest.get(claim_id)
        if f is None:
            out[pk] = Trace("No claim file made in btecqa before the submission", False)
            continue
        who = f.made_by.get_full_name() or f.made_by.get_username()
        out[pk] = Trace(
            f"{f.get_format_display()} made {_day(timezone.localdate(f.made_at))} by {who} "
            f"(SHA-256 {f.sha256[:12]}…)",
            True,
        )
    return out


IV = register_claim_trace("iv", "Internal verification", trace_internal_verification, order=10)
APPROVERS = register_claim_trace("approvers", "Approvers", trace_approvers, order=20)
SUBMISSION = register_claim_trace("submission", "Submission", trace_submission, order=30)
CLAIM_FILE = register_claim_trace("file", "Claim file", trace_claim_file, order=40)
