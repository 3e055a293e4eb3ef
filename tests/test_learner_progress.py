"""The learner's record of progress and achievement (policy 000-3.1.8: "ensure we have
access to our learner progress and achievement records"): the home centre and the centre
that teaches the learner see it, any other centre does not know it exists (404), a role
without it is refused (403); decisions, grades, internal verification, re-attempts and
imported grades shown as recorded; a fixed number of queries; the XLSX download."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import Attempt, CriterionDecision, ImportedUnitResult, Resubmission, Retake
from tests.factories import (
    CentreFactory,
    CohortFactory,
    LearnerFactory,
    TeachingGroupFactory,
    UserFactory,
    decisions_assignment,
    make_uln,
    register_on,
)
from verification.models_sampling import IVPlan, IVRecord, SampleItem

pytestmark = pytest.mark.django_db


def person(role, centre, name=""):
    from tests.factories import RoleAssignmentFactory

    user = UserFactory(first_name=name or role.label.split()[0], last_name="Tester")
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


def decide(assignment, learner, achieved, *, attempt=Attempt.FIRST, on=dt.date(2026, 11, 10)):
    return [
        CriterionDecision.objects.create(
            learner=learner,
            assignment=assignment,
            criterion=c,
            attempt=attempt,
            achieved=c.code in achieved,
            decided_on=on,
            assessor=assignment.assessor,
        )
        for c in assignment.criteria.order_by("code")
    ]


def verify(assignment, learner, by, attempt=Attempt.FIRST):
    """A complete summative IV of the learner's work on the assignment (agreed)."""
    plan, _ = IVPlan.objects.get_or_create(
        cohort=assignment.plan.cohort,
        academic_year=assignment.plan.academic_year,
        defaults={"created_by": by},
    )
    item = SampleItem.objects.create(
        plan=plan,
        learner=learner,
        assignment=assignment,
        attempt=attempt,
        stage="summative",
        snapshot={"decisions": []},
        sampled_by=by,
    )
    IVRecord.objects.create(
        item=item, verifier=by, outcome="agree", recorded_at=timezone.now() + dt.timedelta(1)
    )


class World:
    """A learner of the home centre H, on H's cohort, taught in a group delivered by D (a
    consortium's delivering centre); U is unrelated."""

    def __init__(self, units=1, cohorts=1, n=0):
        self.H = CentreFactory(number=f"52{n}01", name=f"Progress Home School {n}")
        self.D = CentreFactory(number=f"52{n}02", name=f"Progress Delivering College {n}")
        self.U = CentreFactory(number=f"52{n}03", name=f"Progress Unrelated Academy {n}")
        self.learner = LearnerFactory(
            centre=self.H, first_name="Ada", last_name="Zzprogress", uln=make_uln(52 + n)
        )
        self.assessor = person(Role.ASSESSOR_IV, self.D, "Asha")
        self.iv = person(Role.LEAD_IV, self.D, "Ivan")
        self.assignments = []
        for n in range(cohorts):
            cohort = CohortFactory(centre=self.H, start_year=f"20{26 - n}/{27 - n}")
            group = TeachingGroupFactory(cohort=cohort, delivering_centre=self.D, name=f"12P{n}")
            group.learners.add(self.learner)
            register_on(cohort, self.learner)
            for u in range(units):
                first = decisions_assignment(
                    cohort=cohort, assessor=self.assessor, iv=self.iv, title=f"Task {n}.{u}"
                )
                self.assignments.append(first)
        self.a = self.assignments[0]
        self.cohort = self.a.plan.cohort

    def url(self, name="assessment:learner_progress"):
        return reverse(name, args=[self.learner.pk])


@pytest.fixture
def world():
    return World()


def page(client, user, world, name="assessment:learner_progress"):
    client.force_login(user)
    return client.get(world.url(name))


def test_the_home_centre_sees_the_record_and_the_detail_page_links_it(client, world):
    decide(world.a, world.learner, {"A.P1", "A.P2"})
    eo = person(Role.EXAMS_OFFICER, world.H)
    response = page(client, eo, world)
    assert response.status_code == 200
    html = response.content.decode()
    assert world.cohort.qualification.title in html
    assert "Registered" in html
    assert "12P0 (2026/27)" in html
    detail = client.get(reverse("learners:learner_detail", args=[world.learner.pk]))
    assert world.url() in detail.content.decode()


