"""The evidence pack for a standards verifier: ONE ZIP per cohort and academic year.

It holds the assessment plan, the briefs and their IV, the sampled decisions and their IV
records, the standardisation records and the authenticity declarations, with an index PDF
listing every file. The parts are a small registry: another app adds its files with
`register_pack_part(name, function)`, where `function(cohort, academic_year)` yields
`PackFile`s; nothing here needs editing.

The ZIP is streamed: `stream_pack()` yields it in chunks as each file is written (zipfile
writing to a sink that is drained after each write, with data descriptors since the sink
cannot seek), so memory holds one file at a time, never the whole pack. Stored uploads
(brief files) are copied in 64 KiB reads.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from reportlab.lib.units import mm

from documents.pdf import H2, SMALL, DataTable, Document, facts, para

READ_SIZE = 64 * 1024
FLUSH_AT = 256 * 1024  # yield once this much has gathered inside one file


@dataclass
class PackFile:
    """One file in the pack: its path in the ZIP, what it is, and its bytes (or a callable
    yielding them in chunks, for stored files)."""

    name: str
    description: str
    data: bytes | None = None
    chunks: Callable[[], Iterable[bytes]] | None = None

    def iter_chunks(self) -> Iterable[bytes]:
        if self.chunks is not None:
            return self.chunks()
        return [self.data or b""]


@dataclass(frozen=True)
class PackPart:
    name: str
    function: Callable
    order: int = 100


_PARTS: dict[str, PackPart] = {}


def register_pack_part(name: str, function: Callable, *, order: int = 100) -> str:
    """Add a part to every evidence pack: `function(cohort, academic_year)` yields PackFiles.
    Parts appear in `order`, then by name; registering the same name again replaces it."""
    _PARTS[name] = PackPart(name, function, order)
    return name


def pack_parts() -> list[PackPart]:
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.name))


def pack_name(cohort, academic_year: str) -> str:
    title = re.sub(r"[^A-Za-z0-9]+", "-", cohort.qualification.title).strip("-").lower()
    years = f"{cohort.start_year[:4]}-{academic_year[:4]}"
    return f"evidence-pack-{cohort.centre.number}-{title}-{years}.zip"


class _Sink(io.RawIOBase):
    """Where zipfile writes: kept until drained. It cannot seek, so zipfile streams."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._pos = 0
        self.pending = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        data = bytes(b)
        self._parts.append(data)
        self._pos += len(data)
        self.pending += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return out


def _safe(name: str) -> str:
    name = re.sub(r"[\\:*?\"<>|\x00-\x1f]+", "-", name).strip("/ ")
    return re.sub(r"\.\.+", ".", name) or "file"


