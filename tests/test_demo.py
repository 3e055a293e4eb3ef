"""The demo loader: idempotent, every role covered, and nothing real in it."""

import datetime as dt
import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from accounts.models import RoleAssignment, User
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import verify_chain
from btecqa.demo import DEMO_QUALIFICATIONS, LEAD, PARTNER, UNIQUE_NAMES, demo_name, load_demo
from centres.models import Centre
from learners.models import Cohort, Learner
from learners.validators import uci_problem, uln_problem
from registrations.calendar import academic_year_for
from registrations.entry_check import find_discrepancies
from registrations.models import (
    Discrepancy,
    EntryCheck,
    EntryList,
    EntryRequest,
    Registration,
    RegistrationRound,
    RegistrationStep,
)
from todos.models import ToDo

ROOT = Path(__file__).resolve().parent.parent

# SHA-256 of the (lower-case) people's, schools' and initials' names in the seed policies,
# so this test can look for them without the repository ever spelling them out.
FORBIDDEN = {
    "1b65031f7378a1e25c8c0e71fc701b28fe7076212837f7c14eceae01b63db544",
    "196682868276a9e5ca47242b34e2b755c52496ec471434ef9eef66fb64530c10",
    "23394beb739b4c9a79cc4e8bec392a2e7f21ccadf1d8eeb1ff6cfc81b44144e7",
    "c579b77a341a2ea56fb50e2347fbf1db4697b5aff04eb65b631b1e5bb9d864a3",
    "a7d89b738ad31446e3e51b7eff3ee24fd850bf5b8c81d1495cd0c8e22ce197b2",
    "65927925fe624071576e677c0336221f25956182d13801f2e1d3f787c327173d",
    "c2c45ce54f89f0797939786e130168ddc5b56fd0808f1c7dc1c077c4618f886a",
    "9270d68b430abc0c5e8288d115e6428bb8c415a2a7089a8afe0dfb3d2b558b34",
    "536741134b124ccbe43be2f63a07aba6c9c61a458a4c2fefd26f18a520191add",
    "29376104176a62a29af4a337e0c10b4ca74e4f751696b0c393840788d107422d",
}


def _counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in {"sessions"}
    }


def test_loading_the_demo_twice_changes_nothing(db, capsys):
    call_command("load_demo")
    first = _counts()
    call_command("load_demo")
    assert _counts() == first
    assert verify_chain().ok
    assert first["centres.Centre"] == 2 and 120 <= first["learners.Learner"] <= 145
    assert first["centres.CollaborativeArrangement"] == 1


def test_a_second_run_on_a_later_day_changes_nothing_either(db):
    load_demo(dt.date(2026, 9, 8))
    first = _counts()
    load_demo(dt.date(2026, 12, 2))
    assert _counts() == first


def test_the_demo_has_a_lead_and_partner_centre_and_a_user_for_every_role(db):
    call_command("load_demo")
    assert Centre.objects.count() == 2
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == {r.value for r in Role}
    # Consortium students: partner-centre learners taught in a group delivered at the lead centre.
    assert Learner.objects.filter(
        teaching_groups__delivering_centre__number="91234", centre__number="91567"
    ).exists()


def test_demo_learners_have_valid_identifiers(db):
    call_command("load_demo")
    for learner in Learner.objects.all():
        assert uln_problem(learner.uln) is None
        assert uci_problem(learner.uci) is None


@pytest.mark.parametrize("debug,shown", [(True, True), (False, False)])
def test_demo_passwords_are_printed_only_in_debug(db, settings, capsys, debug, shown):
    from btecqa.demo import DEMO_PASSWORD

    settings.DEBUG = debug
    call_command("load_demo")
    assert (DEMO_PASSWORD in capsys.readouterr().out) is shown


def _tracked_text_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".woff2", ".png", ".xlsx", ".pdf", ".lock"}:
            yield name, path.read_text(errors="ignore")


def test_no_name_from_the_policy_documents_appears_anywhere_in_the_project():
    hits = []
    for name, text in _tracked_text_files():
        words = re.findall(r"[a-z]+", text.lower())
        for n in (1, 2):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                if hashlib.sha256(phrase.encode()).hexdigest() in FORBIDDEN:
                    hits.append(f"{name}: word {i}")
    assert hits == []


def test_no_two_demo_learners_share_a_full_name_and_each_has_one_date_of_birth(db):
    load_demo(dt.date(2026, 12, 2))
    names = list(Learner.objects.values_list("first_name", "last_name"))
    assert len(names) > 100
    assert len(set(names)) == len(names)
    # and the name generator holds for as many learners as it has names
    assert len({demo_name(n) for n in range(UNIQUE_NAMES)}) == UNIQUE_NAMES


