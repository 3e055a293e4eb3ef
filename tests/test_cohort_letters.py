"""A cohort's registration letters, built by a background job: one page per learner the
cohort's centre has entered or registered, each the learner's registration notice; asked
for from the cohort page by the exams officer at the cohort's centre; resumable."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from jobs import services as jobs
from jobs.models import Job
from registrations import services
from registrations.events import NOTICE_SENT
from registrations.jobs_kinds import COHORT_LETTERS
from registrations.models import LearnerNotice, Registration
from registrations.notices import text_sha256

from .pdf_reading import pdf_page_strings, pdf_pages
from .test_registration_documents import _cohort, _returned, qualification  # noqa: F401

R = Role


@pytest.fixture(autouse=True)
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


def _entered(centre, cast, qualification, surnames=("Ashworth", "Brindley")):  # noqa: F811
    """A cohort whose learners the exams officer has entered (the round's own flow)."""
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    cohort = _cohort(centre, qualification, pl, surnames)
    rnd = services.open_round(centre=centre, academic_year="2026/27", by=eo)
    _returned(rnd, cohort, eo, pl)
    return cohort


def _ask(client, cohort):
    return client.post(reverse("registrations:cohort_letters", args=[cohort.pk]))


def _download(client, job) -> bytes:
    response = client.get(reverse("jobs:job_download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_letters_are_a_page_per_learner_with_their_own_registration(
    client,
    cast,
    own_centre,
    qualification,  # noqa: F811
):
    cohort = _entered(own_centre, cast, qualification)
    brindley = Registration.objects.get(learner__last_name="Brindley")
    Registration.objects.filter(pk=brindley.pk).update(
        status=Registration.Status.REGISTERED,
        registration_number="RN0000042",
        registered_on=dt.date(2026, 9, 10),
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(reverse("learners:cohort_detail", args=[cohort.pk])).content.decode()
    assert "Print the registration letters (PDF)" in page

    response = _ask(client, cohort)
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/" and job.kind == COHORT_LETTERS
    assert jobs.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.done, job.total) == (2, 2)
    assert job.result_name == "registration-letters-40001-603-0001-2-2026-27.pdf"
    data = _download(client, job)
    assert pdf_pages(data) == 2
    first, second = (" ".join(strings) for strings in pdf_page_strings(data))
    ashworth = brindley.learner.__class__.objects.get(last_name="Ashworth")
    for fact in (
        "Private: for Kit1 ASHWORTH",
        "Dear Kit1,",
        "has entered you for the BTEC qualification below in 2026/27",
        "Qualification: BTEC National Extended Certificate in Testing",
        "Qualification number: 603/0001/2",
        "Pathway: General",
        "Unit 8: Optional Practice",
        f"ULN (Unique Learner Number): {ashworth.uln}",
        "Status: entered by the centre; not registered with Pearson yet",
        "14/09/2026",  # dated the day it is printed
        "Registration letters",
        "Own Test Academy",
    ):
        assert fact in first, fact
    assert "Brindley" not in first.replace("BRINDLEY", "") and "Kit2" not in first
    for fact in (
        "Private: for Kit2 BRINDLEY",
        "Dear Kit2,",
        "has registered you with Pearson for the BTEC qualification below in 2026/27",
        "Status: registered with Pearson on 10/09/2026, registration number RN0000042",
    ):
        assert fact in second, fact
    assert "Kit1" not in second
    # each letter printed is the learner's notice on record: what the office sent them
    eo = cast[R.EXAMS_OFFICER]
    records = list(LearnerNotice.objects.select_related("learner").order_by("learner__last_name"))
    assert [(r.learner.last_name, r.method, r.sent_by) for r in records] == [
        ("Ashworth", LearnerNotice.Method.LETTER, eo),
        ("Brindley", LearnerNotice.Method.LETTER, eo),
    ]
    assert {r.batch for r in records} == {f"{own_centre.number}-job{job.pk}"}
    assert "Dear Kit1," in records[0].content and "RN0000042" in records[1].content
    assert records[0].content_sha256 == text_sha256(records[0].content)
    sent = AuditEvent.objects.filter(action=NOTICE_SENT)
    assert sorted(sent.values_list("learner_id", flat=True)) == sorted(
        r.learner_id for r in records
    )
    # and the learner's dossier shows the letter, with who printed it and when
    dossier = client.get(reverse("dossier:dossier", args=[ashworth.pk])).content.decode()
    assert f"Registration letter for 2026/27 printed (letters batch {records[0].batch})" in (
        dossier
    )


def test_another_centres_cohort_is_a_404_and_a_weaker_role_a_403(
    client,
    cast,
    own_centre,
    other_centre,
    make_user,
    qualification,  # noqa: F811
):
    cohort = _entered(own_centre, cast, qualification)
    client.force_login(make_user("eo_elsewhere", R.EXAMS_OFFICER, centre=other_centre))
    assert _ask(client, cohort).status_code == 404
    for role in (R.PROGRAMME_LEADER, R.QUALITY_NOMINEE, R.ASSESSOR_IV):
        client.force_login(cast[role])
        assert _ask(client, cohort).status_code == 403, role
        page = client.get(reverse("learners:cohort_detail", args=[cohort.pk]))
        assert "Print the registration letters" not in page.content.decode()
    assert not Job.objects.exists()
    client.force_login(cast[R.EXAMS_OFFICER])
    _ask(client, cohort)
    job = Job.objects.get()
    jobs.run_job(job.pk)
    client.force_login(cast[R.PROGRAMME_LEADER])  # staff here: knows of it, may not take it
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 403
    client.force_login(make_user("eo_other2", R.EXAMS_OFFICER, centre=other_centre))
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404


def test_a_second_request_joins_the_running_job(
    client,
    cast,
    own_centre,
    qualification,  # noqa: F811
    make_user,
):
    cohort = _entered(own_centre, cast, qualification)
    client.force_login(cast[R.EXAMS_OFFICER])
    first = _ask(client, cohort)["Location"]
    job = Job.objects.get()
    jobs.claim(job.pk)  # a worker has started it
    assert Job.objects.get().status == "running"
    client.force_login(make_user("eo_two", R.EXAMS_OFFICER, centre=own_centre))
    assert _ask(client, cohort)["Location"] == first  # a colleague joins it
    assert Job.objects.count() == 1


def test_a_cohort_with_no_one_entered_says_so_and_starts_nothing(
    client,
    cast,
    own_centre,
    qualification,  # noqa: F811
):
    cohort = _cohort(own_centre, qualification, cast[R.PROGRAMME_LEADER], ("Ashworth",))
    client.force_login(cast[R.EXAMS_OFFICER])
    response = _ask(client, cohort)
    assert response["Location"] == reverse("learners:cohort_detail", args=[cohort.pk])
    assert not Job.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "no registration letters to print" in page


class Interrupted(BaseException):
    """The worker killed: no except clause of the run sees it."""


def test_an_interrupted_run_continues_from_its_checkpoint_wording_no_letter_twice(
    client,
    cast,
    own_centre,
    qualification,  # noqa: F811
    monkeypatch,
):
    from registrations import jobs_kinds, notices

    monkeypatch.setattr(jobs_kinds, "CHUNK_LEARNERS", 2)
    surnames = ("Carrow", "Ashworth", "Egan", "Brindley", "Dunmore")
    cohort = _entered(own_centre, cast, qualification, surnames)
    client.force_login(cast[R.EXAMS_OFFICER])
    _ask(client, cohort)
    job = Job.objects.get()
    worded = []
    original = notices.cohort_notices
    monkeypatch.setattr(
        notices, "cohort_notices", lambda c, ids: worded.extend(ids) or original(c, ids)
    )

    class DiesAfterTwoChunks(jobs.JobContext):
        def checkpoint(self, state=None, **kwargs):
            super().checkpoint(state, **kwargs)
            if state and state["parts"] == 2:
                raise Interrupted

    with pytest.raises(Interrupted):
        jobs.run_job(job.pk, context_class=DiesAfterTwoChunks)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("running", 4, 5)
    assert "Written 4 of 5 letters" in client.get(f"/jobs/{job.pk}/").content.decode()
    assert jobs.run_job(job.pk) == "done"  # delivered again
    ids = sorted(Registration.objects.values_list("learner_id", flat=True))
    assert worded == ids  # four by the first run, the fifth by the second: none twice
    pages = pdf_page_strings(_download(client, Job.objects.get()))
    dear = [next(s for s in strings if s.startswith("Dear ")) for strings in pages]
    by_name = {f"Kit{n}": name for n, name in enumerate(surnames, start=1)}
    assert [by_name[d[5:-1]] for d in dear] == sorted(surnames)  # in surname order
    # one notice recorded a learner, none twice
    assert sorted(LearnerNotice.objects.values_list("learner_id", flat=True)) == ids


def test_a_run_dying_after_recording_a_chunk_records_none_of_its_letters_twice(
    client,
    cast,
    own_centre,
    qualification,  # noqa: F811
    monkeypatch,
):
    """The worker dies after a chunk's letters are recorded, before its checkpoint: the
    run started again words that chunk again, and finds its letters on record already."""
    from registrations import jobs_kinds, notices

    monkeypatch.setattr(jobs_kinds, "CHUNK_LEARNERS", 2)
    surnames = ("Carrow", "Ashworth", "Egan", "Brindley", "Dunmore")
    cohort = _entered(own_centre, cast, qualification, surnames)
    client.force_login(cast[R.EXAMS_OFFICER])
    _ask(client, cohort)
    job = Job.objects.get()
    original = notices.record_printed_letters
    calls = []

    def dies_after_the_second(worded, **kwargs):
        records = original(worded, **kwargs)
        calls.append(len(records))
        if len(calls) == 2:
            raise Interrupted
        return records

    monkeypatch.setattr(notices, "record_printed_letters", dies_after_the_second)
    with pytest.raises(Interrupted):
        jobs.run_job(job.pk)
    assert LearnerNotice.objects.count() == 4
    job.refresh_from_db()
    assert job.done == 2  # the second chunk's checkpoint was never saved
    assert jobs.run_job(job.pk) == "done"
    assert calls == [2, 2, 0, 1]  # the second chunk again: its two letters already recorded
    ids = sorted(Registration.objects.values_list("learner_id", flat=True))
    assert sorted(LearnerNotice.objects.values_list("learner_id", flat=True)) == ids
    assert AuditEvent.objects.filter(action=NOTICE_SENT).count() == 5
    assert len(pdf_page_strings(_download(client, Job.objects.get()))) == 5


def test_the_run_reads_a_fixed_number_of_queries_per_chunk(
    cast,
    own_centre,
    qualification,  # noqa: F811
    monkeypatch,
):
    from registrations import jobs_kinds

    from .factories import QualificationFactory

    monkeypatch.setattr(jobs_kinds, "CHUNK_LEARNERS", 100)
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    rnd = services.open_round(centre=own_centre, academic_year="2026/27", by=eo)
    small = _cohort(own_centre, qualification, pl, ("Ashworth",))
    large = _cohort(
        own_centre, QualificationFactory(), pl, ("Brindley", "Carrow", "Dunmore", "Egan", "Finch")
    )
    counts = []
    for cohort in (small, large):
        _returned(rnd, cohort, eo, pl)
        job, _ = jobs.request_job(
            COHORT_LETTERS, by=eo, centre=own_centre, cohort=cohort, params={"cohort": cohort.pk}
        )
        with CaptureQueriesContext(connection) as queries:
            assert jobs.run_job(job.pk) == "done"
        counts.append(len(queries))
    assert Job.objects.get(cohort=large).total == 5
    assert counts[0] == counts[1]
