"""Ids in the address and numbers in the query string: a clear 400 or a 404, never a 500.

Every URL pattern is walked from the resolver, so a new page is covered the day it is added:
its ids at and beyond the database's integer range, and the query parameters views read,
as a superuser (who passes every permission check and so reaches every view's own code).
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern

from btecqa.converters import IdConverter
from btecqa.params import MAX_ID

from .factories import LearnerFactory, UserFactory

HUGE = "9" * 30
# Every name a view reads from request.GET, each holding a number no database can store.
NAMES = ("centre", "page", "registration", "learner", "cohort", "year", "batch", "show")
HOSTILE_QUERY = dict.fromkeys(NAMES, HUGE) | {"q": "\x0b", "kind": "withdrawal", "status": HUGE}
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _patterns(resolvers=None, prefix=""):
    """(route with every converter left in, the pattern) for every URL, however included."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _route_patterns():
    found = [(r, p) for r, p in _patterns() if isinstance(p.pattern, RoutePattern)]
    assert len(found) > 100  # ours and the admin's
    return found


def _fill(route: str, id_value: str) -> str:
    def value(m):
        converter = m.group("converter") or "str"
        return {"id": id_value, "int": id_value, "path": id_value}.get(converter, "x")

    return "/" + _PARAM.sub(value, route).lstrip("^").rstrip("$")


def test_no_url_takes_an_unbounded_int():
    unbounded = [
        route
        for route, p in _patterns()
        if any(isinstance(c, IntConverter) for c in getattr(p.pattern, "converters", {}).values())
    ]
    assert not unbounded, f"use <id:...> (btecqa/converters.py), not <int:...>: {unbounded}"
    assert any(
        isinstance(c, IdConverter)
        for _, p in _patterns()
        for c in getattr(p.pattern, "converters", {}).values()
    )


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _status(client, user, method, url, data=None) -> int:
    client.force_login(user)  # a POST to log-out signs out: sign in again every time
    client.raise_request_exception = False  # a 500 is an answer to count, not a crash
    return getattr(client, method)(url, data or {}).status_code


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_with_an_id_beyond_the_database_is_a_404(client, superuser, method):
    answers = {}
    for route, _ in _route_patterns():
        if "<" in route:
            answers[route] = _status(client, superuser, method, _fill(route, HUGE))
    assert len(answers) > 50
    assert not [r for r, status in answers.items() if status == 500]
    ids = [r for r in answers if re.search(r"<(id|int):", r)]
    assert len(ids) > 40 and all(answers[r] == 404 for r in ids)


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_with_the_largest_id_answers_without_a_500(client, superuser, method):
    failed = [
        route
        for route, _ in _route_patterns()
        if _status(client, superuser, method, _fill(route, str(MAX_ID))) == 500
    ]
    assert not failed


def test_every_page_read_with_hostile_numbers_in_the_query_string_is_not_a_500(client, superuser):
    LearnerFactory()  # something to list
    failed = []
    for route, _ in _route_patterns():
        url = _fill(route, str(MAX_ID))
        for query in (HOSTILE_QUERY, {"centre": "²", "page": "²", "learner": "-1"}):
            if _status(client, superuser, "get", url, query) == 500:
                failed.append((url, query))
    assert not failed


def test_a_30_digit_centre_filter_is_a_clear_400(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("learner_imports:history"), {"centre": HUGE})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "centre=&#x27;999999999999999999999999999999&#x27; in this request is not a whole number"
        in page
    )
    assert "from 1 to 9,223,372,036,854,775,807" in page
    for bad in ("²", "-1", "0", "abc"):
        assert client.get(reverse("learner_imports:history"), {"centre": bad}).status_code == 400
    assert client.get(reverse("learner_imports:history"), {"centre": ""}).status_code == 200


def test_a_huge_learner_id_in_the_path_is_a_404(client, superuser):
    client.force_login(superuser)
    assert client.get("/learners/99999999999999999999999/").status_code == 404
    assert client.get(f"/learners/{MAX_ID}/").status_code == 404
    learner = LearnerFactory()
    assert client.get(f"/learners/{learner.pk}/").status_code == 200
    assert reverse("learners:learner_detail", args=[learner.pk]) == f"/learners/{learner.pk}/"


def test_ticked_boxes_with_a_huge_id_are_a_400_naming_the_box(client, cast, own_centre):
    from accounts.roles import Role
    from registrations import services

    from .factories import CohortFactory

    eo = cast[Role.EXAMS_OFFICER]
    rnd = services.open_round(centre=own_centre, academic_year="2026/27", by=eo)
    cohort = CohortFactory(centre=own_centre)
    entry_list = services.entry_list_for(cohort, rnd)
    client.force_login(eo)
    response = client.post(
        reverse("registrations:entries_make", args=[entry_list.pk]), {"registration": [HUGE]}
    )
    assert response.status_code == 400
    assert "registration=&#x27;99999" in response.content.decode()
