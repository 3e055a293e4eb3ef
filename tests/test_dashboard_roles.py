""" "Needs my action" for every role: each role's typical waiting work, set up through the
services, is on that person's dashboard as a link they can open; the waiting states that
had no to-do (sampled work awaiting IV, SV sample work to send, re-attempts to assess,
certificates held to issue, legal holds, previewed imports) open where the wait starts
and close where it ends. A role with nothing to do (a governor, a standards verifier)
reads its To read panel instead."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from assessment import services_decisions as decisions
from assessment.models import Attempt, Submission
from certification import services as certificates
from certification.models import CertificateBatch
from learners.imports import commit_import, preview_import
from policies import services as policies
from retention import services as retention
from todos.kinds import all_kinds
from todos.models import ToDo
from verification import services_iv, services_sampling, services_sv

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    RoleAssignmentFactory,
    UserFactory,
    decide,
    decisions_assignment,
    decisions_class,
    make_uln,
    mark_second_factor,
    verifier_ready,
)
from .test_iv_records import World

R = Role
pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _november():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0), tick=True):
        yield


def person(role, centre):
    user = UserFactory()
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


def open_of(kind, **kw):
    return ToDo.objects.filter(kind=kind, closed_at__isnull=True, **kw)


def follow(client, user, kind, *, second_factor=False):
    """The person's dashboard lists the to-do of `kind` as a link, and the link opens."""
    client.force_login(user)
    if second_factor:
        mark_second_factor(client, user)
    response = client.get("/")
    assert response.status_code == 200
    shown = [t for a in response.context["areas"] for t in a["overdue"] + a["open"]]
    todo = next((t for t in shown if t.kind == kind), None)
    assert todo is not None, f"{kind} is not on {user}'s dashboard: {[t.kind for t in shown]}"
    assert todo.url, f"{kind} has no link"
    assert f'href="{todo.url}"' in response.content.decode()
    assert client.get(todo.url).status_code == 200, todo.url
    return todo


def test_every_kind_names_a_page():
    """A to-do whose target has no page of its own still leads somewhere."""
    from django.apps import apps

    # The apps' own kinds (<app or area>.<what>), not the ones other test modules declare.
    prefixes = {c.label for c in apps.get_app_configs()} | {"arrangement", "calendar"}
    missing = [
        code
        for code, kind in all_kinds().items()
        if not kind.link and code.split(".")[0] in prefixes and "test" not in code
    ]
    assert missing == []


# --- one test per role --------------------------------------------------------------------


def test_an_assessor_iv_finds_the_sampled_work_to_verify_and_it_closes_when_verified(client):
    w = World(n=2)
    items = [services_sampling.add_item(w.plan, x, w.a, by=w.liv) for x in w.learners]
    todo = follow(client, w.iv, "verification.iv_sample")
    assert todo.url == reverse("verification:iv_queue") and todo.assignee == w.iv
    assert open_of("verification.iv_sample").count() == 1  # one per verifier and plan
    services_iv.record_iv(items[0], by=w.iv, outcome="agree", comments="Sound")
    assert open_of("verification.iv_sample").count() == 1  # one item still waits
    services_iv.record_iv(items[1], by=w.iv, outcome="agree", comments="Sound")
    assert not open_of("verification.iv_sample").exists()


def test_taking_the_last_waiting_item_out_of_the_sample_closes_the_verifiers_todo():
    w = World(n=1)
    item = services_sampling.add_item(w.plan, w.learners[0], w.a, by=w.liv)
    assert open_of("verification.iv_sample", assignee=w.iv).exists()
    services_sampling.remove_item(item, by=w.liv, reason="wrong learner")
    assert not open_of("verification.iv_sample").exists()


def test_building_the_sample_opens_one_todo_per_verifier():
    w = World(n=4)
    new = services_sampling.build_sample(w.plan, by=w.liv)
    assert new
    assert list(open_of("verification.iv_sample").values_list("assignee", flat=True)) == [w.iv.pk]
    services_sampling.build_sample(w.plan, by=w.liv)  # nothing new: still one
    assert open_of("verification.iv_sample").count() == 1


