"""The yearly review of each collaborative arrangement (policy 000-3.1.9; btecqa issue 12
part 7): the lead centre's Quality Nominee records the meeting, the partners' attendance,
minutes and actions; every partner reads it, an unrelated centre does not; a year without
one is a named gap on the Annual Quality Declaration."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from centres import services as arrangements
from declarations import services
from declarations.models import ArrangementReview, ReviewAction

from .factories import QualificationFactory, approve, centre_qn, join

R = Role
YEAR = "2026/27"
pytestmark = pytest.mark.usefixtures("_autumn")


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 5, 10, 0), tick=True):
        yield


@pytest.fixture
def arrangement(cast, own_centre, partner_centre):
    q = QualificationFactory(title="National Diploma in Applied Science")
    approve(own_centre, q)
    approve(partner_centre, q)
    arr = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Vale Science Consortium",
        programme_code="VSC1",
        first_year=YEAR,
        by=cast[R.QUALITY_NOMINEE],
    )
    join(arr, partner_centre, by=cast[R.QUALITY_NOMINEE])
    arrangements.add_qualification(
        arr,
        qualification=q,
        lead_iv=cast[R.LEAD_IV],
        added_on=dt.date(2026, 9, 1),
        by=cast[R.QUALITY_NOMINEE],
    )
    return arr


def _review_data(own_centre, partner_centre, **extra):
    return {
        "academic_year": YEAR,
        "held_on": "2026-10-02",
        "minutes": "Reviewed Unit 3 results across both sites; agreed a shared IV sample.",
        f"attended_{own_centre.pk}": "on",
        f"people_{own_centre.pk}": "T. Whitacre (QN)",
        f"attended_{partner_centre.pk}": "on",
        f"people_{partner_centre.pk}": "O. Pellow (QN)",
        **extra,
    }


def test_the_lead_qn_records_a_review_the_partner_reads_it_an_unrelated_centre_does_not(
    client, cast, own_centre, partner_centre, other_centre, arrangement, make_user
):
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(
        reverse("declarations:review_add", args=[arrangement.pk]),
        _review_data(own_centre, partner_centre),
    )
    review = ArrangementReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert {(a.centre, a.people) for a in review.attendance.all()} == {
        (own_centre, "T. Whitacre (QN)"),
        (partner_centre, "O. Pellow (QN)"),
    }
    # On the trail at both centres.
    assert set(
        AuditEvent.objects.filter(action="declarations.review.recorded").values_list(
            "centre_id", flat=True
        )
    ) == {own_centre.pk, partner_centre.pk}

    url = reverse("declarations:review_detail", args=[review.pk])
    partner_teacher = make_user("partner_assessor", R.ASSESSOR_IV, centre=partner_centre)
    client.force_login(partner_teacher)
    page = client.get(url).content.decode()
    assert "agreed a shared IV sample" in page and "O. Pellow (QN)" in page
    listed = client.get(reverse("declarations:review_list")).content.decode()
    assert "Vale Science Consortium" in listed

    stranger = make_user("stranger_qn", R.QUALITY_NOMINEE, centre=other_centre)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert "Vale Science Consortium" not in (
        client.get(reverse("declarations:review_list")).content.decode()
    )


def test_only_the_lead_centres_qn_records_the_review(
    client, cast, own_centre, partner_centre, arrangement
):
    url = reverse("declarations:review_add", args=[arrangement.pk])
    client.force_login(centre_qn(partner_centre))  # the partner's QN reads, records nothing
    assert client.post(url, _review_data(own_centre, partner_centre)).status_code == 403
    client.force_login(cast[R.LEAD_IV])
    assert client.post(url, _review_data(own_centre, partner_centre)).status_code == 403
    assert not ArrangementReview.objects.exists()


def test_a_review_not_yet_held_is_refused_by_its_field(
    client, cast, own_centre, partner_centre, arrangement
):
    client.force_login(cast[R.QUALITY_NOMINEE])
    response = client.post(
        reverse("declarations:review_add", args=[arrangement.pk]),
        _review_data(own_centre, partner_centre, held_on="2026-11-20"),
    )
    assert response.status_code == 200
    assert "this date is to come" in response.content.decode()
    assert not ArrangementReview.objects.exists()


def test_actions_have_an_owner_a_due_date_and_are_closed(
    client, cast, own_centre, partner_centre, arrangement
):
    qn = cast[R.QUALITY_NOMINEE]
    review = services.record_review(
        arrangement,
        academic_year=YEAR,
        held_on=dt.date(2026, 10, 2),
        minutes="Minutes",
        attendance=[(own_centre, True, "QN"), (partner_centre, True, "QN")],
        by=qn,
    )
    client.force_login(qn)
    response = client.post(
        reverse("declarations:review_action_add", args=[review.pk]),
        {
            "description": "Share the IV sample plan",
            "owner": "O. Pellow, Partner",
            "due_on": "2026-11-01",
        },
    )
    assert response.status_code == 302
    action = ReviewAction.objects.get()
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Share the IV sample plan" in page and "01/11/2026" in page
    client.post(
        reverse("declarations:review_action_close", args=[review.pk, action.pk]),
        {"note": "Sent on 20/10"},
    )
    action.refresh_from_db()
    assert action.closed_on == dt.date(2026, 10, 5) and action.closed_by == qn


def test_a_missing_review_is_a_named_gap_on_the_declaration_and_a_held_one_is_evidence(
    client, cast, own_centre, partner_centre, arrangement
):
    from declarations.models import QualityDeclaration

    declaration = services.start_declaration(centre=own_centre, academic_year=YEAR)
    client.force_login(cast[R.QUALITY_NOMINEE])
    url = reverse("declarations:declaration_detail", args=[declaration.pk])
    page = client.get(url).content.decode()
    assert "Vale Science Consortium: no review meeting recorded for 2026/27" in page

    review = services.record_review(
        arrangement,
        academic_year=YEAR,
        held_on=dt.date(2026, 10, 2),
        minutes="Minutes",
        attendance=[(own_centre, True, "QN"), (partner_centre, False, "")],
        by=cast[R.QUALITY_NOMINEE],
    )
    services.add_review_action(
        review,
        description="Share the IV sample plan",
        owner="Partner QN",
        due_on=dt.date(2026, 11, 1),
        by=cast[R.QUALITY_NOMINEE],
    )
    page = client.get(url).content.decode()
    assert "no review meeting recorded" not in page
    assert "Vale Science Consortium: reviewed 02/10/2026; attended: Own Test Academy" in page
    assert "«Share the IV sample plan» (Partner QN, due 01/11/2026) is still open" in page
    # The partner's own declaration names that it did not attend.
    partner_declaration = QualityDeclaration.objects.create(
        centre=partner_centre, academic_year=YEAR
    )
    partner_page = client.get(
        reverse("declarations:declaration_detail", args=[partner_declaration.pk])
    )
    assert partner_page.status_code == 404  # the lead's QN does not see the partner's
    from declarations.checks import CheckContext, _reviews

    finding = _reviews(CheckContext(partner_centre, YEAR))
    assert (
        "Vale Science Consortium: Partner Test School is not recorded as attending its review"
        in finding.gaps
    )


def test_the_review_pages_run_the_same_number_of_queries_whatever_the_number_of_reviews(
    client, cast, own_centre, partner_centre, arrangement
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def held(n):
        for i in range(n):
            review = services.record_review(
                arrangement,
                academic_year=YEAR,
                held_on=dt.date(2026, 9, 10 + i),
                minutes=f"Meeting {i}",
                attendance=[(own_centre, True, "QN"), (partner_centre, True, "QN")],
                by=cast[R.QUALITY_NOMINEE],
            )
            services.add_review_action(
                review,
                description=f"Action {i}",
                owner="Partner QN",
                due_on=dt.date(2026, 11, 1),
                by=cast[R.QUALITY_NOMINEE],
            )
        return review

    client.force_login(cast[R.QUALITY_NOMINEE])
    urls = [reverse("declarations:review_list")]
    held(1)
    client.get(urls[0])
    with CaptureQueriesContext(connection) as small:
        client.get(urls[0])
    held(5)
    with CaptureQueriesContext(connection) as large:
        page = client.get(urls[0]).content.decode()
    assert "Action 4" in page
    assert len(large) == len(small)
