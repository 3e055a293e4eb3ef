"""Queries compiled once (btecqa/compiled.py) give the rows the ORM gives, for each user
and each shape, on SQLite and PostgreSQL; what cannot vary safely is refused."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.permissions import _assignments_query, assignments, forget_access, own_centres
from accounts.roles import Role
from btecqa.compiled import CompiledQuery
from learners.models import Cohort, Learner
from learners.selectors import (
    _GROUP_ORDER,
    COHORT_OPTION_ORDER,
    Membership,
    cohort_options,
    group_names,
)

from .factories import CohortFactory, LearnerFactory, TeachingGroupFactory


@pytest.fixture
def two_centres(own_centre, other_centre, make_user):
    ours = [LearnerFactory(centre=own_centre) for _ in range(4)]
    theirs = [LearnerFactory(centre=other_centre) for _ in range(3)]
    for centre, learners, names in ((own_centre, ours, "12A 13A"), (other_centre, theirs, "9Z")):
        cohort = CohortFactory(centre=centre)
        for name in names.split():
            TeachingGroupFactory(cohort=cohort, name=name, delivering_centre=centre).learners.add(
                *learners[:2]
            )
    return {
        "ours": ours,
        "theirs": theirs,
        "eo": make_user("our.eo", Role.EXAMS_OFFICER, centre=own_centre),
        "both": make_user("both.eo", Role.EXAMS_OFFICER, centre=own_centre),
    }


def test_group_names_are_the_scoped_orms_for_each_user_and_page_length(two_centres, other_centre):
    from accounts.models import RoleAssignment

    RoleAssignment.objects.create(
        user=two_centres["both"], centre=other_centre, role=Role.EXAMS_OFFICER
    )
    everyone = [lr.pk for lr in two_centres["ours"] + two_centres["theirs"]]
    for user in (two_centres["eo"], two_centres["both"]):
        for ids in (everyone, everyone[:1], everyone[2:5]):
            from accounts.permissions import scope

            expected: dict[int, list[str]] = {}
            for lid, name in (
                scope(user, "learners.view_learners", Membership.objects.filter(learner_id__in=ids))
                .order_by(*_GROUP_ORDER)
                .values_list("learner_id", "teachinggroup__name")
            ):
                expected.setdefault(lid, []).append(name)
            assert group_names(ids, user) == {k: ", ".join(v) for k, v in expected.items()}
    ours = two_centres["ours"][0].pk
    assert group_names([ours], two_centres["eo"]) == {ours: "12A, 13A"}
    assert group_names([two_centres["theirs"][0].pk], two_centres["eo"]) == {}


def test_cohort_options_are_the_scoped_cohorts_in_the_filters_order(two_centres, own_centre):
    CohortFactory(centre=own_centre, start_year="2025/26")
    user = two_centres["eo"]
    got = [(c.pk, str(c), c.centre.number, c.academic_years) for c in cohort_options(user)]
    want = [
        (c.pk, str(c), c.centre.number, c.academic_years)
        for c in Cohort.objects.filter(centre=own_centre)
        .select_related("qualification", "centre")
        .order_by(*COHORT_OPTION_ORDER)
    ]
    assert got == want and len(got) == 2


def test_the_role_assignments_come_back_as_the_orm_reads_them(two_centres, own_centre):
    user = two_centres["eo"]
    forget_access(user)
    assert assignments(user) == [(Role.EXAMS_OFFICER, own_centre.pk)]
    assert own_centres(user) == {own_centre.pk: (own_centre.number, own_centre.name)}
    orm = list(_assignments_query(user.pk, ()).values_list("role", "centre_id"))
    assert orm == [(Role.EXAMS_OFFICER, own_centre.pk)]


def test_a_value_that_does_not_reach_the_sql_as_an_id_is_refused(db):
    by_name = CompiledQuery(lambda name: Learner.objects.filter(last_name=name).values_list("pk"))
    with pytest.raises(ValueError, match="only integer ids"):
        by_name.rows(5)
    with pytest.raises(ValueError, match="empty list"):
        CompiledQuery(lambda ids: Learner.objects.filter(pk__in=ids).values_list("pk")).rows([])


def test_one_compiled_query_serves_each_list_length_and_new_ids(own_centre):
    learners = [LearnerFactory(centre=own_centre) for _ in range(3)]
    query = CompiledQuery(
        lambda ids: Learner.objects.filter(pk__in=ids).order_by("pk").values_list("pk")
    )
    pks = [lr.pk for lr in learners]
    assert query.rows(pks[:2]) == [(pks[0],), (pks[1],)]
    assert query.rows(pks[1:]) == [(pks[1],), (pks[2],)]  # same shape, other ids
    assert query.rows(pks) == [(p,) for p in pks]  # a longer list: compiled again
    assert query.rows([pks[0], pks[0]]) == [(pks[0],)]


def test_the_search_form_refuses_a_centre_or_programme_outside_the_users_options(
    client, two_centres, other_centre
):
    client.force_login(two_centres["eo"])
    theirs = Cohort.objects.get(centre=other_centre)
    page = client.get(
        reverse("learners:learner_list"), {"centre": other_centre.pk, "cohort": theirs.pk}
    ).content.decode()
    assert page.count("Select a valid choice") == 2
    for learner in two_centres["theirs"]:
        assert f"/learners/{learner.pk}/" not in page
    for learner in two_centres["ours"]:  # the bad filters are dropped, the list still shows
        assert f"/learners/{learner.pk}/" in page


def test_the_browsed_list_and_an_identifier_search_are_the_orms_rows(two_centres, own_centre):
    from learners.selectors import (
        browsing_own_centres,
        learner_search,
        own_learner_count,
        own_learner_page,
        own_learners_identified,
    )
    from learners.views import LIST_FIELDS

    user = two_centres["eo"]
    LearnerFactory(centre=own_centre, on_roll=False, left_on=dt.date(2026, 7, 17))
    own = browsing_own_centres(user)
    assert own == [own_centre.pk]
    every = list(learner_search(user).values_list(*LIST_FIELDS))
    assert own_learner_count(own) == len(every) == 5
    assert own_learner_page(own, LIST_FIELDS, 0, 3) == every[:3]
    assert own_learner_page(own, LIST_FIELDS, 3, 3) == every[3:]  # dates and bools too
    assert any(isinstance(row[-1], dt.date) for row in every)
    from .factories import make_uln

    chosen = two_centres["ours"][1]
    chosen.uln = uln = make_uln(77)
    chosen.save()
    found = own_learners_identified(own, ("uln", uln), LIST_FIELDS)
    assert found == list(learner_search(user, q=uln).values_list(*LIST_FIELDS))
    assert [row[0] for row in found] == [chosen.pk]
    stranger = two_centres["theirs"][0]
    stranger.uln = theirs = make_uln(78)
    stranger.save()
    assert own_learners_identified(own, ("uln", theirs), LIST_FIELDS) == []


def test_text_that_a_lookup_transforms_cannot_vary(db):
    contains = CompiledQuery(
        lambda text: Learner.objects.filter(last_name__contains=text).values_list("pk")
    )
    with pytest.raises(ValueError, match="text compared with ="):
        contains.rows("son")