def test_a_lead_iv_owes_the_years_standardisation_until_it_is_recorded(client, own_centre, cast):
    from verification import services as lead_ivs

    qn, liv, assessor = cast[R.QUALITY_NOMINEE], cast[R.LEAD_IV], cast[R.ASSESSOR_IV]
    business = QualificationFactory(title="National Diploma in Business")
    CohortFactory(centre=own_centre, qualification=business, start_year="2026/27")
    appt = lead_ivs.appoint_lead_iv(
        centre=own_centre, qualification=business, academic_year="2026/27", lead_iv=liv, by=qn
    )
    todo = follow(client, liv, "verification.standardise")
    # The appointment's own page is the Quality Nominee's: the link is the Lead IV's form.
    assert todo.url == reverse("verification:standardisation_add")
    lead_ivs.record_standardisation(
        centre=own_centre,
        qualification=business,
        unit=None,
        academic_year="2026/27",
        held_on=dt.date(2026, 11, 12),
        kind="activity",
        attendees=[liv, assessor],
        materials="Pearson's exemplars",
        outcome="Agreed the Merit standard",
        by=liv,
    )
    assert not open_of("verification.standardise").exists()
    # Next year's Lead IV, replaced mid-year: the new one owes it, the old one no longer.
    nxt = lead_ivs.appoint_lead_iv(
        centre=own_centre, qualification=business, academic_year="2027/28", lead_iv=liv, by=qn
    )
    lead_ivs.change_lead_iv(nxt, lead_iv=assessor, note="Will complete the materials", by=qn)
    assert list(open_of("verification.standardise").values_list("assignee", flat=True)) == [
        assessor.pk
    ]
    assert appt.pk != nxt.pk


def test_a_lead_iv_finds_the_flag_to_clear(client):
    w = World(n=1)
    w.disagree(w.sample(w.learners[0]))
    follow(client, w.liv, "verification.iv_flag")


def test_a_programme_leader_assesses_the_resubmission_the_lead_iv_authorised(client):
    cohort = CohortFactory()
    pl = person(R.PROGRAMME_LEADER, cohort.centre)
    liv = person(R.LEAD_IV, cohort.centre)
    a = decisions_assignment(cohort=cohort, assessor=pl)
    (learner,) = decisions_class(a, 1)
    Submission.objects.create(
        learner=learner,
        assignment=a,
        attempt=Attempt.FIRST,
        submitted_on=a.hand_in,
        learner_declared_on=a.hand_in,
        assessor_declared_on=a.hand_in,
        recorded_by=pl,
    )
    codes = list(a.criteria.values_list("code", flat=True))
    decide(learner, a, codes, achieved=False)
    decisions.authorise_resubmission(a, learner, by=liv, on=TODAY)
    todo = follow(client, pl, "assessment.assess_reattempt")
    assert todo.url == reverse("assessment:decisions_grid", args=[a.pk])
    criteria = list(a.criteria.all())
    decisions.save_grid(
        a,
        by=pl,
        learners=[learner],
        criteria=criteria,
        rows={
            learner.pk: decisions.RowInput(
                cells={c.pk: decisions.ACHIEVED for c in criteria},
                learner_declared=True,
                assessor_declared=True,
                submitted_on=TODAY,
            )
        },
        decided_on=TODAY,
        attempt=Attempt.RESUBMISSION,
    )
    assert not open_of("assessment.assess_reattempt").exists()


def test_an_exams_officer_issues_the_certificates_held(client, own_centre, exams_officer):
    received = dt.date(2026, 11, 2)
    batch = certificates.new_batch(
        own_centre, received_on=received, by=exams_officer, how=CertificateBatch.How.KEYED
    )
    people = [LearnerFactory(centre=own_centre, uln=make_uln(n)) for n in (1, 2)]
    certs = certificates.record_certificates(
        batch,
        [
            {
                "certificate_number": f"C{n}",
                "uln": x.uln,
                "registration_number": "",
                "surname": x.last_name.upper(),
                "forenames": x.first_name.upper(),
                "date_of_birth": x.date_of_birth,
                "qualification_number": "601/7159/5",
                "award_grade": "M",
                "units": [],
            }
            for n, x in enumerate(people)
        ],
        by=exams_officer,
    )
    todo = follow(client, exams_officer, "certification.issue_certificates")
    assert todo.url == reverse("certification:batch", args=[batch.pk])
    assert todo.due_date == received + dt.timedelta(days=certificates.dispatch_days())
    for cert in certs:
        assert open_of("certification.issue_certificates").exists()
        certificates.issue_certificate(
            cert, by=exams_officer, how="posted", issued_on=TODAY, address_line="1 High St"
        )
    assert not open_of("certification.issue_certificates").exists()


