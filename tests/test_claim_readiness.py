"""Claim readiness (issue 13 part 1): who may be claimed, and each blocker named with its link.

The world: one cohort (2026/27) with one internal unit, an approved plan's assignment, a
verified batch (one learner sampled, the IV agreed), a released SV report, and learners
registered with Pearson on 1 October 2026. Today is 1 June 2027; the claim deadline for
2026/27 is 5 July 2027 in registrations/year_data/2026-27.json.
"""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import Role
from assessment.models import CriterionDecision, ImportedUnitResult
from claims import services_results
from claims.selectors import claim_readiness
from qualifications.models import EligibilityRule, GradingTable, Unit
from registrations.models import Registration, RegistrationYear
from tests.factories import (
    CentreFactory,
    RoleAssignmentFactory,
    UserFactory,
    decide,
    decisions_assignment,
    decisions_class,
    make_uln,
    register_on,
)
from verification import services_iv
from verification.models_sampling import IVPlan, SampleItem
from verification.models_sv import SVVisit

pytestmark = pytest.mark.django_db
REGISTERED = dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _june():
    with time_machine.travel(dt.datetime(2027, 6, 1, 10, 0), tick=True):
        yield


def person(role, centre):
    user = UserFactory()
    RoleAssignmentFactory(user=user, centre=centre, role=role)
    return user


class World:
    def __init__(self, n=3, *, sv_status="released"):
        self.a = decisions_assignment()
        self.cohort = self.a.plan.cohort
        self.centre = self.cohort.centre
        self.unit = self.a.unit
        self.codes = list(self.a.criteria.order_by("code").values_list("code", flat=True))
        self.liv = person(Role.LEAD_IV, self.centre)
        self.eo = person(Role.EXAMS_OFFICER, self.centre)
        self.learners = []
        self.add(n)
        plan = IVPlan.objects.create(
            cohort=self.cohort, academic_year=self.a.plan.academic_year, created_by=self.liv
        )
        item = SampleItem.objects.create(
            plan=plan,
            learner=self.learners[0],
            assignment=self.a,
            attempt="first",
            stage="summative",
            snapshot={"decisions": []},
            sampled_by=self.liv,
        )
        services_iv.record_iv(item, by=self.a.internal_verifier, outcome="agree", comments="")
        self.sv = SVVisit.objects.create(
            cohort=self.cohort,
            academic_year="2026/27",
            route="standard",
            status=sv_status,
            created_by=self.eo,
        )

    def add(self, n):
        start = len(self.learners)
        made = decisions_class(self.a, n)
        for i, learner in enumerate(made):
            learner.uln = make_uln(self.centre.pk * 1000 + start + i)
            learner.save()
            reg = register_on(self.cohort, learner)
            reg.registered_on = REGISTERED
            reg.save()
            decide(learner, self.a, self.codes)
        self.learners += made
        return made

    def readiness(self, **kw):
        return {r.learner_id: r for r in claim_readiness(self.cohort, "2026/27", **kw).learners}

    def blockers(self, learner, **kw):
        return [b.text for b in self.readiness(**kw)[learner.pk].blockers]

    def command(self, *extra):
        out, err = StringIO(), StringIO()
        code = 0
        try:
            call_command(
                "claim_readiness",
                "--centre",
                self.centre.number,
                "--qualification",
                self.cohort.qualification.number,
                "--cohort",
                "2026/27",
                *extra,
                stdout=out,
                stderr=err,
            )
        except SystemExit as exc:
            code = exc.code
        return code, out.getvalue()


@pytest.fixture
def w():
    return World()


def test_a_learner_with_everything_in_place_is_ready(w):
    result = claim_readiness(w.cohort, "2026/27")
    assert [r.ready for r in result.learners] == [True, True, True]
    assert result.learners[0].uln == w.learners[0].uln
    assert result.all_ready


def test_a_unit_without_an_outcome_names_the_unit_and_links_to_its_grid(w):
    (late,) = w.add(1)
    CriterionDecision.objects.filter(learner=late, criterion__code="A.D1").delete()
    result = w.readiness()[late.pk]
    assert [b.text for b in result.blockers] == [
        f"Unit {w.unit.number}: no outcome yet (3 of 4 criteria decided)"
    ]
    assert result.blockers[0].url == reverse("assessment:decisions_grid", args=[w.a.pk])
    assert w.readiness()[w.learners[0].pk].ready


