"""Who sees which learner: home centre, consortium partner, delivering centre, unrelated.

Written out by hand per role, so a change to the rules in learners/access.py
shows up here as a failing row. Anything a user may not see is a 404.
"""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from centres import services as arrangements
from todos.models import ToDo

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    approve,
    join,
)

R = Role
ALL = list(Role)


@pytest.fixture
def world(cast, own_centre, partner_centre, other_centre, make_user):
    """own_centre leads an arrangement for qualification Q with partner_centre."""
    q, q_other = QualificationFactory(), QualificationFactory()
    qn = cast[R.QUALITY_NOMINEE]
    a = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Vale Consortium",
        programme_code="CONS1",
        first_year="2026/27",
        by=qn,
    )
    join(a, partner_centre)
    approve(own_centre, q)
    approve(partner_centre, q)
    arrangements.add_qualification(
        a, qualification=q, lead_iv=cast[R.LEAD_IV], added_on=dt.date(2026, 9, 1), by=qn
    )

    def learner_in(centre, qualification, delivered_at):
        group = TeachingGroupFactory(
            cohort=CohortFactory(centre=centre, qualification=qualification),
            delivering_centre=delivered_at,
        )
        learner = LearnerFactory(centre=centre)
        group.learners.add(learner)
        return learner

    learners = {
        "own": learner_in(own_centre, q_other, own_centre),
        "partner_on_arrangement": learner_in(partner_centre, q, partner_centre),
        "partner_other_qualification": learner_in(partner_centre, q_other, partner_centre),
        "consortium_student": learner_in(partner_centre, q_other, own_centre),
        "unrelated": learner_in(other_centre, q, other_centre),
    }
    partner_eo = make_user("partner_eo", R.EXAMS_OFFICER, centre=partner_centre)
    other_qn = make_user("other_qn", R.QUALITY_NOMINEE, centre=other_centre)
    return {
        "arrangement": a,
        "learners": learners,
        "partner_eo": partner_eo,
        "other_qn": other_qn,
        "q": q,
    }


def expected_detail(role, which):
    if role in (R.GOVERNOR, R.STANDARDS_VERIFIER):  # neither holds a learner permission
        return 403
    if which in ("own", "consortium_student"):
        return 200
    if which == "partner_on_arrangement" and role in (R.QUALITY_NOMINEE, R.LEAD_IV):
        return 200
    return 404


@pytest.mark.parametrize(
    "which",
    [
        "own",
        "partner_on_arrangement",
        "partner_other_qualification",
        "consortium_student",
        "unrelated",
    ],
)
@pytest.mark.parametrize("role", ALL, ids=str)
def test_learner_page_by_role_and_centre(client, cast, world, role, which):
    client.force_login(cast[role])
    learner = world["learners"][which]
    assert client.get(
        reverse("learners:learner_detail", args=[learner.pk])
    ).status_code == expected_detail(role, which)


@pytest.mark.parametrize("role", ALL, ids=str)
def test_learner_list_shows_exactly_the_visible_learners(client, cast, world, role):
    client.force_login(cast[role])
    response = client.get(reverse("learners:learner_list"))
    if role in (R.GOVERNOR, R.STANDARDS_VERIFIER):  # neither holds a learner permission
        assert response.status_code == 403
        return
    shown = {lr.pk for lr in response.context["page"]}
    expected = {lr.pk for k, lr in world["learners"].items() if expected_detail(role, k) == 200}
    assert shown == expected


def test_a_partner_centre_sees_its_own_learners_and_not_the_leads(client, world):
    client.force_login(world["partner_eo"])
    L = world["learners"]
    for which, status in [
        ("own", 404),
        ("partner_on_arrangement", 200),
        ("partner_other_qualification", 200),
        ("consortium_student", 200),
        ("unrelated", 404),
    ]:
        assert (
            client.get(reverse("learners:learner_detail", args=[L[which].pk])).status_code == status
        ), which