def test_a_quality_nominee_sends_the_sv_sample_by_its_deadline(client, own_centre, cast):
    qn = cast[R.QUALITY_NOMINEE]
    year = "2026/27"
    cohort = CohortFactory(centre=own_centre, qualification=QualificationFactory(), start_year=year)
    learner = LearnerFactory(centre=own_centre)
    from .factories import register_on

    register_on(cohort, learner)
    visit = services_sv.record_allocation(
        cohort=cohort,
        academic_year=year,
        verifier_name="Dr Imogen Quarry",
        verifier_email="i.quarry@sv.example.org",
        verifier_phone="07700 900123",
        allocated_on=dt.date(2026, 11, 10),
        by=qn,
    )
    sample = services_sv.request_sample(visit, deadline=dt.date(2026, 12, 4), by=qn)
    todo = follow(client, qn, "verification.sv_sample_work")
    assert todo.due_date == dt.date(2026, 12, 4)
    # The deadline moves: one to-do, due on the new date.
    services_sv.request_sample(visit, deadline=dt.date(2026, 12, 11), by=qn)
    assert list(open_of("verification.sv_sample_work").values_list("due_date", flat=True)) == [
        dt.date(2026, 12, 11)
    ]
    services_sv.name_learners(sample, learners=[learner], by=qn)
    services_sv.record_work_submitted(sample, submitted_on=TODAY, by=qn)
    assert not open_of("verification.sv_sample_work").exists()


def test_a_quality_nominee_reviews_a_legal_hold_until_it_is_lifted(client, own_centre, cast):
    qn = cast[R.QUALITY_NOMINEE]
    learner = LearnerFactory(centre=own_centre)
    hold = retention.place_hold(by=qn, reason="appeal", note="Appeal lodged", learner=learner)
    todo = follow(client, qn, "retention.review_hold")
    assert learner.last_name not in todo.title
    retention.lift_hold(hold, by=qn, note="Appeal decided")
    assert not open_of("retention.review_hold").exists()


def test_a_head_of_centre_signs_the_reviewed_policy(client, own_centre, cast):
    policies.add_policy(
        centre=own_centre,
        title="BTEC assessment policy",
        coordinator=cast[R.EXAMS_OFFICER],
        sub_committee="Curriculum and Standards",
        reviewed_on=dt.date(2026, 3, 2),
        next_review=dt.date(2027, 3, 1),
        upload=SimpleUploadedFile(
            "policy.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
        ),
        by=cast[R.QUALITY_NOMINEE],
    )
    follow(client, cast[R.HEAD_OF_CENTRE], "policies.sign_as_head")


def _learners_csv(*names) -> bytes:
    rows = ["Surname,Forename,DOB,Sex"] + [f"{last},{first},01/09/2009,F" for first, last in names]
    return ("\r\n".join(rows) + "\r\n").encode()


def test_a_centre_administrator_commits_the_import_they_previewed(client, own_centre, cast):
    admin = cast[R.CENTRE_ADMIN]
    preview = preview_import(
        centre=own_centre,
        kind="learners",
        uploaded_file=_learners_csv(("Ada", "Quill")),
        file_name="mis.csv",
        user=admin,
    )
    assert preview.ok, preview.errors
    todo = follow(client, admin, "learners.commit_import")
    assert todo.url == reverse("learner_imports:preview", args=[preview.import_obj.pk])
    # A second preview of a corrected file, committed: both previews are answered.
    again = preview_import(
        centre=own_centre,
        kind="learners",
        uploaded_file=_learners_csv(("Ada", "Quill"), ("Ben", "Rook")),
        file_name="mis2.csv",
        user=admin,
    )
    assert open_of("learners.commit_import", assignee=admin).count() == 2
    commit_import(again.import_obj, user=admin)
    assert not open_of("learners.commit_import").exists()


