"""The SV evidence pack built as a background job: the same ZIP as the streamed download
(`evidence_pack.stream_pack`), written to a temporary file a chunk at a time and kept in
media storage, so a large pack neither holds a web request nor the worker's memory.

It is not resumed part by part (a ZIP stream cannot be continued): a run started again
after its worker died builds the pack afresh, which is harmless (nothing is recorded)."""

from __future__ import annotations

import tempfile

from django.core.files.base import File
from django.urls import reverse

from jobs.registry import JobResult, register_job

from .evidence_pack import pack_name, pack_parts, stream_pack
from .models_sv import SVVisit
from .permissions import VIEW_SV

SV_PACK = "verification.sv_pack"


def run_sv_pack(context) -> JobResult:
    visit = SVVisit.objects.select_related("cohort__qualification", "cohort__centre").get(
        pk=context.params["visit"]
    )
    total = len(pack_parts())
    context.progress(done=0, total=total, message="Building the evidence pack")
    out = tempfile.TemporaryFile()
    chunks = 0
    for chunk in stream_pack(visit.cohort, visit.academic_year):
        out.write(chunk)
        chunks += 1
        if chunks % 20 == 0:  # a heartbeat while it builds
            context.progress(message=f"Building the evidence pack ({out.tell() // 1024:,} KiB)")
    out.seek(0)
    context.progress(done=total, message="Saving the pack")
    name = pack_name(visit.cohort, visit.academic_year)
    return JobResult(name, "application/zip", File(out, name=name))


register_job(
    SV_PACK,
    "Standards verification evidence pack",
    VIEW_SV,
    run=run_sv_pack,
    back=lambda params: reverse("verification:sv_detail", args=[params["visit"]]),
)