def test_a_withdrawn_partner_is_no_longer_visible_to_the_lead_qn(client, cast, world):
    partner = world["arrangement"].partners.get()
    arrangements.withdraw_partner(partner, on=partner.joined_on, by=cast[R.QUALITY_NOMINEE])
    client.force_login(cast[R.QUALITY_NOMINEE])
    learner = world["learners"]["partner_on_arrangement"]
    assert client.get(reverse("learners:learner_detail", args=[learner.pk])).status_code == 404


@pytest.mark.parametrize("role", ALL, ids=str)
def test_only_the_home_centre_corrects_a_learner(client, cast, world, role):
    client.force_login(cast[role])
    own = world["learners"]["own"]
    consortium = world["learners"]["consortium_student"]
    can_change = role in (R.EXAMS_OFFICER, R.CENTRE_ADMIN)
    assert client.get(reverse("learners:learner_edit", args=[own.pk])).status_code == (
        200 if can_change else 403
    )
    # Visible through the teaching group, but its record belongs to the home centre.
    assert client.get(reverse("learners:learner_edit", args=[consortium.pk])).status_code == 403


def test_a_correction_is_audited_with_before_and_after(client, exams_officer, world):
    from audit.models import AuditEvent

    learner = world["learners"]["own"]
    client.force_login(exams_officer)
    data = {
        "first_name": learner.first_name,
        "last_name": "Newname",
        "preferred_name": "",
        "date_of_birth": "17/05/2009",
        "sex": "F",
        "uln": "1000000043",
        "uci": "",
        "candidate_number": learner.candidate_number,
        "admission_number": "",
        "email": "",
        "on_roll": "on",
        "left_on": "",
        "reason": "deed poll",
    }
    response = client.post(reverse("learners:learner_edit", args=[learner.pk]), data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="learners.learner.updated", learner_id=learner.pk)
    changes = dict((f, (b, a)) for f, b, a in event.changes())
    assert changes["last_name"] == ("Example", "Newname") and changes["uln"] == (None, "1000000043")
    assert (
        "Newname"
        in client.get(reverse("learners:learner_detail", args=[learner.pk])).content.decode()
    )


def test_a_bad_uln_is_refused_with_the_reason(client, exams_officer, world):
    learner = world["learners"]["own"]
    client.force_login(exams_officer)
    data = {
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "17/05/2009",
        "sex": "F",
        "uln": "1000000042",
        "candidate_number": learner.candidate_number,
        "on_roll": "on",
    }
    response = client.post(reverse("learners:learner_edit", args=[learner.pk]), data)
    assert response.status_code == 200
    assert "check digit should be 3" in response.content.decode()
    learner.refresh_from_db()
    assert learner.uln is None


@pytest.mark.parametrize("q_of", ["uln", "uci", "candidate_number", "last_name"])
def test_search_finds_a_learner_by_each_identifier(client, exams_officer, own_centre, q_of):
    target = LearnerFactory(
        centre=own_centre,
        last_name="Quenby",
        uln="1000000043",
        uci="681990012058G",
        candidate_number="2058",
    )
    LearnerFactory(centre=own_centre, last_name="Other")
    client.force_login(exams_officer)
    response = client.get(reverse("learners:learner_list"), {"q": getattr(target, q_of)})
    assert [lr.pk for lr in response.context["page"]] == [target.pk]


@pytest.mark.parametrize("q", ["1234", "001234", " 1234 "])
def test_search_finds_a_numeric_admission_number_of_up_to_four_digits(
    client, exams_officer, own_centre, q
):
    # SIMS admission numbers are often all digits; four or fewer looked like a candidate
    # number and only candidate numbers were searched.
    target = LearnerFactory(centre=own_centre, admission_number=q.strip(), candidate_number="0007")
    by_cand = LearnerFactory(centre=own_centre, candidate_number=q.strip().zfill(4)[-4:])
    client.force_login(exams_officer)
    response = client.get(reverse("learners:learner_list"), {"q": q})
    found = {lr.pk for lr in response.context["page"]}
    assert target.pk in found
    if len(q.strip()) <= 4:
        assert by_cand.pk in found  # the candidate number is still found too


