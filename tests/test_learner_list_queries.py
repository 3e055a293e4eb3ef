"""The learner list runs the same number of queries whatever the number of learners
(issue 10, "Figures": the list at 20,000 learners within 2x of a bare view), for the home
centre's exams officer and for staff of a centre delivering a consortium group."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from learners.models import Learner

from .factories import CohortFactory, TeachingGroupFactory


def _learners(centre, n, prefix):
    Learner.objects.bulk_create(
        [
            Learner(
                centre=centre,
                first_name=f"F{i}",
                last_name=f"{prefix}{i:05d}",
                date_of_birth=dt.date(2009, 1, 1),
                sex="F",
            )
            for i in range(n)
        ]
    )
    return list(Learner.objects.filter(centre=centre, last_name__startswith=prefix))


def _queries(client, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("learners:learner_list"), params)
    assert response.status_code == 200
    return len(captured), response


@pytest.fixture
def consortium(own_centre, partner_centre, make_user):
    """own_centre's cohort with one group taught at the partner centre; staff at both."""
    cohort = CohortFactory(centre=own_centre)
    home_group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    taught_there = TeachingGroupFactory(cohort=cohort, delivering_centre=partner_centre)
    home = make_user("home.eo", Role.EXAMS_OFFICER, centre=own_centre)
    partner = make_user("partner.eo", Role.EXAMS_OFFICER, centre=partner_centre)

    def grow(n):
        ours = _learners(own_centre, n, f"Home{n}x")
        home_group.learners.add(*ours)
        taught_there.learners.add(*ours[: n // 2])  # consortium students
        _learners(partner_centre, n, f"Partner{n}x")  # the partner's own learners

    return {"home": home, "partner": partner, "grow": grow}


@pytest.mark.parametrize("who", ["home", "partner"])
@pytest.mark.parametrize("params", [{}, {"q": "x0", "on_roll": "yes"}, {"page": 2}])
def test_the_learner_list_runs_as_many_queries_for_60_learners_as_for_600(
    client, consortium, who, params
):
    client.force_login(consortium[who])
    # More than a page each time (a first page not full is counted without a COUNT(*)).
    consortium["grow"](60)
    small, _ = _queries(client, params)
    consortium["grow"](600)
    large, response = _queries(client, params)
    assert small == large, (small, large)
    if not params:  # and still exactly what the layer lets each see
        # home: its 660 learners; partner: its own 660 and the 30 + 300 it teaches, not the rest
        assert response.context["page"].paginator.count == {"home": 660, "partner": 990}[who]


def test_a_name_search_is_paged_without_counting_and_says_the_total_once_it_is_known(
    client, consortium
):
    """Counting every name containing a fragment reads the whole table: a name search
    fetches one row more than a page instead, and tells the total on its last page."""
    client.force_login(consortium["home"])
    consortium["grow"](60)
    few, response = _queries(client, {"q": "Home60x0000"})  # Home60x00000 .. 00009
    assert "10 learners." in response.content.decode()
    full, response = _queries(client, {"q": "Home60x"})
    page = response.content.decode()
    assert "Learners 1–50 of more than 50" in page and "page=2" in page and "Next" in page
    assert few == full  # no COUNT(*) either way
    _, response = _queries(client, {"q": "Home60x", "page": 2})
    page = response.content.decode()
    assert "60 learners." in page and "Previous" in page and "Next" not in page
    assert len(re.findall(r'href="/learners/\d+/"', page)) == 10  # the last ten of the 60


def test_a_partners_learner_in_our_consortium_cohorts_group_is_on_our_list(
    client, own_centre, partner_centre, make_user
):
    """The lead centre teaches the consortium cohort: a partner's learner in one of its
    groups is on the lead's list (the delivering reach), and an unrelated partner learner
    is not; the partner still sees its own learner."""
    cohort = CohortFactory(centre=own_centre)
    group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    visitor, stranger = _learners(partner_centre, 2, "Visitor")
    group.learners.add(visitor)
    client.force_login(make_user("lead.eo", Role.EXAMS_OFFICER, centre=own_centre))
    page = client.get(reverse("learners:learner_list")).content.decode()
    assert visitor.last_name.upper() in page.upper()
    assert stranger.last_name.upper() not in page.upper()
    detail = client.get(reverse("learners:learner_detail", args=[visitor.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("learners:learner_detail", args=[stranger.pk])).status_code == 404


def _sees(client, learner) -> bool:
    return client.get(reverse("learners:learner_detail", args=[learner.pk])).status_code == 200


@pytest.mark.parametrize("how", ["group side", "learner side", "set", "save_teaching_group"])
def test_the_lead_sees_a_partners_learner_while_in_its_group_and_not_after(
    client, own_centre, partner_centre, make_user, how
):
    """However a partner's learner joins and leaves the lead centre's group, the lead's
    sight of them follows (the group's kept `visiting_learners` flag, learners/groups.py)."""
    from learners.services import save_teaching_group

    cohort = CohortFactory(centre=own_centre)
    group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    (ours,) = _learners(own_centre, 1, "Ours")
    (visitor,) = _learners(partner_centre, 1, "Visitor")
    eo = make_user("lead.eo", Role.EXAMS_OFFICER, centre=own_centre)
    client.force_login(eo)
    join, leave = {
        "group side": (lambda: group.learners.add(visitor), lambda: group.learners.remove(visitor)),
        "learner side": (
            lambda: visitor.teaching_groups.add(group),
            lambda: visitor.teaching_groups.clear(),
        ),
        "set": (lambda: group.learners.set([ours, visitor]), lambda: group.learners.clear()),
        "save_teaching_group": (
            lambda: save_teaching_group(group, learners=[ours, visitor], by=eo),
            lambda: save_teaching_group(group, learners=[ours], by=eo),
        ),
    }[how]
    assert not _sees(client, visitor)
    join()
    assert _sees(client, visitor)
    leave()
    assert not _sees(client, visitor)
    group.refresh_from_db()
    assert group.visiting_learners is False


def test_a_group_of_our_own_learners_is_not_counted_as_visited(own_centre):
    cohort = CohortFactory(centre=own_centre)
    group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    group.learners.add(*_learners(own_centre, 3, "Home"))
    group.refresh_from_db()
    assert group.visiting_learners is False


def test_a_centre_in_no_consortium_pays_no_query_for_one(client, own_centre, make_user):
    """The reaches' shortcuts: read with the role assignments, "does any arrangement have
    this centre as lead?" and "does it teach any group away?" spare their own queries."""
    cohort = CohortFactory(centre=own_centre)
    group = TeachingGroupFactory(cohort=cohort, delivering_centre=own_centre)
    group.learners.add(*_learners(own_centre, 3, "Home"))
    client.force_login(make_user("solo.eo", Role.EXAMS_OFFICER, centre=own_centre))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("learners:learner_list")).content.decode()
    assert "3 learners." in page
    standalone = [q["sql"] for q in captured if not q["sql"].startswith('SELECT "django_session"')]
    assert not [s for s in standalone if s.startswith('SELECT "centres_arrangementqualification"')]
    assert not [s for s in standalone if s.startswith('SELECT "learners_teachinggroup"."id"')]
    assert not [s for s in standalone if s.startswith('SELECT "centres_centre"')]


def test_each_row_shows_what_the_template_showed_with_every_value_escaped(
    client, own_centre, make_user
):
    """The rows are drawn by a template tag (learners/templatetags/learner_rows.py): names
    escaped, the preferred name, a missing ULN flagged, a leaver's date."""
    from .factories import LearnerFactory

    eo = make_user("rows.eo", Role.EXAMS_OFFICER, centre=own_centre)
    odd = LearnerFactory(
        centre=own_centre,
        last_name="O'Brien<b>",
        first_name="Zoë & Co",
        preferred_name='"Zed"',
        uln=None,
        on_roll=False,
        left_on=dt.date(2026, 7, 17),
    )
    group = TeachingGroupFactory(cohort=CohortFactory(centre=own_centre), name="12<i>A")
    group.learners.add(odd)
    client.force_login(eo)
    page = client.get(reverse("learners:learner_list")).content.decode()
    row = page[page.index(f'href="/learners/{odd.pk}/"') :].split("</tr>")[0]
    assert "O&#x27;BRIEN&lt;B&gt;, Zoë &amp; Co" in row
    assert "(&quot;Zed&quot;)" in row
    assert '<span class="badge text-bg-warning">missing</span>' in row
    assert "12&lt;i&gt;A" in row
    assert "left 17/07/2026" in row
    assert "<b>" not in row and "<i>" not in row