def test_decisions_not_internally_verified_block_with_the_iv_reason(w):
    (other,) = w.add(1)
    # recorded by someone other than the assignment's assessor, and not sampled itself
    CriterionDecision.objects.filter(learner=other).update(assessor=UserFactory())
    result = w.readiness()[other.pk]
    assert len(result.blockers) == 1
    assert "not internally verified (batch not yet verified; A.D1, A.M1, A.P1, A.P2)" in (
        result.blockers[0].text
    )
    assert result.blockers[0].url == reverse("verification:iv_queue")


def test_an_external_unit_is_a_blocker_until_pearsons_results_are_imported(w):
    external = Unit.objects.create(
        qualification=w.cohort.qualification,
        number="2",
        title="Exam",
        glh=90,
        assessment="external",
    )
    ImportedUnitResult.objects.create(
        learner=w.learners[0], cohort=w.cohort, unit=external, grade="D", imported_by=w.eo
    )
    typed = w.blockers(w.learners[0])
    assert typed == [
        "Unit 2: external result not yet imported from Pearson's results file (the tracking "
        "sheet's D does not count)"
    ]
    assert w.blockers(w.learners[1]) == [
        "Unit 2: external result not yet imported from Pearson's results file"
    ]
    assert w.readiness()[w.learners[1].pk].blockers[0].url == reverse("claims:results_import")
    # Pearson's results file brings learner 1's result in (a Near Pass, kept as given):
    # the blocker clears for them only.
    data = (f"ULN,Unit,Series,Grade\r\n{w.learners[1].uln},2,May/June 2027,Near Pass\r\n").encode()
    preview = services_results.read_results_file(data, w.centre, file_name="results.csv")
    assert preview.ok, preview.problems
    assert services_results.write_results(preview, w.centre, by=w.eo, source="results.csv") == 1
    assert w.blockers(w.learners[1]) == []
    assert w.blockers(w.learners[0]) == typed


def test_an_internal_grade_typed_into_a_tracking_sheet_does_not_count(w):
    (typed,) = w.add(1)
    CriterionDecision.objects.filter(learner=typed).delete()
    ImportedUnitResult.objects.create(
        learner=typed, cohort=w.cohort, unit=w.unit, grade="M", imported_by=w.eo
    )
    assert w.blockers(typed) == [
        f"Unit {w.unit.number}: the grade M comes from a tracking sheet, with no internally "
        "verified decisions behind it"
    ]


def test_an_unreleased_sv_report_blocks_a_full_claim_and_only_warns_an_interim_one(w):
    SVVisit.objects.filter(pk=w.sv.pk).update(status="not_yet_sampled")
    full = w.readiness()[w.learners[0].pk]
    assert not full.ready
    assert full.blockers[0].text.startswith("Standards verification 2026/27:")
    assert full.blockers[0].url == reverse("verification:sv_list")
    interim = w.readiness(interim=True)[w.learners[0].pk]
    assert interim.ready
    assert interim.warnings[0].startswith("Standards verification 2026/27:")


def test_no_sv_recorded_blocks_a_full_claim(w):
    SVVisit.objects.all().delete()
    assert w.blockers(w.learners[0]) == [
        "Standards verification 2026/27: No standards verification recorded. "
        + claim_readiness(w.cohort, "2026/27").gate.reason
    ]


def test_the_gap_since_registration_comes_from_the_yearly_configuration(w):
    Registration.objects.filter(learner=w.learners[0]).update(registered_on=dt.date(2027, 5, 1))
    assert w.blockers(w.learners[0]) == [
        "registered on 1 May 2027: 10 weeks must pass before a claim, so not before 10 Jul 2027"
    ]
    RegistrationYear.objects.create(
        academic_year="2026/27", registration_deadline=dt.date(2026, 11, 1), claim_gap_weeks=4
    )
    assert w.readiness()[w.learners[0].pk].ready


def test_a_withdrawn_learner_is_not_ready(w):
    Registration.objects.filter(learner=w.learners[1]).update(
        status="withdrawn", ended_on=dt.date(2027, 3, 2)
    )
    assert w.blockers(w.learners[1]) == ["Withdrawn on 2 Mar 2027: not to be claimed"]


def test_a_learner_not_yet_registered_with_pearson_is_not_ready(w):
    Registration.objects.filter(learner=w.learners[1]).update(status="submitted")
    assert w.blockers(w.learners[1]) == ["not registered with Pearson yet (Submitted to Pearson)"]