def test_the_delivering_centre_sees_the_programmes_it_teaches_the_learner_on(client, world):
    decide(world.a, world.learner, {"A.P1", "A.P2"})
    # another programme of the learner, taught at home: not the delivering centre's
    elsewhere = CohortFactory(centre=world.H, start_year="2025/26")
    TeachingGroupFactory(cohort=elsewhere, delivering_centre=world.H).learners.add(world.learner)
    pl = person(Role.PROGRAMME_LEADER, world.D)
    html = page(client, pl, world).content.decode()
    assert world.cohort.qualification.title in html
    assert "Registered" in html  # the registration's status of the programme it teaches
    assert elsewhere.qualification.title not in html
    home = page(client, person(Role.EXAMS_OFFICER, world.H), world).content.decode()
    assert elsewhere.qualification.title in home


def test_an_unrelated_centre_gets_404_and_a_governor_403(client, world):
    assert page(client, person(Role.EXAMS_OFFICER, world.U), world).status_code == 404
    assert page(client, person(Role.GOVERNOR, world.H), world).status_code == 403
    # the export: an assessor may see the page but not download it
    assessor = person(Role.ASSESSOR_IV, world.H)
    assert page(client, assessor, world).status_code == 200
    assert "progress.xlsx" not in page(client, assessor, world).content.decode()
    assert page(client, assessor, world, "assessment:learner_progress_export").status_code == 403
    unrelated = person(Role.EXAMS_OFFICER, world.U)
    assert page(client, unrelated, world, "assessment:learner_progress_export").status_code == 404


def test_decisions_and_the_unit_grade_are_shown_as_recorded(client, world):
    decide(world.a, world.learner, {"A.P1", "A.P2", "A.M1"})
    html = page(client, person(Role.EXAMS_OFFICER, world.H), world).content.decode()
    assert "Unit grade: <strong>M</strong>" in html
    assert "<td>A.D1</td><td>Not yet</td><td>First submission</td><td>10/11/2026</td>" in html
    assert "<td>A.M1</td><td>Achieved</td>" in html
    assert "Asha Tester" in html


def test_an_authorised_resubmission_counts_and_a_retake_is_capped(client, world):
    lead = person(Role.LEAD_IV, world.H, "Lena")
    decide(world.a, world.learner, {"A.P1"})
    Resubmission.objects.create(learner=world.learner, assignment=world.a, authorised_by=lead)
    decide(world.a, world.learner, {"A.P1", "A.P2"}, attempt=Attempt.RESUBMISSION)
    html = page(client, person(Role.EXAMS_OFFICER, world.H), world).content.decode()
    assert "Unit grade: <strong>P (with the resubmission)</strong>" in html
    assert "Resubmission of Task 0.0 authorised on" in html
    assert "by Lena Tester" in html

    retake_task = decisions_assignment(
        cohort=world.cohort,
        unit=world.a.unit,
        assessor=world.assessor,
        iv=world.iv,
        title="Retake task",
    )
    Retake.objects.create(
        learner=world.learner, unit=world.a.unit, assignment=retake_task, authorised_by=lead
    )
    CriterionDecision.objects.filter(learner=world.learner, attempt="resubmission").delete()
    decide(retake_task, world.learner, {"A.P1", "A.P2", "A.M1", "A.D1"}, attempt=Attempt.RETAKE)
    html = page(client, person(Role.EXAMS_OFFICER, world.H), world).content.decode()
    assert "Unit grade: <strong>P (retake), capped</strong>" in html
    assert "Retake with Retake task authorised on" in html


def test_internal_verification_is_shown_per_decision_and_unit(client, world):
    decide(world.a, world.learner, {"A.P1", "A.P2"})
    eo = person(Role.EXAMS_OFFICER, world.H)
    html = page(client, eo, world).content.decode()
    assert "Internal verification: <strong>Not yet internally verified</strong>" in html
    verify(world.a, world.learner, world.iv)
    html = page(client, eo, world).content.decode()
    assert "Internal verification: <strong>All decisions internally verified</strong>" in html
    assert "<td>1</td><td>Yes</td>" in html