def stream_pack(cohort, academic_year: str) -> Iterator[bytes]:
    """The ZIP for the cohort and year, in chunks; the index PDF is written last."""
    sink = _Sink()
    listed: list[tuple[str, str, str, int]] = []  # part, name, description, size
    taken: set[str] = set()
    now = timezone.localtime().timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for part in pack_parts():
            produced = 0
            for file in part.function(cohort, academic_year) or ():
                name = _safe(file.name)
                base, n = name, 2
                while name in taken:
                    stem, dot, ext = base.rpartition(".")
                    name = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
                    n += 1
                taken.add(name)
                info = zipfile.ZipInfo(name, date_time=now)
                info.compress_type = zipfile.ZIP_DEFLATED
                size = 0
                with zf.open(info, "w") as dest:
                    for chunk in file.iter_chunks():
                        dest.write(chunk)
                        size += len(chunk)
                        if sink.pending >= FLUSH_AT:
                            yield sink.drain()
                yield sink.drain()
                listed.append((part.name, name, file.description, size))
                produced += 1
            if not produced:
                listed.append((part.name, "", "None recorded", 0))
        zf.writestr(
            zipfile.ZipInfo("index.pdf", date_time=now),
            index_pdf(cohort, academic_year, listed),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        yield sink.drain()
    yield sink.drain()  # the central directory


def index_pdf(cohort, academic_year: str, listed) -> bytes:
    centre = cohort.centre
    story = [
        para(f"Evidence pack: {cohort.qualification.title}", H2),
        facts(
            [
                ("Centre", f"{centre.name} ({centre.number})"),
                ("Cohort", str(cohort)),
                ("Academic year", academic_year),
                ("Files", str(sum(1 for row in listed if row[1]) + 1)),
            ]
        ),
        DataTable(
            ["Part", "File", "What it is", "Size"],
            [
                [part, name or "—", what, f"{size / 1024:,.1f} KiB" if name else ""]
                for part, name, what, size in listed
            ]
            + [["Index", "index.pdf", "This index", ""]],
            [45 * mm, 95 * mm, 100 * mm, 22 * mm],
        ),
    ]
    return Document(
        title=f"Evidence pack: {cohort.qualification.title} {academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=f"Evidence pack index · {academic_year}",
        landscape=True,
    ).build(story)


# --- the parts ------------------------------------------------------------------------


def pack_person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def pack_date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
        return f"{value:%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"


def pack_pdf(cohort, academic_year, title, story, *, landscape=True) -> bytes:
    centre = cohort.centre
    return Document(
        title=f"{title}: {cohort.qualification.title} {academic_year}",
        centre=f"{centre.name} ({centre.number})",
        footer=f"{title} · {academic_year}",
        landscape=landscape,
    ).build([para(f"{title}: {cohort}", H2), *story])


def _plan(cohort, academic_year):
    from assessment.models import AssessmentPlan

    return AssessmentPlan.objects.filter(cohort=cohort, academic_year=academic_year).first()


def plan_part(cohort, academic_year):
    """The assessment plan as the plan pages print it."""
    from assessment.documents_plans import plan_pdf

    plan = _plan(cohort, academic_year)
    if plan is not None:
        yield PackFile(
            "01-assessment-plan/assessment-plan.pdf",
            f"Assessment plan ({plan.get_status_display().lower()})",
            data=plan_pdf(plan),
        )


def _stored(file_field) -> Callable[[], Iterable[bytes]]:
    def chunks():
        with file_field.storage.open(file_field.name, "rb") as handle:
            while chunk := handle.read(READ_SIZE):
                yield chunk

    return chunks


def briefs_part(cohort, academic_year):
    """Each assignment brief: its IV record (checklist, verifier, actions) and the file."""
    from assessment.checklists import BRIEF_CHECKLIST
    from assessment.models_briefs import AssignmentBrief

    briefs = (
        AssignmentBrief.objects.filter(
            assignment__plan__cohort=cohort, assignment__plan__academic_year=academic_year
        )
        .select_related("assignment__unit", "verified_by", "issued_by")
        .prefetch_related("versions")
        .order_by("assignment__unit__sort_key", "assignment__position", "pk")
    )
    for brief in briefs:
        a = brief.assignment
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"unit-{a.unit.number}-{a.title}").strip("-").lower()
        checks = brief.checklist or {}
        story = [
            facts(
                [
                    ("Assignment", f"Unit {a.unit.number}: {a.title}"),
                    ("Status", brief.get_status_display()),
                    ("Internally verified by", pack_person(brief.verified_by)),
                    ("Verified on", pack_date(brief.verified_at)),
                    ("Issued", pack_date(brief.issued_at)),
                ]
            ),
            DataTable(
                ["IV checklist", "Met"],
                [
                    [label, {True: "Yes", False: "No"}.get(checks.get(key), "Not checked")]
                    for key, label in BRIEF_CHECKLIST
                ],
                [200 * mm, 40 * mm],
            ),
            para(f"Actions required: {brief.actions_required or 'none'}", SMALL),
            para(f"Actions taken: {brief.actions_taken or 'none'}", SMALL),
            para(f"Vocational scenario: {brief.vocational_scenario}", SMALL),
        ]
        yield PackFile(
            f"02-briefs/{slug}-iv.pdf",
            f"Brief and its IV: Unit {a.unit.number} {a.title}",
            data=pack_pdf(cohort, academic_year, "Assignment brief IV", story),
        )
        versions = sorted(brief.versions.all(), key=lambda v: v.number)
        latest = versions[-1] if versions else None
        if latest is not None and latest.file:
            ext = latest.file_type or latest.file.name.rpartition(".")[2] or "bin"
            yield PackFile(
                f"02-briefs/{slug}-v{latest.number}.{ext}",
                f"Brief as issued (version {latest.number}): Unit {a.unit.number} {a.title}",
                chunks=_stored(latest.file),
            )


