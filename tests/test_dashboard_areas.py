"""The dashboard's "Needs my action": grouped by area, overdue first, and a "To read" panel
for the roles whose part is reading (a standards verifier's grants, a governor's report)."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from todos.kinds import register_kind
from todos.services import open_todo

from .factories import CohortFactory, RoleAssignmentFactory, mark_second_factor, verifier_ready

TODAY = dt.date(2026, 10, 12)

register_kind("registrations.test_area", "Test registration action", owner=Role.EXAMS_OFFICER)
register_kind("claims.test_area", "Test claim action", owner=Role.EXAMS_OFFICER)
register_kind(
    "verification.test_queue",
    "Test queue action",
    owner=Role.EXAMS_OFFICER,
    link="verification:iv_queue",
)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 10, 12, 9, 0))
    return TODAY


def test_actions_are_grouped_by_area_with_the_overdue_area_first(
    client, exams_officer, own_centre, today
):
    open_todo(
        "registrations.test_area",
        centre=own_centre,
        title="Sign the Year 12 list",
        due=today + dt.timedelta(days=3),
        assignee=exams_officer,
    )
    open_todo(
        "claims.test_area",
        centre=own_centre,
        title="Approve the Sport claim",
        due=today - dt.timedelta(days=2),
        assignee=exams_officer,
    )
    client.force_login(exams_officer)
    response = client.get(reverse("dashboard"))
    areas = response.context["areas"]
    # Registrations come before claims in the office's order, but the late claim leads.
    assert [a["label"] for a in areas] == ["Certification claims", "Registrations"]
    assert [t.title for t in areas[0]["overdue"]] == ["Approve the Sport claim"]
    html = response.content.decode()
    assert html.index("Approve the Sport claim") < html.index("Sign the Year 12 list")
    assert 'href="#area-certification-claims"' in html and 'id="area-registrations"' in html
    assert "1 overdue" in html


def test_an_action_whose_target_has_no_page_links_to_its_kinds_page(
    client, exams_officer, own_centre, today
):
    todo = open_todo(
        "verification.test_queue",
        centre=own_centre,
        title="Verify the sampled work",
        assignee=exams_officer,
    )
    assert todo.url == reverse("verification:iv_queue")
    client.force_login(exams_officer)
    assert f'href="{todo.url}"' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("cohorts", [1, 6])
def test_a_standards_verifier_reads_the_cohorts_their_grant_opens_in_fixed_queries(
    client, own_centre, make_user, today, cohorts, django_assert_max_num_queries
):
    sv = make_user("sv_reader", centre=own_centre)
    RoleAssignmentFactory(
        user=sv, centre=own_centre, role=Role.STANDARDS_VERIFIER, verifier_ready=False
    )
    sampled = CohortFactory.create_batch(cohorts, centre=own_centre)
    verifier_ready(sv, own_centre, cohorts=sampled, expires_on=today + dt.timedelta(days=5))
    client.force_login(sv)
    mark_second_factor(client, sv)
    # (20: the person's finished background jobs are one query of the To read panel.)
    with django_assert_max_num_queries(20):
        html = client.get(reverse("dashboard")).content.decode()
    assert "To read" in html and "5 days left" in html
    for cohort in sampled:
        assert str(cohort) in html
    # The link opens: the grant is what lets the verifier in.
    assert f'href="{reverse("assessment:plan_list")}"' in html
    assert client.get(reverse("assessment:plan_list")).status_code == 200


def test_an_expired_grant_is_not_on_the_verifiers_dashboard(client, own_centre, make_user, today):
    sv = make_user("sv_gone", centre=own_centre)
    RoleAssignmentFactory(
        user=sv, centre=own_centre, role=Role.STANDARDS_VERIFIER, verifier_ready=False
    )
    verifier_ready(
        sv,
        own_centre,
        cohorts=[CohortFactory(centre=own_centre)],
        expires_on=today - dt.timedelta(days=1),
    )
    client.force_login(sv)
    mark_second_factor(client, sv)
    assert "Sampled cohorts" not in client.get(reverse("dashboard")).content.decode()


def test_a_governor_is_pointed_to_the_annual_report_and_it_opens(client, cast, today):
    governor = cast[Role.GOVERNOR]
    client.force_login(governor)
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("centres:summary")}"' in html
    assert client.get(reverse("centres:summary")).status_code == 200


def test_an_exams_officer_has_no_reading_panel(client, exams_officer, today):
    client.force_login(exams_officer)
    assert "To read" not in client.get(reverse("dashboard")).content.decode()
