"""The learner list runs the same number of queries whatever the number of learners
(issue 10, "Figures": the list at 20,000 learners within 2x of a bare view), for the home
centre's exams officer and for staff of a centre delivering a consortium group."""

import datetime as dt

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


def test_a_search_finding_less_than_a_page_still_says_how_many_without_counting_apart(
    client, consortium
):
    client.force_login(consortium["home"])
    consortium["grow"](60)
    few, response = _queries(client, {"q": "Home60x0000"})  # Home60x00000 .. 00009
    assert response.context["page"].paginator.count == 10
    assert "10 learners." in response.content.decode()
    full, response = _queries(client, {"q": "Home60x"})
    assert response.context["page"].paginator.count == 60
    assert "Page 1 of 2" in response.content.decode()
    assert few == full - 1  # the full page's COUNT(*) is the one query more


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