def iv_sample_part(cohort, academic_year):
    """The IV sample: each sampled decision and its IV record."""
    from .models_sampling import SampleItem

    items = list(
        SampleItem.objects.filter(plan__cohort=cohort, plan__academic_year=academic_year)
        .select_related("learner", "assignment__unit", "sampled_by", "iv_record__verifier")
        .order_by("assignment__unit__sort_key", "assignment__title", "learner__last_name", "pk")
    )
    if not items:
        return
    rows = []
    for item in items:
        record = getattr(item, "iv_record", None)
        decided = item.snapshot.get("decisions") if isinstance(item.snapshot, dict) else None
        if isinstance(decided, list):
            decided = ", ".join(
                f"{d.get('criterion', '')} {'achieved' if d.get('achieved') else 'not yet'}"
                if isinstance(d, dict)
                else str(d)
                for d in decided
            )
        rows.append(
            [
                f"{item.learner.first_name} {item.learner.last_name}",
                f"Unit {item.assignment.unit.number}: {item.assignment.title}",
                item.get_stage_display(),
                decided or "",
                pack_date(item.sampled_at),
                record.get_outcome_display() if record else "Not yet verified",
                pack_person(record.verifier) if record else "",
                (record.comments + (f" Action: {record.action}" if record.action else ""))
                if record
                else "",
                pack_date(record.closed_at) if record and record.action else "",
            ]
        )
    story = [
        DataTable(
            [
                "Learner",
                "Assignment",
                "Stage",
                "Decisions sampled",
                "Sampled",
                "IV outcome",
                "Internal verifier",
                "Comments and action",
                "Action closed",
            ],
            rows,
            [28 * mm, 38 * mm, 22 * mm, 40 * mm, 20 * mm, 18 * mm, 24 * mm, 48 * mm, 18 * mm],
        )
    ]
    yield PackFile(
        "03-iv-sample/sampled-decisions-and-iv.pdf",
        f"{len(items)} sampled decisions and their IV records",
        data=pack_pdf(cohort, academic_year, "IV sample", story),
    )


def standardisation_part(cohort, academic_year):
    from .models_standardisation import StandardisationRecord

    records = list(
        StandardisationRecord.objects.filter(
            centre=cohort.centre_id,
            qualification=cohort.qualification_id,
            academic_year=academic_year,
        )
        .select_related("unit", "recorded_by")
        .prefetch_related("attendees")
    )
    if not records:
        return
    story = [
        DataTable(
            ["Held", "What", "Unit", "Attended", "Materials", "Outcome", "Recorded by"],
            [
                [
                    pack_date(r.held_on),
                    r.get_kind_display(),
                    f"Unit {r.unit.number}" if r.unit_id else "Whole qualification",
                    ", ".join(sorted(pack_person(u) for u in r.attendees.all())),
                    r.materials,
                    r.outcome,
                    pack_person(r.recorded_by),
                ]
                for r in records
            ],
            [20 * mm, 35 * mm, 25 * mm, 45 * mm, 50 * mm, 60 * mm, 25 * mm],
        )
    ]
    yield PackFile(
        "04-standardisation/standardisation-records.pdf",
        f"{len(records)} standardisation records",
        data=pack_pdf(cohort, academic_year, "Standardisation", story),
    )