def test_an_imported_grade_is_shown_with_no_decisions_to_verify(client, world):
    ImportedUnitResult.objects.create(
        learner=world.learner,
        cohort=world.cohort,
        unit=world.a.unit,
        grade="D",
        imported_by=world.assessor,
        source="tracker.xlsx",
    )
    html = page(client, person(Role.EXAMS_OFFICER, world.H), world).content.decode()
    assert "Unit grade: <strong>D (imported from a tracking sheet)</strong>" in html
    assert "Imported grade: D from tracker.xlsx" in html
    assert "Imported grade: no decisions behind it to verify" in html


def _fill(w):
    lead = person(Role.LEAD_IV, w.H)
    for a in w.assignments:
        decide(a, w.learner, {"A.P1", "A.P2"})
        Resubmission.objects.create(learner=w.learner, assignment=a, authorised_by=lead)
        decide(a, w.learner, {"A.P1", "A.P2", "A.M1"}, attempt=Attempt.RESUBMISSION)
        ImportedUnitResult.objects.create(
            learner=w.learner,
            cohort=a.plan.cohort,
            unit=a.unit,
            grade="P",
            imported_by=w.assessor,
        )
    verify(w.a, w.learner, w.iv)


@pytest.mark.parametrize("who", ["home", "delivering"])
def test_a_fixed_number_of_queries_whatever_the_units_and_decisions(
    client, django_assert_max_num_queries, who
):
    counts = []
    for n, (units, cohorts) in enumerate(((1, 1), (5, 3))):
        w = World(units=units, cohorts=cohorts, n=n)
        _fill(w)
        user = person(Role.EXAMS_OFFICER, w.H if who == "home" else w.D)
        client.force_login(user)
        client.get(w.url())  # warm the session
        with django_assert_max_num_queries(30) as ctx:
            response = client.get(w.url())
        assert response.status_code == 200
        assert response.content.decode().count("Unit grade:") == units * cohorts
        counts.append(len(ctx.captured_queries))
        client.logout()
    assert counts[0] == counts[1], counts


def test_the_export_holds_the_page_s_units_and_decisions(client, world):
    decide(world.a, world.learner, {"A.P1", "A.P2", "A.M1"})
    verify(world.a, world.learner, world.iv)
    response = page(
        client, person(Role.QUALITY_NOMINEE, world.D), world, "assessment:learner_progress_export"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    units = list(wb["Units"].iter_rows(values_only=True))
    assert units[0][:3] == ("Learner", "ULN", "Centre")
    row = dict(zip(units[0], units[1], strict=True))
    assert row["Learner"] == "ZZPROGRESS, Ada"
    assert row["Unit grade"] == "M"
    assert row["Registration status"] == "Registered"
    assert row["Internal verification"] == "All decisions internally verified"
    decisions = list(wb["Decisions"].iter_rows(values_only=True))
    assert len(decisions) == 1 + 4
    by_code = {r[decisions[0].index("Criterion")]: r for r in decisions[1:]}
    assert by_code["A.D1"][decisions[0].index("Decision")] == "Not yet"
    assert by_code["A.M1"][decisions[0].index("Internally verified")] == "yes"


def test_a_learner_in_the_delivering_centre_s_own_consortium_cohort(client, world):
    """The learner of H taught on D's own programme (a consortium cohort at the lead
    centre): H sees that programme on its learner's record, and so does D."""
    lead_cohort = CohortFactory(centre=world.D, start_year="2026/27")
    group = TeachingGroupFactory(cohort=lead_cohort, delivering_centre=world.D, name="13LC")
    group.learners.add(world.learner)
    task = decisions_assignment(
        cohort=lead_cohort, assessor=world.assessor, iv=world.iv, title="Lead task"
    )
    decide(task, world.learner, {"A.P1", "A.P2"})
    for user in (person(Role.EXAMS_OFFICER, world.H), person(Role.EXAMS_OFFICER, world.D)):
        html = page(client, user, world).content.decode()
        assert lead_cohort.qualification.title in html
        assert "13LC (2026/27)" in html
        assert "Unit grade: <strong>P</strong>" in html
        assert "Not registered" in html  # registered at home on H's own programme only
