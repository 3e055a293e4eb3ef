"""The standards verifier's evidence pack for a 300-learner cohort, streamed.

sv.pack  time     stream_pack() consumed chunk by chunk (every part built from the
                  database: plan, 10 briefs with their IV and a 512 KiB stored file each,
                  the IV sample, standardisation, 3,000 hand-ins with declarations, index),
                  against the floor of zipfile writing the same bytes, already made, into
                  memory. The gap is building the documents.
         memory   the stream's peak Python memory (tracemalloc) against the floor's peak,
                  which holds the whole ZIP: flat means the stream's peak is a fraction of
                  the pack, whatever its size. Goal: at most 1x the in-memory floor.
         flat     the stream's peak against the largest single part's own peak (building
                  the 3,000-row declarations PDF is most of it): the ZIP streaming adds
                  next to nothing on top of making one file at a time. Goal: within 1.25x.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from accounts.models import RoleAssignment
from accounts.roles import Role
from benchmarks.harness import best_time, mebibytes, peak_memory, seconds
from centres.models import Centre
from learners.models import Cohort, Learner
from qualifications.models import Qualification, Unit
from registrations.models import Registration

LEARNERS = 300
UNITS = 10
FILE_SIZE = 512 * 1024
REPEATS = 2


def _user(username, centre, role):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": "Bench", "last_name": role.label}
    )
    RoleAssignment.objects.get_or_create(user=user, centre=centre, role=role)
    return user


def pack_cohort():
    """A 300-learner cohort with a plan of 10 assignments, briefs, IV sample, hand-ins."""
    import random

    from assessment.models import AssessmentPlan, PlannedAssignment, Submission
    from assessment.models_briefs import AssignmentBrief, BriefVersion
    from verification.models import IVPlan, IVRecord, SampleItem, StandardisationRecord, SVVisit

    centre, _ = Centre.objects.get_or_create(
        number="90077", defaults={"name": "Pack Bench Academy"}
    )
    lead = _user("bench.liv.pack", centre, Role.LEAD_IV)
    assessor = _user("bench.assessor.pack", centre, Role.ASSESSOR_IV)
    qualification, _ = Qualification.objects.get_or_create(
        number="603/0077/7",
        defaults={
            "title": "Pearson BTEC Level 3 National Diploma in Packing",
            "level": "3",
            "glh": 720,
        },
    )
    cohort, created = Cohort.objects.get_or_create(
        qualification=qualification, centre=centre, start_year="2026/27", defaults={"years": 2}
    )
    if not created:
        return cohort
    learners = Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"Learner{i:04d}",
                last_name=f"Surname{i % 97:02d}",
                date_of_birth=dt.date(2009, 1, 1),
            )
            for i in range(LEARNERS)
        ]
    )
    Registration.objects.bulk_create(
        [
            Registration(learner=x, cohort=cohort, centre=centre, status="registered")
            for x in learners
        ]
    )
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year="2026/27")
    iv_plan = IVPlan.objects.create(cohort=cohort, academic_year="2026/27", created_by=lead)
    rng = random.Random(7)
    day = dt.date(2026, 10, 1)
    for n in range(1, UNITS + 1):
        unit = Unit.objects.create(
            qualification=qualification,
            number=str(n),
            title=f"Unit {n}",
            glh=60,
            assessment="internal",
            mandatory=True,
        )
        row = PlannedAssignment.objects.create(
            plan=plan,
            unit=unit,
            title=f"Assignment {n}",
            method="written_report",
            assessor=assessor,
            internal_verifier=lead,
            hand_out=day,
            hand_in=day,
            brief_iv_by=day,
            resubmission_by=day,
            decisions_iv_by=day,
        )
        brief = AssignmentBrief.objects.create(
            assignment=row,
            vocational_scenario="Scenario",
            tasks="Tasks",
            evidence="Evidence",
            status="verified",
            verified_by=lead,
        )
        version = BriefVersion.objects.create(
            brief=brief,
            number=1,
            vocational_scenario="Scenario",
            tasks="Tasks",
            evidence="Evidence",
            made_by=assessor,
            file_type="pdf",
        )
        version.file.save(f"bench-brief-{n}.pdf", ContentFile(rng.randbytes(FILE_SIZE)))
        Submission.objects.bulk_create(
            [
                Submission(
                    learner=x,
                    assignment=row,
                    submitted_on=day,
                    learner_declared_on=day,
                    assessor_declared_on=day,
                    recorded_by=assessor,
                )
                for x in learners
            ]
        )
        for x in learners[:6]:
            item = SampleItem.objects.create(
                plan=iv_plan, learner=x, assignment=row, sampled_by=lead
            )
            IVRecord.objects.create(item=item, verifier=lead, outcome="agree", comments="Sound")
    record = StandardisationRecord.objects.create(
        centre=centre,
        qualification=qualification,
        academic_year="2026/27",
        held_on=dt.date(2026, 9, 3),
        materials="Pearson exemplars",
        outcome="Agreed",
        recorded_by=lead,
    )
    record.attendees.set([lead, assessor])
    SVVisit.objects.create(
        cohort=cohort,
        academic_year="2026/27",
        verifier_name="Dr Bench",
        route="standard",
        status="not_yet_sampled",
        created_by=lead,
    )
    return cohort


def _files(cohort):
    """Every file the pack holds, made once (the floor's input)."""
    from verification import evidence_pack

    out = []
    for part in evidence_pack.pack_parts():
        for f in part.function(cohort, "2026/27"):
            out.append((f.name, b"".join(f.iter_chunks())))
    out.append(("index.pdf", evidence_pack.index_pdf(cohort, "2026/27", [])))
    return out


def _in_memory(files) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return len(buffer.getvalue())


def _streamed(cohort) -> int:
    from verification.evidence_pack import stream_pack

    size = 0
    for chunk in stream_pack(cohort, "2026/27"):
        size += len(chunk)
    return size


def _part_peak(part, cohort) -> int:
    def build():
        for f in part.function(cohort, "2026/27"):
            for _chunk in f.iter_chunks():
                pass

    return peak_memory(build)[1]


def bench_pack(table, _events: int) -> None:
    cohort = pack_cohort()
    files = _files(cohort)
    figure, size = best_time(lambda: _streamed(cohort), REPEATS)
    floor, floor_size = best_time(lambda: _in_memory(files), REPEATS)
    table.row(
        f"sv.pack time x{LEARNERS} learners",
        figure,
        floor,
        seconds,
        floor_is="zipfile, bytes ready",
        note=f"{size / 2**20:,.1f} MiB ZIP, {len(files)} files; documents built from the "
        f"database included; best of {REPEATS}",
    )
    _, stream_peak = peak_memory(_streamed, cohort)
    _, floor_peak = peak_memory(_in_memory, files)
    table.row(
        f"sv.pack peak memory x{LEARNERS}",
        stream_peak,
        floor_peak,
        mebibytes,
        floor_is="zipfile into memory",
        goal=1,
        note=f"stream peak is {stream_peak / size:.0%} of the {size / 2**20:,.1f} MiB pack "
        f"(floor's input files held outside its peak)",
    )
    from verification.evidence_pack import pack_parts

    peaks = {part.name: _part_peak(part, cohort) for part in pack_parts()}
    largest = max(peaks, key=peaks.get)
    table.row(
        "sv.pack peak vs largest part",
        stream_peak,
        peaks[largest],
        mebibytes,
        floor_is="one part built alone",
        goal=1.25,
        note=f"largest part: {largest}",
    )