def test_an_eligibility_rule_not_met_is_a_blocker(w):
    table = GradingTable.objects.create(
        qualification=w.cohort.qualification,
        kind="eligibility",
        from_cohort="2016/17",
        source="test",
    )
    EligibilityRule.objects.create(
        table=table, kind="units_at_least", units=w.unit.number, minimum_grade="P"
    )
    (failing,) = w.add(1)
    CriterionDecision.objects.filter(learner=failing).update(achieved=False)
    assert w.blockers(failing) == [
        f"eligibility rule not met: units {w.unit.number} each at P (Pass) or above "
        f"(unit {w.unit.number} is U)"
    ]
    assert w.readiness()[w.learners[0].pk].ready
    assert claim_readiness(w.cohort, "2026/27").warnings == []


def test_with_no_eligibility_rules_configured_the_page_warns(w):
    assert "No eligibility rules are configured" in claim_readiness(w.cohort, "2026/27").warnings[0]


# --- the command ---------------------------------------------------------------------------


def test_the_command_prints_ready_for_each_learner_and_exits_0(w):
    code, out = w.command()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(w.learners[0].uln) and lines[0].endswith(": ready")
    assert "3 of 3 ready; claim deadline 05/07/2027 (34 days)" in out


def test_the_command_names_blockers_and_exits_1_when_anyone_is_not_ready(w):
    Registration.objects.filter(learner=w.learners[1]).update(status="withdrawn")
    code, out = w.command()
    assert code == 1
    assert f"{w.learners[1].uln}  {w.learners[1].first_name} Example: Withdrawn" in out
    assert out.count(": ready") == 2


def test_the_command_refuses_an_unknown_centre_qualification_or_cohort(w):
    with pytest.raises(CommandError, match="No centre number 99999"):
        call_command(
            "claim_readiness", "--centre", "99999", "--qualification", "x", "--cohort", "2026/27"
        )
    with pytest.raises(CommandError, match="No qualification 601/0000/0"):
        call_command(
            "claim_readiness",
            "--centre",
            w.centre.number,
            "--qualification",
            "601/0000/0",
            "--cohort",
            "2026/27",
        )
    with pytest.raises(CommandError, match="cohorts starting: 2026/27"):
        call_command(
            "claim_readiness",
            "--centre",
            w.centre.number,
            "--qualification",
            w.cohort.qualification.number,
            "--cohort",
            "2025/26",
        )


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_blockers_with_links_and_the_countdown(w, client):
    Registration.objects.filter(learner=w.learners[1]).update(status="withdrawn")
    client.force_login(w.eo)
    page = client.get(reverse("claims:readiness", args=[w.cohort.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # the sentence reads on, with no space before its full stop
    assert "Claim deadline 5 July 2027:\n  <strong>34 days left</strong>.\n" in html
    assert "2 of 3</strong> learners ready" in html
    assert "Withdrawn: not to be claimed" in html
    assert f'href="{reverse("registrations:change_list")}"' in html


def test_the_page_is_404_at_another_centre_and_403_for_a_governor(w, client):
    client.force_login(person(Role.EXAMS_OFFICER, CentreFactory()))
    assert client.get(reverse("claims:readiness", args=[w.cohort.pk])).status_code == 404
    client.force_login(person(Role.GOVERNOR, w.centre))
    assert client.get(reverse("claims:readiness", args=[w.cohort.pk])).status_code == 403


def test_readiness_runs_a_fixed_number_of_queries(django_assert_max_num_queries, client):
    small = World(2)
    with django_assert_max_num_queries(15):
        claim_readiness(small.cohort, "2026/27")
    big = World(25)
    extra = Unit.objects.create(
        qualification=big.cohort.qualification,
        number="3",
        title="Exam",
        glh=60,
        assessment="external",
    )
    assert extra
    with django_assert_max_num_queries(15):
        result = claim_readiness(big.cohort, "2026/27")
    assert len(result.learners) == 25
    client.force_login(big.eo)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("claims:readiness", args=[big.cohort.pk])).status_code == 200


def test_the_page_offers_a_fix_link_only_to_someone_who_may_use_it(w, client):
    (other,) = w.add(1)
    CriterionDecision.objects.filter(learner=other).update(assessor=UserFactory())
    url = reverse("claims:readiness", args=[w.cohort.pk])
    client.force_login(w.eo)  # the exams officer does not record IV
    html = client.get(url).content.decode()
    assert "not internally verified (batch not yet verified" in html
    assert f'href="{reverse("verification:iv_queue")}"' not in html
    client.force_login(w.a.internal_verifier)
    assert f'href="{reverse("verification:iv_queue")}"' in client.get(url).content.decode()


def test_the_cohort_page_links_to_its_claim_readiness(w, client):
    client.force_login(w.eo)
    html = client.get(reverse("learners:cohort_detail", args=[w.cohort.pk])).content.decode()
    assert f'href="{reverse("claims:readiness", args=[w.cohort.pk])}"' in html
