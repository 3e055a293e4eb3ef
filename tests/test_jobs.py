"""Background jobs: progress, joining the same work, resuming after an interruption, the
download's permission, a failure in words, and the progress fragment's fixed queries."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import audit
from accounts.roles import Role
from jobs import services
from jobs.models import Job
from jobs.registry import JobResult, register_job
from learners import events as learner_events
from learners.jobs_kinds import COHORT_AUDIT_REPORT

from .factories import CohortFactory, LearnerFactory, TeachingGroupFactory

pytestmark = pytest.mark.django_db


def _cohort_with_events(centre, actor, learners=3, events_each=2):
    cohort = CohortFactory(centre=centre)
    group = TeachingGroupFactory(cohort=cohort)
    people = [
        LearnerFactory(centre=centre, last_name=f"Trail{i:03d}", first_name=f"Kit{i}")
        for i in range(learners)
    ]
    group.learners.add(*people)
    with audit.batch():
        for learner in people:
            for n in range(events_each):
                audit.record(
                    actor,
                    learner_events.LEARNER_UPDATED,
                    learner,
                    before={"first_name": f"Old{n}"},
                    after={"first_name": learner.first_name, "reason": f"Form {n} from MIS"},
                )
    return cohort, people


def _ask(client, cohort, fmt="xlsx"):
    return client.post(reverse("learners:cohort_audit_report", args=[cohort.pk]), {"format": fmt})


def _sheet_rows(job):
    job.refresh_from_db()
    book = openpyxl.load_workbook(io.BytesIO(job.result.read()), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)][1:]


@pytest.fixture
def eo_client(client, exams_officer):
    client.force_login(exams_officer)
    return client


def test_the_cohort_button_starts_a_job_whose_page_shows_progress_then_the_download(
    eo_client, exams_officer, own_centre
):
    cohort, people = _cohort_with_events(own_centre, exams_officer)
    page = eo_client.get(reverse("learners:cohort_detail", args=[cohort.pk]))
    assert b"Build the cohort audit report" in page.content

    response = _ask(eo_client, cohort)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    waiting = eo_client.get(response["Location"]).content.decode()
    assert "Waiting to start" in waiting
    assert 'hx-trigger="every 2s"' in waiting and "<progress" in waiting
    assert '<noscript><meta http-equiv="refresh"' in waiting  # no JavaScript: it reloads

    services.run_job(job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == ("done", 3, 3, 1)
    done = eo_client.get(reverse("jobs:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done  # polling stops
    assert 'value="100"' in done and "Download audit-trail-" in done
    assert "refresh" not in eo_client.get(f"/jobs/{job.pk}/").content.decode().lower()

    download = eo_client.get(reverse("jobs:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Learner", "When", "Who", "What happened", "Changes")
    assert len(rows) == 1 + 3 * 2
    assert rows[1][0] == "TRAIL000, Kit0"
    assert "corrected TRAIL000, Kit0's details. Form 0 from MIS" in rows[1][3]
    assert rows[1][4] == "first name: Old0 → Kit0"


def test_the_pdf_report_is_a_pdf(eo_client, exams_officer, own_centre):
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    _ask(eo_client, cohort, "pdf")
    job = Job.objects.get()
    assert services.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.result_name.endswith(".pdf") and job.result.read()[:5] == b"%PDF-"


def test_a_second_request_for_the_same_work_joins_the_running_job(
    client, cast, own_centre, exams_officer
):
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    client.force_login(exams_officer)
    first = _ask(client, cohort)["Location"]
    client.force_login(cast[Role.QUALITY_NOMINEE])
    second = _ask(client, cohort)["Location"]
    assert first == second and Job.objects.count() == 1
    assert _ask(client, cohort, "pdf")["Location"] != first  # other work: its own job
    job = Job.objects.get(params__format="xlsx")
    services.run_job(job.pk)
    _ask(client, cohort)  # finished: asking again builds it afresh (the trail moves on)
    assert Job.objects.filter(params__format="xlsx").count() == 2


class Interrupted(BaseException):
    """Stands for the worker killed: no except clause of the run sees it (as SIGKILL)."""


def test_an_interrupted_run_continues_from_its_checkpoint_without_duplicating_rows(
    eo_client, exams_officer, own_centre, monkeypatch
):
    from learners import jobs_kinds

    monkeypatch.setattr(jobs_kinds, "CHUNK_LEARNERS", 4)
    cohort, people = _cohort_with_events(own_centre, exams_officer, learners=10, events_each=2)
    _ask(eo_client, cohort)
    job = Job.objects.get()
    read = []
    original = jobs_kinds.event_rows
    monkeypatch.setattr(
        jobs_kinds, "event_rows", lambda c, ls: read.extend(p for p, *_ in ls) or original(c, ls)
    )

    class DiesAfterTwoChunks(services.JobContext):
        def checkpoint(self, state=None, **kwargs):
            super().checkpoint(state, **kwargs)
            if state and state["parts"] == 2:
                raise Interrupted  # the worker killed just after its second checkpoint

    with pytest.raises(Interrupted):
        services.run_job(job.pk, context_class=DiesAfterTwoChunks)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("running", 8, 10)
    assert job.checkpoint == {"parts": 2, "after": people[7].pk}
    assert "Read 8 of 10 learners" in eo_client.get(f"/jobs/{job.pk}/").content.decode()

    assert services.run_job(job.pk) == "done"  # the task delivered again
    # The first run read eight learners; the second only the last two: none read twice.
    assert read == [p.pk for p in people]
    job.refresh_from_db()
    assert job.attempts == 2
    rows = _sheet_rows(job)
    assert len(rows) == 20
    assert [r[0] for r in rows] == [str(p) for p in people for _ in range(2)]


def test_a_run_taken_over_by_a_newer_attempt_stops_and_writes_nothing(own_centre, exams_officer):
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=exams_officer, centre=own_centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": "xlsx"},
    )  # fmt: skip
    stale = services.claim(job.pk)
    assert services.claim(job.pk) == stale + 1  # a second delivery takes it over
    context = services.JobContext(Job.objects.get(pk=job.pk), stale)
    with pytest.raises(services.ClaimLost):
        context.checkpoint({"parts": 1}, done=1)
    assert Job.objects.get(pk=job.pk).checkpoint == {}


def test_the_sweep_requeues_a_job_whose_worker_stopped_heartbeating(
    own_centre, exams_officer, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    settings.BTECQA_JOB_STALE_SECONDS = 60
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=exams_officer, centre=own_centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": "xlsx"},
    )  # fmt: skip
    services.claim(job.pk)
    assert services.sweep() == []  # heartbeating a moment ago: left alone
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep() == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)  # queued again and run (eager here)


def test_a_second_delivery_of_a_finished_job_does_nothing(own_centre, exams_officer):
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=exams_officer, centre=own_centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": "xlsx"},
    )  # fmt: skip
    assert services.run_job(job.pk) == "done"
    name = Job.objects.get(pk=job.pk).result.name
    assert services.run_job(job.pk) == "finished already"
    assert Job.objects.get(pk=job.pk).result.name == name


def test_download_rechecks_the_kinds_permission(
    client, cast, own_centre, other_centre, exams_officer, make_user
):
    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=exams_officer, centre=own_centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": "xlsx"},
    )  # fmt: skip
    services.run_job(job.pk)
    url = reverse("jobs:job_download", args=[job.pk])
    client.force_login(cast[Role.QUALITY_NOMINEE])  # reads the audit trail: may download
    assert client.get(url).status_code == 200
    client.force_login(cast[Role.ASSESSOR_IV])  # staff here, but not the audit trail
    assert client.get(url).status_code == 403
    assert client.get(f"/jobs/{job.pk}/").status_code == 403
    client.force_login(make_user("eo_elsewhere", Role.EXAMS_OFFICER, centre=other_centre))
    assert client.get(url).status_code == 404  # another centre's job does not exist for them
    # The asker loses the role: their own job's result is no longer theirs to take.
    from accounts.models import RoleAssignment

    RoleAssignment.objects.filter(user=exams_officer).delete()
    client.force_login(exams_officer)
    assert client.get(url).status_code in (403, 404)


def _boom(context):
    context.progress(done=1, total=4, message="Reading")
    raise ValueError("the cohort has no qualification number")


register_job("tests.boom", "A job that fails", "audit.view_events", run=_boom)


def test_a_failed_job_shows_its_error_in_words(eo_client, own_centre, exams_officer):
    job, _ = services.request_job("tests.boom", by=exams_officer, centre=own_centre, params={})
    assert services.run_job(job.pk) == "failed"
    page = eo_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "The job failed." in page and 'role="alert"' in page
    assert "ValueError: the cohort has no qualification number" in page
    assert "hx-trigger" not in page and "Download" not in page
    assert eo_client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404


def _counting(context):
    for n in range(3):
        context.checkpoint({"n": n}, done=n + 1, total=3)
    return JobResult("three.txt", "text/plain", b"123")


register_job("tests.counting", "Counting", "audit.view_events", run=_counting)


def test_the_progress_fragment_runs_a_fixed_number_of_queries(eo_client, own_centre, exams_officer):
    counts = []
    for size in (1, 30):
        for n in range(size):
            job, _ = services.request_job(
                "tests.counting", by=exams_officer, centre=own_centre, params={"n": n, "s": size}
            )
        with CaptureQueriesContext(connection) as queries:
            response = eo_client.get(reverse("jobs:job_progress", args=[job.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[0] <= 8


def test_the_fragment_says_how_far_in_words_and_as_a_progress_element(
    eo_client, own_centre, exams_officer
):
    job, _ = services.request_job("tests.counting", by=exams_officer, centre=own_centre, params={})
    attempt = services.claim(job.pk)
    services.JobContext(Job.objects.get(pk=job.pk), attempt).checkpoint(
        {"n": 1}, done=1, total=4, message="Counting"
    )
    html = eo_client.get(reverse("jobs:job_progress", args=[job.pk])).content.decode()
    assert '<progress class="w-100" id="job-bar" max="100" value="25"' in html
    assert "1 of 4 (25%)" in html and "Running</strong>: Counting" in html


def test_parts_are_removed_when_the_report_is_done(own_centre, exams_officer):
    from django.core.files.storage import default_storage

    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    job, _ = services.request_job(
        COHORT_AUDIT_REPORT, by=exams_officer, centre=own_centre, cohort=cohort,
        params={"cohort": cohort.pk, "format": "xlsx"},
    )  # fmt: skip
    services.run_job(job.pk)
    assert default_storage.listdir(f"jobs/parts/{job.pk}")[1] == []


def test_the_evidence_pack_is_built_as_a_job_into_storage(client, cast, own_centre):
    import zipfile

    from verification.models import SVVisit

    from .factories import CohortFactory as Cohorts

    lead = cast[Role.LEAD_IV]
    cohort = Cohorts(centre=own_centre)
    visit = SVVisit.objects.create(
        cohort=cohort, academic_year="2026/27", verifier_name="V", route="standard",
        status="not_yet_sampled", created_by=lead,
    )  # fmt: skip
    client.force_login(cast[Role.QUALITY_NOMINEE])
    page = client.get(reverse("verification:sv_detail", args=[visit.pk])).content.decode()
    assert "Build the evidence pack in the background" in page
    url = reverse("verification:sv_pack_job", args=[visit.pk])
    location = client.post(url)["Location"]
    assert client.post(url)["Location"] == location  # joined, not started twice
    job = Job.objects.get()
    assert services.run_job(job.pk) == "done"
    download = client.get(reverse("jobs:job_download", args=[job.pk]))
    data = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None and any(n.endswith(".pdf") for n in z.namelist())
    streamed = client.get(reverse("verification:sv_pack", args=[visit.pk]))
    with zipfile.ZipFile(io.BytesIO(b"".join(streamed.streaming_content))) as z:
        assert sorted(z.namelist()) == sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())


def _slow(context):
    import time

    context.progress(done=0, total=1)
    time.sleep(2)
    return JobResult("slow.txt", "text/plain", b"slow")


register_job("tests.slow", "Slow", "audit.view_events", run=_slow)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_job_on_postgresql(own_centre, exams_officer):
    """The second insert waits on the unique key of the first's uncommitted row, then joins
    it: the partial unique constraint decides, not the look-up before the insert."""
    import threading
    import time

    from django.db import connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once: PostgreSQL")
    barrier = threading.Barrier(2)
    got = {}

    def first():
        try:
            with transaction.atomic():
                got["first"] = services.request_job(
                    "tests.slow", by=exams_officer, centre=own_centre, params={"n": 1}
                )
                barrier.wait()
                time.sleep(1)  # the second looks, finds nothing committed, and inserts
        finally:
            connections.close_all()

    def second():
        try:
            barrier.wait()
            time.sleep(0.3)
            got["second"] = services.request_job(
                "tests.slow", by=exams_officer, centre=own_centre, params={"n": 1}
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    (job_a, created_a), (job_b, created_b) = got["first"], got["second"]
    assert job_a.pk == job_b.pk and (created_a, created_b) == (True, False)
    assert Job.objects.filter(kind="tests.slow").count() == 1


@pytest.mark.parametrize("limit, in_background", [(2, True), (1000, False)])
def test_a_large_mis_import_is_applied_by_a_job_a_small_one_at_once(
    eo_client, own_centre, exams_officer, settings, limit, in_background
):
    from .test_learner_import import corpus, run

    settings.BTECQA_IMPORT_IN_BACKGROUND_ROWS = limit
    preview = run(own_centre, corpus("sims_learners.csv"), user=exams_officer)
    obj = preview.import_obj
    response = eo_client.post(reverse("learner_imports:commit", args=[obj.pk]))
    obj.refresh_from_db()
    from learners.models import Learner

    if not in_background:
        assert response["Location"] == reverse("learner_imports:result", args=[obj.pk])
        assert obj.status == "committed" and not Job.objects.exists()
        return
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/" and obj.status == "previewed"
    assert Learner.objects.count() == 0  # the request wrote nothing: the job will
    assert services.run_job(job.pk) == "done"
    obj.refresh_from_db()
    assert obj.status == "committed" and Learner.objects.count() == 3
    page = eo_client.get(f"/jobs/{job.pk}/").content.decode()
    assert reverse("learner_imports:result", args=[obj.pk]) in page
    # A second delivery after the commit went through reports it and writes nothing again.
    Job.objects.filter(pk=job.pk).update(status="queued")
    assert services.run_job(job.pk) == "done" and Learner.objects.count() == 3
