"""The learners app's background jobs: the cohort audit-trail report (PDF or XLSX).

Every audit event recorded at the cohort's centre about every learner in the cohort's
teaching groups, learner by learner, as the learner timeline words them. The run is
resumable: learners are read in id order in chunks; each chunk's rows are kept as a part
in media storage and the checkpoint names the last learner done, so a run started again
after its worker died continues with the next learner and writes no row twice.
"""

from __future__ import annotations

import gzip
import json

from django.urls import reverse

from audit.models import AuditEvent
from audit.permissions import VIEW_AUDIT
from documents.formats import uk_datetime
from documents.pdf import DataTable, Document
from documents.xlsx import Column, Sheet, xlsx_bytes
from jobs.registry import JobResult, register_job

from .models import Cohort, Learner
from .permissions import IMPORT_LEARNERS

COHORT_AUDIT_REPORT = "learners.cohort_audit_report"
CHUNK_LEARNERS = 50
HEADINGS = ("Learner", "When", "Who", "What happened", "Changes")
FORMATS = ("pdf", "xlsx")


def cohort_learners(cohort):
    """The cohort's learners (any of its teaching groups), by id: the order a resume needs."""
    return (
        Learner.objects.filter(teaching_groups__cohort=cohort)
        .distinct()
        .order_by("pk")
        .values_list("pk", "last_name", "first_name")
    )


def _changes(event) -> str:
    return "; ".join(
        f"{field}: {'' if before is None else before} → {'' if after is None else after}"
        for field, before, after in event.display_changes()
    )


def event_rows(cohort, learners: list[tuple[int, str, str]]) -> list[list[str]]:
    """One row per event for these learners, learner by learner, oldest first: one query."""
    names = {pk: f"{last.upper()}, {first}" for pk, last, first in learners}
    events = AuditEvent.objects.filter(
        learner_id__in=list(names), centre_id=cohort.centre_id
    ).order_by("learner_id", "seq")
    return [
        [
            names[e.learner_id],
            uk_datetime(e.occurred_at, " "),
            e.actor_repr,
            e.sentence,
            "" if e.erased else _changes(e),
        ]
        for e in events.iterator(chunk_size=2000)
    ]


def run_cohort_audit_report(context) -> JobResult:
    cohort = Cohort.objects.select_related("centre", "qualification").get(
        pk=context.params["cohort"]
    )
    fmt = context.params.get("format", "pdf")
    learners = list(cohort_learners(cohort))
    state = context.state
    parts, after = state.get("parts", 0), state.get("after", 0)
    todo = [row for row in learners if row[0] > after]
    done = len(learners) - len(todo)
    context.progress(done=done, total=len(learners), message="Reading the audit trail")
    for start in range(0, len(todo), CHUNK_LEARNERS):
        chunk = todo[start : start + CHUNK_LEARNERS]
        rows = event_rows(cohort, chunk)
        context.save_part(f"part-{parts:05d}.json.gz", gzip.compress(json.dumps(rows).encode()))
        parts += 1
        done += len(chunk)
        context.checkpoint(
            {"parts": parts, "after": chunk[-1][0]},
            done=done,
            message=f"Read {done} of {len(learners)} learners",
        )
    context.progress(message="Writing the report")
    names = [f"part-{n:05d}.json.gz" for n in range(parts)]
    rows = [row for name in names for row in json.loads(gzip.decompress(context.read_part(name)))]
    title = f"Audit trail: {cohort}"
    stem = f"audit-trail-{cohort.centre.number}-{cohort.qualification.number}-{cohort.start_year}"
    stem = stem.replace("/", "-")
    if fmt == "xlsx":
        data = xlsx_bytes(
            [
                Sheet(
                    "Audit trail",
                    [Column("Learner", 28), Column("When", 17), Column("Who", 24),
                     Column("What happened", 60), Column("Changes", 60)],
                    rows,
                )
            ]
        )  # fmt: skip
        result = JobResult(
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            data,
        )
    else:
        document = Document(
            title=title,
            centre=f"{cohort.centre.name} ({cohort.centre.number})",
            footer=f"Audit trail of {len(learners)} learners, {len(rows)} events",
            landscape=True,
        )
        width, _ = document.frame_size()
        widths = [w * width for w in (0.15, 0.1, 0.13, 0.34, 0.28)]
        story = [DataTable(HEADINGS, rows or [["No events recorded.", "", "", "", ""]], widths)]
        result = JobResult(f"{stem}.pdf", "application/pdf", document.build(story))
    context.delete_parts(names)
    return result


register_job(
    COHORT_AUDIT_REPORT,
    "Cohort audit-trail report",
    VIEW_AUDIT,
    run=run_cohort_audit_report,
    back=lambda params: reverse("learners:cohort_detail", args=[params["cohort"]]),
)


# --- a large MIS import, applied in the background -----------------------------------------

IMPORT_COMMIT = "learners.import_commit"


def import_in_background(import_obj) -> bool:
    """Whether this previewed import is large enough to be applied by a job
    (BTECQA_IMPORT_IN_BACKGROUND_ROWS rows or more, default 2,000)."""
    from django.conf import settings

    limit = getattr(settings, "BTECQA_IMPORT_IN_BACKGROUND_ROWS", 2000)
    return int((import_obj.counts or {}).get("rows", 0)) > limit


def run_import_commit(context) -> JobResult:
    """commit_import() as the page ran it: one transaction, all or nothing. A run started
    again after its worker died finds either the import still previewed (the transaction
    rolled back: it is applied now) or committed (the result is reported, not redone)."""
    from jobs.services import JobFailed

    from . import imports
    from .models import LearnerImport

    obj = LearnerImport.objects.select_related("centre").get(pk=context.params["import"])
    rows = int((obj.counts or {}).get("rows", 0))
    context.progress(done=0, total=rows, message=f"Applying {rows:,} rows")
    if obj.status != LearnerImport.Status.COMMITTED:
        try:
            imports.commit_import(obj, context.requested_by)
        except imports.ImportRefused as exc:
            shown = "; ".join(str(p) for p in exc.problems[:5])
            more = f" (and {len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
            raise JobFailed(f"Nothing was written: {shown}{more}") from None
        obj.refresh_from_db()
    context.progress(done=rows)
    lines = [f"{obj.file_name}: applied {obj.committed_at:%d/%m/%Y %H:%M}"] + [
        f"{key.replace('_', ' ')}: {value}"
        for key, value in sorted((obj.counts or {}).items())
        if isinstance(value, int)
    ]
    return JobResult(
        f"import-{obj.pk}-summary.txt", "text/plain; charset=utf-8", "\n".join(lines).encode()
    )


register_job(
    IMPORT_COMMIT,
    "MIS learner import",
    IMPORT_LEARNERS,
    run=run_import_commit,
    back=lambda params: reverse("learner_imports:result", args=[params["import"]]),
)
