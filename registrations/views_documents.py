"""The round's documents and the learners' notices.

Entry list PDF and XLSX: anyone who may see registrations at the list's centre.
The "for Pearson" XLSX, the notices page, the letters and their preview, and a cohort's
registration letters (a background job): the exams officer (RUN_REGISTRATIONS) at that
centre. Anything at another centre is a 404; a role too weak is a 403. Building the bytes
is documents.py; recording notices is notices.py, and their e-mails leave through the
outbox after the request, not in it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import get_object, requires
from jobs.services import request_job
from learners.models import Cohort

from . import access, documents, notices
from .jobs_kinds import COHORT_LETTERS
from .permissions import RUN_REGISTRATIONS, VIEW_REGISTRATIONS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires(VIEW_REGISTRATIONS)
@require_GET
def entry_list_pdf(request, pk: int):
    entry_list = access.entry_list_for(request.user, pk)
    return _download(
        documents.entry_list_pdf(entry_list),
        "application/pdf",
        f"entry-list-{documents.file_stem(entry_list)}.pdf",
    )


@requires(VIEW_REGISTRATIONS)
@require_GET
def entry_list_xlsx(request, pk: int):
    entry_list = access.entry_list_for(request.user, pk)
    return _download(
        documents.entry_list_xlsx(entry_list),
        XLSX,
        f"entry-list-{documents.file_stem(entry_list)}.xlsx",
    )


@requires(RUN_REGISTRATIONS)
@require_GET
def pearson_xlsx(request, pk: int):
    entry_list = access.entry_list_for(request.user, pk, RUN_REGISTRATIONS)
    try:
        data = documents.pearson_xlsx(entry_list)
    except documents.PearsonRowsRefused as refused:
        return render(
            request,
            "registrations/documents/pearson_problems.html",
            {
                "entry_list": entry_list,
                "cohort": entry_list.cohort,
                "problems": refused.problems,
            },
        )
    return _download(data, XLSX, f"for-pearson-{documents.file_stem(entry_list)}.xlsx")


def _sent_message(result: notices.SendResult) -> str:
    parts = [f"{result.emailed} e-mail{'s' if result.emailed != 1 else ''} queued to send"]
    parts.append(
        f"{len(result.letters)} letter{'s' if len(result.letters) != 1 else ''} to print"
        + (f" (batch {result.batch})" if result.batch else "")
    )
    parts.append(
        f"{result.skipped} skipped: already told, and nothing has changed"
        if result.skipped
        else "none skipped"
    )
    return "Notices sent: " + "; ".join(parts) + "."


@requires(RUN_REGISTRATIONS)
@require_http_methods(["GET", "POST"])
def round_notices(request, pk: int):
    rnd = access.round_for(request.user, pk, RUN_REGISTRATIONS)
    if request.method == "POST":
        result = notices.send_notices(rnd, request.user)
        messages.success(request, _sent_message(result))
        return redirect("registrations:round_notices", pk=rnd.pk)
    status = notices.round_status(rnd)
    batches = notices.letter_batches(rnd)
    return render(
        request,
        "registrations/notices/round_notices.html",
        {"round": rnd, "batches": batches, "latest": batches[0] if batches else None, **status},
    )


@requires(RUN_REGISTRATIONS)
@require_GET
def round_letters_preview(request, pk: int):
    """The letters the next send would print, marked PREVIEW; nothing is recorded."""
    rnd = access.round_for(request.user, pk, RUN_REGISTRATIONS)
    letters = notices.letters_to_send(rnd)
    if not letters:
        messages.info(
            request,
            "There are no letters to preview: every learner without an e-mail address has "
            "been sent their notice, and nothing has changed since.",
        )
        return redirect("registrations:round_notices", pk=rnd.pk)
    return _download(
        documents.letters_pdf(letters, preview=True),
        "application/pdf",
        f"registration-letters-preview-{rnd.centre.number}.pdf",
    )


@requires(RUN_REGISTRATIONS)
@require_GET
def round_letters(request, pk: int):
    rnd = access.round_for(request.user, pk, RUN_REGISTRATIONS)
    batch = request.GET.get("batch") or notices.latest_batch(rnd)
    if not batch:
        messages.info(
            request,
            "No letters have been sent for this round yet, so there is no batch to print. "
            "Preview the letters first, then send the notices: that records them and makes "
            "the batch.",
        )
        return redirect("registrations:round_notices", pk=rnd.pk)
    printable, changed = notices.batch_notices(rnd, batch)
    if not printable and not changed:
        raise Http404("No such letters batch in this round.")
    if changed:
        messages.warning(
            request,
            f"{len(changed)} letter{'s' if len(changed) != 1 else ''} of batch {batch} "
            "changed since it was made and "
            f"{'were' if len(changed) != 1 else 'was'} left out of the download: "
            + ", ".join(str(r.learner) for r in changed[:20])
            + ". Send notices again to record and print the new ones.",
        )
    if not printable:
        return redirect("registrations:round_notices", pk=rnd.pk)
    return _download(
        documents.letters_pdf(printable, batch=batch),
        "application/pdf",
        f"registration-letters-{batch}.pdf",
    )


@requires(RUN_REGISTRATIONS)
@require_POST
def cohort_letters(request, pk: int):
    """A cohort's registration letters, one page per learner: built by a background job
    (a second request while it runs joins it); its page shows progress, then the PDF."""
    cohort = get_object(
        request.user, RUN_REGISTRATIONS, Cohort.objects.select_related("centre"), pk=pk
    )
    if not notices.cohort_learner_ids(cohort):
        messages.info(
            request,
            f"No learner on this programme is entered or registered by {cohort.centre.name} "
            "yet, so there are no registration letters to print.",
        )
        return redirect("learners:cohort_detail", pk=cohort.pk)
    job, _ = request_job(
        COHORT_LETTERS,
        by=request.user,
        centre=cohort.centre,
        cohort=cohort,
        params={"cohort": cohort.pk},
    )
    return redirect("jobs:job_detail", pk=job.pk)