def _this_years(centre_number: str, day: dt.date):
    return RegistrationRound.objects.get(
        centre__number=centre_number, academic_year=academic_year_for(day)
    )


def _open_due_dates(day: dt.date) -> list[dt.date]:
    return list(ToDo.objects.filter(closed_at=None).values_list("due_date", flat=True))


def test_in_early_september_the_round_has_just_opened_with_requests_due_soon(db):
    day = dt.date(2026, 9, 8)
    load_demo(day)
    rnd = _this_years(LEAD[0], day)
    assert rnd.status == "open"
    requests = EntryRequest.objects.filter(round=rnd)
    # Business and Applied Science, this year's and last year's, and this year's Tech Award
    assert requests.count() == 5
    assert {r.status for r in requests} == {"requested"}
    assert all(day < r.due_date <= day + dt.timedelta(days=28) for r in requests)
    assert not EntryCheck.objects.filter(round=rnd).exists()
    assert all(due >= day for due in _open_due_dates(day)), "nothing overdue on the dashboard"


def test_in_late_september_the_lists_are_part_way_and_the_check_has_a_question_open(db):
    day = dt.date(2026, 9, 21)
    load_demo(day)
    rnd = _this_years(LEAD[0], day)
    statuses = set(EntryList.objects.filter(round=rnd).values_list("status", flat=True))
    assert {"signed", "awaiting_signature"} <= statuses
    open_ = Discrepancy.objects.filter(entry_check__round=rnd).exclude(status="resolved")
    assert open_.filter(kind="not_entered").count() == 1
    assert all(due >= day for due in _open_due_dates(day))


def test_in_december_the_check_is_done_lists_submitted_and_most_numbers_back(db):
    day = dt.date(2026, 12, 2)
    load_demo(day)
    for centre in (LEAD[0], PARTNER[0]):
        rnd = _this_years(centre, day)
        assert set(EntryList.objects.filter(round=rnd).values_list("status", flat=True)) == {
            "submitted"
        }
        check = EntryCheck.objects.get(round=rnd)
        assert check.closed_at is not None and check.closed_at.date() <= check.deadline
        assert not check.discrepancies.exclude(status="resolved").exists()
    year = academic_year_for(day)
    this_year = Registration.objects.filter(cohort__start_year=year)
    registered = this_year.filter(status="registered").count()
    assert registered > 0.9 * this_year.count() and registered < this_year.count()
    assert Registration.objects.filter(status="submitted").exists()  # a few still to come


def test_in_spring_everyone_is_registered_and_the_round_closed(db):
    day = dt.date(2027, 3, 15)
    load_demo(day)
    assert _this_years(LEAD[0], day).status == "closed"
    assert set(Registration.objects.values_list("status", flat=True)) == {"registered"}
    # The round's work is all done; other areas' waiting work (a live legal hold to
    # review, certificates held to issue) stays on the dashboard.
    assert not ToDo.objects.filter(closed_at=None, kind__startswith="registrations.").exists()


def test_the_history_happened_before_the_day_the_demo_is_loaded_for(db):
    day = dt.date(2026, 9, 23)
    load_demo(day)
    latest = AuditEvent.objects.order_by("-occurred_at").first().occurred_at
    assert timezone.localdate(latest) < day
    first = AuditEvent.objects.order_by("occurred_at").first().occurred_at
    assert timezone.localdate(first) < dt.date(2025, 9, 1)  # set up before last year's round


def test_last_years_intake_is_in_its_second_year_and_continuing(db):
    day = dt.date(2026, 12, 2)
    load_demo(day)
    year = academic_year_for(day)
    second = Cohort.objects.filter(centre__number=LEAD[0], start_year="2025/26")
    assert second.count() == 2 and all(c.covers(year) and c.years == 2 for c in second)
    business = second.get(qualification__number=DEMO_QUALIFICATIONS[0])
    # registered last year, in this year's group, confirmed as continuing this year
    regs = business.registrations.all()
    assert {r.round.academic_year for r in regs} == {"2025/26"}
    assert {r.status for r in regs} == {"registered"}
    group = business.teaching_groups.get(academic_year=year)
    assert set(group.learners.all()) == {r.learner for r in regs}
    assert RegistrationStep.objects.filter(
        registration__cohort=business, what=f"Continuing in {year}"
    ).count() == len(regs)
    this_list = EntryList.objects.get(cohort=business, round__academic_year=year)
    assert this_list.continuing
    # Their learners are never 'not entered' in this year's check.
    check = EntryCheck.objects.get(round__centre__number=LEAD[0], round__academic_year=year)
    flagged = set(check.discrepancies.filter(kind="not_entered").values_list("learner", flat=True))
    assert flagged.isdisjoint({r.learner_id for r in regs})
    assert find_discrepancies(check.round) == []