def test_a_governor_reads_the_annual_report(client, cast):
    client.force_login(cast[R.GOVERNOR])
    response = client.get("/")
    html = response.content.decode()
    assert "To read" in html and not response.context["areas"]
    assert f'href="{reverse("centres:summary")}"' in html
    assert client.get(reverse("centres:summary")).status_code == 200


def test_a_standards_verifier_reads_the_sampled_cohorts(client, own_centre, make_user):
    sv = make_user("sv_roles", centre=own_centre)
    RoleAssignmentFactory(
        user=sv, centre=own_centre, role=Role.STANDARDS_VERIFIER, verifier_ready=False
    )
    cohort = CohortFactory(centre=own_centre)
    verifier_ready(sv, own_centre, cohorts=[cohort], expires_on=TODAY + dt.timedelta(days=30))
    client.force_login(sv)
    mark_second_factor(client, sv)
    html = client.get("/").content.decode()
    assert "To read" in html and str(cohort) in html
    assert f'href="{reverse("assessment:plan_list")}"' in html
    assert client.get(reverse("assessment:plan_list")).status_code == 200


def test_the_dashboard_runs_a_fixed_number_of_queries_with_the_new_kinds(
    client, own_centre, cast, django_assert_max_num_queries
):
    qn = cast[R.QUALITY_NOMINEE]

    def count():
        client.force_login(qn)
        with django_assert_max_num_queries(30) as ctx:
            client.get("/")
        return len(ctx.captured_queries)

    retention.place_hold(
        by=qn, reason="appeal", note="Appeal", learner=LearnerFactory(centre=own_centre)
    )
    few = count()
    for _ in range(6):
        retention.place_hold(
            by=qn, reason="appeal", note="Appeal", learner=LearnerFactory(centre=own_centre)
        )
    assert count() == few


def test_a_finished_background_job_is_in_its_requesters_to_read_panel(
    client, own_centre, exams_officer, cast
):
    from jobs import services as jobs
    from jobs.models import Job

    from .test_jobs import _ask, _cohort_with_events

    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    client.force_login(exams_officer)
    _ask(client, cohort)
    job = Job.objects.get()
    assert "Finished in the background" not in client.get("/").content.decode()
    jobs.run_job(job.pk)
    html = client.get("/").content.decode()
    assert "Finished in the background" in html and "to download" in html
    link = reverse("jobs:job_detail", args=[job.pk])
    assert f'href="{link}"' in html and client.get(link).status_code == 200
    # Someone else's job is not on their dashboard; a week later it has gone from the list.
    client.force_login(cast[R.QUALITY_NOMINEE])
    assert "Finished in the background" not in client.get("/").content.decode()
    client.force_login(exams_officer)
    with time_machine.travel(dt.datetime(2026, 11, 28, 12, 0)):
        assert "Finished in the background" not in client.get("/").content.decode()


def test_who_joins_a_running_job_finds_it_in_their_to_read_panel_too(
    client, own_centre, exams_officer, cast
):
    from jobs import services as jobs
    from jobs.models import Job

    from .test_jobs import _ask, _cohort_with_events

    cohort, _ = _cohort_with_events(own_centre, exams_officer)
    client.force_login(exams_officer)
    _ask(client, cohort)
    qn = cast[R.QUALITY_NOMINEE]
    client.force_login(qn)
    _ask(client, cohort)  # the same report, asked for while the first is still waiting
    job = Job.objects.get()
    assert job.requested_by == exams_officer
    assert list(job.joined_by.all()) == [qn]
    jobs.run_job(job.pk)
    link = reverse("jobs:job_detail", args=[job.pk])
    for person in (exams_officer, qn):
        client.force_login(person)
        html = client.get("/").content.decode()
        assert "Finished in the background" in html and f'href="{link}"' in html
    # the programme leader, who did not ask, is not told
    client.force_login(cast[R.PROGRAMME_LEADER])
    assert "Finished in the background" not in client.get("/").content.decode()