def test_search_by_name_as_the_list_shows_it(client, exams_officer, own_centre):
    # The list shows "O'NEILL, Zoë": pasting that back in finds her.
    target = LearnerFactory(centre=own_centre, last_name="O'Neill", first_name="Zo\u00eb")
    LearnerFactory(centre=own_centre, last_name="O'Neill", first_name="Sean")
    client.force_login(exams_officer)
    response = client.get(reverse("learners:learner_list"), {"q": "O'NEILL, Zo\u00eb"})
    assert [lr.pk for lr in response.context["page"]] == [target.pk]


@pytest.mark.parametrize("size", [10, 2000])
def test_the_learner_list_runs_a_fixed_number_of_queries(
    client, exams_officer, own_centre, size, django_assert_max_num_queries
):
    from learners.models import Learner

    group = TeachingGroupFactory(cohort=CohortFactory(centre=own_centre))
    Learner.objects.bulk_create(
        [
            Learner(
                centre=own_centre,
                first_name=f"F{i}",
                last_name=f"L{i:05d}",
                date_of_birth=dt.date(2009, 1, 1),
                sex="M",
                candidate_number=f"{i + 1:04d}",
            )
            for i in range(size)
        ]
    )
    group.learners.add(*Learner.objects.filter(centre=own_centre))
    client.force_login(exams_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("learners:learner_list"), {"q": "L0", "on_roll": "yes"})
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        client.get(reverse("learners:learner_list"), {"page": 2})


def test_governors_see_counts_on_the_summary_but_no_learner(client, governor, world):
    response = (
        client.get(reverse("centres:summary")) if client.force_login(governor) is None else None
    )
    assert response.status_code == 200
    for learner in world["learners"].values():
        assert learner.first_name not in response.content.decode()


# --- arrangements ---------------------------------------------------------------


def test_each_arrangement_change_is_audited_and_owes_pearson_a_message(world, cast):
    from audit.models import AuditEvent

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "centres.arrangement.created",
        "centres.partner.invited",
        "centres.partner.accepted",
        "centres.arrangement_qualification.added",
    } <= actions
    todos = ToDo.objects.filter(kind="arrangement.tell_pearson", closed_at__isnull=True)
    assert todos.count() == 2
    assert all(t.role == R.QUALITY_NOMINEE for t in todos)


def test_recording_pearson_told_closes_the_action(client, cast, world):
    qn = cast[R.QUALITY_NOMINEE]
    a = world["arrangement"]
    todo = ToDo.objects.filter(kind="arrangement.tell_pearson", closed_at__isnull=True).first()
    client.force_login(qn)
    url = reverse("centres:pearson_told", args=[a.pk, todo.pk])
    response = client.post(url, {"told_on": "10/09/2026", "reference": ""})
    assert response.status_code == 200  # refused: the page again, the error by its field
    todo.refresh_from_db()
    assert todo.closed_at is None  # no reference: refused
    client.post(url, {"told_on": "10/09/2026", "reference": "CAS-12345"})
    todo.refresh_from_db()
    assert todo.closed_at is not None and "CAS-12345" in todo.closed_note


def test_the_lead_qn_manages_partners_and_a_partner_only_reads(client, cast, world, other_centre):
    a = world["arrangement"]
    client.force_login(world["partner_eo"])
    assert client.get(reverse("centres:arrangement_detail", args=[a.pk])).status_code == 200
    assert (
        client.post(
            reverse("centres:partner_invite", args=[a.pk]),
            {"centre": other_centre.pk},
        ).status_code
        == 403
    )
    client.force_login(world["other_qn"])
    assert client.get(reverse("centres:arrangement_detail", args=[a.pk])).status_code == 404
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(
        reverse("centres:partner_invite", args=[a.pk]),
        {"centre": other_centre.pk},
    )
    assert response.status_code == 302
    assert a.partners.filter(centre=other_centre).exists()