def test_the_demo_round_page_shows_the_continuing_cohort(client, db):
    day = dt.date(2026, 9, 23)
    load_demo(day)
    client.force_login(User.objects.get(username="eo"))
    page = client.get(_this_years(LEAD[0], day).get_absolute_url()).content.decode()
    assert "Year 2: continuing" in page and "First year: new entries" in page


def _marked_class():
    """The demo's marked assignment: its cohort's learners, and those with decisions."""
    from django.db.models import F

    from assessment.models import CriterionDecision, Submission

    # this year's intake (the second-year class's decisions are demo_readiness's story)
    decided = set(
        CriterionDecision.objects.filter(
            assignment__plan__cohort__start_year=F("assignment__plan__academic_year")
        ).values_list("assignment", flat=True)
    )
    assert len(decided) == 1, "one assignment of this year's intake has decisions"
    from assessment.models import PlannedAssignment

    assignment = PlannedAssignment.objects.get(pk=decided.pop())
    learners = set(
        Learner.objects.filter(teaching_groups__cohort=assignment.plan.cohort).values_list(
            "pk", flat=True
        )
    )
    marked = set(
        CriterionDecision.objects.filter(assignment=assignment).values_list("learner", flat=True)
    )
    subs = Submission.objects.filter(assignment=assignment)
    return assignment, learners, marked, subs


def test_in_december_part_of_a_class_is_marked_and_one_resubmission_authorised(db):
    from assessment.models import CriterionDecision, Resubmission
    from registrations.calendar import working_days_until

    day = dt.date(2026, 12, 2)
    load_demo(day)
    assignment, learners, marked, subs = _marked_class()
    assert assignment.brief.status == "issued"
    assert assignment.plan.status == "approved"
    # Some, not all: two in three of the class are marked, the rest have nothing yet.
    assert 0 < len(marked) < len(learners) and marked <= learners
    assert len(marked) >= len(learners) // 2
    assert set(subs.values_list("learner", flat=True)) == marked
    for sub in subs:  # each marked learner handed in and both declared (domain.md 3.4)
        assert sub.submitted_on and sub.on_time
        assert sub.learner_declared_on and sub.assessor_declared_on
    decided_on = {d.decided_on for d in CriterionDecision.objects.filter(assignment=assignment)}
    assert len(decided_on) == 1 and assignment.hand_in < min(decided_on) < day

    (resub,) = Resubmission.objects.all()  # exactly one, in the whole demo
    assert resub.assignment == assignment and resub.learner_id in marked
    assert resub.authorised_by.username == "liv"
    assert resub.authorised_by.role_assignments.filter(role=Role.LEAD_IV).exists()
    window = assignment.plan.cohort.qualification.resubmission_working_days
    assert 0 < working_days_until(min(decided_on), resub.authorised_on) <= window
    assert resub.authorised_on < day
    assert CriterionDecision.objects.filter(
        assignment=assignment,
        learner=resub.learner,
        achieved=False,
        criterion__code__regex=r"\.P[0-9]+$",
    ).exists(), "a not-yet on a Pass criterion"


def test_before_the_hand_in_nothing_is_marked(db):
    from assessment.models import CriterionDecision, Submission

    load_demo(dt.date(2026, 10, 12))
    assert not Submission.objects.exists() and not CriterionDecision.objects.exists()


def test_after_the_marking_the_resubmission_waits_for_the_lead_iv(db):
    from assessment.models import CriterionDecision, Resubmission

    load_demo(dt.date(2026, 10, 28))  # marked on 23/10, half term, not yet authorised
    assert CriterionDecision.objects.exists()
    assert not Resubmission.objects.exists()


def test_loading_the_december_demo_twice_duplicates_no_decision(db):
    from assessment.models import CriterionDecision, Resubmission, Submission

    day = dt.date(2026, 12, 2)
    load_demo(day)
    first = _counts()
    assert first["assessment.CriterionDecision"] > 0
    load_demo(day)
    assert _counts() == first
    assert Resubmission.objects.count() == 1
    intake = {"assignment__plan__cohort__start_year": "2026/27"}
    assert Submission.objects.filter(**intake).count() == len(
        set(CriterionDecision.objects.filter(**intake).values_list("learner", flat=True))
    )
