"""The registrations app's background jobs: a cohort's registration letters (one PDF).

One A4 page per learner the cohort's centre has entered or registered on it, the round's
registration notice as printed letters (documents.letters_pdf), in surname order, to print
and post or hand out. The run is resumable: learners are worded in id order in chunks;
each chunk's letters are kept as a part in media storage and the checkpoint names the last
learner done, so a run started again after its worker died continues with the next
learner and words no letter twice.

Each letter written is recorded as the learner's LearnerNotice (a printed letter, with its
audit event: notices.record_printed_letters) in the job's own letters batch, before the
chunk's checkpoint; a run resumed after dying between the two finds the chunk's letters
recorded in that batch and records none twice. The round's notices page then counts the
learner as told, lists the batch, and reprints it; the dossier shows the letter.
"""

from __future__ import annotations

import json

from django.urls import reverse

from jobs.registry import JobResult, register_job
from jobs.services import JobFailed
from learners.models import Cohort, Learner

from . import documents, notices
from .models import RegistrationRound
from .permissions import RUN_REGISTRATIONS

COHORT_LETTERS = "registrations.cohort_letters"
CHUNK_LEARNERS = 25


def _part(n: int) -> str:
    return f"letters-{n:05d}.json"


def run_cohort_letters(context) -> JobResult:
    cohort = Cohort.objects.select_related("centre", "qualification").get(
        pk=context.params["cohort"]
    )
    learner_ids = notices.cohort_learner_ids(cohort)
    if not learner_ids:
        raise JobFailed(
            f"No learner on {cohort} is entered or registered by {cohort.centre.name}: "
            "there are no letters to print."
        )
    total = len(learner_ids)
    parts, after = context.state.get("parts", 0), context.state.get("after", 0)
    todo = [pk for pk in learner_ids if pk > after]
    done = total - len(todo)
    batch = notices.job_batch_id(cohort, context.job.pk)
    context.progress(done=done, total=total, message=f"Written {done} of {total} letters")
    for start in range(0, len(todo), CHUNK_LEARNERS):
        chunk = todo[start : start + CHUNK_LEARNERS]
        worded = notices.cohort_notices(cohort, chunk)
        letters = [
            {"learner": n.learner.pk, "year": n.round.academic_year, "text": n.text} for n in worded
        ]
        context.save_part(_part(parts), json.dumps(letters).encode())
        notices.record_printed_letters(worded, by=context.requested_by, batch=batch)
        parts += 1
        done += len(chunk)
        context.checkpoint(
            {"parts": parts, "after": chunk[-1]},
            done=done,
            message=f"Written {done} of {total} letters",
        )
    context.progress(message="Printing the letters")
    names = [_part(n) for n in range(parts)]
    letters = [letter for name in names for letter in json.loads(context.read_part(name))]
    learners = Learner.objects.in_bulk([letter["learner"] for letter in letters])
    printable = [
        notices.Notice(
            learners[letter["learner"]],
            RegistrationRound(centre=cohort.centre, academic_year=letter["year"]),
            (),
            letter["text"],
            notices.text_sha256(letter["text"]),
        )
        for letter in letters
        if letter["learner"] in learners
    ]
    printable.sort(
        key=lambda n: (n.learner.last_name.upper(), n.learner.first_name.upper(), n.learner.pk)
    )
    data = documents.letters_pdf(
        printable,
        footer=f"Registration letters \u00b7 {cohort.qualification.title} ({cohort.span})",
    )
    stem = f"registration-letters-{cohort.centre.number}-{cohort.qualification.number}"
    stem = f"{stem}-{cohort.start_year}".replace("/", "-")
    context.delete_parts(names)
    return JobResult(f"{stem}.pdf", "application/pdf", data)


register_job(
    COHORT_LETTERS,
    "Registration letters for a cohort",
    RUN_REGISTRATIONS,
    run=run_cohort_letters,
    back=lambda params: reverse("learners:cohort_detail", args=[params["cohort"]]),
)