def declarations_part(cohort, academic_year):
    """Each hand-in's authenticity declarations (learner and assessor)."""
    from assessment.models import Submission

    rows = [
        [
            f"{first} {last}",
            f"Unit {unit}: {title}",
            attempt,
            pack_date(submitted),
            pack_date(learner_on) or "Not declared",
            pack_date(assessor_on) or "Not declared",
        ]
        for first, last, unit, title, attempt, submitted, learner_on, assessor_on in (
            Submission.objects.filter(
                assignment__plan__cohort=cohort, assignment__plan__academic_year=academic_year
            )
            .order_by("assignment__unit__sort_key", "assignment__title", "learner__last_name")
            .values_list(
                "learner__first_name",
                "learner__last_name",
                "assignment__unit__number",
                "assignment__title",
                "attempt",
                "submitted_on",
                "learner_declared_on",
                "assessor_declared_on",
            )
            .iterator(chunk_size=2000)
        )
    ]
    if not rows:
        return
    story = [
        DataTable(
            [
                "Learner",
                "Assignment",
                "Attempt",
                "Handed in",
                "Learner declared",
                "Assessor declared",
            ],
            rows,
            [50 * mm, 80 * mm, 25 * mm, 25 * mm, 30 * mm, 30 * mm],
        )
    ]
    yield PackFile(
        "05-declarations/authenticity-declarations.pdf",
        f"{len(rows)} hand-ins with their authenticity declarations",
        data=pack_pdf(cohort, academic_year, "Authenticity declarations", story),
    )


def sv_part(cohort, academic_year):
    """The standards verification itself: allocation, route, status, samples, actions."""
    from .models_sv import SVVisit

    visit = (
        SVVisit.objects.filter(cohort=cohort, academic_year=academic_year)
        .prefetch_related("samples__learners", "actions__owner")
        .first()
    )
    if visit is None:
        return
    story = [
        facts(
            [
                ("Standards verifier", visit.verifier_name),
                ("E-mail", visit.verifier_email),
                ("Phone", visit.verifier_phone),
                ("Allocated", pack_date(visit.allocated_on)),
                ("Route", visit.route_label),
                ("Report status", visit.status_label),
                ("Sample", str(visit.sample_number)),
                ("Report received", pack_date(visit.report_received_on)),
            ]
        ),
    ]
    for s in visit.samples.all():
        story.append(para(f"Sample {s.number}", H2))
        story.append(
            facts(
                [
                    ("Plans sent", pack_date(s.plans_sent_on)),
                    ("Deadline", pack_date(s.deadline)),
                    ("Work sent", pack_date(s.work_submitted_on)),
                    (
                        "Learners named",
                        ", ".join(f"{x.first_name} {x.last_name}" for x in s.learners.all())
                        or "none yet",
                    ),
                ]
            )
        )
    actions = list(visit.actions.all())
    if actions:
        story.append(
            DataTable(
                ["Action", "Owner", "Due", "Closed", "What changed"],
                [
                    [
                        a.description,
                        pack_person(a.owner),
                        pack_date(a.due_on),
                        pack_date(a.closed_at),
                        a.closing_note,
                    ]
                    for a in actions
                ],
                [90 * mm, 35 * mm, 22 * mm, 28 * mm, 90 * mm],
            )
        )
    yield PackFile(
        "00-standards-verification/standards-verification.pdf",
        f"Standards verification: {visit.status_label}",
        data=pack_pdf(cohort, academic_year, "Standards verification", story),
    )


register_pack_part("Standards verification", sv_part, order=0)
register_pack_part("Assessment plan", plan_part, order=10)
register_pack_part("Assignment briefs and their IV", briefs_part, order=20)
register_pack_part("Sampled decisions and their IV", iv_sample_part, order=30)
register_pack_part("Standardisation records", standardisation_part, order=40)
register_pack_part("Declarations", declarations_part, order=50)