def test_the_qn_creates_an_arrangement_and_bad_years_are_refused(client, cast, own_centre):
    from centres.models import CollaborativeArrangement

    client.force_login(cast[R.QUALITY_NOMINEE])
    bad = {
        "lead_centre": own_centre.pk,
        "name": "X",
        "programme_code": "",
        "first_year": "2026/28",
        "last_year": "",
    }
    response = client.post(reverse("centres:arrangement_create"), bad)
    assert response.status_code == 200 and "not an academic year" in response.content.decode()
    good = dict(bad, first_year="2026/27", name="Vale Partnership")
    assert client.post(reverse("centres:arrangement_create"), good).status_code == 302
    assert CollaborativeArrangement.objects.filter(name="Vale Partnership").exists()
    client.force_login(cast[R.PROGRAMME_LEADER])
    assert client.get(reverse("centres:arrangement_create")).status_code == 403


@pytest.mark.parametrize("url_name", ["learners:learners_export", "learners:cohorts_export"])
def test_exports_are_xlsx_and_formula_safe(client, exams_officer, own_centre, url_name):
    import io

    from openpyxl import load_workbook

    learner = LearnerFactory(centre=own_centre, last_name='=HYPERLINK("http://x")')
    TeachingGroupFactory(cohort=CohortFactory(centre=own_centre)).learners.add(learner)
    client.force_login(exams_officer)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)  # nothing Excel would run
    if url_name == "learners:learners_export":
        (cell,) = [c for c in cells if c.value == '=HYPERLINK("http://x")']
        # stored as quote-prefixed text: shown as typed, re-imported as the same name
        assert cell.data_type == "s" and cell.quotePrefix is True


@pytest.mark.parametrize("url_name", ["learners:cohort_detail", "learners:class_list_export"])
def test_cohort_pages_follow_the_centre(
    client, cast, world, own_centre, partner_centre, other_centre, url_name
):
    from learners.models import Cohort

    own_cohort = Cohort.objects.filter(centre=own_centre).first()
    unrelated = Cohort.objects.filter(centre=other_centre).first()
    # The partner's programme with a group taught here is visible (consortium students).
    delivered_here = Cohort.objects.get(
        centre=partner_centre, teaching_groups__delivering_centre=own_centre
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    assert client.get(reverse(url_name, args=[own_cohort.pk])).status_code == 200
    assert client.get(reverse(url_name, args=[delivered_here.pk])).status_code == 200
    assert client.get(reverse(url_name, args=[unrelated.pk])).status_code == 404
    client.force_login(cast[R.GOVERNOR])
    assert client.get(reverse(url_name, args=[own_cohort.pk])).status_code == 403


def test_a_delivering_centre_sees_only_its_consortium_students_of_the_home_cohort(
    client, cast, world, partner_centre, own_centre
):
    from learners.models import Cohort

    cohort = Cohort.objects.get(
        centre=partner_centre, teaching_groups__delivering_centre=own_centre
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    html = client.get(reverse("learners:cohort_detail", args=[cohort.pk])).content.decode()
    assert world["learners"]["consortium_student"].first_name in html
    assert world["learners"]["partner_other_qualification"].first_name not in html


@pytest.mark.parametrize("groups", [1, 8])
def test_the_cohort_page_runs_a_fixed_number_of_queries(
    client, exams_officer, own_centre, groups, django_assert_max_num_queries
):
    cohort = CohortFactory(centre=own_centre)
    for _ in range(groups):
        group = TeachingGroupFactory(cohort=cohort)
        group.learners.add(*[LearnerFactory(centre=own_centre) for _ in range(3)])
    client.force_login(exams_officer)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("learners:cohort_detail", args=[cohort.pk]))
    assert len(response.context["groups"]) == groups
    assert all(len(learners) == 3 for _, learners in response.context["groups"])


def test_a_bad_filter_is_shown_and_the_search_still_applies(client, exams_officer, own_centre):
    LearnerFactory(centre=own_centre, last_name="Ashdown")
    LearnerFactory(centre=own_centre, last_name="Bellamy")
    client.force_login(exams_officer)
    html = client.get(reverse("learners:learner_list"), {"centre": "abc", "q": "Ashdown"}).content
    html = html.decode()
    assert "ASHDOWN" in html.upper() and "BELLAMY" not in html.upper()
    assert "Select a valid choice" in html
